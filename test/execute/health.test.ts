/**
 * Tensor health computed by the kernels during the merge: the norm ratios and cosines equal a
 * float64 computation over the written output and the inputs, and a NaN in an input fails the
 * run naming the output tensor and the input that carried it (nothing written), unless
 * --allow-nonfinite.
 */
import { closeSync, cpSync, existsSync, openSync, readdirSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { tensorHealthReport } from '../../src/eval/health.js';
import { readEvalReport } from '../../src/eval/report.js';
import { minMaxMemory } from '../../src/execute/budget.js';
import { readLocalModel } from '../../src/hub/local.js';
import { runRecipeFile } from '../../src/pipeline.js';
import { runCli } from '../support/cli.js';
import { readModelF64 } from '../support/reference.js';
import { EXAMPLE_MODELS, tempDir, writeRecipe } from '../support/tmp.js';

const BASE = join(EXAMPLE_MODELS, 'base');
const ADD = join(EXAMPLE_MODELS, 'add');
const REV = join(EXAMPLE_MODELS, 'rev');

const TA = (rev: string): string => `merge_method: task_arithmetic
base_model: ${BASE}
models:
  - model: ${ADD}
    parameters: {weight: 1.0}
  - model: ${rev}
    parameters: {weight: 0.7}
`;

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

describe('tensor health from the merge pass', () => {
  const t = tempDir();
  afterAll(t.cleanup);

  it('norm ratios and cosines equal a float64 computation over the output and inputs', async () => {
    const recipe = writeRecipe(t.dir, 'ta.yml', TA(REV));
    // Small chunks: every tensor's figures are added up over several jobs and both workers.
    const result = await runRecipeFile(recipe, { outDir: join(t.dir, 'ta'), threads: 2, maxMemory: minMaxMemory(2) + 2 * 60_000, eval: false });
    const out = await readModelF64(result.outDir);
    const ins = [await readModelF64(BASE), await readModelF64(ADD), await readModelF64(REV)]; // the inputs' order
    expect(result.health.length).toBe(out.size);
    const report = tensorHealthReport(result.health, { baseModel: result.plan.recipe.baseModel?.key });
    let checked = 0;
    for (const [i, h] of result.health.entries()) {
      const o = out.get(h.name)!.data;
      const oo = dot(o, o);
      expect(h.nan + h.inf).toBe(0);
      expect(Math.abs(h.norm - Math.sqrt(oo))).toBeLessThanOrEqual(1e-6 * Math.sqrt(oo));
      expect(h.inputs.map((x) => x.model)).toEqual(result.plan.tensors[i].inputs.map((r) => r.modelKey));
      for (const [j, x] of h.inputs.entries()) {
        const data = ins[j].get(x.tensor)!.data;
        const xx = dot(data, data);
        expect(Math.abs(x.norm - Math.sqrt(xx))).toBeLessThanOrEqual(1e-6 * Math.sqrt(xx));
        if (oo > 0 && xx > 0) {
          expect(Math.abs(x.cosine - dot(o, data) / Math.sqrt(oo * xx))).toBeLessThan(1e-6);
          checked++;
        }
      }
      const r = report.tensors[i];
      const baseData = ins[0].get(h.inputs[0].tensor)!.data;
      expect(r.name).toBe(h.name);
      expect(Math.abs(r.normRatio! - Math.sqrt(oo / dot(baseData, baseData)))).toBeLessThan(1e-5 * r.normRatio!);
      expect(Object.keys(r.cosine!).length).toBe(3);
    }
    expect(checked).toBeGreaterThan(3 * 20);
    // Task arithmetic with weights ≤ 1 stays near the base: no outliers.
    expect(report.outliers).toEqual([]);
    // eval.json carries it (here with the eval's checks skipped).
    expect(readEvalReport(result.outDir)!.health).toEqual(report);
  });

  it('a broken merge (λ = 10) has its large norm ratios named as outliers', async () => {
    const recipe = writeRecipe(t.dir, 'ta10.yml', `${TA(REV)}parameters:\n  lambda: 10\n`);
    const result = await runRecipeFile(recipe, { outDir: join(t.dir, 'ta10'), threads: 1, eval: false });
    const report = tensorHealthReport(result.health, { baseModel: result.plan.recipe.baseModel?.key });
    expect(report.outliers.length).toBeGreaterThan(0);
    for (const o of report.outliers) expect(o.reason).toMatch(/^L2 norm [\d.]+× the base model's/);
  });

  it('a merge whose input holds NaN in one tensor fails naming that tensor and the input; nothing is written', async () => {
    const bad = join(t.dir, 'bad-rev');
    cpSync(REV, bad, { recursive: true });
    const name = 'model.layers.1.self_attn.v_proj.weight';
    const w = (await readLocalModel(bad)).tensors.get(name)!;
    const fd = openSync(w.file, 'r+');
    writeSync(fd, new Uint8Array([0xc0, 0x7f]), 0, 2, w.start + 2 * 5); // BF16 NaN
    writeSync(fd, new Uint8Array([0x80, 0xff]), 0, 2, w.start + 2 * 9); // BF16 -Inf
    closeSync(fd);
    const dir = join(t.dir, 'nan');
    const recipe = writeRecipe(t.dir, 'nan.yml', TA(bad));
    const r = runCli(['run', recipe, '--out', join(dir, 'merged')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`output tensor ${name} holds 1 NaN and 1 infinite values`);
    expect(r.stderr).toContain(`${bad} (tensor ${name}: 1 NaN and 1 infinite values)`);
    expect(r.stderr).toContain('--allow-nonfinite');
    expect(r.stderr).not.toContain('    at '); // no stack trace
    expect(existsSync(join(dir, 'merged'))).toBe(false);
    expect(existsSync(dir) ? readdirSync(dir) : []).toEqual([]);

    const ok = runCli(['run', recipe, '--out', join(dir, 'merged'), '--allow-nonfinite']);
    expect(ok.status).toBe(0);
    const merged = await readModelF64(join(dir, 'merged'));
    const vals = merged.get(name)!.data;
    expect(Number.isNaN(vals[5])).toBe(true);
    expect(vals[9]).toBe(-Infinity);
  });
});
