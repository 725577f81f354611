/**
 * Plan stage: Resolved → Plan. Pure: decides every output tensor, its inputs, its op and its
 * place in the output shards from headers alone. Recipe mistakes surface here, with positions.
 */
import { findTensorName } from '../arch/detect.js';
import type { WeightDef } from '../arch/types.js';
import { MergeopsError, RecipeError, type SourcePos } from '../errors.js';
import { isFloatDType, torchDTypeName, type DType } from '../formats/dtype.js';
import { newJsonText, reconcileJsonText } from '../formats/json-text.js';
import { buildIndexJson, buildSafetensorsHeader, planShards, type TensorSpec } from '../formats/safetensors.js';
import type { MergeMethod, MethodInput } from '../methods/types.js';
import { layerT, resolveParameter } from '../recipe/parameters.js';
import type { ModelRef, ParamMap, Recipe } from '../recipe/types.js';
import { gatherInputs, gatherReadBytes, planTokenizer } from '../tokenizer/plan-tokenizer.js';
import { checkRecipe } from './check-recipe.js';
import type { Resolved, ResolvedModel } from '../model/resolved.js';
import type { InputTensorRef, PlannedTensor } from '../model/tensor.js';
import type { Plan, PlannedShard } from './types.js';
import { planGGUFFiles } from './gguf-files.js';
import type { GGUFRequest } from './gguf-plan.js';
import { parseFileType, type FileTypeName } from '../quant/select.js';

export const DEFAULT_SHARD_BYTES = 5e9; // mergekit's --out-shard-size 5B

/**
 * Sets the output layer count where the donor's config keeps it: the top-level key, else the same
 * key of a nested `text_config` (vision-language configs), else nowhere (the count then comes from
 * the tensor names, as it did for the donor; adding a top-level key would confuse loaders).
 */
function setLayerCount(config: Record<string, unknown>, key: string, layers: number): void {
  if (typeof config[key] === 'number') { config[key] = layers; return; }
  const text = config.text_config;
  if (typeof text === 'object' && text !== null && !Array.isArray(text) && typeof (text as Record<string, unknown>)[key] === 'number') {
    config.text_config = { ...(text as Record<string, unknown>), [key]: layers };
  }
}

/** Files copied from the donor model (mergekit's tokenizer copy list). */
export const DONOR_FILES: readonly string[] = [
  'tokenizer_config.json', 'special_tokens_map.json', 'tokenizer.json', 'tokenizer.model',
  'added_tokens.json', 'merges.txt', 'vocab.json', 'chat_template.jinja', 'chat_template.json',
  'generation_config.json',
];

export interface PlanOptions {
  /** Output shard size in bytes (default: recipe `mergeops.out_shard_size`, else 5 GB). */
  outShardSize?: number;
  /**
   * The GGUF files the run writes beside the safetensors (`plan.gguf`), named after `modelId`;
   * types default to the recipe's `mergeops.quantize`. The donor's `ggufSources` must be resolved.
   */
  gguf?: GGUFOptions;
  /**
   * Write only the GGUF files, into an existing folder (`mergeops quantize`): no shards, no model
   * files (`Plan.ggufOnly`).
   */
  ggufOnly?: boolean;
}

/** A GGUF request whose types may come from the recipe. */
export type GGUFOptions = Omit<GGUFRequest, 'types'> & { types?: readonly FileTypeName[] };

interface Source {
  model: ResolvedModel;
  ref: ModelRef;
  layerStart: number;
  params: ParamMap;
  isBase: boolean;
}

interface Slice {
  sources: Source[];
  params: ParamMap;
  numLayers: number;
  pos: SourcePos;
}

const EMPTY: ParamMap = new Map();

function recipeError(recipe: Recipe, pos: SourcePos, message: string, hint: string): RecipeError {
  return new RecipeError(message, hint, pos, recipe.lines[pos.line - 1]);
}

function model(resolved: Resolved, ref: ModelRef): ResolvedModel {
  const m = resolved.models.get(ref.key);
  if (!m) throw new MergeopsError('INTERNAL', `model ${ref.key} was not resolved`, 'report this as a bug');
  return m;
}

