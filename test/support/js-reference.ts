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

// Lookup tables (built on first use): 16-bit pattern → f32 bits / f32 value.
let f16BitsTable: Uint32Array | undefined;
let f16ValueTable: Float32Array | undefined;
let bf16ValueTable: Float32Array | undefined;

function f16Bits(): Uint32Array {
  if (!f16BitsTable) {
    f16BitsTable = new Uint32Array(65536);
    for (let h = 0; h < 65536; h++) f16BitsTable[h] = f16ToF32Bits(h);
  }
  return f16BitsTable;
}

/** F16 pattern → its value as a Float32Array element (arithmetic only: a NaN is just NaN). */
function f16Values(): Float32Array {
  if (!f16ValueTable) f16ValueTable = new Float32Array(f16Bits().slice().buffer);
  return f16ValueTable;
}

function bf16Values(): Float32Array {
  if (!bf16ValueTable) {
    const u = new Uint32Array(65536);
    for (let h = 0; h < 65536; h++) u[h] = h << 16;
    bf16ValueTable = new Float32Array(u.buffer);
  }
  return bf16ValueTable;
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
// Block passes. Arithmetic kernels work on blocks of BLOCK elements: one fused pass per
// input (load + multiply + add into an f32 accumulator block), then one pass that finishes
// the formula and rounds to the output dtype. Each loop sees one typed-array kind only.
// ---------------------------------------------------------------------------

const BLOCK = 4096;

type Words = Uint16Array | Uint32Array;

/** An arithmetic input: its values are read either as f32 (F32) or through a value table. */
interface ValueSource {
  f32?: Float32Array;
  u16?: Uint16Array;
  table?: Float32Array;
}

function valueSource(words: Words, dtype: number): ValueSource {
  if (dtype === KF32) return { f32: new Float32Array(words.buffer, words.byteOffset, words.length) };
  return { u16: words as Uint16Array, table: dtype === KF16 ? f16Values() : bf16Values() };
}

/** acc[j] = w * x[start + j] (first) or acc[j] = acc[j] + w * x[start + j], f32 steps. */
function accumulate(acc: Float32Array, first: boolean, src: ValueSource, start: number, len: number, w: number): void {
  if (src.f32) {
    const x = src.f32;
    if (first) for (let j = 0; j < len; j++) acc[j] = Math.fround(w * x[start + j]);
    else for (let j = 0; j < len; j++) acc[j] = Math.fround(acc[j] + Math.fround(w * x[start + j]));
  } else {
    const x = src.u16!;
    const t = src.table!;
    if (first) for (let j = 0; j < len; j++) acc[j] = Math.fround(w * t[x[start + j]]);
    else for (let j = 0; j < len; j++) acc[j] = Math.fround(acc[j] + Math.fround(w * t[x[start + j]]));
  }
}

/** The same for task vectors: acc[j] (+)= w * (x[start + j] - b[j]). */
function accumulateDelta(acc: Float32Array, first: boolean, src: ValueSource, b: Float32Array, start: number, len: number, w: number): void {
  if (src.f32) {
    const x = src.f32;
    if (first) for (let j = 0; j < len; j++) acc[j] = Math.fround(w * Math.fround(x[start + j] - b[j]));
    else for (let j = 0; j < len; j++) acc[j] = Math.fround(acc[j] + Math.fround(w * Math.fround(x[start + j] - b[j])));
  } else {
    const x = src.u16!;
    const t = src.table!;
    if (first) for (let j = 0; j < len; j++) acc[j] = Math.fround(w * Math.fround(t[x[start + j]] - b[j]));
    else for (let j = 0; j < len; j++) acc[j] = Math.fround(acc[j] + Math.fround(w * Math.fround(t[x[start + j]] - b[j])));
  }
}

/** b[j] = x[start + j] as f32 values. */
function loadValues(b: Float32Array, src: ValueSource, start: number, len: number): void {
  if (src.f32) {
    b.set(src.f32.subarray(start, start + len));
  } else {
    const x = src.u16!;
    const t = src.table!;
    for (let j = 0; j < len; j++) b[j] = t[x[start + j]];
  }
}

/**
 * Rounds `len` arithmetic results (f32 bits in `bits`) into `dst` from `start`, every NaN as
 * the canonical NaN.
 */
function storeCanonical(outDtype: number, bits: Uint32Array, len: number, dst: Words, start: number): void {
  if (outDtype === KF32) {
    const d = dst as Uint32Array;
    for (let j = 0; j < len; j++) {
      const b = bits[j];
      d[start + j] = (b & 0x7fffffff) > 0x7f800000 ? CANONICAL_NAN_F32 : b;
    }
  } else if (outDtype === KBF16) {
    const d = dst as Uint16Array;
    for (let j = 0; j < len; j++) {
      const b = bits[j];
      d[start + j] = (b & 0x7fffffff) > 0x7f800000 ? 0x7fc0 : (b + 0x7fff + ((b >>> 16) & 1)) >>> 16;
    }
  } else {
    const d = dst as Uint16Array;
    for (let j = 0; j < len; j++) {
      const b = bits[j];
      d[start + j] = (b & 0x7fffffff) > 0x7f800000 ? 0x7e00 : f32BitsToF16(b);
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

let bf16ToF16Table: Uint16Array | undefined;
let f16ToBf16Table: Uint16Array | undefined;

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
  if (outDtype === KF32) {
    const d = o.w as Uint32Array;
    const x = s as Uint16Array;
    if (inDtype === KBF16) for (let i = 0; i < n; i++) d[i] = x[i] << 16;
    else {
      const t = f16Bits();
      for (let i = 0; i < n; i++) d[i] = t[x[i]];
    }
  } else if (inDtype === KF32) {
    const d = o.w as Uint16Array;
    const x = s as Uint32Array;
    if (outDtype === KBF16) for (let i = 0; i < n; i++) d[i] = f32BitsToBf16(x[i]);
    else for (let i = 0; i < n; i++) d[i] = f32BitsToF16(x[i]);
  } else {
    // 16-bit to 16-bit through one table of all 65536 patterns
    let t: Uint16Array;
    if (inDtype === KBF16) {
      if (!bf16ToF16Table) bf16ToF16Table = Uint16Array.from({ length: 65536 }, (_, h) => f32BitsToF16(bf16ToF32Bits(h)));
      t = bf16ToF16Table;
    } else {
      if (!f16ToBf16Table) f16ToBf16Table = Uint16Array.from({ length: 65536 }, (_, h) => f32BitsToBf16(f16ToF32Bits(h)));
      t = f16ToBf16Table;
    }
    const d = o.w as Uint16Array;
    const x = s as Uint16Array;
    for (let i = 0; i < n; i++) d[i] = t[x[i]];
  }
  o.done();
}

/** `scale_convert`: dst[i] = round_out(f32(src[i] * scale)), NaN canonical. */
export function scaleConvertRef(
  inDtype: number, src: ArrayBufferView, scale: number, outDtype: number, dst: ArrayBufferView, n: number,
): void {
  const x = valueSource(inWords(src, inDtype, n, 'src'), inDtype);
  const o = outWords(dst, outDtype, n);
  const t = new Scratch();
  for (let i = 0; i < n; i += BLOCK) {
    const len = Math.min(BLOCK, n - i);
    accumulate(t.f, true, x, i, len, Math.fround(scale));
    storeCanonical(outDtype, t.u, len, o.w, i);
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
  const ins = srcs.map((s, j) => ({ x: valueSource(inWords(s.data, s.dtype, n, `srcs[${j}]`), s.dtype), w: Math.fround(s.weight) }));
  const o = outWords(dst, outDtype, n);
  const acc = new Scratch();
  const a = acc.f;
  for (let i = 0; i < n; i += BLOCK) {
    const len = Math.min(BLOCK, n - i);
    for (let r = 0; r < ins.length; r++) accumulate(a, r === 0, ins[r].x, i, len, ins[r].w);
    if (d !== 1) for (let j = 0; j < len; j++) a[j] = Math.fround(a[j] / d); // x / 1 === x
    storeCanonical(outDtype, acc.u, len, o.w, i);
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
  const bx = valueSource(inWords(base, baseDtype, n, 'base'), baseDtype);
  const ins = srcs.map((s, j) => ({ x: valueSource(inWords(s.data, s.dtype, n, `srcs[${j}]`), s.dtype), w: Math.fround(s.weight) }));
  const o = outWords(dst, outDtype, n);
  const bb = new Scratch();
  const acc = new Scratch();
  const b = bb.f;
  const m = acc.f;
  for (let i = 0; i < n; i += BLOCK) {
    const len = Math.min(BLOCK, n - i);
    loadValues(b, bx, i, len);
    for (let r = 0; r < ins.length; r++) accumulateDelta(m, r === 0, ins[r].x, b, i, len, ins[r].w);
    for (let j = 0; j < len; j++) m[j] = Math.fround(b[j] + Math.fround(Math.fround(m[j] / d) * lam));
    storeCanonical(outDtype, acc.u, len, o.w, i);
  }
  o.done();
}
