/** Tensor element types as safetensors names them, and scalar conversions used as references. */

export const DTYPES = ['F64', 'F32', 'F16', 'BF16', 'I64', 'I32', 'I16', 'I8', 'U8', 'BOOL'] as const;
export type DType = (typeof DTYPES)[number];

/** The float types the kernels compute on. Others are copied through byte for byte. */
export type FloatDType = 'F32' | 'F16' | 'BF16';

export const DTYPE_SIZE: Readonly<Record<DType, number>> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1,
};

/** Codes shared with the WebAssembly kernels (wasm/src/lib.rs). */
export const KERNEL_DTYPE_CODE: Readonly<Record<FloatDType, number>> = { F32: 0, F16: 1, BF16: 2 };

export function isDType(s: string): s is DType {
  return (DTYPES as readonly string[]).includes(s);
}

export function isFloatDType(d: DType): d is FloatDType {
  return d === 'F32' || d === 'F16' || d === 'BF16';
}

/** mergekit / torch dtype names → safetensors dtype. */
export const TORCH_DTYPE_NAMES: Readonly<Record<string, FloatDType>> = {
  float32: 'F32', float: 'F32', fp32: 'F32',
  float16: 'F16', half: 'F16', fp16: 'F16',
  bfloat16: 'BF16', bf16: 'BF16',
};

export function torchDTypeName(d: FloatDType): string {
  return d === 'F32' ? 'float32' : d === 'F16' ? 'float16' : 'bfloat16';
}

/** Parses `bfloat16`, `torch.float16`, `float32`, ... Returns undefined when unknown. */
export function parseTorchDType(name: string): FloatDType | undefined {
  const n = name.startsWith('torch.') ? name.slice(6) : name;
  return TORCH_DTYPE_NAMES[n];
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function bf16ToF32(bits: number): number {
  u32[0] = (bits & 0xffff) << 16;
  return f32[0];
}

/** Round to nearest even; NaN stays NaN (quiet, sign kept). */
export function f32ToBf16(x: number): number {
  f32[0] = x;
  const b = u32[0];
  if ((b & 0x7fffffff) > 0x7f800000) return ((b >>> 16) | 0x0040) & 0xffff;
  return ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff;
}

export function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** Round to nearest even; overflow → ±Inf; NaN stays NaN (quiet, sign kept). */
export function f32ToF16(x: number): number {
  f32[0] = x;
  const b = u32[0];
  const sign = (b >>> 16) & 0x8000;
  const absb = b & 0x7fffffff;
  if (absb > 0x7f800000) return sign | 0x7e00 | ((absb >>> 13) & 0x3ff);
  if (absb >= 0x477ff000) return sign | 0x7c00; // rounds to >= 65520 → Inf
  const exp = absb >>> 23;
  if (exp < 113) {
    // subnormal half (or zero): value = absf * 2^24, rounded to nearest even integer
    f32[0] = x < 0 ? -x : x;
    const v = f32[0] * 2 ** 24;
    const r = roundHalfEven(v);
    return sign | r;
  }
  const mant = absb & 0x7fffff;
  let h = ((exp - 112) << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (h & 1))) h += 1;
  return sign | h;
}

function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** Converts a float64 value to the nearest value representable in `d` (as a JS number). */
export function roundTo(d: FloatDType, x: number): number {
  if (d === 'F32') return Math.fround(x);
  if (d === 'BF16') return bf16ToF32(f32ToBf16(Math.fround(x)));
  return f16ToF32(f32ToF16(Math.fround(x)));
}
