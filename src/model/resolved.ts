/** The resolve stage's output, the plan stage's input: every model located and described. */
import type { ArchInfo } from '../arch/types.js';
import type { DType } from '../formats/dtype.js';
import type { ModelRef, Recipe } from '../recipe/types.js';
import type { LoraPatch, PlannedTensor, TensorLocation } from './tensor.js';
import type { TokenizerFiles } from './tokenizer-files.js';

/** A file of an upstream model as pinned: for the lockfile and for download verification. */
export interface PinnedFile {
  path: string;
  size: number;
  /** sha256 of the content (the LFS oid on the Hub). */
  sha256: string;
}

/** A file of a repo at a commit, as listed: size and (for LFS files) sha256. */
export interface RemoteFile {
  path: string;
  size: number;
  /** sha256 of the content: the LFS oid (absent for small files kept in git). */
  sha256?: string;
}

/** A tensor of a model as read (a local folder or a Hub repo), or as an earlier stage computes it. */
export interface ResolvedTensor extends TensorLocation {
  name: string;
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
  /**
   * What GGUF metadata is built from besides the config, as the model's folder holds it: read
   * for the donor (recipe/stages.ts `donorRef`) of a run that writes GGUF files.
   */
  ggufSources?: GGUFSources;
  /** An earlier stage's output: the files it writes rather than copies (its merged tokenizer). */
  writtenFiles?: { name: string; text: string }[];
  /** Folder of the LoRA adapter applied to the tensors (`repo@sha` for a Hub adapter), for a `model+lora` reference. */
  loraDir?: string;
  /** For a Hub adapter: the repo, the commit it was pinned to, and the files used. */
  loraHub?: { repo: string; revision: string; sha: string; files: PinnedFile[] };
  /** For Hub models: the repo, the commit it was pinned to, and the files used. */
  hub?: { repo: string; revision: string; sha: string; files: PinnedFile[] };
}

/** A folder's files the GGUF tokenizer block and `general.*` values are read from (no model card: see plan/gguf-files.ts). */
export interface GGUFSources {
  tokenizer: TokenizerFiles;
  /** `generation_config.json` */
  generationConfig?: Record<string, unknown>;
}

export interface Resolved {
  recipe: Recipe;
  /** Every referenced model by key, in the order the recipe first mentions them. */
  models: Map<string, ResolvedModel>;
}

/**
 * What a later stage of a multi-stage recipe reads of an earlier stage's plan: its tensors,
 * config and tokenizer donor (plan/types.ts `Plan` has these fields).
 */
export interface StageOutput {
  tensors: PlannedTensor[];
  outConfig: Record<string, unknown>;
  outConfigText: string;
  donor: { modelKey: string; dir: string; files: string[] };
  outFiles?: { name: string; text: string }[];
}
