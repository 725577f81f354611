/**
 * Quantization through the WebAssembly kernels: rows of f32 already in an instance's memory
 * → GGUF block bytes in the same memory (what the GGUF sink does inside a kernel worker,
 * without copies), and a copy-in/copy-out helper for Float32Arrays (tests, the standalone
 * quantizer, benchmarks).
 *
 * Output bytes equal llama.cpp's `ggml_quantize_chunk` without an importance matrix (what
 * `llama-quantize` calls), for every type in QUANT_TYPE_NAMES.
 */
import { MergeopsError } from '../errors.js';
import { ggmlTypeByName, isQuantTypeName, QUANT_TYPE_NAMES, rowBytes, type GgmlTypeInfo, type QuantTypeName } from '../quant/types.js';
import type { KernelExports } from './wasm-module.js';

/** The type's row, checked to be one mergeops can write. */
export function quantType(name: string): GgmlTypeInfo {
  const t = isQuantTypeName(name.toUpperCase()) ? ggmlTypeByName(name) : undefined;
  if (!t) {
    throw new MergeopsError('USAGE', `cannot quantize to '${name}'`, `use one of ${QUANT_TYPE_NAMES.join(', ')}`);
  }
  return t;
}

function checkRow(t: GgmlTypeInfo, nPerRow: number, what: string): void {
  if (!Number.isInteger(nPerRow) || nPerRow <= 0 || nPerRow % t.blockSize !== 0) {
    throw new MergeopsError(
      'SHAPE_MISMATCH',
      `${what}: rows of ${nPerRow} elements cannot be quantized to ${t.name} (blocks of ${t.blockSize})`,
      t.blockSize === 256
        ? 'llama.cpp quantizes such tensors with a fallback type (Q4_0/Q5_0/Q5_1/Q8_0, blocks of 32); pick one for this tensor'
        : `use a type whose block size divides ${nPerRow}, or F16/BF16/F32`,
    );
  }
}

/** Output bytes of `nrows` rows of `nPerRow` elements. */
export function quantizedBytes(type: QuantTypeName | GgmlTypeInfo, nrows: number, nPerRow: number): number {
  const t = typeof type === 'string' ? quantType(type) : type;
  return nrows * rowBytes(t, nPerRow);
}

/**
 * Quantizes `nrows × nPerRow` f32 at `src` (4-byte aligned) into `dst` (quantizedBytes()
 * bytes), both byte offsets in `k.memory`; the ranges must not overlap. Single-threaded:
 * callers split tensors into row ranges across workers (the result does not depend on the split).
 */
export function quantizeRows(k: KernelExports, type: QuantTypeName | GgmlTypeInfo, src: number, dst: number, nrows: number, nPerRow: number, what = 'tensor'): void {
  const t = typeof type === 'string' ? quantType(type) : type;
  checkRow(t, nPerRow, what);
  if (t.name === 'F32') {
    k.convert(0, src, 0, dst, nrows * nPerRow);
    return;
  }
  if (!t.kernel) throw new MergeopsError('USAGE', `cannot quantize to ${t.name}`, `use one of ${QUANT_TYPE_NAMES.join(', ')}`);
  k[t.kernel](src, dst, nrows, nPerRow);
}

/** Grows `k.memory` so that [0, bytes) is addressable. */
function ensureMemory(k: KernelExports, bytes: number): void {
  const have = k.memory.buffer.byteLength;
  if (bytes > have) k.memory.grow(Math.ceil((bytes - have) / 65536));
}

/**
 * Quantizes a whole Float32Array (rows of `nPerRow`) and returns the GGUF bytes. Uses the
 * instance's memory from `heap_base()` up as scratch (overwrites it).
 */
export function quantizeF32Array(k: KernelExports, type: QuantTypeName | GgmlTypeInfo, data: Float32Array, nPerRow: number, what = 'tensor'): Uint8Array {
  const t = typeof type === 'string' ? quantType(type) : type;
  checkRow(t, nPerRow, what);
  if (data.length % nPerRow !== 0) {
    throw new MergeopsError('SHAPE_MISMATCH', `${what}: ${data.length} elements are not whole rows of ${nPerRow}`, 'pass the tensor\'s last dimension as the row length');
  }
  const nrows = data.length / nPerRow;
  const out = quantizedBytes(t, nrows, nPerRow);
  const src = ((k.heap_base() >>> 0) + 15) & ~15;
  const dst = (src + data.byteLength + 15) & ~15;
  ensureMemory(k, dst + out);
  new Float32Array(k.memory.buffer, src, data.length).set(data);
  quantizeRows(k, t, src, dst, nrows, nPerRow, what);
  return new Uint8Array(k.memory.buffer, dst, out).slice();
}
