/**
 * The WebAssembly kernels against their plain-JS references (test/support/js-reference.ts),
 * bit for bit, and the references against src/formats/dtype.ts and float64 arithmetic.
 *
 * Every comparison snapshots the arena, runs the kernel on WebAssembly memory and the
 * reference on the snapshot at the same offsets (so aliasing behaves the same), then
 * requires the whole arena to be identical: outputs, and every byte around them.
 */
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from '../../src/formats/dtype.js';
import {
  bf16ToF32Bits,
  convertRef,
  f16ToF32Bits,
  f32BitsToBf16,
  f32BitsToF16,
  KBF16,
  KF16,
  KF32,
  linearRef,
  scaleConvertRef,
  taskArithmeticRef,
  type RefSource,
} from '../support/js-reference.js';
import { instantiateKernels, loadKernelModule, loadKernelModuleSync, type KernelExports } from '../../src/kernels/wasm-module.js';

// @types/node types only part of the WebAssembly namespace.
const WasmRuntimeError = (WebAssembly as unknown as { RuntimeError: ErrorConstructor }).RuntimeError;
const moduleImports = (m: WebAssembly.Module): unknown[] =>
  (WebAssembly.Module as unknown as { imports(m: WebAssembly.Module): unknown[] }).imports(m);

const DTYPES = [KF32, KF16, KBF16] as const;
const NAME = ['F32', 'F16', 'BF16'];
const SIZE = [4, 2, 2];

// ---------------------------------------------------------------------------
// Test data.
// ---------------------------------------------------------------------------

