/**
 * Plain-JavaScript versions of every WebAssembly kernel (wasm/src/lib.rs), bit-exact with
 * them. They are the scalar reference in the kernel tests and the "plain JS" contender in
 * the benchmarks; nothing in a hot path calls them.
 *
 * Every f32 operation is a float64 operation followed by Math.fround (exact for + - * /
 * of float32 operands: double rounding through float64 is innocuous for them). Dtype
 * conversions work on bit patterns only, never through a JS number, so NaN payloads
 * survive exactly as in the kernels.
 *
 * Tensors are passed as typed-array views (Uint8Array, Float32Array, ...) whose first byte
 * is element 0; `n` is the element count. Views at any byte offset work (misaligned ones
 * are copied first). Outputs may alias inputs exactly as the kernels allow.
 *
 * Rules (see wasm/src/convert.rs): widening exact; narrowing rounds to nearest even, F16
 * overflow → ±Inf, F16 subnormals kept; `convert` keeps a NaN's sign and payload (BF16
 * `(bits >> 16) | 0x40`, F16 `sign | 0x7e00 | (mant >> 13 & 0x3ff)`); the arithmetic
 * kernels write every NaN result as the canonical NaN (F32 0x7fc00000, F16 0x7e00,
 * BF16 0x7fc0).
 */

/** Kernel dtype codes (= KERNEL_DTYPE_CODE in src/formats/dtype.ts). */
export const KF32 = 0;
export const KF16 = 1;
export const KBF16 = 2;

export const CANONICAL_NAN_F32 = 0x7fc00000;

/** One input of `linearRef` / `taskArithmeticRef` (the JS form of a 12-byte record). */
export interface RefSource {
  data: ArrayBufferView;
  /** kernel dtype code: 0 = F32, 1 = F16, 2 = BF16 */
  dtype: number;
  weight: number;
}

// ---------------------------------------------------------------------------
// Scalar bit-level conversions.
// ---------------------------------------------------------------------------

/** BF16 bits → F32 bits (exact). */
export function bf16ToF32Bits(h: number): number {
  return ((h & 0xffff) << 16) >>> 0;
}

/** F32 bits → BF16 bits: nearest even; NaN keeps its sign and gets the quiet bit. */
export function f32BitsToBf16(b: number): number {
  b >>>= 0;
  if ((b & 0x7fffffff) > 0x7f800000) return ((b >>> 16) | 0x0040) & 0xffff;
  return ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff;
}

/** F16 bits → F32 bits (exact: subnormals normalised, Inf/NaN payload and sign kept). */
export function f16ToF32Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  let mag: number;
  if (e === 0x1f) mag = 0x7f800000 | (m << 13);
  else if (e !== 0) mag = ((e + 112) << 23) | (m << 13);
  else if (m === 0) mag = 0;
  else {
    const p = 31 - Math.clz32(m); // top set bit, 0..9
    mag = ((p + 103) << 23) | ((m << (23 - p)) & 0x7fffff);
  }
  return (sign | mag) >>> 0;
}

/**
 * F32 bits → F16 bits: nearest even, overflow → ±Inf, NaN → sign|0x7e00|mant>>13.
 * Bit-identical to f32ToF16 in src/formats/dtype.ts.
 */
export function f32BitsToF16(b: number): number {
  const sign = (b >>> 16) & 0x8000;
  const a = b & 0x7fffffff;
  if (a > 0x7f800000) return sign | 0x7e00 | ((a >>> 13) & 0x3ff);
  if (a >= 0x477ff000) return sign | 0x7c00;
  if (a < 0x38800000) {
    // half subnormal or zero: m * 2^(e - 150) in units of 2^-24 is m >> (126 - e)
    let e = a >>> 23;
    let m = a & 0x7fffff;
    if (e === 0) e = 1;
    else m |= 0x800000;
    const s = 126 - e; // >= 14
    if (s > 24) return sign;
    let r = m >>> s;
    const rem = m & ((1 << s) - 1);
    const half = 1 << (s - 1);
    if (rem > half || (rem === half && (r & 1) === 1)) r += 1;
    return sign | r;
  }
  let h = (((a >>> 23) - 112) << 10) | ((a >>> 13) & 0x3ff);
  const rest = a & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (h & 1) === 1)) h += 1;
  return sign | h;
}

let f16Table: Uint32Array | undefined;
/** F16 bits → F32 bits for all 65536 patterns. */
function f16ToF32Table(): Uint32Array {
  if (!f16Table) {
    f16Table = new Uint32Array(65536);
    for (let h = 0; h < 65536; h++) f16Table[h] = f16ToF32Bits(h);
  }
  return f16Table;
}

// ---------------------------------------------------------------------------
// Views.
// ---------------------------------------------------------------------------

