/**
 * GGUF files are planned with the merge plan: `mergeops plan` lists them with their types and
 * sizes and counts them in the disk estimate; a run writes exactly those files, of exactly those
 * sizes; a quant type that does not exist fails `plan` at its position.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../support/cli.js';
import { exampleTaskArithmetic } from '../support/example-recipes.js';
import { tempDir, writeRecipe } from '../support/tmp.js';

const recipe = (quantize: string): string => exampleTaskArithmetic(`mergeops:\n  quantize: ${quantize}\n`);

interface PlanJson {
  gguf: { file: string; type: string; bytes: number }[];
  shards: { file: string; bytes: number }[];
  estimates: { diskBytes: number; outputBytes: number; ggufBytes?: number; disk?: { normal: number; gguf: number } };
}

describe('GGUF files in the plan', () => {
  const t = tempDir();
  afterAll(t.cleanup);

  it('plan --json lists them with types and sizes, and a run writes exactly those', () => {
    const file = writeRecipe(t.dir, 'ta-gguf.yml', recipe('[Q8_0, Q4_K_M]'));
    const p = runCli(['plan', file, '--json']);
    if (p.status !== 0) throw new Error(p.stderr);
    const plan = JSON.parse(p.stdout) as PlanJson;
    expect(plan.gguf.map((g) => [g.file, g.type])).toEqual([['ta-gguf-Q8_0.gguf', 'Q8_0'], ['ta-gguf-Q4_K_M.gguf', 'Q4_K_M']]);
    const ggufBytes = plan.gguf.reduce((a, g) => a + g.bytes, 0);
    expect(plan.gguf.every((g) => g.bytes > 1000)).toBe(true);
    expect(plan.estimates.ggufBytes).toBe(ggufBytes);
    expect(plan.estimates.diskBytes).toBeGreaterThanOrEqual(plan.estimates.outputBytes + ggufBytes);
    expect(plan.estimates.disk?.gguf).toBe(ggufBytes);

    // The text form says the same.
    const text = runCli(['plan', file]);
    expect(text.stdout).toMatch(/^gguf: ta-gguf-Q8_0\.gguf \(Q8_0, [\d.]+ [kMG]?B\)$/m);

    // A run into a folder of the same name writes those files, byte counts and all.
    const out = join(t.dir, 'ta-gguf');
    const r = runCli(['run', file, '--out', out, '--skip-gguf-check']);
    if (r.status !== 0) throw new Error(r.stderr);
    const written = readdirSync(out).filter((f) => f.endsWith('.gguf')).sort();
    expect(written).toEqual(plan.gguf.map((g) => g.file).sort());
    for (const g of plan.gguf) expect([g.file, statSync(join(out, g.file)).size]).toEqual([g.file, g.bytes]);
  });

  it('a quant type that does not exist fails plan at its position, before any model is read', () => {
    const file = writeRecipe(t.dir, 'bad-quant.yml', recipe('[Q8_0, Q4_K_X]'));
    const p = runCli(['plan', file]);
    expect(p.status).not.toBe(0);
    expect(p.stderr).toContain(`${file}:9:20: unknown GGUF type \`Q4_K_X\`; did you mean`);
    expect(p.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace
  });
});