/** mergekit's normalize_config: `models:` becomes one slice over every layer. */
function buildSlices(resolved: Resolved, method: MergeMethod): Slice[] {
  const { recipe } = resolved;
  const baseRef = recipe.baseModel;
  if (method.base === 'required' && !baseRef && !(recipe.slices?.length && recipe.slices.every((s) => s.baseModel))) {
    throw recipeError(recipe, recipe.mergeMethodPos,
      `merge method \`${method.name}\` needs a base model`,
      'add `base_model: <the model the others were fine-tuned from>` at the top level of the recipe');
  }
  const withBase = (sources: Source[], base: ModelRef | undefined, layerStart: number): Source[] => {
    if (!base || method.base === 'none') return sources;
    let found = false;
    for (const s of sources) if (s.ref.key === base.key) { s.isBase = method.base !== 'input'; found = true; }
    if (!found) sources.push({ model: model(resolved, base), ref: base, layerStart, params: EMPTY, isBase: method.base !== 'input' });
    return sources;
  };
  if (recipe.models) {
    const sources: Source[] = recipe.models.map((s) => ({
      model: model(resolved, s.model), ref: s.model, layerStart: 0, params: s.parameters, isBase: false,
    }));
    withBase(sources, baseRef, 0);
    const counts = new Set(sources.map((s) => s.model.arch.numLayers));
    if (counts.size > 1) {
      const odd = sources.find((s) => s.model.arch.numLayers !== sources[0].model.arch.numLayers)!;
      throw recipeError(recipe, odd.ref.pos,
        `the models have different layer counts (${sources.map((s) => `${s.ref.key}: ${s.model.arch.numLayers}`).join(', ')})`,
        'use `slices:` with explicit `layer_range`s to say which layers go together');
    }
    return [{ sources, params: EMPTY, numLayers: sources[0].model.arch.numLayers, pos: recipe.pos }];
  }
  return (recipe.slices ?? []).map((slice) => {
    const lengths = new Set<number>();
    const sources: Source[] = slice.sources.map((s) => {
      const m = model(resolved, s.model);
      const [a, b] = s.layerRange ?? [0, m.arch.numLayers];
      if (b > m.arch.numLayers) {
        throw recipeError(recipe, s.layerRangePos?.end ?? s.pos,
          `layer_range [${a}, ${b}] goes past the last layer of \`${s.model.key}\`, which has ${m.arch.numLayers} layers`,
          `use an end of at most ${m.arch.numLayers} (the end is exclusive)`);
      }
      lengths.add(b - a);
      return { model: m, ref: s.model, layerStart: a, params: s.parameters, isBase: false };
    });
    if (lengths.size > 1) {
      const span = (s: typeof slice.sources[number]): number => s.layerRange![1] - s.layerRange![0];
      const odd = slice.sources.find((s) => span(s) !== span(slice.sources[0]))!;
      throw recipeError(recipe, odd.layerRangePos?.range ?? slice.pos,
        `all sources of a slice must span the same number of layers: \`${odd.model.key}\` spans ${span(odd)}, \`${slice.sources[0].model.key}\` ${span(slice.sources[0])}`,
        'make every `layer_range` in this slice the same length');
    }
    withBase(sources, slice.baseModel ?? baseRef, sources[0]?.layerStart ?? 0);
    return { sources, params: slice.parameters, numLayers: [...lengths][0] ?? 0, pos: slice.pos };
  });
}

interface OutWeight {
  def: WeightDef;
  outName: string;
  /** Layer index of the weight in each source (undefined for pre/post weights). */
  layerOf: (s: Source) => number | undefined;
  slice: Slice;
  t: number;
}

