/**
 * The sparse/statistics methods end to end on the trained fixture models (a conformance sweep,
 * run by `npm run test:heavy`): every method merges them into a complete model; TIES, DARE, DELLA,
 * SCE and RAM+ match their float64 references (rounded to bf16); random methods give the same
 * bytes with 1 or 2 threads and with budgets that hold tensors whole or force chunking. The plans
 * and errors of these methods: sparse-methods.test.ts (default suite).
 */
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { tensorRngKey } from '../../src/methods/rng.js';
import { runCli } from '../support/cli.js';
import { gtaReference, maxScaledError } from '../support/gta-reference.js';
import { readModelF64, type F64Tensor } from '../support/reference.js';
import { ramReference, sceReference } from '../support/sce-ram-reference.js';
import { EXAMPLE_MODELS, tempDir, writeRecipe } from '../support/tmp.js';

const BASE = join(EXAMPLE_MODELS, 'base');
const ADD = join(EXAMPLE_MODELS, 'add');
const REV = join(EXAMPLE_MODELS, 'rev');

function recipe(method: string, models: string, extra = ''): string {
  return `merge_method: ${method}\nbase_model: ${BASE}\nmodels:\n${models}${extra}`;
}

const TWO = (p1: string, p2: string): string => `  - model: ${ADD}\n    parameters: {${p1}}\n  - model: ${REV}\n    parameters: {${p2}}\n`;

function merge(file: string, out: string, extra: string[] = []): void {
  const r = runCli(['run', file, '--out', out, '--overwrite', ...extra]);
  if (r.status !== 0) throw new Error(`mergeops run failed (${r.status}):\n${r.stderr}`);
}

const f32 = (t: F64Tensor): Float32Array => Float32Array.from(t.data);

/** Tensors compared with the references (a row-major matrix of each kind and a norm; the
 * references are plain float64 code, too slow for every tensor of every model in the suite). */
const CHECKED = ['model.layers.1.mlp.down_proj.weight', 'model.layers.0.self_attn.q_proj.weight', 'model.norm.weight'];