function elemSize(dtype: number): number {
  if (dtype === KF32) return 4;
  if (dtype === KF16 || dtype === KBF16) return 2;
  throw new RangeError(`unknown kernel dtype code ${dtype} (0 = F32, 1 = F16, 2 = BF16)`);
}

function bytesOf(v: ArrayBufferView, bytes: number, what: string): Uint8Array {
  if (v.byteLength < bytes) throw new RangeError(`${what}: view has ${v.byteLength} bytes, needs ${bytes}`);
  return new Uint8Array(v.buffer, v.byteOffset, bytes);
}

/** An input as 16- or 32-bit words (copied when misaligned). */
function inWords(v: ArrayBufferView, dtype: number, n: number, what: string): Uint16Array | Uint32Array {
  const size = elemSize(dtype);
  const bytes = bytesOf(v, n * size, what);
  if (bytes.byteOffset % size !== 0) {
    const copy = bytes.slice();
    return size === 4 ? new Uint32Array(copy.buffer, 0, n) : new Uint16Array(copy.buffer, 0, n);
  }
  return size === 4 ? new Uint32Array(bytes.buffer, bytes.byteOffset, n) : new Uint16Array(bytes.buffer, bytes.byteOffset, n);
}

/** An output as words; `done()` copies back when the view was misaligned. */
function outWords(v: ArrayBufferView, dtype: number, n: number): { w: Uint16Array | Uint32Array; done: () => void } {
  const size = elemSize(dtype);
  const bytes = bytesOf(v, n * size, 'dst');
  if (bytes.byteOffset % size !== 0) {
    const tmp = new Uint8Array(n * size);
    const w = size === 4 ? new Uint32Array(tmp.buffer) : new Uint16Array(tmp.buffer);
    return { w, done: () => bytes.set(tmp) };
  }
  const w = size === 4 ? new Uint32Array(bytes.buffer, bytes.byteOffset, n) : new Uint16Array(bytes.buffer, bytes.byteOffset, n);
  return { w, done: () => {} };
}

// ---------------------------------------------------------------------------
// Block codecs: elements [start, start + len) ↔ an f32 block (as bits).
// ---------------------------------------------------------------------------

const BLOCK = 4096;

/** Widens `len` elements from `start` into `out` (f32 bits). */
function decode(dtype: number, src: Uint16Array | Uint32Array, start: number, len: number, out: Uint32Array): void {
  if (dtype === KF32) {
    out.set(src.subarray(start, start + len));
  } else if (dtype === KBF16) {
    for (let j = 0; j < len; j++) out[j] = src[start + j] << 16;
  } else {
    const t = f16ToF32Table();
    for (let j = 0; j < len; j++) out[j] = t[src[start + j]];
  }
}

/** Narrows `len` f32 bit patterns into `dst` from `start`; `canonical` turns NaN into the canonical NaN. */
function encode(dtype: number, bits: Uint32Array, len: number, dst: Uint16Array | Uint32Array, start: number, canonical: boolean): void {
  if (dtype === KF32) {
    if (!canonical) {
      dst.set(bits.subarray(0, len), start);
      return;
    }
    for (let j = 0; j < len; j++) {
      const b = bits[j];
      dst[start + j] = (b & 0x7fffffff) > 0x7f800000 ? CANONICAL_NAN_F32 : b;
    }
  } else if (dtype === KBF16) {
    for (let j = 0; j < len; j++) {
      const b = bits[j];
      if ((b & 0x7fffffff) > 0x7f800000) dst[start + j] = canonical ? 0x7fc0 : (b >>> 16) | 0x0040;
      else dst[start + j] = (b + 0x7fff + ((b >>> 16) & 1)) >>> 16;
    }
  } else {
    for (let j = 0; j < len; j++) {
      const b = bits[j];
      dst[start + j] = canonical && (b & 0x7fffffff) > 0x7f800000 ? 0x7e00 : f32BitsToF16(b);
    }
  }
}

class Scratch {
  readonly f: Float32Array;
  readonly u: Uint32Array;
  constructor() {
    this.f = new Float32Array(BLOCK);
    this.u = new Uint32Array(this.f.buffer);
  }
}

// ---------------------------------------------------------------------------
// Kernels.
// ---------------------------------------------------------------------------

/** `convert`: dst[i] = round_out(src[i]); same dtype is a bit copy. */
export function convertRef(inDtype: number, src: ArrayBufferView, outDtype: number, dst: ArrayBufferView, n: number): void {
  if (inDtype === outDtype) {
    const bytes = n * elemSize(inDtype);
    bytesOf(dst, bytes, 'dst').set(bytesOf(src, bytes, 'src'));
    return;
  }
  const s = inWords(src, inDtype, n, 'src');
  const o = outWords(dst, outDtype, n);
  const t = new Scratch();
  for (let i = 0; i < n; i += BLOCK) {
    const len = Math.min(BLOCK, n - i);
    decode(inDtype, s, i, len, t.u);
    encode(outDtype, t.u, len, o.w, i, false);
  }
  o.done();
}

