/**
 * The eval stage's cost next to the merge's: the demo recipe (task arithmetic of the example
 * models, Q8_0, 2 × 50 held-out prompts, perplexity, each input converted and checked too) run
 * with the bundled CLI; merge seconds as `run` reports them, eval seconds from eval.json. Then
 * `mergeops sweep` over 11 values of lambda without labels.
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { median, runMeasured } from './measure.js';

export async function evalSection(root: string, work: string, cli = join(root, 'dist/cli.js')): Promise<string[]> {
  const recipe = join(root, 'examples/task-arithmetic.yml');
  const dir = join(work, 'eval');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const merge: number[] = [], evals: number[] = [], total: number[] = [];
  for (let i = 0; i < 3; i++) {
    const out = join(dir, 'demo');
    const r = runMeasured(process.execPath, [cli, 'run', recipe, '--out', out, '--overwrite']);
    const m = /wrote .* in ([\d.]+)s/.exec(r.stdout);
    if (!m) throw new Error(`no merge time in the output of run:\n${r.stdout}`);
    merge.push(Number(m[1]));
    evals.push((JSON.parse(readFileSync(join(out, 'eval.json'), 'utf8')) as { seconds: number }).seconds);
    total.push(r.seconds);
  }
  const values = '0.5,0.6,0.7,0.8,0.9,1.0,1.1,1.2,1.3,1.4,1.5';
  const sweep = runMeasured(process.execPath, [cli, 'sweep', recipe, '--param', 'lambda', '--values', values, '--unlabeled', '--out', join(dir, 'sweep')]);
  const chosen = /chosen: lambda = ([\d.]+)/.exec(sweep.stdout)?.[1] ?? '?';
  rmSync(dir, { recursive: true, force: true });
  const f = (x: number, d = 2): string => x.toFixed(d);
  return [
    '## Eval stage: time next to the merge',
    '',
    'The demo recipe (`examples/task-arithmetic.yml`: task arithmetic of the example models, Q8_0; 2 × 50 held-out',
    'prompts, two prompt checks and perplexity on the merge and on each of the three inputs, each converted to Q8_0',
    'on the fly), bundled CLI, medians of 3 runs. Merge seconds as `run` reports them; eval seconds from eval.json.',
    '',
    '| | seconds |',
    '|---|---|',
    `| merge (with the Q8_0 GGUF) | ${f(median(merge))} |`,
    `| eval (4 models × 102 greedy prompts + perplexity, 3 conversions) | ${f(median(evals))} |`,
    `| whole \`mergeops run\` process | ${f(median(total))} |`,
    `| eval / merge | ${f(median(evals) / median(merge))} |`,
    '',
    `\`mergeops sweep\` over lambda = ${values} without labels (11 merges at Q8_0, 100 prompts each): `
      + `${f(sweep.seconds, 1)} s, chose lambda = ${chosen}.`,
    '',
  ];
}
