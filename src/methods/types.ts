import type { TensorOp } from '../model/tensor.js';
import type { ProgramFactory } from './program.js';
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

/**
 * An option of ours under `mergeops:` that a method reads (beyond mergekit's parameters): its
 * key, allowed values and default (mergekit's behaviour). Checked at plan time, with positions.
 */
export type OptionDef =
  | { key: string; kind: 'enum'; values: readonly string[]; default: string; doc: string }
  | { key: string; kind: 'boolean'; default: boolean; doc: string };

export type OptionValue = string | boolean;

/** The `mergeops:` options a method sees. */
export interface MethodOptions {
  /** Seed of the counter-based generator (`mergeops.seed`, default DEFAULT_SEED in rng.ts). */
  seed: number;
  /** The method's own options by key: every one it declares, set or defaulted. */
  values: Readonly<Record<string, OptionValue>>;
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
  /** Its own options under `mergeops:` (recipe-wide keys such as `seed` are not listed). */
  options?: readonly OptionDef[];
  /** Inputs per tensor: exactly one for passthrough. */
  singleInput?: boolean;
  planTensor(ctx: TensorContext): PlanResult;
  /** The tensor program of its `{ kind: 'program' }` ops (run by the kernel workers). */
  program?: ProgramFactory;
}
