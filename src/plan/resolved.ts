/** The resolve stage's output, the plan stage's input: every model located and described. */
import type { ArchInfo } from '../arch/types.js';
import type { DType } from '../formats/dtype.js';
import type { ModelRef, Recipe } from '../recipe/types.js';
import type { PlannedTensor } from './types.js';

export interface ResolvedTensor {
  name: string;
  dtype: DType;
  shape: number[];
  /** Absolute path of the shard. */
  file: string;
  start: number;
  end: number;
  /** Set when the tensor is an earlier stage's output (multi-stage recipes): computed, not read. */
  producer?: PlannedTensor;
}

export interface ResolvedModel {
  ref: ModelRef;
  /** ModelRef.key */
  key: string;
  /** Folder the model was read from. */
  dir: string;
  config: Record<string, unknown>;
  tensors: Map<string, ResolvedTensor>;
  arch: ArchInfo;
  /** Non-weight files in the folder (tokenizer, generation config, ...). */
  otherFiles: string[];
}

export interface Resolved {
  recipe: Recipe;
  /** Every referenced model by key, in the order the recipe first mentions them. */
  models: Map<string, ResolvedModel>;
}