export function buildPlan(resolved: Resolved, opts: PlanOptions = {}): Plan {
  const { recipe } = resolved;
  const { method, options, notes } = checkRecipe(recipe);
  const slices = buildSlices(resolved, method);
  if (slices.length === 0) {
    throw recipeError(recipe, recipe.pos, 'the recipe merges nothing', 'list at least one model under `models:` or `slices:`');
  }
  const first = slices[0].sources[0].model;
  const def = first.arch.def;
  const totalLayers = slices.reduce((a, s) => a + s.numLayers, 0);

  // Output weights in HF order: pre (first slice, t = 0), layers, post (last slice, t = 0).
  const weights: OutWeight[] = [];
  for (const w of def.preWeights) weights.push({ def: w, outName: w.name, layerOf: () => undefined, slice: slices[0], t: 0 });
  let outLayer = 0;
  for (const slice of slices) {
    for (let i = 0; i < slice.numLayers; i++, outLayer++) {
      const t = layerT(i, slice.numLayers);
      const li = i;
      for (const w of def.layerWeights) {
        weights.push({ def: w, outName: w.name.replaceAll('${layer_index}', String(outLayer)), layerOf: (s) => s.layerStart + li, slice, t });
      }
    }
  }
  const last = slices[slices.length - 1];
  for (const w of def.postWeights) weights.push({ def: w, outName: w.name, layerOf: () => undefined, slice: last, t: 0 });

  const outDtypeOverride = recipe.outDtype ?? recipe.dtype;
  const tied = first.config.tie_word_embeddings === true || (first.config.tie_word_embeddings === undefined && !first.tensors.has('lm_head.weight'));
  const used = new Set<string>();
  const tensors: PlannedTensor[] = [];
  const warnings: string[] = [];
  const tok = planTokenizer(resolved);
  if (tok) warnings.push(...tok.warnings);
  warnings.push(...recipe.notes ?? [], ...notes);

  // One name set per model: built per weight, it made planning quadratic in the layer count.
  const availOf = new Map<unknown, Set<string>>();
  const namesOf = (m: Source['model']): Set<string> => {
    let a = availOf.get(m);
    if (!a) availOf.set(m, a = new Set(m.tensors.keys()));
    return a;
  };
  for (const w of weights) {
    const present: { s: Source; name: string }[] = [];
    const missing: Source[] = [];
    for (const s of w.slice.sources) {
      const avail = namesOf(s.model);
      // A tied output head is not duplicated: resolve lm_head only where a model stores it.
      const name = w.def.tiedNames && tied
        ? findTensorName({ ...w.def, tiedNames: undefined }, w.layerOf(s), avail)
        : findTensorName(w.def, w.layerOf(s), avail);
      if (name) present.push({ s, name });
      else missing.push(s);
    }
    if (present.length === 0) {
      if (w.def.optional) continue;
      throw new MergeopsError('TENSOR_MISSING',
        `tensor ${w.outName} is required but no model has it (${w.slice.sources.map((s) => s.ref.key).join(', ')})`,
        'check that every model is a complete checkpoint of the same architecture');
    }
    if (missing.length > 0 && !w.def.optional && !method.singleInput) {
      const m = missing[0];
      const want = w.def.name.replaceAll('${layer_index}', String(w.layerOf(m) ?? ''));
      throw new MergeopsError('TENSOR_MISSING',
        `model \`${m.ref.key}\` has no tensor ${want} (needed for ${w.outName}); ${present.map((p) => p.s.ref.key).join(', ')} ha${present.length > 1 ? 've' : 's'} it`,
        'the checkpoint may be incomplete or of another architecture; re-download it or remove it from the recipe');
    }
    // Base first for methods that have one; the rest in recipe order.
    present.sort((a, b) => Number(b.s.isBase) - Number(a.s.isBase));

    const global: Record<string, number | undefined> = {};
    for (const p of method.globalParams) {
      global[p.name] = resolveParameter(p.name, [w.slice.params, recipe.parameters], w.outName, w.t) ?? p.default;
      if (global[p.name] === undefined && p.required) {
        throw recipeError(recipe, recipe.mergeMethodPos,
          `missing required parameter \`${p.name}\` of ${method.name} for tensor ${w.outName}`,
          `add \`parameters: {${p.name}: …}\` at the top level of the recipe`);
      }
    }
    const inputs: MethodInput[] = present.map(({ s, name }) => {
      const params: Record<string, number | undefined> = {};
      for (const p of method.perModelParams) {
        const v = resolveParameter(p.name, [s.params, w.slice.params, recipe.parameters], name, w.t) ?? p.default;
        if (v === undefined && p.required && !s.isBase) {
          throw recipeError(recipe, s.ref.pos,
            `missing required parameter \`${p.name}\` for model \`${s.ref.key}\` (tensor ${name})`,
            `give the model \`parameters: {${p.name}: …}\`, or set \`${p.name}\` under the top-level \`parameters:\``);
        }
        const err = v === undefined ? undefined : p.validate?.(v);
        if (err) {
          // Point at the setting the value came from: the model's, the slice's or the top-level one.
          const setting = [s.params, w.slice.params, recipe.parameters].find((m) => m.has(p.name))?.get(p.name);
          throw recipeError(recipe, setting?.pos ?? s.ref.pos, `parameter \`${p.name}\` of \`${s.ref.key}\`: ${err}`, `fix the value of \`${p.name}\``);
        }
        params[p.name] = v;
      }
      return { modelKey: s.ref.key, isBase: s.isBase, params };
    });

    const refs: InputTensorRef[] = present.map(({ s, name }) => {
      const t = s.model.tensors.get(name)!;
      used.add(`${s.model.key}\u0000${name}`);
      const ref: InputTensorRef = { modelKey: s.model.key, tensor: name, file: t.file, source: t.source, start: t.start, end: t.end, dtype: t.dtype, shape: t.shape, producer: t.producer };
      if (t.lora) ref.lora = t.lora;
      return ref;
    });
    let shape = refs[0].shape;
    if (w.def.isEmbed && tok?.vocab) {
      // Tokenizer merge: every input is remapped to the output vocabulary (rows gathered).
      const g = gatherInputs(tok, recipe, w.outName, refs, (key) => {
        const m = resolved.models.get(key)!;
        const name = findTensorName(w.def, undefined, namesOf(m));
        const t = name === undefined ? undefined : m.tensors.get(name);
        // Borrowed rows come from the tensor as the model holds it: computed by an earlier stage, or LoRA-patched.
        return t && {
          modelKey: m.key, tensor: t.name, file: t.file, source: t.source, start: t.start, end: t.end, dtype: t.dtype, shape: t.shape,
          ...(t.producer ? { producer: t.producer } : {}), ...(t.lora ? { lora: t.lora } : {}),
        };
      });
      refs.splice(0, refs.length, ...g.refs);
      shape = g.shape;
      warnings.push(...g.warnings);
    }
    const rowCounts = refs.map((r) => r.shape[0]);
    if (w.def.isEmbed && !tok?.vocab && recipe.mergeops.truncateEmbeddings && refs.every((r) => r.shape.length === 2 && r.shape[1] === shape[1])
      && rowCounts.some((n) => n !== rowCounts[0])) {
      // mergekit's rectify_embed_sizes: every input cropped to the common rows (asked for explicitly).
      const rows = Math.min(...rowCounts);
      const cols = shape[1];
      refs.splice(0, refs.length, ...refs.map((r) => (r.shape[0] === rows ? r
        : { ...r, shape: [rows, cols], gather: { cols, sources: [r], rows: { map: Array.from({ length: rows }, (_, i) => i), mixes: [] } } })));
      shape = [rows, cols];
      warnings.push(`${w.outName}: the vocabularies differ (${[...new Set(rowCounts)].join(' / ')} rows): every input cropped to its first ${rows} rows (mergeops.truncate_embeddings)`);
    }
    for (const r of refs) {
      if (w.def.isEmbed && !tok?.vocab && r.shape[0] !== shape[0] && r.shape[1] === shape[1]) {
        const ref = resolved.models.get(r.modelKey)?.ref ?? resolved.models.get(refs[0].modelKey)!.ref;
        throw recipeError(recipe, ref.pos,
          `the vocabularies differ: ${w.outName} has ${shape[0]} rows in \`${refs[0].modelKey}\` but ${r.shape[0]} in \`${r.modelKey}\``,
          'add `tokenizer_source: union` (every model\'s tokens, embeddings remapped) or `tokenizer_source: base` (the base model\'s vocabulary) at the top level of the recipe; mergeops never crops embeddings silently (`mergeops: {truncate_embeddings: true}` crops them as mergekit does)');
      }
      if (r.shape.length !== shape.length || r.shape.some((d, i) => d !== shape[i])) {
        throw new MergeopsError('SHAPE_MISMATCH',
          `tensor ${w.outName}: \`${refs[0].modelKey}\` has shape [${shape.join(', ')}] but \`${r.modelKey}\` has [${r.shape.join(', ')}]`,
          w.def.isEmbed
            ? 'the embedding matrices differ in width: the models have different hidden sizes, so they cannot be merged'
            : 'these models do not share an architecture size; merge models of the same size');
      }
    }
    const planned = method.planTensor({ tensor: w.outName, inputs, global, options });
    if ('error' in planned) throw recipeError(recipe, recipe.mergeMethodPos, planned.error, planned.hint);
    // A LoRA adapter's modules_to_save tensor may be stored in another dtype than its model holds it in.
    const inDtype = present[0].s.model.tensors.get(present[0].name)!.modelDtype ?? refs[0].dtype;
    const floatIn = refs.every((r) => isFloatDType(r.dtype));
    // Integer tensors (position ids and the like) are not merged: the first input is copied.
    if (!floatIn && refs.length > 1) warnings.push(`${w.outName} is ${inDtype}: copied from \`${refs[0].modelKey}\`, not merged`);
    const op = floatIn ? planned.op : { kind: 'copy' as const };
    const dtype: DType = floatIn ? (outDtypeOverride ?? inDtype) : inDtype;
    tensors.push({
      name: w.outName, shape, dtype, op, inputs: floatIn ? refs : [refs[0]], shard: 0, start: 0, end: 0,
    });
  }

  // Slices can take the embedding and the output head from models with different vocabularies.
  const embeds = tensors.filter((t) => weights.some((w) => w.def.isEmbed && w.outName === t.name));
  if (!tok?.vocab && embeds.some((t) => t.shape[0] !== embeds[0].shape[0])) {
    throw recipeError(recipe, recipe.pos,
      `the vocabularies differ: ${embeds.map((t) => `${t.name} (from \`${t.inputs[0].modelKey}\`) has ${t.shape[0]} rows`).join(', ')}`,
      'add `tokenizer_source: union` (or `base`) so every embedding-like tensor is remapped to one vocabulary');
  }

  // Output shards: offsets are fixed now, before any data is read.
  const shardBytes = opts.outShardSize ?? recipe.mergeops.outShardSize ?? DEFAULT_SHARD_BYTES;
  const specs: TensorSpec[] = tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape }));
  const shardPlans = planShards(specs, shardBytes);
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const shards: PlannedShard[] = [];
  const weightMap: Record<string, string> = {};
  let totalTensorBytes = 0;
  shardPlans.forEach((sp, si) => {
    const { header, entries } = buildSafetensorsHeader(sp.tensors, { format: 'pt' });
    let size = header.length;
    for (const e of entries) {
      const t = byName.get(e.name)!;
      t.shard = si; t.start = e.start; t.end = e.end;
      size = Math.max(size, e.end);
      weightMap[e.name] = sp.fileName;
      totalTensorBytes += e.end - e.start;
    }
    shards.push({ fileName: sp.fileName, header, size });
  });
  // Keep the plan in file order so the executor writes each shard front to back.
  tensors.sort((a, b) => a.shard - b.shard || a.start - b.start);

  const outDtypeName = outDtypeOverride ? torchDTypeName(outDtypeOverride) : undefined;
  const donorModel = recipe.baseModel ? model(resolved, recipe.baseModel) : first;
  const outConfig: Record<string, unknown> = { ...donorModel.config };
  setLayerCount(outConfig, def.numLayersKey, totalLayers);
  if (tok?.vocab) outConfig[def.vocabSizeKey] = tok.vocab.paddedSize;
  if (outDtypeName) {
    if ('dtype' in outConfig) outConfig.dtype = outDtypeName;
    if ('torch_dtype' in outConfig || !('dtype' in outConfig)) outConfig.torch_dtype = outDtypeName;
  }

  const ignored = new Set<string>();
  for (const m of resolved.models.values()) {
    for (const name of m.tensors.keys()) if (!used.has(`${m.key}\u0000${name}`) && !isKnownWeight(def, name)) ignored.add(name);
  }
  for (const name of ignored) warnings.push(`${name} is not part of the ${def.id} architecture: not written`);

  const inputBytes = tensors.reduce((a, t) => a + readBytes(t), 0);
  const outputBytes = shards.reduce((a, s) => a + s.size, 0);
  const plan: Plan = {
    recipe,
    methodName: method.name,
    tensors,
    shards,
    indexJson: shards.length > 1 ? buildIndexJson(weightMap, totalTensorBytes, { mergeops_version: '0.1.0' }) : undefined,
    outConfig,
    outConfigText: donorModel.configText !== undefined ? reconcileJsonText(donorModel.configText, outConfig) : newJsonText(outConfig),
    donor: {
      modelKey: donorModel.key, dir: donorModel.dir,
      files: donorModel.otherFiles.filter((f) => DONOR_FILES.includes(f) && !tok?.replaced.includes(f)),
    },
    outFiles: [...(donorModel.writtenFiles ?? []).filter((f) => !tok?.replaced.includes(f.name)), ...(tok?.files ?? [])],
    tokenizer: tok && {
      source: tok.sourceLabel,
      vocabSize: tok.vocab?.paddedSize, added: tok.vocab?.appended.length, chatTemplate: tok.chatTemplate,
    },
    ignoredTensors: [...ignored],
    warnings,
    estimates: {
      inputBytes,
      outputBytes,
      largestTensorBytes: tensors.reduce((a, t) => Math.max(a, t.end - t.start), 0),
      diskBytes: outputBytes,
    },
  };
  if (opts.gguf) planGGUF(plan, opts.gguf, donorModel, opts.ggufOnly ?? false);
  else if (opts.ggufOnly) throw new MergeopsError('INTERNAL', 'a GGUF-only plan without a GGUF request', 'give `gguf` with `ggufOnly`');
  return plan;
}

/** The GGUF types a run writes: those asked for (`--gguf`), else the recipe's `mergeops.quantize`. */
export function ggufTypes(recipe: Recipe, asked?: readonly FileTypeName[]): FileTypeName[] {
  return [...new Set(asked ?? (recipe.mergeops.quantize ?? []).map(parseFileType))];
}

/** Sets `plan.gguf` (one file or gguf-split set per type) and counts its bytes in the disk estimate. */
function planGGUF(plan: Plan, o: GGUFOptions, donor: ResolvedModel, ggufOnly: boolean): void {
  const types = ggufTypes(plan.recipe, o.types);
  if (types.length === 0) {
    if (o.split) {
      throw new MergeopsError('USAGE', '--split-max-size / --split-max-tensors split GGUF files, but this run writes none',
        'add --gguf TYPES (e.g. --gguf Q4_K_M), or `quantize:` under the recipe\'s `mergeops:`');
    }
    if (ggufOnly) throw new MergeopsError('INTERNAL', 'a GGUF-only plan without a GGUF type', 'give `gguf.types`');
    return;
  }
  plan.gguf = planGGUFFiles(plan, { ...o, types }, donor);
  const bytes = plan.gguf.plans.reduce((a, p) => a + p.files.reduce((b, f) => b + f.layout.fileSize, 0), 0);
  plan.estimates.ggufBytes = bytes;
  // A GGUF-only run writes nothing else.
  plan.estimates.diskBytes = (ggufOnly ? 0 : plan.estimates.diskBytes) + bytes;
  if (ggufOnly) plan.ggufOnly = true;
}

/** Bytes a tensor reads from storage: earlier stages' tensors are computed from their own inputs. */
export function readBytes(t: PlannedTensor): number {
  return t.inputs.reduce((a, r) => a + (r.gather ? gatherReadBytes(r, refBytes) : refBytes(r)), 0);
}

/** Bytes reading one whole (ungathered) input costs: its inputs' for an earlier stage's tensor, plus a LoRA patch's factors. */
function refBytes(r: InputTensorRef): number {
  const lora = r.lora ? r.lora.a.end - r.lora.a.start + r.lora.b.end - r.lora.b.start : 0;
  return (r.producer ? readBytes(r.producer) : r.end - r.start) + lora;
}

/** True for tensors the architecture table knows about (used by some slice or another). */
function isKnownWeight(def: { preWeights: WeightDef[]; layerWeights: WeightDef[]; postWeights: WeightDef[] }, name: string): boolean {
  const plain = [...def.preWeights, ...def.postWeights];
  if (plain.some((w) => w.name === name || w.aliases?.includes(name) || w.tiedNames?.includes(name))) return true;
  return def.layerWeights.some((w) => new RegExp(`^${escapeRe(w.name).replace('\\$\\{layer_index\\}', '\\d+')}$`).test(name));
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