describe('sparse methods on the fixture models', () => {
  const t = tempDir();
  afterAll(t.cleanup);
  let base: Map<string, F64Tensor>, add: Map<string, F64Tensor>, rev: Map<string, F64Tensor>;
  beforeAll(async () => {
    [base, add, rev] = await Promise.all([BASE, ADD, REV].map((d) => readModelF64(d)));
  });

  const METHODS: [string, string][] = [
    ['ties', TWO('weight: 1.0, density: 0.5', 'weight: 0.7, density: 0.3')],
    ['dare_ties', TWO('weight: 1.0, density: 0.5', 'weight: 0.7, density: 0.6')],
    ['dare_linear', TWO('weight: 0.6, density: 0.5', 'weight: 0.4, density: 0.6')],
    ['breadcrumbs', TWO('weight: 1.0, density: 0.5', 'weight: 0.7, density: 0.4, gamma: 0.02')],
    ['breadcrumbs_ties', TWO('weight: 1.0, density: 0.5', 'weight: 0.7, density: 0.4')],
    ['della', TWO('weight: 1.0, density: 0.5', 'weight: 0.7, density: 0.4, epsilon: 0.1')],
    ['della_linear', TWO('weight: 0.6, density: 0.5', 'weight: 0.4, density: 0.4')],
    ['sce', `  - model: ${ADD}\n  - model: ${REV}\n`],
    ['ram', `  - model: ${ADD}\n  - model: ${REV}\n`],
    ['ramplus_tl', `  - model: ${ADD}\n  - model: ${REV}\n`],
  ];

  it.each(METHODS)('%s merges the fixtures into a complete, finite model', async (method, models) => {
    const out = join(t.dir, `out-${method}`);
    merge(writeRecipe(t.dir, `${method}.yml`, recipe(method, models, 'mergeops:\n  seed: 3\n')), out);
    const merged = await readModelF64(out);
    expect([...merged.keys()].sort()).toEqual([...base.keys()].sort());
    let changed = 0;
    for (const [name, b] of base) {
      const o = merged.get(name)!;
      expect(o.shape).toEqual(b.shape);
      expect(o.data.every(Number.isFinite)).toBe(true);
      if (!o.data.every((v, i) => v === b.data[i])) changed++;
    }
    expect(changed).toBeGreaterThan(0);
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).architectures).toBeDefined();
  });

  /**
   * Compares every tensor of a merge with its float64 reference: the bf16 output may differ by
   * the bf16 rounding (2⁻⁸ relative) plus float32 rounding of the summed terms.
   */
  async function compareAll(out: string, ref: (name: string, ins: Float32Array[], rowLen: number) => { out: Float64Array; scale: Float64Array; alt?: Float64Array }): Promise<void> {
    const merged = await readModelF64(out);
    let worst = 0;
    for (const name of CHECKED) {
      const b = base.get(name)!;
      const ins = [f32(b), f32(add.get(name)!), f32(rev.get(name)!)];
      const r = ref(name, ins, b.shape[b.shape.length - 1]);
      worst = Math.max(worst, maxScaledError(merged.get(name)!.data, r.out, r.scale, r.alt, 2 ** -8));
    }
    console.log(`${out}: max error beyond bf16 rounding ${worst.toExponential(2)} of the summed magnitude`);
    expect(worst).toBeLessThan(1e-6);
  }

  it('ties, dare_ties and della equal their float64 references', async () => {
    // mergekit's defaults: ties normalize, dare_ties rescale, della both.
    for (const [method, sparsifier, normalize, rescale] of [
      ['ties', 'magnitude', true, 'none'], ['dare_ties', 'random', false, 'l1'], ['della', 'della', true, 'l1'],
    ] as const) {
      await compareAll(join(t.dir, `out-${method}`), (name, [b, x, y], rowLen) => gtaReference(b, [
        { x, weight: 1, density: 0.5 },
        { x: y, weight: 0.7, density: method === 'ties' ? 0.3 : method === 'della' ? 0.4 : 0.6, epsilon: method === 'della' ? 0.1 : 0.15 },
      ], { sparsifier, consensus: 'sum', normalize, rescale, lambda: 1, key: tensorRngKey(3, name), rowLen }));
    }
  });

  it('sce and ramplus_tl equal their float64 references', async () => {
    await compareAll(join(t.dir, 'out-sce'), (_n, [b, x, y]) => sceReference(b, [x, y], 1));
    await compareAll(join(t.dir, 'out-ramplus_tl'), (_n, [b, x, y]) => ramReference(b, [x, y], { epsilon: 1e-5, plus: { r: 0.1, alpha: 0.2 } }));
  });

  it.each(['dare_ties', 'dare_linear', 'della', 'della_linear'])('%s: same bytes on 1 and 2 threads, whole and chunked', (method) => {
    const models = METHODS.find(([m]) => m === method)![1];
    const file = writeRecipe(t.dir, `${method}-det.yml`, recipe(method, models, 'mergeops:\n  seed: 11\n'));
    const outs = [
      ['--threads', '1'],
      ['--threads', '2', '--max-memory', '146MiB'], // ~1 MiB per worker: tensors run in chunks
      ['--threads', '1', '--max-memory', '121MiB'],
    ].map((args, i) => {
      const out = join(t.dir, `det-${method}-${i}`);
      merge(file, out, args);
      return readFileSync(join(out, 'model.safetensors'));
    });
    for (const o of outs.slice(1)) expect(o.equals(outs[0])).toBe(true);
    if (method !== 'dare_ties') return;
    // A different seed draws different masks.
    const other = writeRecipe(t.dir, `${method}-seed.yml`, recipe(method, models, 'mergeops:\n  seed: 12\n'));
    merge(other, join(t.dir, `det-${method}-seed`));
    expect(readFileSync(join(t.dir, `det-${method}-seed`, 'model.safetensors')).equals(outs[0])).toBe(false);
  });
});
