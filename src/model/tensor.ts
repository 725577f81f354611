/**
 * Where tensor bytes are and what is computed from them: the records every stage passes on
 * (resolve → plan → execute → kernels). One home for each; the folders that use them import
 * them from here, so no stage needs another stage's types.
 */
import type { DType } from '../formats/dtype.js';

/** A remote file read with HTTP range requests (Hub streaming). */
export interface HttpSource {
  url: string;
  headers?: Record<string, string>;
  /** Size of the whole file. */
  size: number;
  /** Names the file in errors, e.g. `org/model@<sha>: model-00001-of-00002.safetensors`. */
  label: string;
  /** sha256 of the whole file (LFS oid): an ETag that is a different sha256 means the file changed. */
  sha256?: string;
}

/** Where bytes come from: a local file, or a remote file read by HTTP range requests. */
export type ByteSource =
  | { kind: 'file'; path: string }
  | ({ kind: 'http' } & HttpSource);

/** Where a stored tensor's bytes are, and what they are. */
export interface TensorLocation {
  /** The file holding it: an absolute path, or `repo@sha/path` for a Hub model (names it in messages). */
  file: string;
  /** Where its bytes are read from. */
  source: ByteSource;
  /** Absolute byte offsets in `file`. */
  start: number;
  end: number;
  dtype: DType;
  shape: number[];
}

/** Parameters of a method's tensor program (see methods/program.ts): plain data, sent to workers. */
export type ProgramParams = Readonly<Record<string, number | string | boolean | readonly number[]>>;

/**
 * Element-wise operations the kernels run. Arithmetic is float32; the result is rounded once
 * to the output dtype.
 */
export type TensorOp =
  /** One input, optionally scaled; non-float inputs are copied byte for byte. */
  | { kind: 'copy'; scale?: number }
  /** out = (Σ wᵢ·xᵢ) / divisor */
  | { kind: 'linear'; weights: number[]; divisor: number }
  /** inputs[0] is the base b; out = b + λ·(Σ wᵢ·(xᵢ − b)) / divisor over inputs[1..] */
  | { kind: 'task_arithmetic'; weights: number[]; divisor: number; lambda: number }
  /** A method's tensor program (statistics passes + apply), see methods/program.ts. */
  | { kind: 'program'; method: string; params: ProgramParams };

/**
 * A computed row: `(Σ weight·row) / divisor` over rows of the sources (divisor 1 when absent), or
 * the mean of the first `meanOf` output rows of the same gather (mergekit's padding rows).
 */
export type RowMix =
  | { terms: readonly { source: number; row: number; weight: number }[]; divisor?: number }
  | { meanOf: number };

/**
 * Rows of an embedding-like tensor rebuilt for another vocabulary (tokenizer remapping): output
 * row r is row `map[r]` of `sources[0]` when `map[r] >= 0`, zeros when `map[r] === -1`, and
 * `mixes[-2 - map[r]]` otherwise. See kernels/gather.ts.
 */
export interface RowGather {
  map: readonly number[];
  mixes: readonly RowMix[];
}

/** A stored tensor of a LoRA adapter file. */
export interface AdapterTensor extends TensorLocation {
  /** Name in the adapter file. */
  tensor: string;
}

/**
 * A LoRA patch of one [rows, cols] weight: `W + scale·(B·A)`, B: [rows, rank], A: [rank, cols]
 * (PEFT `lora_B.weight` / `lora_A.weight`). For an embedding (`embedding: true`), `b` is PEFT's
 * `lora_embedding_A` [rank, rows] (= Bᵀ) and `a` is `lora_embedding_B` [cols, rank] (= Aᵀ).
 */
export interface LoraPatch {
  /** Folder of the adapter, for messages. */
  adapter: string;
  a: AdapterTensor;
  b: AdapterTensor;
  rank: number;
  /** lora_alpha / rank, or lora_alpha / √rank with use_rslora (per-module patterns applied). */
  scale: number;
  embedding: boolean;
}

/** An input tensor of an output tensor: where its bytes are, and how to read them. */
export interface InputTensorRef extends TensorLocation {
  /** Model key (ModelRef.key) the tensor comes from. */
  modelKey: string;
  /** Tensor name in that model. */
  tensor: string;
  /** The earlier stage's planned tensor when this input is computed in memory (multi-stage). */
  producer?: PlannedTensor;
  /**
   * Rows rebuilt for the output vocabulary (tokenizer merges): the input is then the F32
   * [rows.map.length, cols] tensor described by `rows` over `sources`, whose first entry is this
   * tensor as stored.
   */
  gather?: { cols: number; sources: InputTensorRef[]; rows: RowGather };
  /** Set when the model is `base+lora` and the adapter patches this tensor: read it as `base + scale·(B·A)`. */
  lora?: LoraPatch;
}

/** One output tensor: an operation over input tensors, and its place in the output shards. */
export interface PlannedTensor {
  /** Output tensor name. */
  name: string;
  shape: number[];
  dtype: DType;
  op: TensorOp;
  inputs: InputTensorRef[];
  /** Index into Plan.shards. */
  shard: number;
  /** Absolute byte offsets in the output shard. */
  start: number;
  end: number;
}
