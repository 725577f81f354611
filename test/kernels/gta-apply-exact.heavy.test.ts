/**
 * The GTA apply kernel bit for bit: its SIMD fast path (whole deltas and top-k windows away from
 * their tie-cutoff block) and its column path must give exactly the float32 result of the
 * operation order documented in wasm/src/gta.rs, emulated here with Math.fround — including NaN
 * and infinite deltas, ±0, sign votes that tie, empty agreeing sets, λ ≠ 1 and rescaled deltas,
 * for F32 data and for BF16 data written as BF16.
 */
import { Arena } from '../../src/kernels/arena.js';
import { runApply, runStatPass, type ChunkView } from '../../src/kernels/program-runner.js';
import { KBF16, KF32 } from '../support/js-reference.js';
import { instantiateKernels, loadKernelModule, type KernelExports } from '../../src/kernels/wasm-module.js';
import { programFor } from '../../src/methods/registry.js';
import { SKIPPED, STAT_BLOCK } from '../../src/methods/program.js';
import type { ProgramParams } from '../../src/model/tensor.js';

let k: KernelExports;
beforeAll(async () => {
  k = instantiateKernels(await loadKernelModule());
});

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const bitsOf = (x: number): number => { f32[0] = x; return u32[0]; };
const fromBits = (b: number): number => { u32[0] = b >>> 0; return f32[0]; };
const bf16Round = (x: number): number => {
  const b = bitsOf(x);
  return Number.isNaN(x) ? ((b | 0x0040_0000) >>> 16) : ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff;
};
const CANON = fromBits(0x7fc0_0000);

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Base + models on a coarse grid (equal magnitudes, exact cancellations) with special values. */
function inputs(n: number, m: number, seed: number, bf16: boolean): Float32Array[] {
  const r = lcg(seed);
  const special = [NaN, -NaN, Infinity, -Infinity, 0, -0];
  const base = Float32Array.from({ length: n }, () => Math.floor(r() * 16) / 8 - 1);
  const out = [base];
  for (let j = 0; j < m; j++) {
    out.push(Float32Array.from(base, (b) => {
      const u = r();
      if (u < 0.01) return special[Math.floor(r() * special.length)];
      if (u < 0.08) return b; // δ = +0
      return b + (Math.floor(r() * 9) - 4) / 64 + (r() < 0.3 ? r() * 1e-3 : 0);
    }));
  }
  if (n > 40) out[0][37] = NaN; // a NaN base element
  // Widened BF16 values, so both paths see the same numbers.
  return bf16 ? out.map((a) => a.map((x) => fromBits(bf16Round(x) << 16))) : out;
}

interface Opts { m: number; consensus: number; normalize: number; lambda: number; density: number; rescale: number; weights: number[] }

/** The kept elements of one model: the top ⌊density·n⌋ by |δ| bits, ties by lowest index. */
function kept(base: Float32Array, x: Float32Array, density: number): Uint8Array {
  const n = base.length;
  const keep = new Uint8Array(n);
  if (density >= 1) return keep.fill(1);
  const a = Array.from({ length: n }, (_, i) => bitsOf(Math.fround(x[i] - base[i])) & 0x7fff_ffff);
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => a[j] - a[i] || i - j);
  for (const i of order.slice(0, Math.trunc(density * n))) keep[i] = 1;
  return keep;
}

/** The documented operation order, one float32 rounding per operation. */
function emulate(ins: Float32Array[], o: Opts): Float32Array {
  const [base, ...xs] = ins;
  const n = base.length;
  const keeps = xs.map((x) => kept(base, x, o.density));
  const scale = o.rescale === 4 && o.density < 1 ? Math.fround(1 / o.density) : 1;
  const w = o.weights.map(Math.fround);
  let wsum = 0;
  for (const v of w) wsum = Math.fround(wsum + v);
  if (Math.abs(wsum) < 1e-8) wsum = 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const b = base[i];
    const wd = xs.map((x, j) => (keeps[j][i] ? Math.fround(w[j] * Math.fround(Math.fround(x[i] - b) * scale)) : 0));
    let mixed = 0, div = 0;
    if (o.consensus === 0) {
      for (const v of wd) mixed = Math.fround(mixed + v);
      div = wsum;
    } else {
      let vote = 0;
      for (const v of wd) vote = Math.fround(vote + (o.consensus === 2 ? (v > 0 ? 1 : 0) - (v < 0 ? 1 : 0) : v));
      const pos = vote >= 0;
      wd.forEach((v, j) => {
        if (pos ? v > 0 : v < 0) {
          mixed = Math.fround(mixed + v);
          div = Math.fround(div + w[j]);
        }
      });
      if (div === 0) div = 1;
    }
    let r = o.normalize ? Math.fround(mixed / div) : mixed;
    r = Math.fround(r * Math.fround(o.lambda));
    const y = Math.fround(b + r);
    out[i] = Number.isNaN(y) ? CANON : y;
  }
  return out;
}

