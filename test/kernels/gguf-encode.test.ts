/**
 * The GGUF chunk encoder against a plain reference (gguf-arch's applyTransform on the whole
 * tensor, scalar rounding, then the Float32Array quantizer): same bytes for any chunking in whole
 * quanta, the Q/K permutation done while widening, Gemma's shift, the intermediate rounding.
 */
import { applyTransform } from '../support/gguf-transform.js';
import { MergeopsError } from '../../src/errors.js';
import { f32ToBf16, f32ToF16, roundTo, type FloatDType } from '../../src/formats/dtype.js';
import { Arena } from '../../src/kernels/arena.js';
import { encodeChunk, ggufQuantum, type GGUFEncoding } from '../../src/kernels/gguf-encode.js';
import { quantizeF32Array } from '../../src/kernels/quantize.js';
import { instantiateKernels, loadKernelModule } from '../../src/kernels/wasm-module.js';

let arena: Arena;
beforeAll(async () => {
  arena = new Arena(instantiateKernels(await loadKernelModule()));
});

function values(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return ((s / 2 ** 32) - 0.5) * 0.2;
  });
}

/** The tensor as stored in `dtype` (bytes) and the f32 values those bytes hold. */
function stored(v: Float32Array, dtype: FloatDType): { bytes: Uint8Array; f32: Float32Array } {
  const f32 = Float32Array.from(v, (x) => roundTo(dtype, x));
  if (dtype === 'F32') return { bytes: new Uint8Array(f32.buffer.slice(0)), f32 };
  const bits = Uint16Array.from(f32, (x) => (dtype === 'BF16' ? f32ToBf16(x) : f32ToF16(x)));
  return { bytes: new Uint8Array(bits.buffer), f32 };
}

function reference(t: GGUFEncoding, dtype: FloatDType, f32: Float32Array): Uint8Array {
  let v = applyTransform({ permuteHeads: t.permuteHeads, shift: t.shift }, Float32Array.from(f32), [t.rows, t.cols]);
  if (t.shift !== undefined && dtype === 'F16') v = v.map((x) => roundTo('F16', x));
  if (t.intermediate !== undefined) v = v.map((x) => roundTo(t.intermediate!, x));
  const perRow = t.type === 'F32' || t.type === 'F16' || t.type === 'BF16' ? v.length : t.cols;
  return t.type === 'F32' ? new Uint8Array(v.buffer) : quantizeF32Array(arena.k, t.type, v, perRow);
}

/** Encodes the tensor in chunks of `step` elements (a multiple of the quantum), bytes placed by `at`. */
function encodeAll(t: GGUFEncoding, dtype: FloatDType, bytes: Uint8Array, step: number, size: number): Uint8Array {
  const parts: { at: number; b: Uint8Array }[] = [];
  const numel = t.rows * t.cols;
  const el = bytes.length / numel;
  for (let first = 0; first < numel; first += step) {
    const n = Math.min(step, numel - first);
    arena.reset();
    const src = arena.alloc(n * el);
    arena.bytes(src, n * el).set(bytes.subarray(first * el, (first + n) * el));
    const e = encodeChunk(arena, t, src, dtype, first, n);
    parts.push({ at: e.at, b: arena.bytes(e.ptr, e.len).slice() });
  }
  const out = new Uint8Array(size);
  for (const p of parts) out.set(p.b, p.at);
  return out;
}

const base = { name: 'blk.0.x.weight', hfName: 'model.layers.0.x.weight' };
const CASES: { what: string; t: GGUFEncoding; dtype: FloatDType }[] = [
  { what: 'attn_q Q8_0, 4 heads of 16 rows', t: { ...base, rows: 64, cols: 64, type: 'Q8_0', permuteHeads: 4 }, dtype: 'BF16' },
  { what: 'attn_k Q4_K through BF16', t: { ...base, rows: 32, cols: 256, type: 'Q4_K', permuteHeads: 2, intermediate: 'BF16' }, dtype: 'BF16' },
  { what: 'Q6_K through F16 from F32', t: { ...base, rows: 12, cols: 512, type: 'Q6_K', intermediate: 'F16' }, dtype: 'F32' },
  { what: 'F16 type, element-wise chunks', t: { ...base, rows: 10, cols: 96, type: 'F16' }, dtype: 'BF16' },
  { what: 'Gemma norm +1 on F16', t: { ...base, rows: 1, cols: 200, type: 'F32', shift: 1 }, dtype: 'F16' },
];

describe.each(CASES)('$what', ({ t, dtype }) => {
  it('is the reference, whole or in chunks of whole quanta', () => {
    const { bytes, f32 } = stored(values(t.rows * t.cols, 11), dtype);
    const want = reference(t, dtype, f32);
    const q = ggufQuantum(t);
    for (const quanta of [t.rows * t.cols / q, 1, 3]) {
      expect(Buffer.from(encodeAll(t, dtype, bytes, Math.min(t.rows * t.cols, q * quanta), want.length)).equals(Buffer.from(want))).toBe(true);
    }
  });
});

test('quanta: whole heads for Q/K, whole rows for block types, any element otherwise', () => {
  expect(ggufQuantum({ ...base, rows: 64, cols: 64, type: 'Q8_0', permuteHeads: 4 })).toBe(16 * 64);
  expect(ggufQuantum({ ...base, rows: 64, cols: 64, type: 'Q8_0' })).toBe(64);
  expect(ggufQuantum({ ...base, rows: 64, cols: 64, type: 'BF16' })).toBe(1);
  expect(() => ggufQuantum({ ...base, rows: 60, cols: 64, type: 'Q8_0', permuteHeads: 8 })).toThrow(MergeopsError);
});

test('a chunk that is not whole quanta, and non-finite values, are errors', () => {
  const t: GGUFEncoding = { ...base, rows: 4, cols: 64, type: 'Q8_0' };
  arena.reset();
  const src = arena.alloc(4 * 256);
  arena.f32(src, 256).set(values(256, 3));
  expect(() => encodeChunk(arena, t, src, 'F32', 32, 64)).toThrow(/not whole chunks/);
  arena.f32(src, 256)[70] = NaN;
  expect(() => encodeChunk(arena, t, src, 'F32', 0, 256)).toThrow(/non-finite value \(NaN\) at element 70/);
});
