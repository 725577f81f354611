/** Memory budget → chunk sizes. The budget bounds the whole process, not just tensor data. */
import { totalmem } from 'node:os';
import type { DType } from '../formats/dtype.js';
import { ggufEncodeBytes } from '../kernels/gguf-encode.js';
import type { GGUFTarget } from '../kernels/jobs.js';

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

/** Each worker's share of the budget for tensor data. */
export function workerShare(maxMemory: number, threads: number): number {
  return Math.max(4096, Math.floor((maxMemory - BASELINE_BYTES - threads * PER_WORKER_BYTES) / threads));
}

/** Bytes each worker may use for one chunk's data. */
export function workerDataBudget(maxMemory: number, threads: number): number {
  return Math.min(MAX_CHUNK_BYTES, workerShare(maxMemory, threads));
}

/**
 * Bytes a worker may use to hold a whole tensor for a program (statistics + apply in one go, each
 * input read once). Larger than a chunk: the budget's whole per-worker share, not MAX_CHUNK_BYTES.
 */
export function programWholeBudget(maxMemory: number, threads: number): number {
  return Math.min(workerShare(maxMemory, threads), 3 * 1024 ** 3); // below the 4 GiB wasm memory
}

/**
 * Main-thread bytes the GGUF files of a merge hold while it runs (their metadata, vocabulary
 * arrays and headers, planned up front): about 4× the serialized headers, measured with a
 * 100k-token vocabulary. Taken from the budget before the workers' shares.
 */
export function ggufPlanBytes(headerBytes: number): number {
  return 4 * headerBytes;
}

/**
 * Worker bytes per element of an output chunk to encode it for its GGUF files (`--gguf`): the
 * targets are encoded one after another, each freeing its buffers, so the largest one counts.
 */
export function ggufBytesPerElement(targets: readonly GGUFTarget[], outDType: DType): number {
  return targets.reduce((a, t) => Math.max(a, ggufEncodeBytes(t, outDType)), 0);
}
