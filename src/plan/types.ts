/** The plan: every output tensor as an operation over input tensor byte ranges. No data. */
import type { DType } from '../formats/dtype.js';
import type { ProgramParams } from '../methods/program.js';
import type { Recipe } from '../recipe/types.js';
import type { RowMix } from '../tokenizer/types.js';
import type { TensorSource } from './resolved.js';

/** Where an input tensor's bytes are, and what they are. */
export interface InputTensorRef {
  /** Model key (ModelRef.key) the tensor comes from. */
  modelKey: string;
  /** Tensor name in that model. */
  tensor: string;
  /** The shard holding it: an absolute path, or `repo@sha/path` for a Hub model (for messages). */
  file: string;
  /** Where its bytes are read from. */
  source: TensorSource;
  /** Absolute byte offsets in the shard. */
  start: number;
  end: number;
  dtype: DType;
  shape: number[];
  /** The earlier stage's planned tensor when this input is computed in memory (multi-stage). */
  producer?: PlannedTensor;
  /**
   * Rows rebuilt for the output vocabulary (tokenizer merges): the input is then the F32
   * [rows.map.length, cols] tensor described by `rows` (kernels/jobs.ts `RowGather`) over
   * `sources`, whose first entry is this tensor as stored.
   */
  gather?: { cols: number; sources: InputTensorRef[]; rows: { map: number[]; mixes: RowMix[] } };
  /** Set when the model is `base+lora` and the adapter patches this tensor: read it as `base + scale·(B·A)`. */
  lora?: LoraPatch;
}

/** A stored tensor of a LoRA adapter file. */
export interface AdapterTensor {
  /** Name in the adapter file. */
  tensor: string;
  /** Absolute path of the adapter's safetensors file, and byte offsets in it. */
  file: string;
  /** Where its bytes are read from. */
  source: TensorSource;
  start: number;
  end: number;
  dtype: DType;
  shape: number[];
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

export interface PlannedShard {
  fileName: string;
  /** Header bytes (length prefix + JSON), written first. */
  header: Uint8Array;
  /** Total file size. */
  size: number;
}

export interface PlanEstimates {
  inputBytes: number;
  outputBytes: number;
  /** Largest single output tensor. */
  largestTensorBytes: number;
  /** Free disk needed (output written to a temporary sibling, then renamed). */
  diskBytes: number;
}

export interface Plan {
  recipe: Recipe;
  /** Named earlier stages of a multi-stage recipe, in dependency order (their tensors feed this plan in memory). */
  stages?: { name: string; plan: Plan }[];
  methodName: string;
  tensors: PlannedTensor[];
  shards: PlannedShard[];
  /** `model.safetensors.index.json` text when there is more than one shard. */
  indexJson?: string;
  /** The output config.json object. */
  outConfig: Record<string, unknown>;
  /** config.json as written: the donor's text with only the keys the merge sets changed. */
  outConfigText: string;
  /** Model whose tokenizer and generation config are copied. */
  donor: { modelKey: string; dir: string; files: string[] };
  /** Files written as they are (a merged tokenizer, a tokenizer_config.json with a new chat template). */
  outFiles?: { name: string; text: string }[];
  /** The output tokenizer, when the recipe configures one or sets a chat template. */
  tokenizer?: { source: string; vocabSize?: number; added?: number; chatTemplate?: string };
  /** Tensors of the inputs that no output uses (not in the architecture table). */
  ignoredTensors: string[];
  /** Things the user should know that do not stop the merge. */
  warnings: string[];
  estimates: PlanEstimates;
}
