/** The plan: every output tensor as an operation over input tensor byte ranges. No data. */
import type { PlannedTensor } from '../model/tensor.js';
import type { PlannedGGUF } from './gguf-plan.js';
import type { Recipe } from '../recipe/types.js';

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
  /** Free disk needed (output written to a temporary sibling, then renamed), GGUF files included. */
  diskBytes: number;
  /** Bytes of the GGUF files planned (`Plan.gguf`), 0 without. */
  ggufBytes?: number;
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
  /**
   * The GGUF files the run writes beside the safetensors (`--gguf`, `mergeops.quantize`), planned
   * by buildPlan (`PlanOptions.gguf`) before any tensor is computed; execute opens exactly these.
   */
  gguf?: PlannedGGUF;
  /**
   * The run writes only `gguf`'s files, beside what the output folder holds (`mergeops quantize`:
   * the tensors are read and encoded, no shard, config or tokenizer file is written).
   */
  ggufOnly?: boolean;
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
