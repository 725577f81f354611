/** Test-side helpers: read tensors as float64 and round float64 values to a dtype directly. */
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16, type FloatDType } from '../../src/formats/dtype.js';
import { readLocalModel, readTensorBytes } from '../../src/hub/local.js';

export interface F64Tensor {
  dtype: string;
  shape: number[];
  data: Float64Array;
  bytes: Uint8Array;
}

export function decode(dtype: string, bytes: Uint8Array): Float64Array {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dtype === 'F32') return Float64Array.from({ length: bytes.length / 4 }, (_, i) => dv.getFloat32(4 * i, true));
  if (dtype === 'BF16') return Float64Array.from({ length: bytes.length / 2 }, (_, i) => bf16ToF32(dv.getUint16(2 * i, true)));
  if (dtype === 'F16') return Float64Array.from({ length: bytes.length / 2 }, (_, i) => f16ToF32(dv.getUint16(2 * i, true)));
  throw new Error(`decode: ${dtype}`);
}

/** Every tensor of a model folder, decoded. */
export async function readModelF64(dir: string): Promise<Map<string, F64Tensor>> {
  const m = await readLocalModel(dir);
  const out = new Map<string, F64Tensor>();
  for (const t of m.tensors.values()) {
    const bytes = await readTensorBytes(t);
    out.set(t.name, { dtype: t.dtype, shape: t.shape, data: decode(t.dtype, bytes), bytes });
  }
  return out;
}

/**
 * Bits of the value of dtype `d` nearest to the float64 `x` (ties to even), rounded directly
 * from float64 — not through float32, so the reference never rounds twice.
 */
export function roundF64Bits(d: FloatDType, x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (d === 'F32') {
    const f = new Float32Array([x]);
    return new Uint32Array(f.buffer)[0];
  }
  const toBits = d === 'BF16' ? f32ToBf16 : f32ToF16;
  const toVal = d === 'BF16' ? bf16ToF32 : f16ToF32;
  const b = toBits(Math.fround(x));
  let best = b;
  let bestErr = Math.abs(toVal(b) - x);
  for (const c of [b - 1, b + 1]) {
    if ((c & 0x7fff) === 0x7fff || ((c ^ b) & 0x8000) !== 0) continue;
    const v = toVal(c & 0xffff);
    if (!Number.isFinite(v)) continue;
    const err = Math.abs(v - x);
    if (err < bestErr || (err === bestErr && (c & 1) === 0)) { best = c; bestErr = err; }
  }
  return best & 0xffff;
}

/** Raw element bits of an encoded tensor. */
export function bitsOf(dtype: string, bytes: Uint8Array): Uint32Array {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = dtype === 'F32' ? 4 : 2;
  return Uint32Array.from({ length: bytes.length / size }, (_, i) => (size === 4 ? dv.getUint32(4 * i, true) : dv.getUint16(2 * i, true)));
}

export interface Comparison {
  n: number;
  /** Elements whose bits differ from the reference. */
  mismatches: number;
  /** Largest difference in units in the last place. */
  maxUlp: number;
}

/** Compares output bits with the reference values rounded directly to the output dtype. */
export function compareWithReference(dtype: FloatDType, outBytes: Uint8Array, ref: Float64Array): Comparison {
  const bits = bitsOf(dtype, outBytes);
  let mismatches = 0;
  let maxUlp = 0;
  for (let i = 0; i < ref.length; i++) {
    const want = roundF64Bits(dtype, ref[i]);
    if (bits[i] !== want) {
      mismatches++;
      maxUlp = Math.max(maxUlp, ulpDistance(dtype, bits[i], want));
    }
  }
  return { n: ref.length, mismatches, maxUlp };
}

function ulpDistance(d: FloatDType, a: number, b: number): number {
  const signBit = d === 'F32' ? 0x80000000 : 0x8000;
  const ord = (x: number): number => ((x & signBit) !== 0 ? -(x & (signBit - 1)) : x);
  return Math.abs(ord(a >>> 0) - ord(b >>> 0));
}
