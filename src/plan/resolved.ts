/** The resolve stage's output, the plan stage's input: every model located and described. */
import type { ArchInfo } from '../arch/types.js';
import type { DType } from '../formats/dtype.js';
import type { ModelRef, Recipe } from '../recipe/types.js';
import type { TokenizerFiles } from '../tokenizer/types.js';
import type { LoraPatch, PlannedTensor } from './types.js';

/**
 * Where a tensor's bytes are: a local file, or a remote file read by HTTP range requests. Same
 * shape as the kernels' ByteSource (declared here too: the plan imports nothing from kernels/).
 */
export type TensorSource =
  | { kind: 'file'; path: string }
  | { kind: 'http'; url: string; headers?: Record<string, string>; size: number; label: string; sha256?: string };

/** A file of an upstream model as pinned: for the lockfile and for download verification. */
export interface PinnedFile {
  path: string;
  size: number;
  /** sha256 of the content (the LFS oid on the Hub). */
  sha256: string;
}

export interface ResolvedTensor {
  name: string;
  dtype: DType;
  shape: number[];
  /** Absolute path of the shard (local), or `repo@sha/path` (remote): names it in messages. */
  file: string;
  /** Where to read the bytes. */
  source: TensorSource;
  start: number;
  end: number;
  /** The LoRA patch of this tensor, for a `model+lora` reference. */
  lora?: LoraPatch;
  /**
   * The dtype the model holds this tensor in, when it is stored in another (a LoRA adapter's
   * modules_to_save tensor saved in another dtype than the base): the default output dtype.
   */
  modelDtype?: DType;
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
  /** config.json as the model has it (before any override_architecture): the merged config is this text, edited. */
  configText?: string;
  tensors: Map<string, ResolvedTensor>;
  arch: ArchInfo;
  /** Non-weight files in the folder (tokenizer, generation config, ...). */
  otherFiles: string[];
  /** Tokenizer files, read when the recipe configures a tokenizer or a chat template. */
  tokenizer?: TokenizerFiles;
  /** An earlier stage's output: the files it writes rather than copies (its merged tokenizer). */
  writtenFiles?: { name: string; text: string }[];
  /** Folder of the LoRA adapter applied to the tensors (`repo@sha` for a Hub adapter), for a `model+lora` reference. */
  loraDir?: string;
  /** For a Hub adapter: the repo, the commit it was pinned to, and the files used. */
  loraHub?: { repo: string; revision: string; sha: string; files: PinnedFile[] };
  /** For Hub models: the repo, the commit it was pinned to, and the files used. */
  hub?: { repo: string; revision: string; sha: string; files: PinnedFile[] };
}

export interface Resolved {
  recipe: Recipe;
  /** Every referenced model by key, in the order the recipe first mentions them. */
  models: Map<string, ResolvedModel>;
}
