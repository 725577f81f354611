/**
 * Loads the WebAssembly kernels (built from wasm/ by scripts/build-wasm.sh into
 * dist/kernels.wasm; the build copies it beside this module, and the bundle ships it
 * beside dist/cli.js).
 *
 * The module imports nothing and exports its own memory. JavaScript owns every byte from
 * `heap_base()` up, grows the memory itself (maximum 4 GiB) and passes byte offsets.
 * Pointers are u32: pass any number in [0, 2^32); a pointer returned to JS needs `>>> 0`.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** Kernel dtype codes: 0 = F32, 1 = F16, 2 = BF16 (KERNEL_DTYPE_CODE in src/formats/dtype.ts). */
export type KernelDTypeCode = number;

/**
 * The kernels' exports. Every pointer is a byte offset in `memory`, `n` an element count.
 * Invalid dtype codes (and `k = 0` for `linear`) trap with a RuntimeError.
 * Records (`srcs`) are `k` × 12 bytes, little endian: `{ptr: u32, dtype: u32, weight: f32}`.
 * Alignment: 16-bit tensors on 2-byte, F32 tensors and record tables on 4-byte boundaries.
 */
export interface KernelExports {
  readonly memory: WebAssembly.Memory;
  /** First byte after the module's stack and static data; returns an i32, use `>>> 0`. */
  heap_base(): number;
  /**
   * dst[i] = round(src[i]) for i < n: widening exact, narrowing nearest-even, NaN keeps its
   * sign; same dtype = bit copy. dst may equal src only for equal element sizes, else no overlap.
   */
  convert(inDtype: KernelDTypeCode, src: number, outDtype: KernelDTypeCode, dst: number, n: number): void;
  /** dst[i] = round(f32(src[i] * scale)), NaN canonical. Aliasing as `convert`. */
  scale_convert(inDtype: KernelDTypeCode, src: number, scale: number, outDtype: KernelDTypeCode, dst: number, n: number): void;
  /**
   * acc = w0*x0; acc = acc + w1*x1; ... (f32, record order, not fused); dst[i] = round(acc / divisor).
   * k >= 1. dst must not overlap an input unless it equals that input's pointer and dtype.
   */
  linear(srcs: number, k: number, divisor: number, outDtype: KernelDTypeCode, dst: number, n: number): void;
  /**
   * m = w0*(x0-b); m = m + w1*(x1-b); ...; m = m / divisor; m = m * lambda; dst[i] = round(b + m).
   * k may be 0 (then a `convert` of the base). Aliasing as `linear` (the base included).
   */
  task_arithmetic(
    basePtr: number, baseDtype: KernelDTypeCode, srcs: number, k: number, divisor: number, lambda: number,
    outDtype: KernelDTypeCode, dst: number, n: number,
  ): void;
  /**
   * GGUF quantizers (wasm/src/quant_legacy.rs, quant_k.rs), one per type, bit-identical to
   * llama.cpp's `ggml_quantize_chunk` without imatrix. Each reads `nrows * nPerRow` f32 at `src`
   * (4-byte aligned) and writes `nrows * nPerRow / block * bytesPerBlock` bytes at `dst` (no
   * overlap). Traps unless `nPerRow` is a multiple of the block (32; 256 for K-quants; 1 for F16/BF16).
   */
  quantize_f16(src: number, dst: number, nrows: number, nPerRow: number): void;
  quantize_bf16(src: number, dst: number, nrows: number, nPerRow: number): void;
  quantize_q8_0(src: number, dst: number, nrows: number, nPerRow: number): void;
  quantize_q4_0(src: number, dst: number, nrows: number, nPerRow: number): void;
  quantize_q4_1(src: number, dst: number, nrows: number, nPerRow: number): void;
  quantize_q5_0(src: number, dst: number, nrows: number, nPerRow: number): void;
  quantize_q5_1(src: number, dst: number, nrows: number, nPerRow: number): void;
  quantize_q2_k(src: number, dst: number, nrows: number, nPerRow: number): void;
  quantize_q3_k(src: number, dst: number, nrows: number, nPerRow: number): void;
  quantize_q4_k(src: number, dst: number, nrows: number, nPerRow: number): void;
  quantize_q5_k(src: number, dst: number, nrows: number, nPerRow: number): void;
  quantize_q6_k(src: number, dst: number, nrows: number, nPerRow: number): void;
  /**
   * LoRA patch, in place, of `n` F32 elements of a [rows, cols] weight starting at column `col0`
   * of some row i0: x[e] = x[e] + scale·(B·A)[i, j] with, per element, acc = B[i,0]·A[0,j];
   * acc = acc + B[i,k]·A[k,j] for k = 1..rank-1 (f32, not fused), then x + acc·scale.
   * Reads/writes F32 `x[n]`; reads F32 `b` = rows i0 .. i0 + ceil((col0 + n) / cols) of B
   * ([.., rank]) and F32 `a` = the whole A [rank, cols]. `x` must not overlap `a` or `b`.
   * Traps unless rank >= 1, cols >= 1, col0 < cols.
   */
  lora_apply(x: number, n: number, b: number, a: number, rank: number, cols: number, col0: number, scale: number): void;
  /** F32 transpose: dst[j·rows + i] = src[i·cols + j] (src [rows, cols] → dst [cols, rows]); no overlap. */
  lora_transpose(src: number, rows: number, cols: number, dst: number): void;
  /**
   * Tensor health (wasm/src/health.rs). `stats`: 8-byte aligned f64 words the call adds to,
   * `[Σo², Σx₀², Σo·x₀, Σx₁², Σo·x₁, ...]` (1 + 2k words for k inputs); products in f32, summed
   * in f32 over 16 products per lane, then in f64 (relative error below 1e-6 of Σ|terms|). A NaN
   * or Inf element makes the sums non-finite (count them with `count_nonfinite`), as do products
   * beyond f32's range (recompute with `health_sums_exact`).
   *
   * `health_sums`: the sums of `n` elements of `outDtype` at `out` against the `k` inputs of the
   * records at `srcs` (weights ignored). Reads only; adds to `stats`.
   */
  health_sums(out: number, outDtype: KernelDTypeCode, srcs: number, k: number, n: number, stats: number): void;
  // (Not in EXPORTED_FUNCTIONS: a kernels.wasm built before them still merges, without tensor
  // health — see `hasHealthKernels`; the tests of the health kernels fail on such a build.)
  /** As `health_sums`, with products and sums in f64, scalar. */
  health_sums_exact(out: number, outDtype: KernelDTypeCode, srcs: number, k: number, n: number, stats: number): void;
  /** Adds the NaN count of `n` elements at `ptr` to the f64 at `counts`, the ±Inf count to the next one. */
  count_nonfinite(ptr: number, dtype: KernelDTypeCode, n: number, counts: number): void;
}

