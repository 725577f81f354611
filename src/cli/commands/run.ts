/** `mergeops run <recipe.yml> --out DIR`: the merge, with GGUF outputs and their load check. */
import { MergeopsError } from '../../errors.js';
import { interruptedBy } from '../../interrupt.js';
import { runRecipeFile } from '../../pipeline.js';
import { readRunOptions } from '../../options/run-options.js';
import { CLI_NAMING } from '../../options/validate.js';
import { defineCommand } from '../command.js';
import { onePositional, prepareOptions, RECIPE_OPTIONS, RECIPE_OPTIONS_HELP } from '../common.js';
import { checkLine } from '../format.js';
import { bytes, duration, rate } from '../../units.js';
import { progressReporter } from '../progress.js';
import { startRunPublish } from '../run-publish.js';
import { renderEvalText } from '../../eval/render.js';
import { readEvalFile } from '../../recipe/eval-options.js';
import { MERGEOPS_VERSION } from '../../version.js';


export const runCommand = defineCommand({
  name: 'run',
  summary: 'merge a recipe into a folder of safetensors shards (and GGUF files)',
  help: `Usage: mergeops run <recipe.yml> --out DIR [options]

Merges the recipe's models tensor by tensor, in bounded memory, into DIR: safetensors shards and
index, config and tokenizer files, the recipe, and GGUF files when asked for. The folder is written
beside DIR under a temporary name and renamed at the end: after a failure nothing is left.

Options:
  -o, --out DIR          output folder (required)
  --max-memory SIZE      memory the whole process may use, e.g. 4G, 512MiB (default: half of RAM, ≤ 16 GiB)
  -j, --threads N        kernel worker threads (default: one per core)
  --overwrite            replace an existing output folder that an earlier mergeops run wrote
  --force-overwrite      replace an existing output folder whatever it holds
  --gguf TYPES           also write GGUF files, e.g. Q4_K_M,Q8_0 (default: the recipe's mergeops.quantize)
  --name NAME            title of the merged model (general.name of its GGUF files; default: from the
                         recipe file's name, e.g. task-arithmetic.yml → "Task Arithmetic")
  --tokenizer-pre NAME   tokenizer.ggml.pre for a BPE tokenizer llama.cpp does not recognise
  --split-max-size SIZE  split each GGUF (gguf-split format) into files of at most SIZE of tensors
  --split-max-tensors N  split each GGUF into files of at most N tensors
  --skip-gguf-check      do not load each GGUF written with llama.cpp to decode a few tokens
  --allow-nonfinite      write output tensors that hold NaN or Inf instead of failing the run
  --shard i/N            one job of a matrix build: write only the files assigned to part i of N
                         (see \`mergeops plan --matrix N\`); the N folders together are the output
  --eval FILE            the eval's checks from FILE (YAML or JSON: prompts, tasks, perplexity,
                         compare_inputs, min_pass_rate, max_perplexity_increase) instead of the
                         recipe's mergeops.eval; a failed gate exits 1 after the table
  --no-eval              skip the eval stage (eval.json says so)
  --no-eval-cache        with compare_inputs: check every input model again instead of reusing the
                         results an earlier run got on the same weights, checks and llama.cpp
  --keep-intermediates DIR
                         multi-stage recipes: also write each named stage to DIR/<name>
                         (by default earlier stages are computed in memory, never written)
  --record               with --frozen: still record the output files' sha256 in the lockfile (a
                         run without --frozen records them whenever the lockfile matches the recipe)
  --publish TARGET       after the merge (and a passing eval gate), publish: hf:ORG/NAME (a Hub repo;
                         HF_TOKEN must be able to write to it, checked before the merge starts) or
                         dir:PATH (a local folder laid out as the repo)
  --gguf-repo TARGET     where the GGUF files go (default: the target's name + -GGUF; \`same\`: with the model)
  --private              create missing Hub repos private
  --low-disk             upload each finished safetensors shard during the merge and delete it
                         (automatic when the output does not fit the free disk; GGUF files stay
                         until the eval has run and go up with the commit; with eval checks, give
                         --gguf TYPE for them to run on, or --no-eval)
${RECIPE_OPTIONS_HELP}`,
  options: {
    ...RECIPE_OPTIONS,
    out: { type: 'string', short: 'o' },
    'max-memory': { type: 'string' },
    threads: { type: 'string', short: 'j' },
    overwrite: { type: 'boolean' },
    'force-overwrite': { type: 'boolean' },
    gguf: { type: 'string' },
    'tokenizer-pre': { type: 'string' },
    'skip-gguf-check': { type: 'boolean' },
    'allow-nonfinite': { type: 'boolean' },
    shard: { type: 'string' },
    eval: { type: 'string' },
    'no-eval': { type: 'boolean' },
    'no-eval-cache': { type: 'boolean' },
    'split-max-size': { type: 'string' },
    'split-max-tensors': { type: 'string' },
    'keep-intermediates': { type: 'string' },
    record: { type: 'boolean' },
    name: { type: 'string' },
    publish: { type: 'string' },
    'gguf-repo': { type: 'string' },
    private: { type: 'boolean' },
    'low-disk': { type: 'boolean' },
  },
  async run({ values, positionals }, io) {
    const recipe = onePositional(positionals, 'run', 'a recipe file', 'recipe.yml --out ./merged');
    if (!values.out) throw new MergeopsError('USAGE', '`mergeops run` needs --out DIR', `mergeops run ${recipe} --out ./merged`);
    const keep = values['keep-intermediates'];
    const opts = readRunOptions(values, CLI_NAMING);
    if (values.eval !== undefined && values['no-eval']) {
      throw new MergeopsError('USAGE', '--eval and --no-eval contradict each other', 'give one of them');
    }
    const evalOption = values['no-eval'] ? false as const : values.eval !== undefined ? readEvalFile(values.eval) : undefined;
    const prep = prepareOptions(values, io);
    const ggufFlag = opts.gguf;
    // Before any merge work: a token that cannot write to the target fails here, in seconds.
    const outDir = values.out;
    const pub = await startRunPublish(values, outDir, prep.hub ?? {}, prep.log ?? ((l) => io.err(`${l}\n`)), io);
    try {
      return await mergeAndPublish();
    } catch (e) {
      // A repo this run created (low-disk uploads, or a commit that failed) and never committed to goes.
      // Interrupted: the signal's cleanup does it.
      if (interruptedBy() === undefined) await pub?.abandon('the run failed');
      throw e;
    } finally {
      pub?.release();
    }

    async function mergeAndPublish(): Promise<number> {
      const result = await runRecipeFile(recipe, {
        ...prep,
        card: { mergeopsVersion: MERGEOPS_VERSION, licenseRequired: pub !== undefined },
        onFileDone: pub ? (p) => pub.onFileDone(p) : undefined,
        uploadedDigest: pub ? (n) => pub.uploadedDigest(n) : undefined,
        outDir,
        maxMemory: opts.maxMemory,
        threads: opts.threads,
        overwrite: values.overwrite ?? false,
        forceOverwrite: values['force-overwrite'] ?? false,
        onProgress: progressReporter(process.stderr),
        keepIntermediates: keep,
        record: values.record ?? false,
        name: values.name,
        gguf: ggufFlag,
        tokenizerPre: values['tokenizer-pre'],
        ggufCheck: !(values['skip-gguf-check'] ?? false),
        allowNonfinite: values['allow-nonfinite'] ?? false,
        ...(opts.shard !== undefined ? { shard: opts.shard } : {}),
        eval: evalOption,
        evalCache: !(values['no-eval-cache'] ?? false),
        mergeopsVersion: MERGEOPS_VERSION,
        ggufSplit: opts.ggufSplit,
        onGGUF: (type) => io.err(`writing GGUF ${type}\n`),
        onWarning: (w) => io.err(`warning: ${w}\n`),
        onPlan: (plan, { evalChecks }) => {
          pub?.onPlan(plan, evalChecks);
          for (const w of plan.warnings) io.err(`warning: ${w}\n`);
          if (keep === undefined && plan.stages?.length) {
            io.err(`fusing ${plan.stages.length} earlier stage(s) in memory: ${plan.stages.map((s) => s.name).join(', ')}\n`);
          }
          io.err(`merging ${plan.tensors.length} tensors (${bytes(plan.estimates.inputBytes)} to read) with ${plan.methodName}\n`);
        },
      });
      for (const st of result.stages) io.out(`wrote stage ${st.name} to ${st.outDir} in ${duration(st.seconds)}\n`);
      io.out(`${doneLine(result.outDir, result)}\n`);
      for (const f of result.files) io.out(`  ${f.name.padEnd(40)} ${bytes(f.bytes)}\n`);
      for (const c of result.ggufChecks) io.out(`${checkLine(c.file, c)}\n`);
      if (result.lockPath) io.out(`recorded the outputs in ${result.lockPath}\n`);
      if (result.removed.length > 0) io.out(`low-disk: ${result.removed.length} file(s) uploaded during the merge and deleted locally\n`);
      io.out(`\n${renderEvalText(result.eval)}`);
      if (!result.eval.gate.passed) {
        const f = result.eval.gate.failures;
        io.err(`error: the eval gate failed: ${f.map((x) => `${x.check}: ${x.message}`).join('; ')}\n`
          + `  hint: the output in ${result.outDir} is not fit to publish${pub ? ' (nothing was published)' : ''}; see ${result.outDir}/eval.md\n`);
        await pub?.abandon('the eval gate failed');
        return 1;
      }
      // Published only once the eval gate passed (publishOutput checks eval.json again).
      await pub?.finish(result);
      return 0;
    }
  },
});

/** `wrote DIR in 12s (85 MB/s read; GGUF checks 2.1s)`: the rate is the merge's own. */
export function doneLine(dir: string, r: { seconds: number; mergeSeconds: number; bytesRead: number; ggufChecks: readonly unknown[] }): string {
  const check = r.seconds - r.mergeSeconds;
  return `wrote ${dir} in ${duration(r.seconds)} (${rate(r.mergeSeconds > 0 ? r.bytesRead / r.mergeSeconds : 0)} read`
    + `${r.ggufChecks.length > 0 ? `; GGUF checks ${duration(check)}` : ''})`;
}
