/**
 * The generalized-task-arithmetic family on random tensors against the float64 reference
 * (test/support/gta-reference.ts), with mergekit's parameters and default flags; whole-tensor
 * and chunked runs must give the same bits; the generator's TypeScript port equals the wasm one.
 */
import { runProgramOnArrays } from '../../src/kernels/program-runner.js';
import { instantiateKernels, loadKernelModule, type KernelExports } from '../../src/kernels/wasm-module.js';
import { programFor } from '../../src/methods/registry.js';
import { BAND } from '../../src/methods/gta-topk.js';
import { HI_BUCKETS, sumParts } from '../../src/methods/select.js';
import { STAT_BLOCK, type KernelCall, type TensorProgram } from '../../src/methods/program.js';
import { getMethod } from '../../src/methods/registry.js';
import { philox4x32_10, rngWord, tensorRngKey } from '../../src/methods/rng.js';
import type { MethodInput, MethodOptions } from '../../src/methods/types.js';
import { gtaReference, maxScaledError, type GtaRefOptions } from '../support/gta-reference.js';
import type { ProgramParams } from '../../src/model/tensor.js';

let k: KernelExports;
beforeAll(async () => {
  k = instantiateKernels(await loadKernelModule());
});

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** base + fine-tunes: continuous values, or a coarse grid (many equal magnitudes → ties). */
function tensors(n: number, models: number, seed: number, grid = false): Float32Array[] {
  const r = lcg(seed);
  const base = Float32Array.from({ length: n }, () => (grid ? Math.floor(r() * 16) / 8 - 1 : r() * 2 - 1));
  const out = [base];
  for (let j = 0; j < models; j++) {
    out.push(Float32Array.from(base, (b) => b + (grid ? (Math.floor(r() * 9) - 4) / 64 : (r() - 0.5) * 0.02 * (1 + 3 * r()))));
  }
  return out;
}

interface Case {
  method: string;
  perModel: Record<string, number>[];
  global?: Record<string, number>;
  /** The method's `mergeops:` options by key. */
  options?: Record<string, string>;
}

const ROW = 1000;
const SHAPE = [24, ROW];
const N = SHAPE[0] * SHAPE[1];
const TENSOR = 'model.layers.0.mlp.down_proj.weight';

/** Plans the tensor with the method's declared defaults, as the planner would. */
function plan(c: Case): { params: ProgramParams; options: MethodOptions; global: Record<string, number | undefined> } {
  const m = getMethod(c.method);
  if (!m) throw new Error(c.method);
  const global: Record<string, number | undefined> = {};
  for (const p of m.globalParams) global[p.name] = c.global?.[p.name] ?? p.default;
  const inputs: MethodInput[] = [{ modelKey: 'base', isBase: true, params: {} }];
  c.perModel.forEach((pm, j) => {
    const params: Record<string, number | undefined> = {};
    for (const p of m.perModelParams) params[p.name] = pm[p.name] ?? p.default;
    inputs.push({ modelKey: `m${j}`, isBase: false, params });
  });
  const options: MethodOptions = { seed: 1234, values: { ...c.options } };
  const r = m.planTensor({ tensor: TENSOR, inputs, global, options });
  if (!('op' in r) || r.op.kind !== 'program') throw new Error(`unexpected plan ${JSON.stringify(r)}`);
  return { params: r.op.params, options, global };
}

const SPARSIFIER: Record<string, GtaRefOptions['sparsifier']> = {
  ties: 'magnitude', dare_ties: 'random', dare_linear: 'random', breadcrumbs: 'outliers',
  breadcrumbs_ties: 'outliers', della: 'della', della_linear: 'della',
};
const CONSENSUS = new Set(['ties', 'dare_ties', 'breadcrumbs_ties', 'della']);

function run(c: Case, ins: Float32Array[], chunk?: number): Float32Array {
  const { params } = plan(c);
  const prog = programFor(c.method, params, { shape: SHAPE, numel: N, rowLen: ROW, k: ins.length, tensor: TENSOR });
  return runProgramOnArrays(k, prog, ins, ROW, chunk);
}

function reference(c: Case, ins: Float32Array[]) {
  const { options, global } = plan(c);
  return gtaReference(ins[0], c.perModel.map((pm, j) => ({
    x: ins[j + 1], weight: pm.weight, density: pm.density ?? 1, gamma: pm.gamma, epsilon: pm.epsilon,
  })), {
    sparsifier: SPARSIFIER[c.method],
    consensus: CONSENSUS.has(c.method) ? (options.values['consensus_method'] ?? 'sum') as 'sum' | 'count' : 'none',
    normalize: !!global.normalize,
    rescale: global.rescale ? (options.values['rescale_norm'] ?? 'l1') as 'l1' | 'l2' | 'linf' | 'inverse_density' : 'none',
    lambda: global.lambda ?? 1,
    key: tensorRngKey(options.seed, TENSOR),
    rowLen: ROW,
  });
}