const EXPORTED_FUNCTIONS = [
  'heap_base', 'convert', 'scale_convert', 'linear', 'task_arithmetic', 'lora_apply', 'lora_transpose',
  'quantize_f16', 'quantize_bf16', 'quantize_q8_0', 'quantize_q4_0', 'quantize_q4_1', 'quantize_q5_0', 'quantize_q5_1',
  'quantize_q2_k', 'quantize_q3_k', 'quantize_q4_k', 'quantize_q5_k', 'quantize_q6_k',
] as const;

/** Where the kernels live: beside this module (build/src/kernels/ or dist/). */
export const KERNELS_WASM_URL = new URL('./kernels.wasm', import.meta.url);

function missing(err: unknown): Error {
  const path = fileURLToPath(KERNELS_WASM_URL);
  return new Error(
    `cannot read the WebAssembly kernels at ${path} (${(err as Error).message}). ` +
      'Run `npm run build:wasm` and `npm run build` (the build copies dist/kernels.wasm there).',
  );
}

let compiled: Promise<WebAssembly.Module> | undefined;

/** Compiles kernels.wasm once per thread; the module can be posted to workers. */
export function loadKernelModule(): Promise<WebAssembly.Module> {
  if (!compiled) {
    compiled = readFile(KERNELS_WASM_URL).then(
      (bytes) => WebAssembly.compile(bytes),
      (err: unknown) => {
        throw missing(err);
      },
    );
    compiled.catch(() => {
      compiled = undefined; // let a later call retry
    });
  }
  return compiled;
}

let compiledSync: WebAssembly.Module | undefined;

/** Synchronous variant (readFileSync + new WebAssembly.Module), e.g. inside a worker. */
export function loadKernelModuleSync(): WebAssembly.Module {
  if (!compiledSync) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(KERNELS_WASM_URL);
    } catch (err) {
      throw missing(err);
    }
    compiledSync = new WebAssembly.Module(bytes);
  }
  return compiledSync;
}

/** Does this instance have the tensor health kernels (wasm/src/health.rs)? */
export function hasHealthKernels(k: KernelExports): boolean {
  const ex = k as unknown as Record<string, unknown>;
  return ['health_sums', 'health_sums_exact', 'count_nonfinite'].every((n) => typeof ex[n] === 'function');
}

/** A fresh instance (own memory) of the kernels; synchronous. */
export function instantiateKernels(mod: WebAssembly.Module): KernelExports {
  const instance = new WebAssembly.Instance(mod, {});
  const ex = instance.exports as Record<string, unknown>;
  if (!(ex.memory instanceof WebAssembly.Memory)) throw new Error('kernels.wasm exports no memory');
  for (const name of EXPORTED_FUNCTIONS) {
    if (typeof ex[name] !== 'function') throw new Error(`kernels.wasm lacks the export ${name}: rebuild it (npm run build:wasm)`);
  }
  return ex as unknown as KernelExports;
}
