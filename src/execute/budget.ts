/** Memory budget → chunk sizes. The budget bounds the whole process, not just tensor data. */
import { totalmem } from 'node:os';
import { DTYPE_SIZE } from '../formats/dtype.js';
import type { PlannedTensor } from '../plan/types.js';

/** What the process needs before any tensor data: Node, the workers' isolates, the plan. */
export const BASELINE_BYTES = 96 * 1024 * 1024;
export const PER_WORKER_BYTES = 24 * 1024 * 1024;
/** Past this, bigger chunks only delay progress reports and hurt load balance. */
export const MAX_CHUNK_BYTES = 64 * 1024 * 1024;
/** The smallest budget that leaves each worker some room for tensor data. */
export function minMaxMemory(threads: number): number {
  return BASELINE_BYTES + threads * (PER_WORKER_BYTES + 16 * 1024);
}

/** Default `--max-memory`: half of RAM, at most 16 GiB. */
export function defaultMaxMemory(): number {
  return Math.min(Math.floor(totalmem() / 2), 16 * 1024 ** 3);
}

/**
 * Bytes of worker memory one element of this tensor costs: every input, plus the output. A
 * LoRA-patched input is read, then made F32 (4 more bytes; its small A and B factors aside).
 */
export function bytesPerElement(t: PlannedTensor): number {
  return t.inputs.reduce((a, r) => a + DTYPE_SIZE[r.dtype] + (r.lora ? 4 : 0), 0) + DTYPE_SIZE[t.dtype];
}

/** Bytes each worker may use for one job's data. */
export function workerDataBudget(maxMemory: number, threads: number): number {
  const free = maxMemory - BASELINE_BYTES - threads * PER_WORKER_BYTES;
  return Math.max(4096, Math.min(MAX_CHUNK_BYTES, Math.floor(free / threads)));
}

/**
 * Elements per chunk for a tensor: as many whole rows as fit the worker budget, or part of a
 * row when a single row is larger than the budget.
 */
export function chunkElements(t: PlannedTensor, perWorker: number): number {
  const numel = t.shape.reduce((a, b) => a * b, 1);
  const fit = Math.max(1, Math.floor(perWorker / bytesPerElement(t)));
  if (fit >= numel) return Math.max(1, numel);
  const row = t.shape.length > 1 ? t.shape[t.shape.length - 1] : 1;
  // Multiples of 16 elements keep every chunk boundary aligned for the SIMD kernels.
  const whole = row > 1 && fit >= row ? Math.floor(fit / row) * row : fit;
  return Math.max(16, whole - (whole % 16));
}
