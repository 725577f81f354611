/** Messages between the executor and kernel workers: how to produce input elements, and where results go. */
import type { DType } from '../formats/dtype.js';
import type { ByteSource, RowGather, TensorOp } from '../model/tensor.js';
import type { QuantTypeName } from '../quant/types.js';

/** One input of a job: how to produce elements [first, first + n) of an input tensor. */
export type JobInput =
  /** Stored tensor bytes: element e is at byte `start + e·size(dtype)` of `source`. */
  | { kind: 'tensor'; source: ByteSource; start: number; dtype: DType }
  /**
   * A [rows, cols] tensor gathered from other tensors' rows, produced as F32. A source may be
   * computed (an earlier stage's tensor, a LoRA-patched one): its rows are then produced over a
   * range widened to multiples of `align[i].quantum` elements (its nested programs' chunk quantum),
   * within its `numel` elements.
   */
  | { kind: 'gather'; cols: number; sources: readonly JobInput[]; rows: RowGather; align: readonly { quantum: number; numel: number }[] }
  /**
   * A LoRA-patched weight `base + scale·(B·A)` (B: [rows, rank], A: [rank, cols]), produced as F32
   * (kernels/lora-input.ts). With `embedding`, `b` holds Bᵀ [rank, rows] and `a` holds Aᵀ
   * [cols, rank] (PEFT's lora_embedding_A and lora_embedding_B). `rows` gives B's size, so a
   * worker can read each factor whole once and keep it (kernels/factor-cache.ts).
   */
  | { kind: 'lora'; base: JobInput; a: JobInput; b: JobInput; rank: number; rows: number; cols: number; scale: number; embedding?: { rows: number } }
  /**
   * The same tensor of an earlier stage of a multi-stage recipe, computed in memory and rounded to
   * that stage's output dtype (so a fused run gives the bytes a staged run would). A program op
   * carries its statistics, already reduced over the whole tensor by the executor.
   */
  | { kind: 'op'; op: TensorOp; inputs: readonly JobInput[]; shape: readonly number[]; tensor: string; dtype: DType; stats?: Float64Array[] };

/** Where a job's output goes. */
export interface JobOutput {
  /** Absolute path of the output file (opened for writing in place); '' for GGUF-only jobs (`mergeops quantize`). */
  file: string;
  /** Byte offset of element 0 of the tensor in that file. */
  start: number;
  dtype: DType;
}

/**
 * How a job runs a program op: `whole` runs every statistics pass and the apply pass on this one
 * chunk (the whole tensor); `pass` runs statistics pass `pass` on the chunk and returns its words;
 * `apply` writes the chunk from statistics already reduced over the whole tensor.
 */
export type ProgramStep =
  | { mode: 'whole' }
  | { mode: 'pass'; pass: number; stats: Float64Array[] }
  | { mode: 'apply'; stats: Float64Array[] };

/**
 * One GGUF file's copy of the output tensor (kernels/gguf-encode.ts): each chunk the job writes
 * to the shard is also encoded (output dtype → f32 → transform → `type`) and written at its
 * place in `file`. A job's chunk must be whole units of `ggufQuantum` (whole rows, whole heads).
 */
export interface GGUFTarget {
  /** The GGUF file being written (its temporary path) and the byte offset of the tensor's data in it. */
  file: string;
  start: number;
  /** GGUF tensor name, and the checkpoint name for messages. */
  name: string;
  hfName: string;
  /** Rows × row length (last dimension) of the tensor. */
  rows: number;
  cols: number;
  type: QuantTypeName;
  /** Values are rounded through this type first (convert's output read by llama-quantize). */
  intermediate?: 'F16' | 'BF16';
  /** Q/K permutation: head count over `rows` (rows move only inside a head). */
  permuteHeads?: number;
  /** Added to every element (Gemma norms). */
  shift?: number;
}

export interface KernelJob {
  op: TensorOp;
  /** Required for program ops. */
  step?: ProgramStep;
  inputs: readonly JobInput[];
  /** Shape and name of the output tensor. */
  shape: readonly number[];
  tensor: string;
  /** This chunk: elements [first, first + n) of the flattened tensor. */
  first: number;
  n: number;
  out: JobOutput;
  /** GGUF files that also receive this chunk (final outputs of a merge with --gguf). */
  gguf?: readonly GGUFTarget[];
  /**
   * Return the chunk's tensor health (kernels/health.ts) against its inputs, in order: set for
   * the output tensors of a merge (not for statistics passes or GGUF-only jobs).
   */
  health?: boolean;
}

export interface JobDone {
  bytesRead: number;
  bytesWritten: number;
  /** Of the bytes written (shard and GGUF), those sent to the disk by direct I/O (bypassing the page cache). */
  bytesDirect: number;
  /** Bytes written to each of the job's `gguf` targets, in order. */
  ggufBytes?: number[];
  /** A statistics pass's words for this chunk. */
  stats?: Float64Array;
  /** The chunk's health words (kernels/health.ts), when the job asked for them. */
  health?: Float64Array;
  /** Warnings of a program run whole on this job (its `notes`). */
  notes?: string[];
}
