/**
 * Matrix builds (`run --shard i/N`): every output file (safetensors shards, index, GGUF split
 * parts, config and tokenizer files) is written by exactly one of the N jobs, and the union of
 * the N folders is byte-identical to a one-job build. `plan --matrix N --json` gives the same
 * assignment of shards the jobs use.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OUTPUT_MARKER } from '../../src/execute/output-safety.js';
import { runCli } from '../support/cli.js';
import { EXAMPLE_MODELS, tempDir, writeRecipe } from '../support/tmp.js';

const RECIPE = `merge_method: task_arithmetic
base_model: ${join(EXAMPLE_MODELS, 'base')}
models:
  - model: ${join(EXAMPLE_MODELS, 'add')}
    parameters: {weight: 1.0}
  - model: ${join(EXAMPLE_MODELS, 'rev')}
    parameters: {weight: 0.7}
`;

function ok(r: { status: number; stderr: string }): void {
  if (r.status !== 0) throw new Error(`mergeops failed (${r.status}):\n${r.stderr}`);
}

// The marker is each folder's own; the eval (eval.json/eval.md) and the card (README.md,
// mergeops_card.json) describe the whole model: the job that assembles the parts writes them.
const OWN = new Set([OUTPUT_MARKER, 'eval.json', 'eval.md', 'README.md', 'mergeops_card.json']);
const files = (dir: string): string[] => readdirSync(dir).filter((n) => !OWN.has(n)).sort();

describe('matrix builds', () => {
  const t = tempDir();
  afterAll(t.cleanup);

  it('N = 3 jobs write disjoint files whose union is byte-identical to N = 1', () => {
    const recipe = writeRecipe(t.dir, 'ta.yml', RECIPE);
    const common = ['--out-shard-size', '1M', '--gguf', 'Q8_0,Q4_K_M', '--split-max-tensors', '12', '--skip-gguf-check'];
    // Every job's folder has the same name: GGUF file names and general.name come from it.
    const one = join(t.dir, 'one', 'merged');
    ok(runCli(['run', recipe, '--out', one, ...common]));
    const all = files(one);
    expect(all.filter((n) => n.endsWith('.safetensors')).length).toBeGreaterThan(2);
    expect(all.filter((n) => n.endsWith('.gguf')).length).toBeGreaterThan(4);

    const seen = new Map<string, number>();
    for (let i = 1; i <= 3; i++) {
      const dir = join(t.dir, `job${i}`, 'merged');
      ok(runCli(['run', recipe, '--out', dir, '--shard', `${i}/3`, ...common]));
      const mine = files(dir);
      expect(mine.length).toBeGreaterThan(0);
      for (const f of mine) {
        expect([f, seen.get(f)]).toEqual([f, undefined]); // written by one job only
        seen.set(f, i);
        expect([f, readFileSync(join(dir, f)).equals(readFileSync(join(one, f)))]).toEqual([f, true]);
      }
    }
    expect([...seen.keys()].sort()).toEqual(all);
    // The small files belong to job 1; shards and GGUF parts are spread over all three.
    expect(seen.get('config.json')).toBe(1);
    expect(seen.get('model.safetensors.index.json')).toBe(1);
    expect(new Set([...seen.entries()].filter(([f]) => f.endsWith('.safetensors')).map(([, j]) => j)).size).toBe(3);
    expect(new Set([...seen.entries()].filter(([f]) => f.endsWith('.gguf')).map(([, j]) => j)).size).toBeGreaterThan(1);

    // `plan --matrix 3 --json` names the same shards for each job.
    const p = runCli(['plan', recipe, '--matrix', '3', '--json', '--out-shard-size', '1M']);
    ok(p);
    const m = JSON.parse(p.stdout) as { shard: string[]; jobs: { shard: string; files: string[] }[] };
    expect(m.shard).toEqual(['1/3', '2/3', '3/3']);
    for (const [j, job] of m.jobs.entries()) {
      for (const f of job.files) expect([f, seen.get(f)]).toEqual([f, j + 1]);
    }
  });

  it('refuses a shard outside the matrix, naming the option', () => {
    const recipe = writeRecipe(t.dir, 'bad.yml', RECIPE);
    const r = runCli(['run', recipe, '--out', join(t.dir, 'bad'), '--shard', '4/3']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--shard "4/3" is not a part of a matrix build');
    expect(existsSync(join(t.dir, 'bad'))).toBe(false);
  });
});