/** `scale_convert`: dst[i] = round_out(f32(src[i] * scale)), NaN canonical. */
export function scaleConvertRef(
  inDtype: number, src: ArrayBufferView, scale: number, outDtype: number, dst: ArrayBufferView, n: number,
): void {
  const sc = Math.fround(scale);
  const s = inWords(src, inDtype, n, 'src');
  const o = outWords(dst, outDtype, n);
  const t = new Scratch();
  const x = t.f;
  for (let i = 0; i < n; i += BLOCK) {
    const len = Math.min(BLOCK, n - i);
    decode(inDtype, s, i, len, t.u);
    for (let j = 0; j < len; j++) x[j] = Math.fround(x[j] * sc);
    encode(outDtype, t.u, len, o.w, i, true);
  }
  o.done();
}

/**
 * `linear`: acc = w0*x0; acc = acc + w1*x1; ... (f32, in order, not fused);
 * dst[i] = round_out(f32(acc / divisor)), NaN canonical. `srcs.length >= 1`.
 */
export function linearRef(srcs: readonly RefSource[], divisor: number, outDtype: number, dst: ArrayBufferView, n: number): void {
  if (srcs.length < 1) throw new RangeError('linearRef needs at least one source');
  const d = Math.fround(divisor);
  const ins = srcs.map((s, j) => ({ w: inWords(s.data, s.dtype, n, `srcs[${j}]`), dtype: s.dtype, weight: Math.fround(s.weight) }));
  const o = outWords(dst, outDtype, n);
  const acc = new Scratch();
  const t = new Scratch();
  const a = acc.f;
  const x = t.f;
  for (let i = 0; i < n; i += BLOCK) {
    const len = Math.min(BLOCK, n - i);
    for (let r = 0; r < ins.length; r++) {
      const { w: words, dtype, weight } = ins[r];
      decode(dtype, words, i, len, t.u);
      if (r === 0) for (let j = 0; j < len; j++) a[j] = Math.fround(weight * x[j]);
      else for (let j = 0; j < len; j++) a[j] = Math.fround(a[j] + Math.fround(weight * x[j]));
    }
    for (let j = 0; j < len; j++) a[j] = Math.fround(a[j] / d);
    encode(outDtype, acc.u, len, o.w, i, true);
  }
  o.done();
}

/**
 * `task_arithmetic`: m = w0*(x0-b); m = m + w1*(x1-b); ...; m = m / divisor; m = m * lambda;
 * dst[i] = round_out(f32(b + m)), NaN canonical (all f32, not fused). With no sources it is
 * `convertRef(baseDtype, base, outDtype, dst, n)`.
 */
export function taskArithmeticRef(
  base: ArrayBufferView, baseDtype: number, srcs: readonly RefSource[], divisor: number, lambda: number,
  outDtype: number, dst: ArrayBufferView, n: number,
): void {
  if (srcs.length === 0) {
    convertRef(baseDtype, base, outDtype, dst, n);
    return;
  }
  const d = Math.fround(divisor);
  const lam = Math.fround(lambda);
  const bw = inWords(base, baseDtype, n, 'base');
  const ins = srcs.map((s, j) => ({ w: inWords(s.data, s.dtype, n, `srcs[${j}]`), dtype: s.dtype, weight: Math.fround(s.weight) }));
  const o = outWords(dst, outDtype, n);
  const bb = new Scratch();
  const acc = new Scratch();
  const t = new Scratch();
  const b = bb.f;
  const m = acc.f;
  const x = t.f;
  for (let i = 0; i < n; i += BLOCK) {
    const len = Math.min(BLOCK, n - i);
    decode(baseDtype, bw, i, len, bb.u);
    for (let r = 0; r < ins.length; r++) {
      const { w: words, dtype, weight } = ins[r];
      decode(dtype, words, i, len, t.u);
      if (r === 0) for (let j = 0; j < len; j++) m[j] = Math.fround(weight * Math.fround(x[j] - b[j]));
      else for (let j = 0; j < len; j++) m[j] = Math.fround(m[j] + Math.fround(weight * Math.fround(x[j] - b[j])));
    }
    for (let j = 0; j < len; j++) m[j] = Math.fround(b[j] + Math.fround(Math.fround(m[j] / d) * lam));
    encode(outDtype, acc.u, len, o.w, i, true);
  }
  o.done();
}
