/**
 * The quantization binding: pointer-level calls into the instance's memory, the Float32Array
 * helper, contract checks, and independence from how a tensor is split into row ranges (what
 * lets worker threads quantize parts of one tensor in parallel).
 */
import { MergeopsError } from '../../src/errors.js';
import { quantizedBytes, quantizeF32Array, quantizeRows, quantType } from '../../src/kernels/quantize.js';
import { instantiateKernels, loadKernelModule, type KernelExports } from '../../src/kernels/wasm-module.js';
import { QUANT_TYPE_NAMES } from '../../src/quant/types.js';

let k: KernelExports;
beforeAll(async () => {
  k = instantiateKernels(await loadKernelModule());
});

function data(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return ((s / 2 ** 32) - 0.5) * 0.1 * (s % 61 === 0 ? 30 : 1);
  });
}

test.each(QUANT_TYPE_NAMES)('%s: row ranges quantized separately give the same bytes as one call', (name) => {
  const nPerRow = 512;
  const nrows = 6;
  const x = data(nrows * nPerRow, 7);
  const whole = quantizeF32Array(k, name, x, nPerRow);
  expect(whole.length).toBe(quantizedBytes(name, nrows, nPerRow));
  // Rows 0-1, 2, 3-5 as three calls on pointers into the instance's memory, output in place.
  const t = quantType(name);
  const rowOut = quantizedBytes(t, 1, nPerRow);
  const src = ((k.heap_base() >>> 0) + 15) & ~15;
  const dst = src + 4 * x.length + 64;
  const need = dst + whole.length;
  if (need > k.memory.buffer.byteLength) k.memory.grow(Math.ceil((need - k.memory.buffer.byteLength) / 65536));
  new Float32Array(k.memory.buffer, src, x.length).set(x);
  new Uint8Array(k.memory.buffer, dst, whole.length).fill(0xcd);
  for (const [first, count] of [[0, 2], [2, 1], [3, 3]]) {
    quantizeRows(k, t, src + 4 * first * nPerRow, dst + first * rowOut, count, nPerRow);
  }
  expect(Buffer.from(new Uint8Array(k.memory.buffer, dst, whole.length))).toEqual(Buffer.from(whole));
  // the input is left untouched
  expect(new Float32Array(k.memory.buffer, src, x.length)).toEqual(x);
});

test('Q8_0 bytes decode back to the input within half a step', () => {
  const x = data(32 * 64, 3);
  const y = quantizeF32Array(k, 'Q8_0', x, 32 * 64);
  const dv = new DataView(y.buffer, y.byteOffset, y.byteLength);
  for (let b = 0; b < 64; b++) {
    const h = dv.getUint16(34 * b, true);
    const d = (1 + (h & 0x3ff) / 1024) * 2 ** (((h >> 10) & 0x1f) - 15) * (h & 0x8000 ? -1 : 1);
    let amax = 0;
    for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[32 * b + j]));
    for (let j = 0; j < 32; j++) {
      expect(Math.abs(d * dv.getInt8(34 * b + 2 + j) - x[32 * b + j])).toBeLessThanOrEqual(0.51 * d + amax * 1e-3);
    }
  }
});

test('row lengths that are not whole blocks are refused with a hint', () => {
  const x = new Float32Array(192 * 2);
  let err: unknown;
  try {
    quantizeF32Array(k, 'Q4_K', x, 192, 'blk.0.attn_q.weight');
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(MergeopsError);
  expect((err as MergeopsError).code).toBe('SHAPE_MISMATCH');
  expect((err as MergeopsError).message).toContain('blk.0.attn_q.weight');
  expect((err as MergeopsError).message).toContain('blocks of 256');
  expect((err as MergeopsError).hint).toMatch(/fallback/);
  // Q8_0 takes rows of 192 (6 blocks)
  expect(quantizeF32Array(k, 'Q8_0', x, 192).length).toBe(2 * 6 * 34);
});

test('unknown types are refused with the list of supported ones', () => {
  expect(() => quantType('IQ2_XXS')).toThrow(/cannot quantize to 'IQ2_XXS'/);
  expect(() => quantizeF32Array(k, 'Q4_K', new Float32Array(300), 256)).toThrow(/not whole rows/);
});

test('the kernel itself traps on a broken contract', () => {
  const RuntimeError = (WebAssembly as unknown as { RuntimeError: ErrorConstructor }).RuntimeError;
  const base = ((k.heap_base() >>> 0) + 15) & ~15;
  expect(() => k.quantize_q4_k(base, base + 4096, 1, 100)).toThrow(RuntimeError);
});
