/**
 * The eval stage's cost next to the merge's.
 * - The demo recipe (task arithmetic of the example models, Q8_0, 2 × 50 held-out prompts,
 *   perplexity, compare_inputs) run with the bundled CLI: a first run with an empty cache (each
 *   input converted and checked too), then runs with the inputs' results in the eval cache (what a
 *   rebuild, a sweep or a scheduled run pays). Merge seconds as `run` reports them, eval seconds
 *   from eval.json.
 * - The linear merge of the three benchmark models (0.98 GB each) with a Q8_0 GGUF and a 50-prompt
 *   task plus perplexity: what the checks cost on a model of that size.
 * Then `mergeops sweep` over 11 values of lambda without labels.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { median, runMeasured } from './measure.js';

function evalRun(cli: string, recipe: string, out: string, env: Record<string, string>, extra: string[] = []): { merge: number; eval: number; total: number } {
  const r = runMeasured(process.execPath, [cli, 'run', recipe, '--out', out, '--overwrite', ...extra], { env: { ...process.env, ...env } });
  const m = /wrote .* in ([\d.]+)s/.exec(r.stdout);
  if (!m) throw new Error(`no merge time in the output of run:\n${r.stdout}`);
  const report = JSON.parse(readFileSync(join(out, 'eval.json'), 'utf8')) as { seconds: number; ran: boolean };
  if (!report.ran) throw new Error(`the eval did not run:\n${r.stdout}`);
  return { merge: Number(m[1]), eval: report.seconds, total: r.seconds };
}

export async function evalSection(root: string, work: string, cli = join(root, 'dist/cli.js'), bigModels?: string[]): Promise<string[]> {
  const recipe = join(root, 'examples/task-arithmetic.yml');
  const dir = join(work, 'eval');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const cold: ReturnType<typeof evalRun>[] = [];
  const warm: ReturnType<typeof evalRun>[] = [];
  for (let i = 0; i < 3; i++) {
    // A fresh cache each time: the first run checks every input, the next ones reuse their results.
    const env = { MERGEOPS_CACHE: join(dir, `cache-${i}`) };
    cold.push(evalRun(cli, recipe, join(dir, 'demo'), env));
    warm.push(evalRun(cli, recipe, join(dir, 'demo'), env));
  }
  const med = (xs: ReturnType<typeof evalRun>[], k: 'merge' | 'eval' | 'total'): number => median(xs.map((x) => x[k]));
  let big: { merge: number; eval: number; total: number } | undefined;
  if (bigModels) {
    const evalFile = join(dir, 'big-eval.yml');
    writeFileSync(evalFile, `tasks:\n  - {name: add, file: ${join(root, 'examples/evals/add.jsonl')}, max_tokens: 8}\n`
      + `perplexity: {file: ${join(root, 'examples/evals/sample.txt')}, context: 64}\n`);
    const bigRecipe = join(dir, 'big.yml');
    writeFileSync(bigRecipe, `merge_method: linear\nmodels:\n${bigModels.map((m) => `  - model: ${m}\n    parameters: {weight: ${1 / bigModels.length}}\n`).join('')}dtype: bfloat16\n`);
    const runs = [0, 1, 2].map(() => evalRun(cli, bigRecipe, join(dir, 'big'), { MERGEOPS_CACHE: join(dir, 'cache-big') }, ['--gguf', 'Q8_0', '--eval', evalFile]));
    big = { merge: med(runs, 'merge'), eval: med(runs, 'eval'), total: med(runs, 'total') };
  }
  const values = '0.5,0.6,0.7,0.8,0.9,1.0,1.1,1.2,1.3,1.4,1.5';
  const sweep = runMeasured(process.execPath, [cli, 'sweep', recipe, '--param', 'lambda', '--values', values, '--unlabeled', '--out', join(dir, 'sweep')]);
  const chosen = /chosen: lambda = ([\d.]+)/.exec(sweep.stdout)?.[1] ?? '?';
  rmSync(dir, { recursive: true, force: true });
  const f = (x: number, d = 2): string => x.toFixed(d);
  const lines = [
    '## Eval stage: time next to the merge',
    '',
    'The demo recipe (`examples/task-arithmetic.yml`: task arithmetic of the example models, Q8_0; 2 × 50 held-out',
    'prompts, two prompt checks and perplexity on the merge and, with compare_inputs, on each of the three inputs),',
    'bundled CLI, medians of 3 runs. "First run": an empty cache, each input converted to Q8_0 and checked too.',
    '"Inputs cached": the same run again, the inputs\' results from the eval cache (a rebuild, a sweep, a scheduled',
    'run). Prompts are decoded 16 at a time. Merge seconds as `run` reports them (GGUF written and load-checked);',
    'eval seconds from eval.json.',
    '',
    '| | merge s | eval s | eval / merge | whole process s |',
    '|---|---|---|---|---|',
    `| demo, first run | ${f(med(cold, 'merge'))} | ${f(med(cold, 'eval'))} | ${f(med(cold, 'eval') / med(cold, 'merge'))} | ${f(med(cold, 'total'))} |`,
    `| demo, inputs cached | ${f(med(warm, 'merge'))} | ${f(med(warm, 'eval'))} | ${f(med(warm, 'eval') / med(warm, 'merge'))} | ${f(med(warm, 'total'))} |`,
  ];
  if (big) {
    lines.push(`| 3 × 0.98 GB linear, Q8_0, 50 prompts + perplexity on the merge | ${f(big.merge)} | ${f(big.eval)} | ${f(big.eval / big.merge)} | ${f(big.total)} |`);
  }
  lines.push('', `\`mergeops sweep\` over lambda = ${values} without labels (11 merges at Q8_0, 100 prompts each): `
    + `${f(sweep.seconds, 1)} s, chose lambda = ${chosen}.`, '');
  return lines;
}