const THREE = [
  { weight: 0.6, density: 0.5, gamma: 0.05, epsilon: 0.1 },
  { weight: 0.3, density: 0.3, gamma: 0.02, epsilon: 0.2 },
  { weight: -0.2, density: 0.7, gamma: 0.01, epsilon: 0.15 },
];

const CASES: Case[] = [
  { method: 'ties', perModel: THREE },
  { method: 'ties', perModel: THREE, global: { normalize: 0, lambda: 0.8, rescale: 1 } },
  { method: 'ties', perModel: THREE, options: { consensus_method: 'count' } },
  { method: 'dare_ties', perModel: THREE },
  { method: 'dare_ties', perModel: THREE, options: { rescale_norm: 'inverse_density' } },
  { method: 'dare_linear', perModel: THREE },
  { method: 'dare_linear', perModel: THREE, global: { rescale: 0 } },
  { method: 'dare_linear', perModel: THREE, options: { rescale_norm: 'l2' } },
  { method: 'breadcrumbs', perModel: THREE },
  { method: 'breadcrumbs', perModel: THREE, options: { rescale_norm: 'linf' }, global: { rescale: 1 } },
  { method: 'breadcrumbs_ties', perModel: THREE },
  { method: 'della', perModel: THREE },
  { method: 'della', perModel: THREE, options: { rescale_norm: 'inverse_density' } },
  { method: 'della_linear', perModel: THREE },
];

describe('generator', () => {
  it('Philox4x32-10 matches the Random123 known answers', () => {
    expect(philox4x32_10([0, 0, 0, 0], [0, 0])).toEqual([0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]);
    expect(philox4x32_10([0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0]))
      .toEqual([0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]);
  });

  it('the TypeScript port draws the same words as the wasm generator', () => {
    const key = tensorRngKey(42, 'model.embed_tokens.weight');
    const n = 1000;
    const base = (k.heap_base() >>> 0) + 15 & ~15;
    if (k.memory.buffer.byteLength < base + 4 * n) k.memory.grow(1);
    const rngWords = (k as unknown as Record<string, (...a: number[]) => void>).rng_words;
    for (const [stream, first] of [[0, 0], [3, 2 ** 33 + 5]]) {
      rngWords(key[0], key[1], stream, first % 2 ** 32, Math.floor(first / 2 ** 32), base, n);
      const got = new Uint32Array(k.memory.buffer, base, n);
      for (let i = 0; i < n; i += 37) expect(got[i]).toBe(rngWord(key, stream, first + i));
    }
  });

  it('keys differ by seed and by tensor', () => {
    expect(tensorRngKey(0, 'a')).not.toEqual(tensorRngKey(1, 'a'));
    expect(tensorRngKey(0, 'a')).not.toEqual(tensorRngKey(0, 'b'));
  });
});

