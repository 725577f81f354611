/**
 * Multi-stage recipes (mergekit-multi): `---`-separated documents, each optionally `name:`d; a
 * later stage uses an earlier one by naming it wherever a model is accepted. This module orders
 * the stages and checks the graph; no I/O.
 */
import { RecipeError } from '../errors.js';
import type { ModelRef, Recipe } from './types.js';

/** Every model reference of a recipe, in the order they appear, without duplicates. */
export function referencedModels(recipe: Recipe): ModelRef[] {
  const refs: ModelRef[] = [];
  for (const s of recipe.models ?? []) refs.push(s.model);
  for (const slice of recipe.slices ?? []) {
    for (const s of slice.sources) refs.push(s.model);
    if (slice.baseModel) refs.push(slice.baseModel);
  }
  if (recipe.baseModel) refs.push(recipe.baseModel);
  const tok = recipe.tokenizer?.source ?? recipe.tokenizerSource;
  if (tok && typeof tok === 'object') refs.push(tok);
  for (const t of recipe.tokenizer?.tokens.values() ?? []) {
    if (t.source?.model) refs.push(t.source.model);
  }
  const seen = new Set<string>();
  return refs.filter((r) => (seen.has(r.key) ? false : (seen.add(r.key), true)));
}

/**
 * The model whose config and tokenizer the output takes (the donor): `base_model`, else the first
 * model of `models:` or of the first slice (mergekit).
 */
export function donorRef(recipe: Recipe): ModelRef | undefined {
  return recipe.baseModel ?? recipe.models?.[0]?.model ?? recipe.slices?.[0]?.sources[0]?.model;
}

export interface StageGraph {
  /** Every document in an order where each stage comes after the stages it uses. */
  order: Recipe[];
  /** The stage whose output is the run's output: the unnamed document, else the last one. */
  final: Recipe;
  /** For each stage (by document index in `order`), the names of the stages it uses. */
  uses: Map<Recipe, string[]>;
}

function err(doc: Recipe, ref: ModelRef | undefined, message: string, hint: string): RecipeError {
  const pos = ref?.pos ?? doc.pos;
  return new RecipeError(message, hint, pos, doc.lines[pos.line - 1]);
}

/** A reference to a stage: its bare name (no revision; a `+lora` on a stage is an error). */
function stageRef(ref: ModelRef, names: ReadonlySet<string>): string | undefined {
  return names.has(ref.path) ? ref.path : undefined;
}

/** Orders the documents of a recipe file and checks references between them. */
export function stageGraph(docs: readonly Recipe[]): StageGraph {
  // The parser already rejects a second unnamed document.
  const final = docs.find((d) => d.name === undefined) ?? docs[docs.length - 1];
  const byName = new Map(docs.filter((d) => d.name !== undefined).map((d) => [d.name!, d]));
  const names = new Set(byName.keys());
  const uses = new Map<Recipe, string[]>();
  for (const d of docs) {
    const used: string[] = [];
    for (const ref of referencedModels(d)) {
      const name = stageRef(ref, names);
      if (name === undefined) continue;
      // `stage+lora` is allowed (as in mergekit): the adapter patches the stage's tensors as they are computed.
      if (ref.revision !== undefined) {
        throw err(d, ref, `\`${ref.key}\` names the stage \`${name}\` with a revision`,
          `a stage's output has no revisions: write just \`${name}\`${ref.lora ? `+${ref.lora.path}` : ''}`);
      }
      if (name === d.name) {
        throw err(d, ref, `stage \`${name}\` uses its own output`, 'a stage can only use models and earlier stages');
      }
      used.push(name);
    }
    uses.set(d, used);
  }
  // Depth-first topological order; a stage met again while on the stack closes a cycle.
  const order: Recipe[] = [];
  const state = new Map<Recipe, 'visiting' | 'done'>();
  const visit = (d: Recipe, path: Recipe[]): void => {
    if (state.get(d) === 'done') return;
    if (state.get(d) === 'visiting') {
      const cycle = [...path.slice(path.indexOf(d)), d].map((s) => s.name).join(' → ');
      const from = path[path.length - 1];
      const ref = referencedModels(from).find((r) => r.path === d.name);
      throw err(from, ref, `circular dependency between stages: ${cycle}`, 'a stage may only use stages that do not use it; break the cycle');
    }
    state.set(d, 'visiting');
    for (const name of uses.get(d)!) visit(byName.get(name)!, [...path, d]);
    state.set(d, 'done');
    order.push(d);
  };
  for (const d of docs) visit(d, []);
  return { order, final, uses };
}
