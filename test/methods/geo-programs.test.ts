/**
 * The geometric methods' tensor programs on random tensors, run on the WebAssembly kernels,
 * against independent float64 references written from mergekit's formulas (mergekit.md §1.4–
 * §1.10) on whole vectors — not from the Gram-matrix coefficient math of the implementation.
 * Every program must also give the same bits whole and in chunks of several sizes.
 */
import { programFor } from '../../src/methods/registry.js';
import type { ProgramShape } from '../../src/methods/program.js';
import { runProgramOnArrays } from '../../src/kernels/program-runner.js';
import { instantiateKernels, loadKernelModuleSync, type KernelExports } from '../../src/kernels/wasm-module.js';
import {
  dot, f64, fusionRef, karcherRef, modelStockRef, modelStockVec, multislerpRef, nearswapRef, norm, nuslerpRef, slerpRef, type Vec,
} from '../support/geo-reference.js';
import type { ProgramParams } from '../../src/model/tensor.js';

let kernels: KernelExports;
beforeAll(() => {
  kernels = instantiateKernels(loadKernelModuleSync());
});

/** Deterministic PRNG (mulberry32) and normal draws (Box–Muller). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function normals(r: () => number, n: number, std: number, mean = 0): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = mean + std * Math.sqrt(-2 * Math.log(r() + 1e-300)) * Math.cos(2 * Math.PI * r());
  return out;
}
/** A base and k fine-tune-like models: base + correlated deltas (shared direction + noise). */
function fineTunes(seed: number, n: number, k: number, shared = 0.5): Float32Array[] {
  const r = rng(seed);
  const base = normals(r, n, 0.02);
  const common = normals(r, n, 0.002);
  const out = [base];
  for (let i = 0; i < k; i++) {
    const noise = normals(r, n, 0.002);
    out.push(base.map((b, e) => b + shared * common[e] + noise[e]));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// harness
// ---------------------------------------------------------------------------------------------

function shapeOf(dims: number[], k: number): ProgramShape {
  const numel = dims.reduce((a, b) => a * b, 1);
  return { shape: dims, numel, rowLen: dims[dims.length - 1], k, tensor: 'model.layers.0.mlp.up_proj.weight' };
}

/** Runs the program whole and in chunks; asserts the chunked runs are bit-identical. */
function run(method: string, params: ProgramParams, dims: number[], inputs: Float32Array[]): Float32Array {
  const shape = shapeOf(dims, inputs.length);
  const prog = programFor(method, params, shape);
  const whole = runProgramOnArrays(kernels, prog, inputs, shape.rowLen);
  for (const chunk of [prog.quantum, 3 * prog.quantum, 4096, 3 * 4096 + 17]) {
    const part = runProgramOnArrays(kernels, programFor(method, params, shape), inputs, shape.rowLen, chunk);
    expect(Buffer.compare(Buffer.from(part.buffer), Buffer.from(whole.buffer))).toBe(0);
  }
  return whole;
}

/**
 * out (float32) against the float64 reference: the difference must stay within a few float32
 * roundings of the magnitudes involved (Σ|xᵢ| at the element, times the largest coefficient).
 */
function expectNear(out: Float32Array, ref: Vec, inputs: Float32Array[], coeffBound = 2): number {
  let worst = 0;
  for (let e = 0; e < out.length; e++) {
    const mag = inputs.reduce((s, x) => s + Math.abs(x[e]), 0) * coeffBound;
    worst = Math.max(worst, Math.abs(out[e] - ref[e]) / (mag * 2 ** -24 + 1e-38));
  }
  expect(worst).toBeLessThanOrEqual(16);
  return worst;
}

const DIMS_2D = [130, 129]; // 16770 elements: several statistics blocks and column blocks (64 rows); rows not a multiple of 4
const N2 = 16770;
const DIMS_1D = [9001];

describe('slerp', () => {
  it.each([0, 0.3, 0.5, 1, 1.4])('t = %p matches the float64 reference (whole and chunked)', (t) => {
    const [a, b] = fineTunes(1, N2, 1, 3);
    const out = run('slerp', { t }, DIMS_2D, [a, b]);
    expectNear(out, slerpRef(t, f64(a), f64(b)), [a, b]);
  });

  it('nearly colinear inputs take the lerp branch', () => {
    const a = normals(rng(2), 9001, 0.02);
    const noise = normals(rng(22), 9001, 0.0002);
    const b = a.map((x, i) => x + noise[i]);
    expect(dot(f64(a), f64(b)) / (norm(f64(a)) * norm(f64(b)))).toBeGreaterThan(0.9995);
    const out = run('slerp', { t: 0.25 }, DIMS_1D, [a, b]);
    const ref = f64(a).map((x, i) => 0.75 * x + 0.25 * b[i]);
    expectNear(out, ref, [a, b]);
  });

  it('a zero tensor does not produce NaN (norms ≤ eps are not divided by)', () => {
    const a = new Float32Array(9001);
    const b = normals(rng(3), 9001, 1);
    const out = run('slerp', { t: 0.5 }, DIMS_1D, [a, b]);
    expect(out.every(Number.isFinite)).toBe(true);
    expectNear(out, slerpRef(0.5, f64(a), f64(b)), [a, b]);
  });

  it('antipodal inputs (dot = −1) take the lerp branch instead of arccos outside its domain', () => {
    const a = normals(rng(4), 9001, 1);
    const b = a.map((x) => -x);
    const out = run('slerp', { t: 0.3 }, DIMS_1D, [a, b]);
    expect(out.every(Number.isFinite)).toBe(true);
    expectNear(out, f64(a).map((x, i) => 0.7 * x + 0.3 * b[i]), [a, b]);
  });
});

describe('nuslerp', () => {
  const [base, a, b] = fineTunes(5, N2, 2, 0.3);
  const cases: [string, ProgramParams, boolean, boolean][] = [
    ['flatten, no base', { t: 0.3, rel: false, flatten: true }, false, true],
    ['flatten, with base', { t: 0.6, rel: true, flatten: true }, true, true],
    ['row-wise, no base', { t: 0.3, rel: false, flatten: false }, false, false],
    ['row-wise, with base', { t: 0.75, rel: true, flatten: false }, true, false],
    ['columns (nuslerp_row_wise), no base', { t: 0.3, rel: false, flatten: false, columns: true }, false, false],
    ['columns (nuslerp_row_wise), with base', { t: 0.6, rel: true, flatten: false, columns: true }, true, false],
  ];
  it.each(cases)('%s', (_l, params, withBase, flatten) => {
    const t = params.t as number;
    const w: [number, number] = [1 - t, t];
    const inputs = withBase ? [base, a, b] : [a, b];
    const out = run('nuslerp', params, DIMS_2D, inputs);
    const ref = nuslerpRef(w, f64(a), f64(b), withBase ? f64(base) : undefined, flatten ? undefined : DIMS_2D[1], Boolean(params.columns));
    expectNear(out, ref, inputs);
  });

  it.each([[[130, 3, 43]], [[130, 129, 1]], [[130, 1, 3, 43]]])('nuslerp_row_wise on a %j tensor: the vectors run along dim 0 (mergekit transposes dims 0 and -1)', (dims) => {
    const params = { t: 0.4, rel: true, flatten: false, columns: true };
    const out = run('nuslerp', params, dims, [base, a, b]);
    // Each vector is one index of dims 1.. , its elements along dim 0: the columns of the [130, 129] view.
    const ref = nuslerpRef([0.6, 0.4], f64(a), f64(b), f64(base), N2 / dims[0], true);
    expectNear(out, ref, [base, a, b]);
  });
});

describe('multislerp', () => {
  it.each([
    ['3 models, no base', false, [0.2, 0.5, 0.3]],
    ['3 models around a base', true, [1, 2, 1]],
    ['2 models around a base', true, [0.7, 0.3]],
  ] as const)('%s', (_l, withBase, weights) => {
    const [base, ...xs] = fineTunes(6, N2, weights.length, 0.4);
    const inputs = withBase ? [base, ...xs] : xs;
    const sum = weights.reduce((s, v) => s + v, 0);
    const out = run('multislerp', { weights: weights.map((v) => v / sum), eps: 1e-8, rel: withBase }, DIMS_2D, inputs);
    const ref = multislerpRef([...weights], xs.map(f64), withBase ? f64(base) : undefined);
    expectNear(out, ref, inputs);
  });

  it('antipodal inputs with cancelling weights: two models fall back to lerp, three are an error', () => {
    const a = normals(rng(7), 9001, 1);
    const b = a.map((x) => -x);
    const out = run('multislerp', { weights: [0.5, 0.5], eps: 1e-8, rel: false }, DIMS_1D, [a, b]);
    expect(out.every((x) => x === 0)).toBe(true); // 0.5·a + 0.5·(−a)
    const shape = shapeOf(DIMS_1D, 3);
    const prog = programFor('multislerp', { weights: [0.25, 0.5, 0.25], eps: 1e-8, rel: false }, shape);
    expect(() => runProgramOnArrays(kernels, prog, [a, b, a], shape.rowLen)).toThrow(/weighted mean of the directions .* is zero/);
  });
});

describe('karcher', () => {
  it.each([2, 3, 5])('%i models', (k) => {
    const xs = fineTunes(8, N2, k - 1, 0.5);
    // different norms, so the mean norm matters
    xs[1] = xs[1].map((x) => 1.5 * x);
    const out = run('karcher', { max_iter: 10, tol: 1e-5 }, DIMS_2D, xs);
    expectNear(out, karcherRef(xs.map(f64)), xs);
  });

  it('independent random directions (large angles)', () => {
    const r = rng(9);
    const xs = [0, 1, 2].map(() => normals(r, 9001, 0.02));
    const out = run('karcher', { max_iter: 10, tol: 1e-5 }, DIMS_1D, xs);
    expectNear(out, karcherRef(xs.map(f64)), xs);
  });

  it('a zero tensor is left out of the direction but counts in the norm', () => {
    const xs = [new Float32Array(9001), normals(rng(10), 9001, 1), normals(rng(11), 9001, 1)];
    const out = run('karcher', { max_iter: 10, tol: 1e-5 }, DIMS_1D, xs);
    expectNear(out, karcherRef(xs.map(f64)), xs);
  });
});

describe('model_stock', () => {
  it.each([
    ['2 fine-tunes, flattened', 2, false],
    ['3 fine-tunes, flattened', 3, false],
    ['3 fine-tunes, filter_wise', 3, true],
  ] as const)('%s', (_l, k, filterWise) => {
    const inputs = fineTunes(12, N2, k, 0.5);
    const out = run('model_stock', { filter_wise: filterWise }, DIMS_2D, inputs);
    const [w0, ...ws] = inputs.map(f64);
    const { cos } = modelStockVec(w0, ws);
    expect(cos).toBeGreaterThan(0); // the mergekit-compatible range
    expectNear(out, modelStockRef(w0, ws, filterWise ? DIMS_2D[1] : undefined), inputs);
  });

  it('opposite task vectors with model_stock_clamp: t is clamped to 0, the output is the base', () => {
    const [base, a] = fineTunes(13, 9001, 1, 0);
    const b = base.map((x, i) => x - (a[i] - x));
    const out = run('model_stock', { filter_wise: false, clamp: true }, DIMS_1D, [base, a, b]);
    expect(modelStockVec(f64(base), [f64(a), f64(b)]).cos).toBeLessThan(-0.99);
    expect(Buffer.compare(Buffer.from(out.buffer), Buffer.from(base.buffer))).toBe(0);
  });

  it('task vectors pointing apart (cos < 0): mergekit\'s unclamped t by default, the base with clamp', () => {
    const [base, a, c] = fineTunes(15, 9001, 2, 0);
    const b = base.map((x, i) => x - 0.5 * (a[i] - x) + 0.3 * (c[i] - x)); // cos ≈ -0.85
    const [w0, ws] = [f64(base), [f64(a), f64(b)]];
    const { cos } = modelStockVec(w0, ws);
    expect(cos).toBeLessThan(-0.5);
    expectNear(run('model_stock', { filter_wise: false }, DIMS_1D, [base, a, b]), modelStockVec(w0, ws).out, [base, a, b], 16);
    const clamped = run('model_stock', { filter_wise: false, clamp: true }, DIMS_1D, [base, a, b]);
    expect(Buffer.compare(Buffer.from(clamped.buffer), Buffer.from(base.buffer))).toBe(0);
  });

  it('warns naming the tensor (and the rows) where the task vectors point apart', () => {
    const shape = { shape: [2, 8], numel: 16, rowLen: 8, k: 3, tensor: 'model.layers.1.mlp.up_proj.weight' };
    const flat = programFor('model_stock', { filter_wise: false }, shape);
    expect(flat.notes!([Float64Array.from([1, -0.5, 1])])).toEqual([
      'model_stock: the task vectors of model.layers.1.mlp.up_proj.weight point apart (mean cosine -0.500): t = -2.000 by mergekit\'s formula, outside [0, 1]; `mergeops: {model_stock_clamp: true}` clamps t to [0, 1]']);
    expect(flat.notes!([Float64Array.from([1, 0.5, 1])])).toEqual([]);
    const rows = programFor('model_stock', { filter_wise: true, clamp: true }, shape);
    expect(rows.notes!([Float64Array.from([1, 0.2, 1, 1, -0.25, 1])])).toEqual([
      'model_stock: the task vectors of model.layers.1.mlp.up_proj.weight point apart in 1 of 2 rows (lowest mean cosine -0.250): t clamped to 0.000']);
  });
});

describe('nearswap', () => {
  it.each([0, 0.0005, 0.002, 1])('t = %p', (t) => {
    const inputs = fineTunes(14, N2, 1, 0);
    inputs[1][5] = inputs[0][5]; // equal values: |diff| clamped to 1e-6
    const out = run('nearswap', { t }, DIMS_2D, inputs);
    expectNear(out, nearswapRef(t, f64(inputs[0]), f64(inputs[1])), inputs);
  });
});

describe('arcee_fusion', () => {
  it.each([
    ['2-D, rows of 129', DIMS_2D],
    ['1-D', DIMS_1D],
    ['2-D, 64 rows of 256', [64, 256]],
  ] as const)('%s: exact quartile threshold and mask', (_l, dims) => {
    const numel = dims.reduce((a, b) => a * b, 1);
    const [base, other] = fineTunes(15, numel, 1, 0).map((x, i) => (i === 0 ? x.map((v) => v * 50) : x));
    // larger changes in some rows, so the KL varies by row
    const o = other.map((v, e) => (Math.floor(e / dims[dims.length - 1]) % 3 === 0 ? base[e] + 3 * (v - base[e] / 50) : base[e] + (v - base[e] / 50)));
    const out = run('arcee_fusion', {}, [...dims], [base, o]);
    const ref = fusionRef(f64(base), f64(o), dims[dims.length - 1]);
    let selected = 0;
    let flips = 0;
    for (let e = 0; e < numel; e++) {
      const want = ref.out[e];
      if (out[e] === o[e]) selected++;
      if (Math.fround(want) !== out[e]) {
        // only elements whose importance is within rounding of the threshold may differ
        flips++;
        expect(Math.abs(ref.importance[e] - ref.threshold)).toBeLessThan(1e-6 * ref.threshold);
      }
    }
    expect(selected).toBeGreaterThan(0);
    expect(selected).toBeLessThan(numel / 2);
    expect(flips).toBeLessThanOrEqual(2);
  });

  it('norm-like tensors with repeated importances: elements exactly at the threshold are kept as torch\'s float32 rule keeps them', () => {
    // bf16-like norm weights: 1 + k/128, changes of whole steps, so |d| and the importances repeat.
    const f = Math.fround;
    let sensitive = 0;
    for (let seed = 1; seed <= 30; seed++) {
      const r = rng(seed);
      const n = 32;
      const base = Float32Array.from({ length: n }, () => 1 + Math.floor(r() * 9 - 4) / 128);
      const other = base.map((b) => b + Math.floor(r() * 7 - 3) / 128 * (r() < 0.5 ? 1 : 3));
      const out = run('arcee_fusion', {}, [n], [base, other]);
      // torch, on float32 tensors: kl is float32, importance = |d| * kl and the threshold in float32.
      const kl = f(fusionRef(f64(base), f64(other), n).kl[0]);
      const imp = base.map((b, i) => f(Math.abs(other[i] - b) * kl));
      const sorted = Float32Array.from(imp).sort();
      const [q1, med, q3] = [0.25, 0.5, 0.75].map((q) => sorted[Math.floor(q * (n - 1))]);
      const thr32 = f(f(med) + f(1.5 * f(q3 - q1)));
      const want = base.map((b, i) => (imp[i] >= thr32 ? other[i] : b));
      expect([...out]).toEqual([...want]);
      const thr64 = med + 1.5 * (q3 - q1);
      if (imp.some((v) => v >= thr32 !== v >= thr64)) sensitive++;
    }
    // the case the float32 rule exists for happens among these tensors
    expect(sensitive).toBeGreaterThan(0);
  });
});
