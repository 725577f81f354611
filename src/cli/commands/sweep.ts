/** `mergeops sweep <recipe.yml> --param P --values a,b,...`: pick a merge parameter by evaluating candidates. */
import { MergeopsError } from '../../errors.js';
import { runSweep, SWEEP_PARAMS, sweepText, type SweepParam } from '../../sweep.js';
import { readEvalFile } from '../../recipe/eval-options.js';
import { didYouMean } from '../../recipe/index.js';
import { defineCommand } from '../command.js';
import { onePositional, prepareOptions, RECIPE_OPTIONS, RECIPE_OPTIONS_HELP } from '../common.js';
import { readRunOptions } from '../../options/run-options.js';
import { CLI_NAMING, fileTypeValue } from '../../options/validate.js';

export const sweepCommand = defineCommand({
  name: 'sweep',
  summary: 'merge a recipe for several values of one parameter, evaluate each, and pick one',
  help: `Usage: mergeops sweep <recipe.yml> --param lambda|t|weight|density --values V1,V2,... --out DIR [options]

Merges the recipe once per value (lambda and t are set under \`parameters:\`, weight and density
on every model), writes each candidate as a GGUF of a cheap type, and runs the recipe's
mergeops.eval prompts and tasks on it. With labelled tasks the value with the best mean accuracy
is chosen; without labels (or with --unlabeled), the value whose greedy outputs change least
between it and its neighbouring values (AdaMMS, arXiv:2503.23733, section 3.3).
DIR receives sweep.md (the table and chart), sweep.svg, sweep.json and the chosen recipe.

Options:
  --param NAME           lambda, t, weight or density
  --values LIST          comma-separated values, e.g. 0.6,0.8,1.0,1.2 (at least two)
  -o, --out DIR          folder for the sweep's report and the chosen recipe (required)
  --type TYPE            GGUF type the candidates are evaluated at (default Q8_0)
  --unlabeled            choose by generation consistency even when the tasks have answers
  --eval FILE            prompts and tasks from FILE (as for \`mergeops run --eval\`) instead of the
                         recipe's mergeops.eval
  --max-memory SIZE      memory the merges may use (default: half of RAM, ≤ 16 GiB)
  -j, --threads N        threads (default: one per core)
${RECIPE_OPTIONS_HELP}`,
  options: {
    ...RECIPE_OPTIONS,
    param: { type: 'string' },
    values: { type: 'string' },
    out: { type: 'string', short: 'o' },
    type: { type: 'string' },
    unlabeled: { type: 'boolean' },
    eval: { type: 'string' },
    'max-memory': { type: 'string' },
    threads: { type: 'string', short: 'j' },
  },
  async run({ values, positionals }, io) {
    const recipe = onePositional(positionals, 'sweep', 'a recipe file', 'recipe.yml --param lambda --values 0.8,1.0,1.2 --out sweep');
    const names = Object.keys(SWEEP_PARAMS);
    if (values.param === undefined) throw new MergeopsError('USAGE', '`mergeops sweep` needs --param', `one of ${names.join(', ')}`);
    if (!names.includes(values.param)) {
      const guess = didYouMean(values.param, names);
      throw new MergeopsError('USAGE', `--param ${values.param} cannot be swept${guess ? `; did you mean ${guess}?` : ''}`, `use one of ${names.join(', ')}`);
    }
    if (values.values === undefined) throw new MergeopsError('USAGE', '`mergeops sweep` needs --values', 'e.g. --values 0.6,0.8,1.0,1.2');
    const list = values.values.split(',').map((v) => v.trim());
    const nums = list.map(Number);
    const bad = list.find((v, i) => v === '' || !Number.isFinite(nums[i]));
    if (bad !== undefined) throw new MergeopsError('USAGE', `--values: \`${bad}\` is not a number`, 'e.g. --values 0.6,0.8,1.0,1.2');
    if (!values.out) throw new MergeopsError('USAGE', '`mergeops sweep` needs --out DIR', `mergeops sweep ${recipe} --param ${values.param} --values ${values.values} --out sweep`);
    const opts = readRunOptions(values, CLI_NAMING);
    const r = await runSweep({
      ...prepareOptions(values, io),
      recipeFile: recipe, param: values.param as SweepParam, values: nums, outDir: values.out,
      type: values.type === undefined ? undefined : fileTypeValue(CLI_NAMING, 'type', values.type), unlabeled: values.unlabeled ?? false,
      eval: values.eval === undefined ? undefined : readEvalFile(values.eval),
      maxMemory: opts.maxMemory, threads: opts.threads,
      onCandidate: undefined,
    });
    io.out(sweepText(r));
    io.out(`wrote ${values.out}/sweep.md, sweep.svg, sweep.json and the chosen recipe in ${r.seconds.toFixed(1)} s\n`);
    return 0;
  },
});
