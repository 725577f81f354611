/** The stages in order, for the front ends (CLI, Action): recipe file → plan → files. */
import { readFileSync } from 'node:fs';
import { MergeopsError, RecipeError } from './errors.js';
import { resolveRecipe, type ResolveOptions } from './hub/resolve.js';
import { buildPlan, type PlanOptions } from './plan/plan.js';
import type { Plan } from './plan/types.js';
import { parseRecipeText } from './recipe/parse.js';
import type { Recipe } from './recipe/types.js';

export function loadRecipeFile(file: string): Recipe {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new MergeopsError('USAGE', `cannot read recipe ${file}`, 'check the path of the recipe file');
  }
  const docs = parseRecipeText(text, file);
  if (docs.length > 1) {
    throw new RecipeError('multi-stage recipes (several `---` documents) are not supported yet',
      'run each stage as its own recipe for now', docs[1].pos, docs[1].lines[docs[1].pos.line - 1]);
  }
  return docs[0];
}

/** parse → resolve → plan. */
export async function planRecipeFile(file: string, opts: ResolveOptions & PlanOptions = {}): Promise<Plan> {
  const recipe = loadRecipeFile(file);
  const resolved = await resolveRecipe(recipe, opts);
  return buildPlan(resolved, opts);
}
