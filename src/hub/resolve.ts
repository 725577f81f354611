/** Resolve stage: every model the recipe names → a located, described ResolvedModel. */
import { existsSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve as resolvePath } from 'node:path';
import { checkSameLayout, detectArch } from '../arch/detect.js';
import { MergeopsError, RecipeError } from '../errors.js';
import type { Resolved, ResolvedModel } from '../plan/resolved.js';
import { referencedModels } from '../recipe/stages.js';
import type { ModelRef, Recipe } from '../recipe/types.js';
import type { Plan } from '../plan/types.js';
import { readLocalModel } from './local.js';

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
  if (ref.lora) {
    throw new RecipeError(
      `LoRA reference \`${ref.key}\` is not supported yet`,
      'merge the adapter into its base model first (PEFT merge_and_unload) and reference that folder',
      ref.pos, lineOf(recipe, ref));
  }
  const candidates = isAbsolute(ref.path)
    ? [ref.path]
    : [...new Set([resolvePath(cwd, ref.path), resolvePath(dirname(resolvePath(cwd, recipe.file)), ref.path)])];
  for (const c of candidates) {
    if (existsSync(c) && statSync(c).isDirectory()) return c;
  }
  const looksHub = /^[\w.-]+\/[\w.-]+$/.test(ref.path) && !ref.path.startsWith('.');
  throw new RecipeError(
    `model \`${ref.key}\` not found: no folder ${candidates.map((c) => `\`${c}\``).join(' or ')}`,
    (looksHub ? 'if this is a Hugging Face id: reading from the Hub is not available yet, so download the model and give its folder; otherwise c'
      : 'c') + 'heck the path (relative paths are tried from the current directory, then from the recipe\'s folder)',
    ref.pos, lineOf(recipe, ref));
}

export async function resolveRecipe(recipe: Recipe, opts: ResolveOptions = {}): Promise<Resolved> {
  const cwd = opts.cwd ?? process.cwd();
  const models = new Map<string, ResolvedModel>();
  for (const ref of referencedModels(recipe)) {
    const stage = opts.stages?.get(ref.path);
    if (stage) {
      models.set(ref.key, stageModel(ref, stage));
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
    models.set(ref.key, {
      ref, key: ref.key, dir, config, tensors: local.tensors, arch, otherFiles: local.otherFiles,
    });
  }
  checkSameLayout(
    [...models.values()].map((m) => ({ label: m.key, arch: m.arch, tensorNames: [...m.tensors.keys()] })),
    { allowCrimes: opts.allowCrimes },
  );
  return { recipe, models };
}
