/** The plan: every output tensor as an operation over input tensor byte ranges. No data. */
import type { DType } from '../formats/dtype.js';
import type { ProgramParams } from '../methods/program.js';
import type { Recipe } from '../recipe/types.js';

/** Where an input tensor's bytes are, and what they are. */
export interface InputTensorRef {
  /** Model key (ModelRef.key) the tensor comes from. */
  modelKey: string;
  /** Tensor name in that model. */
  tensor: string;
  /** Absolute path of the shard holding it. */
  file: string;
  /** Absolute byte offsets in `file`. */
  start: number;
  end: number;
  dtype: DType;
  shape: number[];
  /** The earlier stage's planned tensor when this input is computed in memory (multi-stage). */
  producer?: PlannedTensor;
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
  /** Model whose tokenizer and generation config are copied. */
  donor: { modelKey: string; dir: string; files: string[] };
  /** Tensors of the inputs that no output uses (not in the architecture table). */
  ignoredTensors: string[];
  /** Things the user should know that do not stop the merge. */
  warnings: string[];
  estimates: PlanEstimates;
}