function params(o: Opts): ProgramParams {
  return {
    sparsifier: 'magnitude', consensus: o.consensus, normalize: o.normalize, lambda: o.lambda, rescale: o.rescale,
    key: [0, 0], weights: o.weights, densities: o.weights.map(() => o.density),
    epsilons: o.weights.map(() => 0.15), gammas: o.weights.map(() => 0.01),
  };
}

/** Runs the program's passes and apply over the whole tensor in kernel memory. */
function run(ins: Float32Array[], o: Opts, bf16: boolean): Uint32Array | Uint16Array {
  const n = ins[0].length;
  const arena = new Arena(k);
  try {
    const ptrs = ins.map((a) => {
      const p = arena.alloc(4 * n);
      if (bf16) new Uint16Array(k.memory.buffer, p, n).set(Array.from(a, (x) => bitsOf(x) >>> 16));
      else new Float32Array(k.memory.buffer, p, n).set(a);
      return p;
    });
    const out = arena.alloc(4 * n);
    const prog = programFor('ties', params(o), { shape: [n], numel: n, rowLen: n, k: ins.length, tensor: 't' });
    const view: ChunkView = bf16
      ? { inputs: ptrs, dtypes: ptrs.map(() => KBF16), outDType: KBF16, first: 0, n, rowLen: n }
      : { inputs: ptrs, dtypes: ptrs.map(() => KF32), outDType: KF32, first: 0, n, rowLen: n };
    const stats: Float64Array[] = [];
    prog.passes.forEach((p, i) => {
      stats.push(p.skip?.(stats) ? SKIPPED : p.reduce([{ first: 0, n, data: runStatPass(arena, prog, i, stats, view) }]));
    });
    runApply(arena, prog, stats, view, out);
    return bf16 ? new Uint16Array(k.memory.buffer, out, n).slice() : new Uint32Array(k.memory.buffer, out, n).slice();
  } finally {
    arena.reset();
  }
}

function firstDiff(got: ArrayLike<number>, want: ArrayLike<number>): string {
  for (let i = 0; i < want.length; i++) {
    if (got[i] !== want[i]) return `element ${i}: got 0x${got[i].toString(16)}, want 0x${want[i].toString(16)}`;
  }
  return 'equal';
}

describe('GTA apply kernel, bit for bit', () => {
  const n = 2 * STAT_BLOCK + 103; // two blocks and a tail that is not a multiple of 4
  const cases: Opts[] = [];
  for (const m of [1, 2, 3, 4, 9]) {
    for (const consensus of [0, 1, 2]) {
      const weights = Array.from({ length: m }, (_, j) => [0.5, 0.3, 1, -0.25, 0.7][j % 5]);
      cases.push({ m, consensus, normalize: 1, lambda: 1, density: 1, rescale: 0, weights });
      cases.push({ m, consensus, normalize: 0, lambda: 0.7, density: 0.6, rescale: 4, weights });
      cases.push({ m, consensus, normalize: 1, lambda: 1.3, density: 0.35, rescale: 0, weights: weights.map(() => 0.5) });
    }
  }
  for (const bf16 of [false, true]) {
    it.each(cases.map((c) => [`${bf16 ? 'BF16' : 'F32'} m=${c.m} consensus=${c.consensus} normalize=${c.normalize} λ=${c.lambda} density=${c.density} rescale=${c.rescale}`, c]))(
      '%s', (_label, c) => {
        const o = c as Opts;
        const ins = inputs(n, o.m, 11 * o.m + o.consensus + (bf16 ? 100 : 0), bf16);
        const want = emulate(ins, o);
        const got = run(ins, o, bf16);
        const wantBits = bf16 ? Uint16Array.from(want, (x) => bf16Round(x)) : new Uint32Array(want.buffer);
        expect(firstDiff(got, wantBits)).toBe('equal');
      });
  }
});