describe('GTA methods against the float64 reference', () => {
  const ins = tensors(N, 3, 11);
  for (const c of CASES) {
    const label = `${c.method} ${JSON.stringify({ ...c.global, ...c.options })}`;
    it(`${label}: rounding differences only, same bits whole and chunked`, () => {
      const whole = run(c, ins);
      const { out, scale, alt } = reference(c, ins);
      const err = maxScaledError(whole, out, scale, alt);
      console.log(`${label}: max error ${err.toExponential(2)} of the summed magnitude`);
      expect(err).toBeLessThan(1e-6);
      const chunk = c.method.startsWith('della') ? 3 * ROW : 2 * STAT_BLOCK;
      const chunked = run(c, ins, chunk);
      expect(Buffer.from(chunked.buffer).equals(Buffer.from(whole.buffer))).toBe(true);
    });
  }

  it('keeps exactly k = ⌊density·n⌋ per model, ties by lowest index, in any chunking', () => {
    const grid = tensors(N, 2, 5, true);
    const c: Case = { method: 'ties', perModel: [{ weight: 1, density: 0.37 }, { weight: 1, density: 0.61 }], global: { normalize: 0 } };
    const whole = run(c, grid);
    const { out, scale, alt } = reference(c, grid);
    expect(maxScaledError(whole, out, scale, alt)).toBeLessThan(1e-6);
    for (const chunk of [STAT_BLOCK, 3 * STAT_BLOCK]) {
      expect(Buffer.from(run(c, grid, chunk).buffer).equals(Buffer.from(whole.buffer))).toBe(true);
    }
    // One model alone: the output keeps exactly k of its deltas.
    const one: Case = { method: 'ties', perModel: [{ weight: 1, density: 0.37 }] };
    const res = run(one, grid.slice(0, 2));
    let kept = 0;
    for (let i = 0; i < N; i++) if (res[i] !== grid[0][i]) kept++;
    const nonzero = grid[1].reduce((a, v, i) => a + (v !== grid[0][i] ? 1 : 0), 0);
    expect(kept).toBe(Math.min(Math.trunc(0.37 * N), nonzero));
  });

  it('DELLA on one-element rows keeps with probability density (mergekit: NaN)', () => {
    const n = 4096;
    const ins2 = tensors(n, 2, 8);
    const c: Case = { method: 'della', perModel: [{ weight: 1, density: 0.4 }, { weight: 0.5, density: 0.6 }] };
    const { params, options } = plan(c);
    const prog = programFor('della', params, { shape: [n, 1], numel: n, rowLen: 1, k: 3, tensor: TENSOR });
    const got = runProgramOnArrays(k, prog, ins2, 1);
    expect(got.every(Number.isFinite)).toBe(true);
    const ref = gtaReference(ins2[0], [{ x: ins2[1], weight: 1, density: 0.4 }, { x: ins2[2], weight: 0.5, density: 0.6 }], {
      sparsifier: 'della', consensus: 'sum', normalize: true, rescale: 'l1', lambda: 1, key: tensorRngKey(options.seed, TENSOR), rowLen: 1,
    });
    expect(maxScaledError(got, ref.out, ref.scale, ref.alt)).toBeLessThan(1e-6);
    let kept = 0;
    for (let i = 0; i < n; i++) if (got[i] !== ins2[0][i]) kept++;
    expect(kept / n).toBeGreaterThan(0.5); // P(at least one of two kept) = 1 − 0.6·0.4 = 0.76
  });

  it('fixes mergekit\'s degenerate cases: TIES k = 0, breadcrumbs γ·n < 1', () => {
    const ins2 = tensors(N, 1, 3);
    // k = 0: the model contributes nothing (mergekit: assertion error).
    const zero = run({ method: 'ties', perModel: [{ weight: 1, density: 1e-9 }] }, ins2);
    expect(Array.from(zero)).toEqual(Array.from(ins2[0]));
    // gamma·n < 1: no outliers dropped, density kept (mergekit: the whole delta zeroed).
    const bc: Case = { method: 'breadcrumbs', perModel: [{ weight: 1, density: 0.5, gamma: 0 }] };
    const got = run(bc, ins2);
    let changed = 0;
    for (let i = 0; i < N; i++) if (got[i] !== ins2[0][i]) changed++;
    expect(changed).toBe(N / 2);
    const { out, scale } = reference(bc, ins2);
    expect(maxScaledError(got, out, scale)).toBeLessThan(1e-6);
  });
});

describe('top-k selection paths', () => {
  const rows = 160, cols = 1024; // 40 statistics blocks: blocks 0, 16 and 32 are the sample
  const n = rows * cols;
  const models = [{ weight: 0.7, density: 0.45 }, { weight: 0.4, density: 0.8 }];
  const params = (method: string): ProgramParams => plan({ method, perModel: models }).params;

  /** The kernels of the statistics passes that ran, and the output, whole or in chunks. */
  function runTraced(method: string, ins: Float32Array[], chunk?: number): { ran: string[]; out: Float32Array } {
    const prog = programFor(method, params(method), { shape: [rows, cols], numel: n, rowLen: cols, k: ins.length, tensor: TENSOR });
    const ran: string[] = [];
    const trace = (c: KernelCall): KernelCall => { ran.push(c.fn); return c; };
    const traced: TensorProgram = {
      ...prog,
      passes: prog.passes.map((p) => ({ ...p, call: (prev: readonly Float64Array[]) => trace(p.call(prev)) })),
      apply: (stats) => trace(prog.apply(stats)),
    };
    const out = runProgramOnArrays(k, traced, ins, cols, chunk);
    return { ran: chunk === undefined ? ran : [...new Set(ran)], out };
  }

  function checkExact(method: string, ins: Float32Array[]): string[] {
    const { ran, out } = runTraced(method, ins);
    const ref = gtaReference(ins[0], models.map((mm, j) => ({ x: ins[j + 1], ...mm })), {
      sparsifier: SPARSIFIER[method], consensus: CONSENSUS.has(method) ? 'sum' : 'none', normalize: method === 'ties',
      rescale: 'none', lambda: 1, key: [0, 0], rowLen: cols,
    });
    expect(maxScaledError(out, ref.out, ref.scale, ref.alt)).toBeLessThan(1e-6);
    for (const chunk of [STAT_BLOCK, 7 * STAT_BLOCK]) {
      expect(Buffer.from(runTraced(method, ins, chunk).out.buffer).equals(Buffer.from(out.buffer))).toBe(true);
    }
    return ran;
  }

  it('bf16-like deltas: the sample and one band pass settle every K-th key', () => {
    const ins = tensors(n, 2, 21, true);
    expect(checkExact('ties', ins)).toEqual(['gta_hist_sample', 'gta_band', 'gta_apply']);
  });

  it('continuous deltas: the band finds the bucket, the low-bits pass the key', () => {
    const ins = tensors(n, 2, 22);
    expect(checkExact('ties', ins)).toEqual(['gta_hist_sample', 'gta_band', 'gta_hist_lo', 'gta_apply']);
  });

  it('an unrepresentative sample: the band misses and the full histogram finds the keys', () => {
    const ins = tensors(n, 2, 23, true);
    // Deltas 50× larger in the sampled blocks only.
    for (const x of ins.slice(1)) {
      for (let blk = 0; blk < n / STAT_BLOCK; blk += 16) {
        for (let i = blk * STAT_BLOCK; i < (blk + 1) * STAT_BLOCK; i++) x[i] = ins[0][i] + 50 * (x[i] - ins[0][i]);
      }
    }
    expect(checkExact('ties', ins)).toEqual(['gta_hist_sample', 'gta_band', 'gta_hist_hi', 'gta_ties', 'gta_apply']);
  });

  it('breadcrumbs: two bands per model (the window of kept ranks)', () => {
    const ins = tensors(n, 2, 24, true);
    const ran = checkExact('breadcrumbs', ins);
    expect(ran.slice(0, 2)).toEqual(['gta_hist_sample', 'gta_band']);
    expect(ran).not.toContain('gta_hist_hi');
  });
});

