/**
 * The tensor health kernels (wasm/src/health.rs through kernels/health.ts) against a float64
 * computation in JavaScript: Σo², Σx², Σo·x of every dtype combination, the counts of NaN and
 * infinite elements, and the exact fallback for products beyond f32's range.
 */
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from '../../src/formats/dtype.js';
import { Arena } from '../../src/kernels/arena.js';
import { chunkHealth, healthWords, type KernelArray } from '../../src/kernels/health.js';
import { KBF16, KF16, KF32 } from '../support/js-reference.js';
import { instantiateKernels, loadKernelModule, type KernelExports } from '../../src/kernels/wasm-module.js';

let k: KernelExports;
let arena: Arena;

beforeAll(async () => {
  k = instantiateKernels(await loadKernelModule());
  arena = new Arena(k);
});

afterEach(() => arena.reset());

/** mulberry32 */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    let t = (s = (s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Stores `vals` in kernel memory as `code`; returns the array and the values as stored (exact). */
function put(vals: readonly number[], code: number): { a: KernelArray; stored: number[] } {
  const n = vals.length;
  if (code === KF32) {
    const p = arena.alloc(4 * n);
    const v = arena.f32(p, n);
    v.set(vals);
    return { a: { ptr: p, code }, stored: [...v] };
  }
  const p = arena.alloc(2 * n);
  const h = new Uint16Array(k.memory.buffer, p, n);
  const stored: number[] = [];
  vals.forEach((x, i) => {
    h[i] = code === KBF16 ? f32ToBf16(x) : f32ToF16(x);
    stored.push(code === KBF16 ? bf16ToF32(h[i]) : f16ToF32(h[i]));
  });
  return { a: { ptr: p, code }, stored };
}

/** The float64 figures: Σ of exact products in index order. */
function f64Health(o: number[], xs: number[][]): { oSq: number; sq: number[]; dot: number[] } {
  let oSq = 0;
  for (const v of o) oSq += v * v;
  return {
    oSq,
    sq: xs.map((x) => x.reduce((s, v) => s + v * v, 0)),
    dot: xs.map((x) => x.reduce((s, v, i) => s + o[i] * v, 0)),
  };
}

const CODES = [KF32, KF16, KBF16];

describe('tensor health kernels', () => {
  test.each([
    [KBF16, KBF16], [KBF16, KF16], [KF16, KBF16], [KF32, KBF16], [KBF16, KF32], [KF32, KF32], [KF16, KF16],
  ])('norm and cosine sums of out dtype %i against inputs of dtype %i match float64', (oc, ic) => {
    const r = rng(oc * 7 + ic);
    const n = 20_003; // several pieces, a scalar tail
    const gauss = (): number => (r() + r() + r() + r() - 2) * 0.03;
    const base = Array.from({ length: n }, gauss);
    const xs = [0, 1, 2].map(() => put(base.map((b) => b + gauss() * 0.1), ic));
    const o = put(base.map((b, i) => (b + xs[1].stored[i] + xs[2].stored[i]) / 3), oc);
    const got = chunkHealth(arena, o.a, xs.map((x) => x.a), n);
    expect(got.length).toBe(healthWords(3));
    const want = f64Health(o.stored, xs.map((x) => x.stored));
    // The documented bound: f32 partials of 16 products, relative to the sum of |terms|.
    const close = (g: number, w: number, mag: number): void => expect(Math.abs(g - w)).toBeLessThanOrEqual(1e-6 * mag);
    expect(got[0]).toBe(0);
    expect(got[1]).toBe(0);
    close(got[2], want.oSq, want.oSq);
    for (let j = 0; j < 3; j++) {
      const at = 3 + 4 * j;
      expect([got[at], got[at + 1]]).toEqual([0, 0]);
      close(got[at + 2], want.sq[j], want.sq[j]);
      close(got[at + 3], want.dot[j], Math.sqrt(want.oSq * want.sq[j]));
      // The cosine the report shows, to 1e-6 of the float64 one.
      const cos = got[at + 3] / Math.sqrt(got[2] * got[at + 2]);
      expect(Math.abs(cos - want.dot[j] / Math.sqrt(want.oSq * want.sq[j]))).toBeLessThan(1e-6);
    }
  });

  test('counts NaN and infinite elements of the output and of each input', () => {
    for (const code of CODES) {
      const n = 1000;
      const vals = Array.from({ length: n }, (_, i) => (i % 10) / 10);
      const o = put(vals.map((v, i) => (i === 17 || i === 999 ? NaN : i === 500 ? -Infinity : v)), code);
      const clean = put(vals, code);
      const bad = put(vals.map((v, i) => (i === 3 ? Infinity : i === 4 ? NaN : i === 5 ? NaN : v)), code);
      const got = chunkHealth(arena, o.a, [clean.a, bad.a], n);
      expect([got[0], got[1]]).toEqual([2, 1]);
      expect([got[3], got[4]]).toEqual([0, 0]);
      expect([got[7], got[8]]).toEqual([2, 1]);
      expect(Number.isFinite(got[5])).toBe(true);
      const sq = clean.stored.reduce((s, v) => s + v * v, 0);
      expect(Math.abs(got[5] - sq)).toBeLessThan(1e-6 * sq);
    }
  });

  test('products beyond f32 range are summed exactly instead of overflowing', () => {
    const n = 64;
    const vals = Array.from({ length: n }, (_, i) => 3e19 * (1 + i / n));
    const o = put(vals, KF32);
    const got = chunkHealth(arena, o.a, [o.a], n);
    const want = f64Health(o.stored, [o.stored]);
    expect([got[0], got[1]]).toEqual([0, 0]);
    expect(got[2]).toBeCloseTo(want.oSq, -60);
    expect(Math.abs(got[2] / want.oSq - 1)).toBeLessThan(1e-12);
    expect(Math.abs(got[6] / want.dot[0] - 1)).toBeLessThan(1e-12);
  });

  test('zero inputs give a zero norm, not a NaN sum', () => {
    const z = put(new Array(100).fill(0), KBF16);
    const got = chunkHealth(arena, z.a, [z.a], 100);
    expect([...got]).toEqual([0, 0, 0, 0, 0, 0, 0]);
  });
});
