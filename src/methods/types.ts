import type { TensorOp } from '../model/tensor.js';
/** What a merge method declares: its parameters and how it maps one output tensor to an op. */

export interface ParamDef {
  name: string;
  /** Used when no level of the recipe sets it. */
  default?: number;
  /** Missing and no default → recipe error (never for the base model's per-model params). */
  required?: boolean;
  /** Checks a resolved value; returns an error message or undefined. */
  validate?: (v: number) => string | undefined;
}

/** How a method treats `base_model`. */
export type BasePolicy = 'required' | 'optional' | 'input' | 'none';

export interface MethodInput {
  modelKey: string;
  isBase: boolean;
  /** Resolved per-model parameters (undefined when unset and without default). */
  params: Readonly<Record<string, number | undefined>>;
}

/** Recipe-wide options of ours (under `mergeops:`) that methods read. */
export interface MethodOptions {
  /** Seed of the counter-based generator (`mergeops.seed`, default DEFAULT_SEED in rng.ts). */
  seed: number;
  /** Sign election of the TIES-style methods (`mergeops.consensus_method`, default `sum`). */
  consensusMethod?: 'sum' | 'count';
  /** Norm matched by `rescale: true` (`mergeops.rescale_norm`, default `l1` as mergekit). */
  rescaleNorm?: 'l1' | 'l2' | 'linf' | 'inverse_density';
  /** model_stock: clamp t to [0, 1] (`mergeops.model_stock_clamp`; mergekit's formula by default). */
  modelStockClamp?: boolean;
}

export interface TensorContext {
  /** Output tensor name. */
  tensor: string;
  /** Inputs that have this tensor, in recipe order (base first when the method has one). */
  inputs: MethodInput[];
  /** Resolved global parameters. */
  global: Readonly<Record<string, number | undefined>>;
  /** The recipe's `mergeops:` options that affect the math. */
  options?: MethodOptions;
}

/** The op for one tensor, or an error message (the planner adds the position and hint). */
export type PlanResult = { op: TensorOp } | { error: string; hint: string };

export interface MergeMethod {
  name: string;
  /** Name and link for the model card. */
  prettyName: string;
  reference?: string;
  /** 'input': base_model (if given) is just one more input, as in mergekit's linear. */
  base: BasePolicy;
  globalParams: ParamDef[];
  perModelParams: ParamDef[];
  /** Inputs per tensor: exactly one for passthrough. */
  singleInput?: boolean;
  planTensor(ctx: TensorContext): PlanResult;
}