describe('band pass kernels', () => {
  it('the sample histogram and the band counts equal a direct count (f32 and bf16 values, in chunks)', () => {
    const rows = 40, cols = 4096, n = rows * cols;
    const r = lcg(31);
    const base = Float32Array.from({ length: n }, () => Math.fround((r() - 0.5) * 0.04));
    const x = Float32Array.from(base, (b) => Math.fround(b + Math.round((r() - 0.5) * 40) / 4096));
    const f = new Float32Array(1), u = new Uint32Array(f.buffer);
    const bits = (v: number): number => { f[0] = v; return u[0]; };
    const toBf16 = (a: Float32Array): Float32Array => a.map((v) => { u[0] = ((bits(v) + 0x7fff + ((bits(v) >>> 16) & 1)) >>> 16) << 16; return f[0]; });
    for (const bf16 of [false, true]) {
      const ins = bf16 ? [toBf16(base), toBf16(x)] : [base, x];
      const a = Array.from({ length: n }, (_, i) => bits(Math.fround(ins[1][i] - ins[0][i])) & 0x7fff_ffff);
      // The kernels' view: a program over the two arrays; the sample and band passes run first.
      const params = plan({ method: 'ties', perModel: [{ weight: 1, density: 0.4 }] }).params;
      const prog = programFor('ties', params, { shape: [rows, cols], numel: n, rowLen: cols, k: 2, tensor: TENSOR });
      const seen: Float64Array[] = [];
      let chosen: Float64Array = new Float64Array(0);
      const traced: TensorProgram = {
        ...prog,
        // Pass S reduces to its band choice: keep its summed histograms too.
        passes: prog.passes.map((p, i) => ({ ...p, reduce: (parts) => { const v = p.reduce(parts); if (i < 2) seen[i] = i === 0 ? sumParts(parts) : v; if (i === 0) chosen = v; return v; } })),
      };
      runProgramOnArrays(k, traced, ins, cols, 7 * STAT_BLOCK);
      const sample = new Float64Array(HI_BUCKETS);
      for (let i = 0; i < n; i++) if (Math.floor(i / STAT_BLOCK) % 16 === 0) sample[a[i] >>> 16]++;
      expect(Array.from(seen[0])).toEqual(Array.from(sample));
      // The band the program chose: [above, hist, bottoms], then per block the candidate's count.
      const call = prog.passes[1].call([chosen]);
      const [lo, hi, cand1] = call.params.slice(15, 18);
      const head = 1 + 2 * BAND;
      const want = new Float64Array(head + n / STAT_BLOCK);
      for (let i = 0; i < n; i++) {
        const bk = a[i] >>> 16;
        if (bk > hi) want[0]++;
        else if (bk >= lo) { want[1 + bk - lo]++; if ((a[i] & 0xffff) === 0) want[1 + BAND + bk - lo]++; }
        if (a[i] === (cand1 - 1) * 65536) want[head + Math.floor(i / STAT_BLOCK)]++;
      }
      expect(Array.from(seen[1])).toEqual(Array.from(want));
    }
  });
});
