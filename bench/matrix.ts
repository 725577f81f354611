/**
 * Matrix builds (`run --shard i/N`): the wall time of a one-job build against each of N = 3 parts,
 * on the benchmark models, every part run alone on this machine as a matrix job runs on its own
 * runner. Linear merge of the three models into shards of 250 MB and a Q8_0 GGUF split into parts
 * of 250 MB (no load check, no eval: the merge and its writes only). Medians of `runs`.
 * bench/run.ts adds the section to BENCHMARKS.md; `node build/bench/matrix.js` prints it alone
 * (models from .bench-work, which `npm run bench` creates).
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { median, runMeasured } from './measure.js';

const N = 3;

export function matrixSection(cli: string, work: string, dirs: readonly string[], outRoot: string, runs = 3): string[] {
  const recipe = join(work, 'matrix-linear.yml');
  writeFileSync(recipe, `merge_method: linear\nmodels:\n${dirs.map((d) => `  - model: ${d}\n    parameters: {weight: ${1 / dirs.length}}\n`).join('')}`);
  const common = ['--out-shard-size', '250M', '--gguf', 'Q8_0', '--split-max-size', '250M', '--skip-gguf-check', '--no-eval', '--force-overwrite'];
  // Every job writes a folder of the same name (GGUF names come from it), each under its own root.
  const out = (job: string): string => join(outRoot, `matrix-${job}`, 'merged');
  const time = (job: string, extra: string[]): number => {
    const t: number[] = [];
    for (let i = 0; i < runs; i++) {
      t.push(runMeasured(process.execPath, [cli, 'run', recipe, '--out', out(job), ...common, ...extra]).seconds);
    }
    return median(t);
  };
  const one = time('one', []);
  const parts = Array.from({ length: N }, (_, j) => time(`part${j + 1}`, ['--shard', `${j + 1}/${N}`]));
  for (const job of ['one', ...parts.map((_, j) => `part${j + 1}`)]) rmSync(join(outRoot, `matrix-${job}`), { recursive: true, force: true });
  const slowest = Math.max(...parts);
  const f = (x: number): string => x.toFixed(2);
  return [
    '## Matrix build (`run --shard i/N`)',
    '',
    `Linear merge of the three models above into 250 MB shards plus a Q8_0 GGUF split into 250 MB parts (\`--skip-gguf-check --no-eval\`),`,
    `as one job and as each of ${N} matrix parts run alone (a matrix job has a runner to itself). Medians of ${runs}.`,
    '',
    '| build | seconds |',
    '|---|---|',
    `| one job | ${f(one)} |`,
    ...parts.map((s, j) => `| part ${j + 1}/${N} | ${f(s)} |`),
    '',
    `- Wall time of the matrix (its slowest part) vs one job: **${f(slowest / one)}×**; the parts' sum: ${f(parts.reduce((a, b) => a + b, 0) / one)}× (the work repeated by every part: start-up, planning, small files, GGUF headers, tensors whose shard and GGUF part fall to different jobs).`,
    '',
  ];
}

if (process.argv[1]?.endsWith('matrix.js')) {
  const { fileURLToPath } = await import('node:url');
  const { existsSync } = await import('node:fs');
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const work = join(root, '.bench-work');
  const dirs = [0, 1, 2].map((i) => join(work, `m${i}`));
  if (!dirs.every((d) => existsSync(d))) throw new Error(`no benchmark models in ${work}: run \`npm run bench\` once, or pass model folders`);
  const outRoot = existsSync('/dev/shm') ? '/dev/shm' : work;
  process.stdout.write(matrixSection(join(root, 'dist/cli.js'), work, process.argv.length > 2 ? process.argv.slice(2) : dirs, outRoot).join('\n') + '\n');
}
