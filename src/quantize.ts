/**
 * `mergeops quantize`: a model folder to a GGUF file through the same stages as a merge (parse →
 * resolve → plan → execute), so a folder's GGUF is byte for byte what `run --gguf` writes for a
 * merge with the same tensors. Its own module beside the pipeline: the pipeline's eval converts
 * input models with it.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, join, resolve as resolvePath } from 'node:path';
import type { GGUFGeneralInfo } from './arch/gguf-general.js';
import { MergeopsError, RecipeError } from './errors.js';
import { executePlan } from './execute/execute.js';
import { readFolderGeneral } from './execute/folder-general.js';
import type { LoadCheck, SmokeResult } from './execute/gguf-check.js';
import type { GGUFSplitOptions } from './formats/gguf.js';
import { readLocalModel } from './hub/local.js';
import { resolveRecipe } from './hub/resolve.js';
import type { GGUFPlan } from './plan/gguf-plan.js';
import { buildPlan } from './plan/plan.js';
import type { FileTypeName } from './quant/select.js';
import { parseRecipeText } from './recipe/parse.js';

export interface QuantizeOptions {
  modelDir: string;
  /** Folder for the GGUF file(s) (created when missing). */
  outDir: string;
  fileType: FileTypeName;
  /** File name prefix; default `<folder name>-<TYPE>`. */
  prefix?: string;
  /** `general.*` values above the model card's (`--name`); default: from the folder (as convert). */
  general?: Partial<GGUFGeneralInfo>;
  /** `tokenizer.ggml.pre` for a BPE tokenizer llama.cpp does not recognise. */
  tokenizerPre?: string;
  split?: GGUFSplitOptions;
  /** Replace existing GGUF files of the same names. */
  overwrite?: boolean;
  /** Replace existing files of the same names even when they are not GGUF files. */
  forceOverwrite?: boolean;
  log?: (line: string) => void;
  /** Stands for the folder name where convert would use it. */
  modelId?: string;
  /** Kernel workers (default: one per core). */
  threads?: number;
  /** Bytes the process may use (default: execute's, half of RAM at most 16 GiB): bounds the chunks. */
  maxMemory?: number;
  /** Load the file with `loadCheck` (default true, when one is given). */
  check?: boolean;
  /** The load check (eval/load-check.ts `smokeTestGGUF`). */
  loadCheck?: LoadCheck;
}

export interface QuantizeResult {
  files: { path: string; bytes: number }[];
  plan: GGUFPlan;
  /** What llama.cpp decoded from the file (undefined without a check). */
  check?: SmokeResult;
}

/**
 * `mergeops quantize`: a model folder → one GGUF file (or gguf-split set), through the same stages
 * as a merge: a one-model passthrough recipe over the folder, resolved (headers, config, tokenizer
 * files), planned with only that GGUF file (`ggufOnly`: no shard or model file written, the
 * folder's own config, tokenizer and shard names) and executed by the kernel workers, which read
 * each tensor and encode its chunks.
 */
export async function quantizeFolder(o: QuantizeOptions): Promise<QuantizeResult> {
  const dir = resolvePath(o.modelDir);
  const file = join(dir, 'mergeops-quantize.yml');
  try {
    const [doc] = parseRecipeText(`merge_method: passthrough\nmodels:\n  - model: ${JSON.stringify(dir)}\n`, file);
    // No such folder: the error reading it gives (not the recipe's "not found").
    if (!existsSync(dir) || !statSync(dir).isDirectory()) await readLocalModel(dir);
    const resolved = await resolveRecipe(doc, { ggufSources: true });
    const folder = readFolderGeneral(dir);
    const plan = buildPlan(resolved, {
      ggufOnly: true,
      gguf: {
        types: [o.fileType], folder: 'input', modelId: o.modelId ?? basename(dir), prefix: o.prefix, split: o.split, tokenizerPre: o.tokenizerPre,
        title: folder.title, general: { ...folder.general, ...o.general },
      },
    });
    const r = await executePlan(plan, {
      outDir: o.outDir, overwrite: o.overwrite, forceOverwrite: o.forceOverwrite, log: o.log, threads: o.threads, maxMemory: o.maxMemory,
      ggufCheck: o.check, loadCheck: o.loadCheck,
    });
    return { files: r.files.map((f) => ({ path: join(r.outDir, f.name), bytes: f.bytes })), plan: plan.gguf!.plans[0], check: r.ggufChecks[0] };
  } catch (e) {
    // The recipe is the command's own: a model's error is told as reading the folder gives it.
    throw e instanceof RecipeError && e.cause instanceof MergeopsError ? e.cause : e;
  }
}
