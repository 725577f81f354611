/** The parsed recipe: mergekit's YAML schema, every node keeping its position. */
import type { SourcePos } from '../errors.js';
import type { FloatDType } from '../formats/dtype.js';

/** One `{filter, value}` entry of a conditional parameter list. */
export interface ConditionalEntry {
  /** Substring matched against the tensor name; undefined or '*' matches everything. */
  filter?: string;
  value: number | number[];
  pos: SourcePos;
}

/**
 * A parameter setting as written: a scalar (booleans become 1/0 as in mergekit),
 * a gradient (list of numbers), or a conditional list.
 */
export type ParamSetting =
  | { kind: 'scalar'; value: number; pos: SourcePos }
  | { kind: 'gradient'; values: number[]; pos: SourcePos }
  | { kind: 'conditional'; entries: ConditionalEntry[]; pos: SourcePos };

export type ParamMap = Map<string, ParamSetting>;

export interface LoraRef {
  path: string;
  revision?: string;
}

/** `org/repo`, `./local/dir`, `org/repo@rev`, `model+lora`, or the dict form. */
export interface ModelRef {
  /** Hub id or local path as written (without @revision / +lora). */
  path: string;
  revision?: string;
  lora?: LoraRef;
  overrideArchitecture?: string;
  /** Canonical text, e.g. `org/repo@rev+org/lora`; used as the model's key. */
  key: string;
  pos: SourcePos;
}

export interface SourceSpec {
  model: ModelRef;
  /** [start, end), end exclusive; undefined with `models:` syntax (whole model). */
  layerRange?: [number, number];
  /** Positions of the `layer_range` value and of its end bound (errors about the range point there). */
  layerRangePos?: { range: SourcePos; end: SourcePos };
  parameters: ParamMap;
  pos: SourcePos;
}

export interface SliceSpec {
  sources: SourceSpec[];
  baseModel?: ModelRef;
  parameters: ParamMap;
  pos: SourcePos;
}

export interface TokenSourceSpec {
  kind: 'model' | 'model_token' | 'zero';
  model?: ModelRef;
  token?: string;
  tokenId?: number;
}

export interface TokenizerSpec {
  source: 'union' | 'base' | ModelRef;
  tokens: Map<string, { source?: TokenSourceSpec; force: boolean; pos: SourcePos }>;
  padToMultipleOf?: number;
  pos: SourcePos;
}

/** Our extensions, under the `mergeops:` key that mergekit ignores. */
export interface MergeopsOptions {
  /** Seed for the counter-based generator of random methods. */
  seed?: number;
  /** GGUF types to write, e.g. ['Q4_K_M', 'Q8_0']. */
  quantize?: string[];
  /** Position of each `quantize` entry. */
  quantizePos?: SourcePos[];
  /** Output shard size in bytes. */
  outShardSize?: number;
  /** License of the merge (model card), required when the inputs' licenses disagree. */
  license?: string;
  licensePos?: SourcePos;
  /** `eval:` — the checks of the eval stage (src/recipe/eval-options.ts). */
  eval?: EvalOptions;
  /** Without a tokenizer setting, crop embeddings of different vocabularies to the common rows (mergekit's rectify_embed_sizes). */
  truncateEmbeddings?: boolean;
  /**
   * Every other key, with the positions of its value (`pos`) and name (`keyPos`): the merge
   * method's own options (checked at plan time, plan/check-recipe.ts) or a mistake.
   */
  extra: Map<string, { value: unknown; pos: SourcePos; keyPos: SourcePos }>;
}

/** One prompt check: greedy decoding; passes when every condition given holds. */
export interface EvalPromptSpec {
  prompt: string;
  /** The decoded new tokens equal this exactly. */
  expect?: string;
  /** The decoded new tokens match this JavaScript regular expression. */
  regex?: string;
  /** The decoded new tokens do not contain this. */
  notContains?: string;
  /** Wrap the prompt in the model's chat template (one user turn, generation prompt added). */
  chat: boolean;
  maxTokens: number;
  pos: SourcePos;
}

/** A labelled task: JSON lines `{prompt, answer}`, scored by exact match of the greedy answer. */
export interface EvalTaskSpec {
  name: string;
  /** As written; resolved against `baseDir`. */
  file: string;
  maxTokens: number;
  chat: boolean;
  /** Position of the `file:` value (errors in the file's content point into the file itself). */
  filePos: SourcePos;
  pos: SourcePos;
}

export interface EvalPerplexitySpec {
  file: string;
  /** Tokens per chunk (llama-perplexity's -c); the second half of each chunk is scored. */
  context: number;
  filePos: SourcePos;
  pos: SourcePos;
}

/** `mergeops.eval` (or the file given with `--eval`). */
export interface EvalOptions {
  prompts: EvalPromptSpec[];
  tasks: EvalTaskSpec[];
  perplexity?: EvalPerplexitySpec;
  /** Also run the checks on each input model (converted to a GGUF of the same type). */
  compareInputs: boolean;
  /** Gate: pass rate over prompts + task items, per the merge. */
  minPassRate?: number;
  minPassRatePos?: SourcePos;
  /** Gate: the merge's perplexity at most (1 + this) × the best input's. */
  maxPerplexityIncrease?: number;
  maxPerplexityIncreasePos?: SourcePos;
  /** Folder that relative `file:` paths are read from (the recipe's or the eval file's). */
  baseDir: string;
  pos: SourcePos;
}

export interface Recipe {
  /** Path of the YAML file, as given. */
  file: string;
  /** The YAML text of this document (written out as mergekit_config.yml). */
  text: string;
  /** `name:` of a multi-stage document. */
  name?: string;
  mergeMethod: string;
  mergeMethodPos: SourcePos;
  /** Exactly one of models / slices is set. */
  models?: SourceSpec[];
  slices?: SliceSpec[];
  baseModel?: ModelRef;
  parameters: ParamMap;
  dtype?: FloatDType;
  outDtype?: FloatDType;
  tokenizerSource?: 'union' | 'base' | ModelRef;
  tokenizer?: TokenizerSpec;
  chatTemplate?: string;
  mergeops: MergeopsOptions;
  /** Position of the document's root, for errors about the document as a whole. */
  pos: SourcePos;
  /** Source lines of the file, for error excerpts. */
  lines: string[];
  /** Things the recipe does that work but deserve a word (shown with the plan's warnings). */
  notes?: string[];
}
