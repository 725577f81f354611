/**
 * What the model card says, gathered once by `run` (recipe, pinned inputs, licenses, gradient
 * parameters, provenance) and kept in the output folder as `mergeops_card.json`, so that
 * `publish` renders the same card later with the repos' names, eval.json and the files written.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MergeopsError } from '../errors.js';
import { CARD_DATA_FILE } from '../execute/output-safety.js';
import { evaluateGradient, layerT } from '../recipe/parameters.js';
import { referencedModels } from '../recipe/stages.js';
import type { ParamMap, Recipe } from '../recipe/types.js';


export interface CardInput {
  /** The recipe's reference (ModelRef.key). */
  key: string;
  /** Hub repo id and the commit it was pinned to. */
  repo?: string;
  sha?: string;
  /** Local folder as written in the recipe. */
  path?: string;
  /** A LoRA adapter applied to it (`org/name` or path), with its commit. */
  lora?: { repo?: string; sha?: string; path?: string };
  /** The license its card declares (undefined: none found). */
  license?: string;
}

export interface CardStage {
  /** The stage's `name:` (the final stage may have none). */
  name?: string;
  method: string;
  /** Model keys and earlier stage names it merges. */
  inputs: string[];
  base?: string;
  final: boolean;
}

export interface CardGradient {
  stage?: string;
  /** Where it is set: `parameters`, a model key, or `slice N`. */
  scope: string;
  param: string;
  filter?: string;
  /** The value at each output layer. */
  perLayer: number[];
}

export interface Provenance {
  /** e.g. https://github.com/org/repo */
  repositoryUrl?: string;
  commit?: string;
  /** The Actions workflow run. */
  runUrl?: string;
  mergeopsVersion: string;
  /** sha256 of mergeops.lock, when the run used one. */
  lockSha256?: string;
}

export interface CardData {
  version: 1;
  /** The recipe file as named to mergeops (relative to the repository root when known). */
  recipeFile: string;
  recipeText: string;
  stages: CardStage[];
  inputs: CardInput[];
  /** The merge's license (inherited, or `mergeops.license`); undefined when undecided. */
  license?: string;
  architectures: string[];
  /** Parameters of the merged model (elements of every tensor). */
  parameters: number;
  layers?: number;
  gradients: CardGradient[];
  provenance: Provenance;
}

function stageInputs(doc: Recipe): string[] {
  return referencedModels(doc).filter((r) => r.key !== doc.baseModel?.key).map((r) => r.key);
}

function gradientsOf(doc: Recipe, layers: number | undefined): CardGradient[] {
  if (!layers) return [];
  const out: CardGradient[] = [];
  const scan = (scope: string, params: ParamMap): void => {
    for (const [param, s] of params) {
      const list = s.kind === 'gradient' ? [{ values: s.values, filter: undefined as string | undefined }]
        : s.kind === 'conditional' ? s.entries.filter((e) => Array.isArray(e.value)).map((e) => ({ values: e.value as number[], filter: e.filter }))
          : [];
      for (const g of list) {
        const perLayer = Array.from({ length: layers }, (_, i) => evaluateGradient(g.values, layerT(i, layers)));
        out.push({ stage: doc.name, scope, param, filter: g.filter, perLayer });
      }
    }
  };
  scan('parameters', doc.parameters);
  for (const m of doc.models ?? []) scan(m.model.key, m.parameters);
  (doc.slices ?? []).forEach((sl, i) => {
    scan(`slice ${i + 1}`, sl.parameters);
    for (const src of sl.sources) scan(`slice ${i + 1} ${src.model.key}`, src.parameters);
  });
  return out;
}

/**
 * The merge's license: `mergeops.license` when set, else the one every input declares. When the
 * inputs disagree (or some declare none) and the recipe sets none, `required` makes it an error
 * naming them; otherwise the card says nothing of a license.
 */
export function mergeLicense(docs: readonly Recipe[], inputs: readonly CardInput[], required: boolean): string | undefined {
  const set = docs.map((d) => d.mergeops.license).find((l) => l !== undefined);
  if (set) return set;
  const found = new Set(inputs.map((i) => i.license ?? '(none)'));
  if (found.size === 1 && !found.has('(none)')) return [...found][0];
  if (!required) return undefined;
  const final = docs[docs.length - 1];
  const list = inputs.map((i) => `${i.repo ?? i.path ?? i.key}: ${i.license ?? 'no license declared'}`).join('; ');
  const why = found.has('(none)') ? 'not every input declares a license' : 'the inputs\' licenses disagree';
  throw new MergeopsError('RECIPE', `${final.file}: ${why} (${list}), so the merge's license cannot be inherited`,
    'set it in the recipe: `mergeops:` then `  license: <id>` (a Hub license id, e.g. apache-2.0, or `other`), after checking the inputs\' terms allow it');
}

export interface CardDataSource {
  recipeFile: string;
  docs: readonly Recipe[];
  /** The final stage's document. */
  final: Recipe;
  inputs: CardInput[];
  outConfig: Record<string, unknown>;
  parameters: number;
  provenance: Provenance;
  /** Fail when the license cannot be decided (publishing). */
  licenseRequired: boolean;
}

export function buildCardData(s: CardDataSource): CardData {
  const layers = typeof s.outConfig.num_hidden_layers === 'number' ? s.outConfig.num_hidden_layers : undefined;
  const stages: CardStage[] = s.docs.map((d) => ({ name: d.name, method: d.mergeMethod, inputs: stageInputs(d), base: d.baseModel?.key, final: d === s.final }));
  // The final stage's gradients map onto the output's layers; an earlier stage's have the same count of layers in every stage we plan.
  const gradients = s.docs.flatMap((d) => gradientsOf(d, layers));
  return {
    version: 1, recipeFile: s.recipeFile, recipeText: s.final.lines.join('\n').trimEnd() + '\n', stages, inputs: s.inputs,
    license: mergeLicense(s.docs, s.inputs, s.licenseRequired),
    architectures: Array.isArray(s.outConfig.architectures) ? s.outConfig.architectures.map(String) : [],
    parameters: s.parameters, layers, gradients, provenance: s.provenance,
  };
}

export function writeCardData(dir: string, data: CardData): void {
  writeFileSync(join(dir, CARD_DATA_FILE), JSON.stringify(data, null, 2) + '\n');
}

export function readCardData(dir: string): CardData | undefined {
  const f = join(dir, CARD_DATA_FILE);
  if (!existsSync(f)) return undefined;
  try {
    const d = JSON.parse(readFileSync(f, 'utf8')) as CardData;
    if (d.version === 1 && Array.isArray(d.inputs) && Array.isArray(d.stages)) return d;
  } catch { /* reported below */ }
  throw new MergeopsError('IO', `${f} is damaged or from another mergeops version`, 'run the merge again to write it');
}
