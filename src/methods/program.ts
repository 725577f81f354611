/**
 * Tensor programs: how a merge method that needs more than one element at a time computes one
 * output tensor, as statistics passes followed by an element-wise apply pass.
 *
 * The executor runs a program either over the whole tensor at once (one worker holds every input,
 * converted to float32) or, for tensors larger than a worker's share of the memory budget, chunk by
 * chunk across workers, reducing each pass's per-chunk statistics in the main thread. Programs are
 * pure and must give bit-identical results in both modes and for any chunk size that is a multiple
 * of `quantum`: reductions combine per-block (or per-row) partials in index order, never per-chunk
 * totals, and histogram counts are exact integers.
 *
 * Kernel ABI (see wasm/src/program.rs): every program kernel is an export `fn(ctx: u32)` reading a
 * `Ctx` record the worker writes:
 *   n, k, inputs → k pointers to f32[n] (this chunk of each input, read-only, 16-byte aligned),
 *   out (stats pass: f64[outWords], zeroed by the worker; apply pass: f32[n]), outWords,
 *   first (index of this chunk's element 0 in the flattened tensor, as lo/hi u32),
 *   rowLen (last dimension; numel for 1-D), params → f64[nparams], scratch → scratchBytes bytes,
 *   dtypes → k u32 dtype codes (0 = every input F32), outDType (apply output dtype code),
 *   stage → (k + 1)·stride(tile) f32 of staging, tile (elements per tile).
 * Programs with `mixedDTypes` take their inputs as stored (F32/F16/BF16) and write the output
 * dtype: their kernels widen one cache-sized tile at a time instead of the worker converting
 * whole tensors to F32 first (half the memory traffic, a third of the memory).
 */
import type { ProgramParams } from '../model/tensor.js';

/** A call of one program kernel: an export name of the wasm module and its f64 parameters. */
export interface KernelCall {
  fn: string;
  params: readonly number[];
}

/** One chunk's output of a statistics pass. */
export interface ChunkStats {
  /** Index of the chunk's first element in the flattened tensor. */
  first: number;
  /** Elements in the chunk. */
  n: number;
  /** The f64 words the kernel wrote. */
  data: Float64Array;
}

export interface StatPass {
  /** The kernel for this pass, given the reduced statistics of all earlier passes. */
  call(prev: readonly Float64Array[]): KernelCall;
  /** f64 words the kernel writes for a chunk of `n` elements starting at `first`. */
  words(n: number, first: number): number;
  /** Combines the chunks' outputs, given in index order and covering the tensor exactly once. */
  reduce(parts: readonly ChunkStats[]): Float64Array;
  /**
   * True when the earlier statistics make this pass unnecessary: it is not run and its reduced
   * statistics are empty (saves reading the inputs once more).
   */
  skip?(prev: readonly Float64Array[]): boolean;
}

/** The reduced statistics of a skipped pass. */
export const SKIPPED: Float64Array = new Float64Array(0);

export interface TensorProgram {
  /** Chunks start at multiples of this many elements (a statistics block, or a row length). */
  quantum: number;
  /** Statistics passes, run in order over the whole tensor before the apply pass. */
  passes: readonly StatPass[];
  /** The element-wise pass: writes the f32 output of each chunk. */
  apply(stats: readonly Float64Array[]): KernelCall;
  /** Scratch bytes a kernel of this program needs for a chunk of `n` elements (default 0). */
  scratchBytes?(n: number): number;
  /** Every kernel accepts inputs stored as F16/BF16 and writes any float output dtype. */
  mixedDTypes?: boolean;
  /**
   * The row length the kernels see, when it is not the tensor's last dimension (row-wise NuSLERP
   * views an N-D tensor as [d0, numel/d0]). `quantum` must be a multiple of it.
   */
  rowLen?: number;
  /** Warnings about this tensor given its reduced statistics (e.g. model_stock's task vectors pointing apart). */
  notes?(stats: readonly Float64Array[]): string[];
}

/** Target elements per tile of a mixed-dtype kernel call: the staged rows stay in cache. */
export const TILE_TARGET = 8192;

/** Elements per tile for a program of quantum `q`: a multiple of it, so tiles start on segments. */
export function tileOf(q: number): number {
  return q * Math.max(1, Math.floor(TILE_TARGET / q));
}

/** f32 slots per staging row (rows stay 16-byte aligned; `stride` in wasm/src/program.rs). */
export function tileStride(tile: number): number {
  return Math.ceil(tile / 4) * 4;
}

/** What a program factory knows about the tensor. */
export interface ProgramShape {
  /** Output (and every input) shape. */
  shape: readonly number[];
  numel: number;
  /** Last dimension (numel for 1-D tensors). */
  rowLen: number;
  /** Number of inputs, in the planned tensor's input order. */
  k: number;
  /** Output tensor name (keys the counter-based random generator). */
  tensor: string;
}

/** Builds the program of one method for one tensor. Runs in the main thread and in workers. */
export type ProgramFactory = (params: ProgramParams, shape: ProgramShape) => TensorProgram;

/** Elements per statistics block: chunk sizes are multiples of it, partial sums are per block. */
export const STAT_BLOCK = 4096;
