/** Resolve stage: every model the recipe names → a located, described ResolvedModel. */
import { existsSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve as resolvePath } from 'node:path';
import { checkSameLayout, detectArch } from '../arch/detect.js';
import { MergeopsError, RecipeError } from '../errors.js';
import type { Resolved, ResolvedModel, ResolvedTensor } from '../plan/resolved.js';
import { referencedModels } from '../recipe/stages.js';
import type { LoraRef, ModelRef, Recipe } from '../recipe/types.js';
import type { Plan } from '../plan/types.js';
import { readLocalModel } from './local.js';
import { recipeNeedsTokenizers } from '../tokenizer/plan-tokenizer.js';
import { readTokenizerFiles, plannedTokenizerFiles } from '../tokenizer/read-files.js';
import { applyLoraAdapter, readLoraAdapter } from './lora.js';

export interface ResolveOptions {
  /** Relative model paths are looked up here first (as mergekit does), then beside the recipe. */
  cwd?: string;
  /** Mix architectures (mergekit's --allow-crimes). */
  allowCrimes?: boolean;
  /** Plans of earlier stages of a multi-stage recipe, by name: references to them read their output tensors. */
  stages?: ReadonlyMap<string, Plan>;
}

/** An earlier stage's output as a model: its planned tensors, config and tokenizer donor. */
function stageModel(ref: ModelRef, plan: Plan): ResolvedModel {
  const tensors = new Map(plan.tensors.map((t) => [t.name, {
    name: t.name, dtype: t.dtype, shape: t.shape, file: '', start: 0, end: t.end - t.start, producer: t,
  }]));
  const config = { ...plan.outConfig };
  if (ref.overrideArchitecture) config.architectures = [ref.overrideArchitecture];
  const arch = detectArch(config, [...tensors.keys()], ref.key);
  return { ref, key: ref.key, dir: plan.donor.dir, config, tensors, arch, otherFiles: plan.donor.files };
}

export { referencedModels } from '../recipe/stages.js';

function lineOf(recipe: Recipe, ref: ModelRef): string | undefined {
  return recipe.lines[ref.pos.line - 1];
}

/** Finds a model's folder: an existing path relative to cwd, else relative to the recipe. */
export function locateModel(recipe: Recipe, ref: ModelRef, cwd: string): string {
  return locateFolder(recipe, ref, ref.path, `model \`${ref.key}\``, cwd);
}

/** Finds the folder of `ref`'s LoRA adapter (`model+lora`), looked up like a model. */
export function locateLora(recipe: Recipe, ref: ModelRef, lora: LoraRef, cwd: string): string {
  if (lora.revision !== undefined) {
    throw new RecipeError(`LoRA adapter \`${lora.path}@${lora.revision}\` of \`${ref.key}\`: revisions of local adapters are not supported`,
      'drop the `@revision` and give the adapter\'s folder', ref.pos, lineOf(recipe, ref));
  }
  return locateFolder(recipe, ref, lora.path, `LoRA adapter \`${lora.path}\` of \`${ref.key}\``, cwd);
}

function locateFolder(recipe: Recipe, ref: ModelRef, p: string, what: string, cwd: string): string {
  const candidates = isAbsolute(p)
    ? [p]
    : [...new Set([resolvePath(cwd, p), resolvePath(dirname(resolvePath(cwd, recipe.file)), p)])];
  for (const c of candidates) {
    if (existsSync(c) && statSync(c).isDirectory()) return c;
  }
  const looksHub = /^[\w.-]+\/[\w.-]+$/.test(p) && !p.startsWith('.');
  throw new RecipeError(
    `${what} not found: no folder ${candidates.map((c) => `\`${c}\``).join(' or ')}`,
    (looksHub ? 'if this is a Hugging Face id: reading from the Hub is not available yet, so download it and give its folder; otherwise c'
      : 'c') + 'heck the path (relative paths are tried from the current directory, then from the recipe\'s folder)',
    ref.pos, lineOf(recipe, ref));
}

/** The base model's tensors with `ref`'s LoRA adapter applied (patches marked, no data read). */
async function withLora(recipe: Recipe, ref: ModelRef, lora: LoraRef, base: ReadonlyMap<string, ResolvedTensor>, cwd: string): Promise<{ dir: string; tensors: Map<string, ResolvedTensor> }> {
  const dir = locateLora(recipe, ref, lora, cwd);
  try {
    return { dir, tensors: applyLoraAdapter(await readLoraAdapter(dir), base, `the base model \`${ref.path}\``) };
  } catch (e) {
    if (e instanceof MergeopsError && !(e instanceof RecipeError)) {
      throw new RecipeError(`model \`${ref.key}\`: ${e.message}`, e.hint, ref.pos, lineOf(recipe, ref));
    }
    throw e;
  }
}

export async function resolveRecipe(recipe: Recipe, opts: ResolveOptions = {}): Promise<Resolved> {
  const cwd = opts.cwd ?? process.cwd();
  const models = new Map<string, ResolvedModel>();
  for (const ref of referencedModels(recipe)) {
    const stage = opts.stages?.get(ref.path);
    if (stage) {
      const m = stageModel(ref, stage);
      m.tokenizer = recipeNeedsTokenizers(recipe) ? plannedTokenizerFiles(stage.outFiles, stage.donor.dir) : undefined;
      m.writtenFiles = stage.outFiles;
      // An adapter on an earlier stage's output patches that stage's tensors as they are computed.
      if (ref.lora) {
        const lora = await withLora(recipe, ref, ref.lora, m.tensors, cwd);
        m.tensors = lora.tensors;
        m.loraDir = lora.dir;
      }
      models.set(ref.key, m);
      continue;
    }
    const dir = locateModel(recipe, ref, cwd);
    let local;
    try {
      local = await readLocalModel(dir);
    } catch (e) {
      if (e instanceof MergeopsError) {
        throw new RecipeError(`model \`${ref.key}\`: ${e.message}`, e.hint, ref.pos, lineOf(recipe, ref));
      }
      throw e;
    }
    const config = { ...local.config };
    if (ref.overrideArchitecture) config.architectures = [ref.overrideArchitecture];
    const arch = detectArch(config, [...local.tensors.keys()], ref.key);
    const lora = ref.lora ? await withLora(recipe, ref, ref.lora, local.tensors, cwd) : undefined;
    models.set(ref.key, {
      ref, key: ref.key, dir, config, tensors: lora?.tensors ?? local.tensors, arch, otherFiles: local.otherFiles,
      tokenizer: recipeNeedsTokenizers(recipe) ? readTokenizerFiles(dir) : undefined,
      ...(lora ? { loraDir: lora.dir } : {}),
    });
  }
  checkSameLayout(
    [...models.values()].map((m) => ({ label: m.key, arch: m.arch, tensorNames: [...m.tensors.keys()] })),
    { allowCrimes: opts.allowCrimes },
  );
  return { recipe, models };
}
