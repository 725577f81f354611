/** The stages in order, for the front ends (CLI, Action): recipe file → plan → files. */
import { readFileSync } from 'node:fs';
import { MergeopsError } from './errors.js';
import { resolveRecipe, type ResolveOptions } from './hub/resolve.js';
import { buildPlan, type PlanOptions } from './plan/plan.js';
import type { Plan } from './plan/types.js';
import { parseRecipeText } from './recipe/parse.js';
import { stageGraph } from './recipe/stages.js';
import type { Recipe } from './recipe/types.js';

/** Every document of a recipe file (one per stage of a multi-stage recipe). */
export function loadRecipeFile(file: string): Recipe[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new MergeopsError('USAGE', `cannot read recipe ${file}`, 'check the path of the recipe file');
  }
  return parseRecipeText(text, file);
}

/**
 * parse → resolve → plan. A multi-stage recipe gives the final stage's plan, whose inputs from
 * earlier stages are those stages' planned tensors (computed in memory, never written), with the
 * earlier stages' own plans in `plan.stages`.
 */
export async function planRecipeFile(file: string, opts: ResolveOptions & PlanOptions = {}): Promise<Plan> {
  const docs = loadRecipeFile(file);
  if (docs.length === 1) return buildPlan(await resolveRecipe(docs[0], opts), opts);
  const graph = stageGraph(docs);
  const plans = new Map<string, Plan>();
  const stages: { name: string; plan: Plan }[] = [];
  let final: Plan | undefined;
  for (const doc of graph.order) {
    const plan = buildPlan(await resolveRecipe(doc, { ...opts, stages: plans }), opts);
    if (doc === graph.final) final = plan;
    else {
      plans.set(doc.name!, plan);
      stages.push({ name: doc.name!, plan });
    }
  }
  final!.stages = stages;
  const unused = stages.filter((s) => !usesStage(final!, s.plan));
  for (const s of unused) final!.warnings.push(`stage \`${s.name}\` is not used by the final merge (written only with --keep-intermediates)`);
  return final!;
}

function usesStage(plan: Plan, stage: Plan): boolean {
  const seen = new Set(stage.tensors);
  const walk = (t: Plan['tensors'][number]): boolean => t.inputs.some((r) => r.producer !== undefined && (seen.has(r.producer) || walk(r.producer)));
  return plan.tensors.some(walk);
}