/** Deterministic PRNG (mulberry32). */
class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  u32(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  int(n: number): number {
    return this.u32() % n;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
}

const F32_SPECIALS = [
  0x00000000, 0x80000000, 0x7f800000, 0xff800000, // ±0, ±Inf
  0x7fc00000, 0xffc00000, 0x7f800001, 0xff800001, 0x7fbfffff, 0xffffffff, 0x7f80ffff, 0x7fc0ffff, // NaNs
  0x00000001, 0x007fffff, 0x00800000, 0x80000001, 0x7f7fffff, 0xff7fffff, // subnormal, min normal, max
  0x477fe000, 0x477fefff, 0x477ff000, 0x477fffff, 0x47800000, 0xc77ff000, // around f16 max (65504, 65520)
  0x33000000, 0x33000001, 0x33800000, 0x33c00000, 0x38800000, 0x387fc000, 0x387fe000, 0x387ff000, // f16 subnormals
  0x3f808000, 0x3f818000, 0x3f808001, 0x7f7f8000, 0xff7f8000, 0x7f7f7fff, 0x00008000, 0x00018000, // bf16 ties
  0x3f801000, 0x3f803000, 0x3f801001, 0x477fd000, // f16 ties
];

const U16_SPECIALS = [0x0000, 0x8000, 0x0001, 0x8001, 0x03ff, 0x0400, 0x7bff, 0xfbff, 0x7c00, 0xfc00, 0x7c01, 0x7e00, 0xfe00, 0x7fff, 0xffff,
  0x007f, 0x0080, 0x7f7f, 0x7f80, 0xff80, 0x7f81, 0x7fc0, 0xffc0, 0x3f80, 0xbf80, 0x3c00];

/** Mostly interesting f32 bit patterns (specials, boundaries, ties, NaN payloads). */
function f32Bits(rng: Rng): number {
  const r = rng.u32();
  const sign = r & 0x80000000;
  switch (r % 11) {
    case 0: return rng.pick(F32_SPECIALS) >>> 0;
    case 1: return (sign | (rng.u32() & 0x007fffff)) >>> 0; // f32 subnormal
    case 2: return (sign | (0x33000000 + rng.int(0x05800000))) >>> 0; // f16 subnormal range
    case 3: return (sign | (0x47700000 + rng.int(0x00200000))) >>> 0; // around f16 max
    case 4: return ((rng.u32() & 0xffff0000) | 0x8000) >>> 0; // bf16 ties
    case 5: return ((rng.u32() & 0xffffe000) | 0x1000) >>> 0; // f16 ties
    case 6: return (sign | 0x7f800000 | (rng.u32() & 0x7fffff) | 1) >>> 0; // NaN payloads
    case 7: return rng.u32(); // anything
    default: return (sign | (0x3a000000 + rng.int(0x0a000000))) >>> 0; // typical magnitudes
  }
}

function u16Bits(rng: Rng): number {
  const r = rng.u32();
  if (r % 8 === 0) return rng.pick(U16_SPECIALS);
  if (r % 8 === 1) return (r >>> 16) & 0x83ff; // f16 subnormals / bf16 tiny
  return r >>> 16;
}

/** Interesting f32 weights/scales/divisors. */
const WEIGHTS = [1, 0.5, -1.25, 3, 1e-3, 0.3, -0, 2 ** -130, 1e30, 65504, 1 / 3];

// ---------------------------------------------------------------------------
// Arena over the kernels' memory, and the snapshot comparison.
// ---------------------------------------------------------------------------

let K: KernelExports;
let base = 0;
let top = 0;

function ensure(end: number): void {
  const have = K.memory.buffer.byteLength;
  if (end > have) K.memory.grow(Math.ceil((end - have) / 65536));
}

function reset(): void {
  top = base;
}

/** Allocates `bytes` at `misalign` bytes past a 64-byte boundary, with random guard bytes around. */
function alloc(bytes: number, misalign: number, rng: Rng): number {
  const p = ((top + 63) & ~63) + 64 + misalign;
  top = p + bytes + 64;
  ensure(top + 64);
  // random bytes everywhere (guards included), 32 bits at a time from one seed
  const m = new Uint8Array(K.memory.buffer, p - 64, top - (p - 64));
  const w = new Uint32Array(m.length >>> 2);
  let x = rng.u32() | 1;
  for (let i = 0; i < w.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    w[i] = x;
  }
  m.set(new Uint8Array(w.buffer));
  for (let i = w.length * 4; i < m.length; i++) m[i] = rng.u32() & 0xff;
  return p;
}

function fill(p: number, dtype: number, n: number, rng: Rng): void {
  const dv = new DataView(K.memory.buffer);
  for (let i = 0; i < n; i++) {
    if (dtype === KF32) dv.setUint32(p + 4 * i, f32Bits(rng), true);
    else dv.setUint16(p + 2 * i, u16Bits(rng), true);
  }
}

function records(recs: { ptr: number; dtype: number; weight: number }[], rng: Rng): number {
  const p = alloc(12 * recs.length, 4 * rng.int(4), rng);
  const dv = new DataView(K.memory.buffer);
  recs.forEach((r, j) => {
    dv.setUint32(p + 12 * j, r.ptr, true);
    dv.setUint32(p + 12 * j + 4, r.dtype, true);
    dv.setFloat32(p + 12 * j + 8, r.weight, true);
  });
  return p;
}

/** Runs the kernel on memory and `ref` on a snapshot (views by address); the arenas must match. */
function same(label: string, kernel: () => void, ref: (at: (ptr: number, bytes: number) => Uint8Array) => void): void {
  const snap = new Uint8Array(K.memory.buffer, base, top - base).slice();
  kernel();
  ref((ptr, bytes) => new Uint8Array(snap.buffer, ptr - base, bytes));
  const got = new Uint8Array(K.memory.buffer, base, top - base);
  if (Buffer.compare(got, snap) === 0) return;
  for (let i = 0; i < snap.length; i++) {
    if (got[i] !== snap[i]) {
      const ctx = (a: Uint8Array): string => Array.from(a.subarray(Math.max(0, i - 6), i + 6), (x) => x.toString(16).padStart(2, '0')).join(' ');
      throw new Error(`${label}: byte ${base + i} differs: wasm ${got[i].toString(16)} vs reference ${snap[i].toString(16)}\n` +
        `  wasm: ${ctx(got)}\n  ref:  ${ctx(snap)}`);
    }
  }
}

const LENGTHS = [0, 1, 3, 7, 8, 9, 15, 16, 17, 31, 33, 100, 1023, 1024, 1025, 4095, 4096, 4097, 2 * 4096 + 24, 9001];

beforeAll(async () => {
  K = instantiateKernels(await loadKernelModule());
  base = ((K.heap_base() >>> 0) + 63) & ~63;
  top = base;
});

// ---------------------------------------------------------------------------
// Module.
// ---------------------------------------------------------------------------

describe('kernel module', () => {
  test('exports the documented functions and a growable memory', () => {
    expect(K.heap_base() >>> 0).toBeGreaterThan(0);
    expect((K.heap_base() >>> 0) % 16).toBe(0);
    for (const f of ['heap_base', 'convert', 'scale_convert', 'linear', 'task_arithmetic'] as const) {
      expect(typeof K[f]).toBe('function');
    }
    const mod = loadKernelModuleSync();
    expect(moduleImports(mod)).toEqual([]);
    const other = instantiateKernels(mod);
    expect(other.memory).not.toBe(K.memory);
  });

  test('invalid arguments trap instead of reading garbage', () => {
    reset();
    const rng = new Rng(1);
    const p = alloc(64, 0, rng);
    expect(() => K.convert(3, p, KF32, p, 1)).toThrow(WasmRuntimeError);
    expect(() => K.scale_convert(KF32, p, 1, 7, p, 1)).toThrow(WasmRuntimeError);
    const bad = records([{ ptr: p, dtype: 9, weight: 1 }], rng);
    expect(() => K.linear(bad, 1, 1, KF32, p, 1)).toThrow(WasmRuntimeError);
    expect(() => K.linear(bad, 0, 1, KF32, p, 1)).toThrow(WasmRuntimeError);
    expect(() => K.task_arithmetic(p, KF32, bad, 1, 1, 1, KF32, p, 1)).toThrow(WasmRuntimeError);
  });
});

// ---------------------------------------------------------------------------
// convert / scale_convert.
// ---------------------------------------------------------------------------

describe('convert and scale_convert match the JS reference bit for bit', () => {
  test('every dtype pair, lengths around the vector and block widths, misaligned', () => {
    const rng = new Rng(2);
    for (const i of DTYPES) {
      for (const o of DTYPES) {
        for (const n of LENGTHS) {
          reset();
          const src = alloc(n * SIZE[i], SIZE[i] * rng.int(8), rng);
          const dst = alloc(n * SIZE[o], SIZE[o] * rng.int(8), rng);
          fill(src, i, n, rng);
          const label = `${NAME[i]}->${NAME[o]} n=${n}`;
          same(`convert ${label}`, () => K.convert(i, src, o, dst, n), (at) => convertRef(i, at(src, n * SIZE[i]), o, at(dst, n * SIZE[o]), n));
          const scale = rng.pick(WEIGHTS);
          same(`scale_convert ${label} scale=${scale}`, () => K.scale_convert(i, src, scale, o, dst, n),
            (at) => scaleConvertRef(i, at(src, n * SIZE[i]), scale, o, at(dst, n * SIZE[o]), n));
        }
      }
    }
  });

  test('all 65536 F16 and BF16 patterns, to every dtype, with and without scaling', () => {
    const rng = new Rng(3);
    const n = 65536;
    for (const i of [KF16, KBF16]) {
      for (const o of DTYPES) {
        reset();
        const src = alloc(2 * n, 2, rng);
        const dst = alloc(n * SIZE[o], 0, rng);
        new Uint16Array(K.memory.buffer, src - 2, n + 1).set(Uint16Array.from({ length: n }, (_, h) => h), 1);
        same(`convert all ${NAME[i]}->${NAME[o]}`, () => K.convert(i, src, o, dst, n), (at) => convertRef(i, at(src, 2 * n), o, at(dst, n * SIZE[o]), n));
        for (const scale of [1, 0.5, 3, -1e-3]) {
          same(`scale_convert all ${NAME[i]}->${NAME[o]} x${scale}`, () => K.scale_convert(i, src, scale, o, dst, n),
            (at) => scaleConvertRef(i, at(src, 2 * n), scale, o, at(dst, n * SIZE[o]), n));
        }
      }
    }
  });

  test('F32 -> F16 and BF16 over a stride through all 2^32 patterns', () => {
    const rng = new Rng(4);
    const step = 1021; // prime: every exponent, many mantissas, both signs
    const n = Math.floor(2 ** 32 / step);
    for (const o of [KF16, KBF16]) {
      reset();
      const src = alloc(4 * n, 0, rng);
      const dst = alloc(2 * n, 2, rng);
      const u = new Uint32Array(K.memory.buffer, src, n);
      for (let j = 0; j < n; j++) u[j] = (j * step + 7) >>> 0;
      same(`convert F32->${NAME[o]} stride`, () => K.convert(KF32, src, o, dst, n), (at) => convertRef(KF32, at(src, 4 * n), o, at(dst, 2 * n), n));
    }
  });

  test('in place when element sizes match; same-dtype convert is a bit copy', () => {
    const rng = new Rng(5);
    for (const [i, o] of [[KF16, KBF16], [KBF16, KF16], [KF32, KF32], [KBF16, KBF16]] as const) {
      for (const n of [0, 5, 16, 4100]) {
        reset();
        const p = alloc(n * SIZE[i], SIZE[i], rng);
        fill(p, i, n, rng);
        same(`convert in place ${NAME[i]}->${NAME[o]} n=${n}`, () => K.convert(i, p, o, p, n),
          (at) => convertRef(i, at(p, n * SIZE[i]), o, at(p, n * SIZE[o]), n));
        same(`scale_convert in place ${NAME[i]}->${NAME[o]} n=${n}`, () => K.scale_convert(i, p, 0.75, o, p, n),
          (at) => scaleConvertRef(i, at(p, n * SIZE[i]), 0.75, o, at(p, n * SIZE[o]), n));
      }
    }
    // a NaN's payload survives a same-dtype copy untouched (no quieting)
    reset();
    const a = alloc(4, 0, rng);
    const b = alloc(4, 0, rng);
    new Uint16Array(K.memory.buffer, a, 2).set([0x7c01, 0xff81]);
    K.convert(KF16, a, KF16, b, 2);
    expect(Array.from(new Uint16Array(K.memory.buffer, b, 2))).toEqual([0x7c01, 0xff81]);
  });
});

// ---------------------------------------------------------------------------
// linear / task_arithmetic.
// ---------------------------------------------------------------------------

interface Input { ptr: number; dtype: number; weight: number }

function inputs(dtypes: number[], n: number, rng: Rng): Input[] {
  return dtypes.map((d) => {
    const ptr = alloc(n * SIZE[d], SIZE[d] * rng.int(8), rng);
    fill(ptr, d, n, rng);
    return { ptr, dtype: d, weight: rng.pick(WEIGHTS) };
  });
}

function refSources(ins: Input[], at: (ptr: number, bytes: number) => Uint8Array, n: number): RefSource[] {
  return ins.map((x) => ({ data: at(x.ptr, n * SIZE[x.dtype]), dtype: x.dtype, weight: x.weight }));
}

const DIVISORS = [1, 2, 0.25, -1, 3, 0.7, 0, -0, Infinity, NaN, 1e-40];

describe('linear matches the JS reference bit for bit', () => {
  test('k = 1 and k = 2 of one dtype (fast paths), every in/out dtype and divisor kind', () => {
    const rng = new Rng(6);
    for (const k of [1, 2]) {
      for (const i of DTYPES) {
        for (const o of DTYPES) {
          for (const divisor of DIVISORS) {
            for (const n of [0, 5, 16, 33, 4096 + 40]) {
              reset();
              const ins = inputs(Array(k).fill(i), n, rng);
              const srcs = records(ins, rng);
              const dst = alloc(n * SIZE[o], SIZE[o] * rng.int(8), rng);
              same(`linear k=${k} ${NAME[i]}->${NAME[o]} d=${divisor} n=${n}`, () => K.linear(srcs, k, divisor, o, dst, n),
                (at) => linearRef(refSources(ins, at, n), divisor, o, at(dst, n * SIZE[o]), n));
            }
          }
        }
      }
    }
  });

  test('mixed dtypes and k = 2..5 (blocked path), all lengths', () => {
    const rng = new Rng(7);
    for (const n of LENGTHS) {
      for (let rep = 0; rep < 4; rep++) {
        reset();
        const k = 2 + rng.int(4);
        const ins = inputs(Array.from({ length: k }, () => rng.pick(DTYPES)), n, rng);
        const srcs = records(ins, rng);
        const o = rng.pick(DTYPES);
        const divisor = rng.pick(DIVISORS);
        const dst = alloc(n * SIZE[o], SIZE[o] * rng.int(8), rng);
        same(`linear k=${k} [${ins.map((x) => NAME[x.dtype])}]->${NAME[o]} d=${divisor} n=${n}`, () => K.linear(srcs, k, divisor, o, dst, n),
          (at) => linearRef(refSources(ins, at, n), divisor, o, at(dst, n * SIZE[o]), n));
      }
    }
  });

  test('output may be exactly one of the inputs (same dtype)', () => {
    const rng = new Rng(8);
    for (const [dtypes, which] of [[[KBF16, KBF16], 0], [[KBF16, KBF16], 1], [[KF32], 0], [[KF16, KF32, KF16], 2], [[KF32, KF32, KF32], 0]] as const) {
      for (const n of [7, 64, 5000]) {
        reset();
        const ins = inputs([...dtypes], n, rng);
        const srcs = records(ins, rng);
        const dst = ins[which].ptr;
        const o = ins[which].dtype;
        same(`linear in place [${dtypes.map((d) => NAME[d])}] into #${which} n=${n}`, () => K.linear(srcs, ins.length, 1.5, o, dst, n),
          (at) => linearRef(refSources(ins, at, n), 1.5, o, at(dst, n * SIZE[o]), n));
      }
    }
  });

  test('inputs may overlap each other (the same tensor twice)', () => {
    const rng = new Rng(9);
    reset();
    const n = 333;
    const [x] = inputs([KBF16], n, rng);
    const ins = [x, { ...x, weight: -2 }, { ...x, weight: 0.5 }];
    const srcs = records(ins, rng);
    const dst = alloc(4 * n, 0, rng);
    same('linear x,x,x', () => K.linear(srcs, 3, 1, KF32, dst, n), (at) => linearRef(refSources(ins, at, n), 1, KF32, at(dst, 4 * n), n));
  });
});

describe('task_arithmetic matches the JS reference bit for bit', () => {
  test('k = 0..4, base and inputs of one dtype or mixed, every out dtype, all lengths', () => {
    const rng = new Rng(10);
    for (const n of LENGTHS) {
      for (const k of [0, 1, 2, 3, 4]) {
        for (const mixed of [false, true]) {
          reset();
          const b = rng.pick(DTYPES);
          const [bx] = inputs([b], n, rng);
          const ins = inputs(Array.from({ length: k }, () => (mixed ? rng.pick(DTYPES) : b)), n, rng);
          const srcs = records(ins, rng);
          const o = rng.pick(DTYPES);
          const divisor = rng.pick(DIVISORS);
          const lambda = rng.pick([1, 0.5, -2, 0.3]);
          const dst = alloc(n * SIZE[o], SIZE[o] * rng.int(8), rng);
          same(`task_arithmetic k=${k} base ${NAME[b]} [${ins.map((x) => NAME[x.dtype])}]->${NAME[o]} d=${divisor} l=${lambda} n=${n}`,
            () => K.task_arithmetic(bx.ptr, b, srcs, k, divisor, lambda, o, dst, n),
            (at) => taskArithmeticRef(at(bx.ptr, n * SIZE[b]), b, refSources(ins, at, n), divisor, lambda, o, at(dst, n * SIZE[o]), n));
        }
      }
    }
  });

  test('fast paths: k = 1, 2 with base and inputs of one dtype, every in/out dtype and divisor kind', () => {
    const rng = new Rng(11);
    for (const k of [1, 2]) {
      for (const i of DTYPES) {
        for (const o of DTYPES) {
          for (const divisor of [1, 2, 3, 0]) {
            for (const n of [0, 9, 32, 4096 + 24]) {
              reset();
              const [bx] = inputs([i], n, rng);
              const ins = inputs(Array(k).fill(i), n, rng);
              const srcs = records(ins, rng);
              const dst = alloc(n * SIZE[o], SIZE[o] * rng.int(8), rng);
              same(`task_arithmetic k=${k} ${NAME[i]}->${NAME[o]} d=${divisor} n=${n}`,
                () => K.task_arithmetic(bx.ptr, i, srcs, k, divisor, 0.9, o, dst, n),
                (at) => taskArithmeticRef(at(bx.ptr, n * SIZE[i]), i, refSources(ins, at, n), divisor, 0.9, o, at(dst, n * SIZE[o]), n));
            }
          }
        }
      }
    }
  });

  test('output may be the base or an input (same dtype)', () => {
    const rng = new Rng(12);
    for (const into of ['base', 0, 1] as const) {
      for (const n of [7, 64, 5000]) {
        reset();
        const [bx] = inputs([KBF16], n, rng);
        const ins = inputs([KBF16, KBF16], n, rng);
        const srcs = records(ins, rng);
        const dst = into === 'base' ? bx.ptr : ins[into].ptr;
        same(`task_arithmetic in place into ${into} n=${n}`, () => K.task_arithmetic(bx.ptr, KBF16, srcs, 2, 1, 0.5, KBF16, dst, n),
          (at) => taskArithmeticRef(at(bx.ptr, 2 * n), KBF16, refSources(ins, at, n), 1, 0.5, KBF16, at(dst, 2 * n), n));
      }
    }
  });
});

// ---------------------------------------------------------------------------
// The references against dtype.ts and float64.
// ---------------------------------------------------------------------------

describe('JS reference against src/formats/dtype.ts and float64 arithmetic', () => {
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  const valueOf = (bits: number): number => {
    u32[0] = bits;
    return f32[0];
  };

  test('scalar conversions agree with dtype.ts on every 16-bit pattern and sampled f32s', () => {
    for (let h = 0; h < 65536; h++) {
      const vb = valueOf(bf16ToF32Bits(h));
      const vh = valueOf(f16ToF32Bits(h));
      if (Number.isNaN(bf16ToF32(h))) expect(Number.isNaN(vb)).toBe(true);
      else if (vb !== bf16ToF32(h) || Object.is(vb, -0) !== Object.is(bf16ToF32(h), -0)) throw new Error(`bf16 ${h}`);
      if (Number.isNaN(f16ToF32(h))) expect(Number.isNaN(vh)).toBe(true);
      else if (vh !== f16ToF32(h) || Object.is(vh, -0) !== Object.is(f16ToF32(h), -0)) throw new Error(`f16 ${h}`);
    }
    const rng = new Rng(13);
    for (let j = 0; j < 300000; j++) {
      const b = j < F32_SPECIALS.length ? F32_SPECIALS[j] >>> 0 : f32Bits(rng);
      const x = valueOf(b);
      if (Number.isNaN(x)) {
        // dtype.ts sees a JS NaN (payload not guaranteed); both must give a quiet NaN
        expect(f32BitsToF16(b) & 0x7e00).toBe(0x7e00);
        expect(f32BitsToBf16(b) & 0x7fc0).toBe(0x7fc0);
        continue;
      }
      if (f32BitsToF16(b) !== f32ToF16(x)) throw new Error(`f32->f16 ${b.toString(16)}: ${f32BitsToF16(b).toString(16)} vs dtype.ts ${f32ToF16(x).toString(16)}`);
      if (f32BitsToBf16(b) !== f32ToBf16(x)) throw new Error(`f32->bf16 ${b.toString(16)}: ${f32BitsToBf16(b).toString(16)} vs dtype.ts ${f32ToBf16(x).toString(16)}`);
    }
  });

  test('NaN payload rules of convert', () => {
    expect(f32BitsToBf16(0xff800001)).toBe(0xffc0);
    expect(f32BitsToBf16(0x7f812345)).toBe(0x7fc1);
    expect(f32BitsToF16(0xff802000)).toBe(0xfe01);
    expect(f32BitsToF16(0x7fffffff)).toBe(0x7fff);
    expect(f16ToF32Bits(0xfc01)).toBe(0xff802000);
  });

  /** float64 value → nearest value of the output dtype, via dtype.ts (not js-reference). */
  const roundOut = (o: number, x: number): number => (o === KF32 ? u32Of(x) : o === KF16 ? f32ToF16(x) : f32ToBf16(x));
  const u32Of = (x: number): number => {
    f32[0] = x;
    return u32[0];
  };
  const fr = Math.fround;

  test('linearRef equals an f32 operation chain written out in float64 with dtype.ts codecs', () => {
    const rng = new Rng(14);
    const n = 5000;
    for (const o of DTYPES) {
      const xs = [0, 1, 2].map(() => Uint16Array.from({ length: n }, () => (0x3800 + rng.int(0x0e00)) | (rng.int(2) << 15)));
      const ws = [0.5, -1.25, 0.3];
      const out = new Uint8Array(n * SIZE[o]);
      linearRef(xs.map((x, j) => ({ data: x, dtype: KBF16, weight: ws[j] })), 3, o, out, n);
      const dv = new DataView(out.buffer);
      for (let i = 0; i < n; i++) {
        let acc = fr(fr(ws[0]) * bf16ToF32(xs[0][i]));
        for (let j = 1; j < 3; j++) acc = fr(acc + fr(fr(ws[j]) * bf16ToF32(xs[j][i])));
        const want = roundOut(o, fr(acc / 3));
        const got = o === KF32 ? dv.getUint32(4 * i, true) : dv.getUint16(2 * i, true);
        if (got !== want) throw new Error(`linear ${NAME[o]} element ${i}: ${got.toString(16)} vs ${want.toString(16)}`);
        // and close to the exact float64 result: within one output ulp plus f32 accumulation error
        const exact = xs.reduce((s, x, j) => s + ws[j] * bf16ToF32(x[i]), 0) / 3;
        const v = o === KF32 ? valueOf(got) : o === KF16 ? f16ToF32(got) : bf16ToF32(got);
        const ulp = o === KF32 ? 2 ** -23 : o === KF16 ? 2 ** -10 : 2 ** -7;
        const mag = xs.reduce((s, x, j) => s + Math.abs(ws[j] * bf16ToF32(x[i])), 0);
        expect(Math.abs(v - exact)).toBeLessThanOrEqual(ulp * Math.abs(exact) + 4 * 2 ** -24 * mag + 2 ** -24);
      }
    }
  });

  test('taskArithmeticRef equals the f32 chain in float64 with dtype.ts codecs', () => {
    const rng = new Rng(15);
    const n = 5000;
    const b = Float32Array.from({ length: n }, () => (rng.u32() / 2 ** 32 - 0.5) * 0.1);
    const xs = [0, 1].map(() => Float32Array.from(b, (v) => v + (rng.u32() / 2 ** 32 - 0.5) * 0.01));
    const ws = [0.7, 0.3];
    for (const o of DTYPES) {
      const out = new Uint8Array(n * SIZE[o]);
      taskArithmeticRef(b, KF32, xs.map((x, j) => ({ data: x, dtype: KF32, weight: ws[j] })), 1.25, 0.8, o, out, n);
      const dv = new DataView(out.buffer);
      for (let i = 0; i < n; i++) {
        let m = fr(fr(ws[0]) * fr(xs[0][i] - b[i]));
        m = fr(m + fr(fr(ws[1]) * fr(xs[1][i] - b[i])));
        m = fr(fr(m / 1.25) * fr(0.8));
        const want = roundOut(o, fr(b[i] + m));
        const got = o === KF32 ? dv.getUint32(4 * i, true) : dv.getUint16(2 * i, true);
        if (got !== want) throw new Error(`task_arithmetic ${NAME[o]} element ${i}: ${got.toString(16)} vs ${want.toString(16)}`);
        const exact = b[i] + (0.8 * (ws[0] * (xs[0][i] - b[i]) + ws[1] * (xs[1][i] - b[i]))) / 1.25;
        const v = o === KF32 ? valueOf(got) : o === KF16 ? f16ToF32(got) : bf16ToF32(got);
        const ulp = o === KF32 ? 2 ** -23 : o === KF16 ? 2 ** -10 : 2 ** -7;
        const mag = Math.abs(b[i]) + Math.abs(exact) + ws.reduce((t, w, j) => t + Math.abs(w * (xs[j][i] - b[i])), 0);
        const tiny = o === KF16 ? 2 ** -25 : 2 ** -60; // half the F16 subnormal spacing
        expect(Math.abs(v - exact)).toBeLessThanOrEqual(ulp * Math.abs(exact) + 2 ** -21 * mag + tiny);
      }
    }
  });

  test('arithmetic NaN results are canonical; conversion keeps the NaN sign', () => {
    const src = new Uint32Array([0xffc00001, 0x7f800001, 0xff800000]);
    const out = new Uint16Array(3);
    scaleConvertRef(KF32, src, 1, KBF16, out, 3);
    expect(Array.from(out)).toEqual([0x7fc0, 0x7fc0, 0xff80]);
    convertRef(KF32, src, KBF16, out, 3);
    expect(Array.from(out)).toEqual([0xffc0, 0x7fc0, 0xff80]);
    const o32 = new Uint32Array(1);
    linearRef([{ data: new Uint32Array([0x7f800000]), dtype: KF32, weight: 1 }, { data: new Uint32Array([0xff800000]), dtype: KF32, weight: 1 }], 1, KF32, o32, 1);
    expect(o32[0]).toBe(0x7fc00000);
  });
});
