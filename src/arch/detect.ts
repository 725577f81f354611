/**
 * Recognising a model's architecture from its config.json and tensor names, and checking that
 * the models of one merge name their tensors the same way.
 *
 * Lookup follows mergekit (`arch_info_for_config`): the table row whose `architectures` holds
 * `config.architectures[0]`, disambiguated by `model_type`. A model the table does not know is
 * described from its tensor names, as mergekit's `architecture/auto.py` does, with two
 * deliberate differences (see `inferArchDef`).
 */

import { MergeopsError } from '../errors.js';
import { ARCHITECTURES } from './table.js';
import type { ArchDef, ArchInfo, HFConfig, WeightDef } from './types.js';

/** The first `.<digits>.` component of a tensor name is its layer index (mergekit's `RE_LAYER_INDEX`). */
export const LAYER_INDEX_RE = /\.(\d+)\./;

/**
 * Buffers some checkpoints carry that are not weights (llama.cpp's converter skips the same
 * names; transformers recomputes them). They take no part in layouts or merges.
 */
export const IGNORED_TENSOR_SUFFIXES: readonly string[] = [
  '.rotary_emb.inv_freq',
  '.attention.masked_bias',
  '.attention.bias',
  '.attn.masked_bias',
];

export function isIgnoredTensor(name: string): boolean {
  return IGNORED_TENSOR_SUFFIXES.some((s) => name.endsWith(s));
}

/** config.json keys that hold a layer count, tried in this order for inferred architectures. */
const LAYER_COUNT_KEYS = ['num_hidden_layers', 'n_layer', 'num_layers', 'n_layers'];

const TEMPLATE_VAR_RE = /\$\{(layer_index|num_layers)(?:([+-])(\d+))?\}/g;

/**
 * Substitutes mergekit template variables: `${layer_index}`, `${layer_index+1}`,
 * `${layer_index-1}`, `${num_layers}`, `${num_layers+1}`, `${num_layers-1}` (any offset).
 * `${num_layers…}` needs `numLayers`; asking for it without one is a programming error.
 */
export function substituteLayer(template: string, layer: number, numLayers?: number): string {
  if (!template.includes('${')) return template;
  return template.replace(TEMPLATE_VAR_RE, (_m, v: string, sign: string | undefined, off: string | undefined) => {
    let base: number;
    if (v === 'layer_index') base = layer;
    else if (numLayers !== undefined) base = numLayers;
    else {
      throw new MergeopsError('INTERNAL', `template ${JSON.stringify(template)} needs the layer count`,
        'pass numLayers when expanding templates that use ${num_layers}');
    }
    const k = off === undefined ? 0 : Number(off);
    return String(sign === '-' ? base - k : base + k);
  });
}

/**
 * The name a checkpoint stores `def` under: `name`, then each alias, then each tied name (so a
 * missing `lm_head.weight` resolves to `model.embed_tokens.weight`), with `${layer_index}`
 * replaced by `layer` for layer templates. undefined when the checkpoint has none of them.
 */
export function findTensorName(def: WeightDef, layer: number | undefined, available: Set<string>): string | undefined {
  const candidates = [def.name, ...(def.aliases ?? []), ...(def.tiedNames ?? [])];
  for (const c of candidates) {
    const n = layer === undefined ? c : substituteLayer(c, layer);
    if (available.has(n)) return n;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Name analysis shared by inference and layout checks
// ---------------------------------------------------------------------------------------------

interface LayerName {
  /** text before the first `.<index>.`, e.g. `model.layers` */
  prefix: string;
  index: number;
  /** the name with its first index replaced by `${layer_index}` */
  template: string;
}

function splitLayerName(name: string): LayerName | undefined {
  const m = LAYER_INDEX_RE.exec(name);
  if (!m) return undefined;
  const prefix = name.slice(0, m.index);
  // Only the first index is the layer: `…layers.3.mlp.experts.7.w1` keeps expert 7 literal
  // (mergekit's auto.py substitutes every index, which collapses experts into one template).
  const template = `${prefix}.\${layer_index}.${name.slice(m.index + m[0].length)}`;
  return { prefix, index: Number(m[1]), template };
}

/** Most tensors first, then alphabetical: the layer module of a checkpoint. */
function mainLayerPrefix(names: readonly string[]): string | undefined {
  const counts = new Map<string, number>();
  for (const n of names) {
    if (isIgnoredTensor(n)) continue;
    const l = splitLayerName(n);
    if (l) counts.set(l.prefix, (counts.get(l.prefix) ?? 0) + 1);
  }
  let best: string | undefined;
  let bestCount = -1;
  for (const [p, c] of counts) {
    if (c > bestCount || (c === bestCount && best !== undefined && p < best)) {
      best = p;
      bestCount = c;
    }
  }
  return best;
}

/** Layer module of a table row: the text before `.${layer_index}.` in its first template. */
function defLayerPrefix(def: ArchDef): string | undefined {
  const t = def.layerWeights[0]?.name;
  if (t === undefined) return undefined;
  const i = t.indexOf('.${layer_index}.');
  return i < 0 ? undefined : t.slice(0, i);
}

/** Input embeddings and output heads (vocabulary axis first), by name. */
const EMBED_NAME_RE = /(^|\.)(embed_tokens|wte|word_embeddings|embed_in|tok_embeddings|embeddings)\.weight$/;
const HEAD_NAME_RE = /(^|\.)(lm_head|embed_out)(\.linear)?\.weight$/;
/**
 * Tensors that belong after the last layer: final norms and output heads. They are post-weights
 * so a slice (passthrough) merge takes them from its *last* slice: the final norm was trained on
 * the residual stream of the last layers, and the head on that norm's output. mergekit's
 * inference makes every non-layer tensor a pre-weight, which takes them from the first slice.
 */
const POST_NAME_RE = /^(lm_head|embed_out)\.|(^|\.)(norm|final_layernorm|final_layer_norm|final_norm|ln_f|norm_f)\.(weight|bias)$/;

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Every concrete-or-template name a def accounts for (names, aliases, tied names). */
function coveredNames(def: ArchDef): { layer: Set<string>; loose: Set<string> } {
  const layer = new Set<string>();
  const loose = new Set<string>();
  for (const w of def.layerWeights) for (const n of [w.name, ...(w.aliases ?? [])]) layer.add(n);
  for (const w of [...def.preWeights, ...def.postWeights]) {
    for (const n of [w.name, ...(w.aliases ?? []), ...(w.tiedNames ?? [])]) loose.add(n);
  }
  return { layer, loose };
}

/** Splits non-layer names into pre- and post-weights, marking embeddings and tied heads. */
function looseWeights(names: string[], optional: boolean): { pre: WeightDef[]; post: WeightDef[] } {
  const sorted = [...names].sort(cmp);
  const embed = sorted.find((n) => EMBED_NAME_RE.test(n) && !POST_NAME_RE.test(n));
  const pre: WeightDef[] = [];
  const post: WeightDef[] = [];
  for (const n of sorted) {
    const w: WeightDef = { name: n };
    if (EMBED_NAME_RE.test(n) || HEAD_NAME_RE.test(n)) w.isEmbed = true;
    if (optional) w.optional = true;
    if (HEAD_NAME_RE.test(n) && embed !== undefined) {
      // A head may be tied to the embedding in other models of the merge.
      w.optional = true;
      w.tiedNames = [embed];
    }
    (POST_NAME_RE.test(n) ? post : pre).push(w);
  }
  return { pre, post };
}

// ---------------------------------------------------------------------------------------------
// Inference
// ---------------------------------------------------------------------------------------------

/**
 * An ArchDef from tensor names alone (mergekit `auto.py`): the prefix before the first
 * `.<index>.` is the layer module and each distinct remainder a layer template; everything else
 * is a whole-model weight. Differences from mergekit:
 * - final norms and output heads become post-weights (see POST_NAME_RE), not pre-weights;
 * - with several layer modules (e.g. a vision tower next to the decoder), the one with the most
 *   tensors is the layer module; the others' tensors become ordinary pre-weights (merged
 *   tensor by tensor, not sliceable by layer), where mergekit would make one module each.
 * Templates are sorted, so the def does not depend on the order of the checkpoint's header.
 * A template missing from some layers is optional; a head next to an embedding is optional and
 * tied to it. `isEmbed` comes from names (mergekit instantiates the model to find out).
 */
function inferArchDef(config: HFConfig, tensorNames: readonly string[]): { def: ArchDef; layerCount: number } {
  const names = tensorNames.filter((n) => !isIgnoredTensor(n));
  const prefix = mainLayerPrefix(names);
  const templates = new Map<string, Set<number>>();
  const loose: string[] = [];
  let layerCount = 0;
  for (const n of names) {
    const l = splitLayerName(n);
    if (l && l.prefix === prefix) {
      let s = templates.get(l.template);
      if (!s) templates.set(l.template, (s = new Set()));
      s.add(l.index);
      layerCount = Math.max(layerCount, l.index + 1);
    } else {
      loose.push(n);
    }
  }
  const layerIndices = new Set<number>();
  for (const s of templates.values()) for (const i of s) layerIndices.add(i);
  const layerWeights: WeightDef[] = [...templates.keys()].sort(cmp).map((t) => {
    const w: WeightDef = { name: t };
    if (templates.get(t)!.size < layerIndices.size) w.optional = true;
    return w;
  });
  const { pre, post } = looseWeights(loose, false);
  const arch = config.architectures?.[0];
  const modelType = typeof config.model_type === 'string' ? config.model_type : undefined;
  const numLayersKey = LAYER_COUNT_KEYS.find((k) => typeof config[k] === 'number') ?? 'num_hidden_layers';
  const def: ArchDef = {
    id: `inferred:${arch ?? modelType ?? 'unknown'}`,
    architectures: arch ? [arch] : [],
    modelTypes: modelType ? [modelType] : [],
    preWeights: pre,
    layerWeights,
    postWeights: post,
    numLayersKey,
    vocabSizeKey: 'vocab_size',
  };
  return { def, layerCount };
}

/**
 * A table row extended with the checkpoint's tensors it does not list (e.g. a Llama saved with
 * `attention_bias: true` has q/k/v/o biases): they are appended as optional weights so nothing
 * the checkpoint holds is dropped silently. Returns the row itself when nothing is extra.
 */
function withExtras(row: ArchDef, tensorNames: readonly string[]): ArchDef {
  const covered = coveredNames(row);
  const prefix = defLayerPrefix(row);
  const extraLayer = new Set<string>();
  const extraLoose: string[] = [];
  for (const n of tensorNames) {
    if (isIgnoredTensor(n)) continue;
    const l = splitLayerName(n);
    if (l && l.prefix === prefix) {
      if (!covered.layer.has(l.template)) extraLayer.add(l.template);
    } else if (!covered.loose.has(n)) {
      extraLoose.push(n);
    }
  }
  if (extraLayer.size === 0 && extraLoose.length === 0) return row;
  const { pre, post } = looseWeights(extraLoose, true);
  return {
    ...row,
    preWeights: [...row.preWeights, ...pre],
    layerWeights: [...row.layerWeights, ...[...extraLayer].sort(cmp).map((name) => ({ name, optional: true }))],
    postWeights: [...row.postWeights, ...post],
  };
}

// ---------------------------------------------------------------------------------------------
// detectArch
// ---------------------------------------------------------------------------------------------

/** The table row for a config: by `architectures[0]` (then `model_type` among several), else by `model_type` alone when the config names no architecture. */
export function findArchRow(config: HFConfig): ArchDef | undefined {
  const arch = config.architectures?.[0];
  const modelType = config.model_type;
  if (arch !== undefined) {
    const rows = ARCHITECTURES.filter((r) => r.architectures.includes(arch));
    if (rows.length <= 1) return rows[0];
    return rows.find((r) => modelType !== undefined && r.modelTypes.includes(modelType)) ?? rows[0];
  }
  if (modelType !== undefined) return ARCHITECTURES.find((r) => r.modelTypes.includes(modelType));
  return undefined;
}

/** A layer naming as users read it: `model.layers.N.*`. */
function layerPattern(prefix: string | undefined): string {
  return prefix === undefined ? 'no numbered layers' : `\`${prefix}.N.*\``;
}

/** The layout a checkpoint's names show: its layer naming and an example tensor of it. */
function foundLayout(tensorNames: readonly string[]): string {
  const prefix = mainLayerPrefix(tensorNames);
  const example = prefix === undefined ? undefined : tensorNames.find((n) => splitLayerName(n)?.prefix === prefix);
  return example === undefined ? layerPattern(prefix) : `${layerPattern(prefix)} (e.g. \`${example}\`)`;
}

function describeArch(def: ArchDef, inferred: boolean): string {
  if (!inferred) return `${def.id} (${def.architectures[0]})`;
  const a = def.architectures[0] ?? def.modelTypes[0];
  return a ? `${a} (layout inferred from tensor names)` : 'an unnamed architecture (layout inferred from tensor names)';
}

const RESAVE_HINT = 'if the model comes from an older library version, load it with a current transformers release '
  + 'and save it again (save_pretrained) to get the current tensor names';

/**
 * Recognises a model: its table row (or an inferred one), its layer count, its layer names.
 *
 * The layer count is `config[numLayersKey]` (for inferred architectures the first of
 * num_hidden_layers / n_layer / num_layers / n_layers present, else the count seen in the tensor
 * names), cross-checked against the checkpoint: a tensor with a layer index ≥ the count, or a
 * required tensor (non-optional pre, layer or post weight, after aliases and tied names) that is
 * missing, is an ARCH error naming the first offending tensor.
 *
 * `layerNames(i)` returns every template of layer i, optional ones included, whether or not the
 * checkpoint has them: which optional tensors to write is the planner's decision (mergekit's
 * rule: skip an optional weight when no input model has it), made with `findTensorName`.
 */
export function detectArch(config: HFConfig, tensorNames: string[], modelLabel: string): ArchInfo {
  const row = findArchRow(config);
  let def: ArchDef;
  let inferred: boolean;
  let numLayers: number;
  if (row) {
    def = withExtras(row, tensorNames);
    inferred = false;
    const v = config[def.numLayersKey];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
      throw new MergeopsError('ARCH',
        `${modelLabel}: config.json has no valid \`${def.numLayersKey}\` (got ${v === undefined ? 'nothing' : JSON.stringify(v)}); `
        + `a ${def.id} model needs its layer count there`,
        `set "${def.numLayersKey}" in the model's config.json to its number of layers`);
    }
    numLayers = v;
  } else {
    const r = inferArchDef(config, tensorNames);
    def = r.def;
    inferred = true;
    const v = config[def.numLayersKey];
    numLayers = typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : r.layerCount;
  }

  // Layer indices beyond the configured count.
  const prefix = defLayerPrefix(def);
  let maxIndex = -1;
  let maxName = '';
  for (const n of tensorNames) {
    if (isIgnoredTensor(n)) continue;
    const l = splitLayerName(n);
    if (l && l.prefix === prefix && l.index > maxIndex) {
      maxIndex = l.index;
      maxName = n;
    }
  }
  if (maxIndex >= numLayers) {
    throw new MergeopsError('ARCH',
      `${modelLabel}: the checkpoint has tensors for layer ${maxIndex} (e.g. \`${maxName}\`) but config.json says `
      + `${def.numLayersKey} = ${numLayers}`,
      `config.json and the weights disagree: ${def.numLayersKey} should be ${maxIndex + 1} (highest layer index + 1) `
      + 'if the weights are right; if the files come from different revisions, download both from one revision');
  }

  // Required tensors that are missing.
  const available = new Set(tensorNames);
  const missing: string[] = [];
  for (const w of def.preWeights) if (!w.optional && !findTensorName(w, undefined, available)) missing.push(w.name);
  // Layers past the last one found are all missing alike: looked at once, counted for the rest
  // (an absurd configured count costs nothing).
  const looked = Math.min(numLayers, maxIndex + 2);
  for (let i = 0; i < looked; i++) {
    for (const w of def.layerWeights) {
      if (!w.optional && !findTensorName(w, i, available)) missing.push(substituteLayer(w.name, i, numLayers));
    }
  }
  const unlooked = (numLayers - looked) * def.layerWeights.filter((w) => !w.optional).length;
  for (const w of def.postWeights) if (!w.optional && !findTensorName(w, undefined, available)) missing.push(w.name);
  if (missing.length + unlooked > 0) {
    const total = missing.length + unlooked;
    const more = total > 1 ? ` (${total} required tensors are missing in all)` : '';
    const found = mainLayerPrefix(tensorNames);
    const layersNote = maxIndex + 1 < numLayers && found === prefix
      ? `; config.json says ${def.numLayersKey} = ${numLayers} but the highest layer index in the checkpoint is ${maxIndex}`
      : '';
    const hint = maxIndex + 1 < numLayers && missing.every((m) => splitLayerName(m)?.prefix === prefix)
      ? `the checkpoint stops at layer ${maxIndex}: a shard may be missing (re-download the model), or `
        + `${def.numLayersKey} in config.json should be ${maxIndex + 1}`
      : `the checkpoint does not have the tensor names a ${describeArch(def, inferred)} model has: `
        + `${RESAVE_HINT}; a shard may also be missing (check model.safetensors.index.json)`;
    const layoutNote = found !== prefix
      ? `; the checkpoint's layers are named ${foundLayout(tensorNames)}, the ${describeArch(def, inferred)} layout expects ${layerPattern(prefix)}`
      : '';
    throw new MergeopsError('ARCH',
      `${modelLabel}: tensor \`${missing[0]}\` is missing; the ${describeArch(def, inferred)} layout requires it${more}${layersNote}${layoutNote}`,
      found !== prefix ? `the checkpoint is laid out for another architecture than its config.json says (\`architectures\`: ${JSON.stringify(config.architectures ?? [])}): fix config.json, or ${RESAVE_HINT}` : hint);
  }

  const templates = def.layerWeights.map((w) => w.name);
  return {
    def,
    inferred,
    numLayers,
    layerNames: (i: number) => templates.map((t) => substituteLayer(t, i, numLayers)),
  };
}

// ---------------------------------------------------------------------------------------------
// checkConfigShapes
// ---------------------------------------------------------------------------------------------

/** config.json keys that hold the hidden size, tried in this order. */
const HIDDEN_SIZE_KEYS = ['hidden_size', 'n_embd', 'd_model', 'dim'];

/** Layer-0 tensors whose first axis is the hidden size: the per-layer norms, and the projections back into the residual stream (nn.Linear stores [out, in]). */
const HIDDEN_ROWS_RE = /\.(input_layernorm|post_attention_layernorm)\.weight$|\.(o_proj|down_proj)\.weight$/;
/** Final norms (1-D, hidden size long). */
const FINAL_NORM_RE = /(^|\.)(norm|final_layernorm|final_layer_norm|final_norm|ln_f|norm_f)\.weight$/;

function configInt(config: HFConfig, key: string): number | undefined {
  const v = config[key];
  return typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? v : undefined;
}

const shapeText = (shape: readonly number[]) => `[${shape.join(', ')}]`;

/**
 * Checks config.json's vocabulary size and hidden size against the tensors found, as
 * `detectArch` does for the layer count: a config that disagrees with its weights would plan
 * a model whose config lies (and, for an absurd value, size work by it). The vocabulary size
 * must equal the rows of the embeddings and output head; the hidden size their columns, the
 * length of the final and layer-0 norms, and the rows of layer 0's o_proj / down_proj. Keys
 * the config lacks, and tensors the checkpoint lacks, are not checked. The first disagreement
 * is an ARCH error naming the config value, the tensor, its shape and its file.
 */
export function checkConfigShapes(
  config: HFConfig,
  arch: ArchInfo,
  tensors: ReadonlyMap<string, { shape: readonly number[]; file: string }>,
  modelLabel: string,
): void {
  const def = arch.def;
  const fail = (key: string, value: number, name: string, axis: string, found: number): never => {
    const t = tensors.get(name)!;
    throw new MergeopsError('ARCH',
      `${modelLabel}: config.json says ${key} = ${value}, but tensor \`${name}\` in ${t.file} has shape ${shapeText(t.shape)} `
      + `(${axis} ${found})`,
      `config.json and the weights disagree: ${key} should be ${found} if the weights are right; `
      + 'if config.json and the weights come from different revisions, download both from one revision');
  };
  const available = new Set(tensors.keys());
  const embeds: string[] = [];
  for (const w of [...def.preWeights, ...def.postWeights]) {
    if (!w.isEmbed) continue;
    const n = findTensorName(w, undefined, available);
    if (n !== undefined && !embeds.includes(n)) embeds.push(n);
  }

  const vocab = configInt(config, def.vocabSizeKey);
  if (vocab !== undefined) {
    for (const n of embeds) {
      const s = tensors.get(n)!.shape;
      if (s.length === 2 && s[0] !== vocab) fail(def.vocabSizeKey, vocab, n, 'rows: vocabulary', s[0]);
    }
  }

  const hiddenKey = HIDDEN_SIZE_KEYS.find((k) => configInt(config, k) !== undefined);
  if (hiddenKey === undefined) return;
  const hidden = configInt(config, hiddenKey)!;
  for (const n of embeds) {
    const s = tensors.get(n)!.shape;
    if (s.length === 2 && s[1] !== hidden) fail(hiddenKey, hidden, n, 'columns: hidden size', s[1]);
  }
  const layer0 = new Set(arch.numLayers > 0 ? arch.layerNames(0) : []);
  for (const [n, t] of tensors) {
    if (isIgnoredTensor(n)) continue;
    if (FINAL_NORM_RE.test(n) && !layer0.has(n) && LAYER_INDEX_RE.exec(n) === null) {
      if (t.shape.length === 1 && t.shape[0] !== hidden) fail(hiddenKey, hidden, n, 'length: hidden size', t.shape[0]);
    } else if (layer0.has(n) && HIDDEN_ROWS_RE.test(n)) {
      if (t.shape.length >= 1 && t.shape[0] !== hidden) {
        fail(hiddenKey, hidden, n, t.shape.length === 1 ? 'length: hidden size' : 'rows: hidden size', t.shape[0]);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// checkSameLayout
// ---------------------------------------------------------------------------------------------

interface Layout {
  /** template (first layer index → `${layer_index}`) or concrete name → an example tensor name */
  names: Map<string, string>;
  layerPrefix: string | undefined;
  topLevel: string[];
}

function layoutOf(tensorNames: readonly string[], def: ArchDef): Layout {
  // Aliases name the same weight: count them under the def's canonical name.
  const canonical = new Map<string, string>();
  for (const w of [...def.preWeights, ...def.layerWeights, ...def.postWeights]) {
    for (const a of w.aliases ?? []) canonical.set(a, w.name);
  }
  const names = new Map<string, string>();
  const top = new Set<string>();
  for (const n of tensorNames) {
    if (isIgnoredTensor(n)) continue;
    const l = splitLayerName(n);
    const key = l ? l.template : n;
    const c = canonical.get(key) ?? key;
    if (!names.has(c)) names.set(c, n);
    top.add(n.split('.')[0]);
  }
  return { names, layerPrefix: mainLayerPrefix(tensorNames), topLevel: [...top].sort(cmp) };
}

function optionalNames(defs: ArchDef[]): Set<string> {
  const s = new Set<string>();
  for (const d of defs) {
    for (const w of [...d.preWeights, ...d.layerWeights, ...d.postWeights]) {
      if (w.optional) for (const n of [w.name, ...(w.aliases ?? [])]) s.add(n);
    }
  }
  return s;
}

function archName(a: ArchInfo): string | undefined {
  return a.inferred ? a.def.architectures[0] ?? a.def.modelTypes[0] : a.def.id;
}

const show = (t: string) => t.replace('${layer_index}', 'N');

function sample(names: string[], k = 4): string {
  const s = names.slice(0, k).map(show).join(', ');
  return names.length > k ? `${s}, …` : s;
}

/**
 * Checks that the models of one merge name their tensors the same way, so that every output
 * tensor has a counterpart in every input. Layer counts may differ (slices pick layer ranges);
 * tensors the architectures mark optional (tied heads, appended extras) may be absent.
 *
 * - Models of different architectures (different table rows, or different `architectures[0]`
 *   when a layout is inferred) are refused unless `allowCrimes` (mergekit's `--allow-crimes`).
 * - Models are grouped by layout; the largest group (ties: the group of `models[0]`) is the
 *   reference, and the first model outside it is reported, with the two layouts (layer module
 *   and top-level prefixes, and a sample of the names only one of them has). With `allowCrimes`
 *   only names the reference needs and a model lacks are an error; extra names are ignored.
 */
export function checkSameLayout(
  models: { label: string; arch: ArchInfo; tensorNames: string[] }[],
  opts?: { allowCrimes?: boolean },
): void {
  if (models.length < 2) return;
  const allowCrimes = opts?.allowCrimes === true;

  if (!allowCrimes) {
    const first = models[0];
    const a0 = archName(first.arch);
    for (const m of models.slice(1)) {
      const a = archName(m.arch);
      const differ = !first.arch.inferred && !m.arch.inferred
        ? first.arch.def.id !== m.arch.def.id
        : a0 !== undefined && a !== undefined && a0 !== a;
      if (differ) {
        throw new MergeopsError('ARCH',
          `\`${m.label}\` is ${describeArch(m.arch.def, m.arch.inferred)} with layers named ${foundLayout(m.tensorNames)}, but \`${first.label}\` is `
          + `${describeArch(first.arch.def, first.arch.inferred)} with layers named ${foundLayout(first.tensorNames)}: the models of a merge must share one architecture`,
          'pick models of one architecture (fine-tunes of the same base model); mixing architectures whose tensors '
          + 'happen to line up is what mergekit calls --allow-crimes, and must be asked for explicitly');
      }
    }
  }

  const layouts = models.map((m) => layoutOf(m.tensorNames, m.arch.def));
  const optional = optionalNames(models.map((m) => m.arch.def));
  const keyOf = (l: Layout) => [...l.names.keys()].filter((n) => !optional.has(n)).sort(cmp).join('\n');
  const groups = new Map<string, number[]>();
  layouts.forEach((l, i) => {
    const k = keyOf(l);
    const g = groups.get(k);
    if (g) g.push(i);
    else groups.set(k, [i]);
  });
  if (groups.size === 1) return;
  let refGroup: number[] = groups.get(keyOf(layouts[0]))!;
  for (const g of groups.values()) if (g.length > refGroup.length) refGroup = g;
  const ri = refGroup[0];
  const ref = layouts[ri];

  for (let i = 0; i < models.length; i++) {
    if (refGroup.includes(i)) continue;
    const l = layouts[i];
    // Names under a top-level prefix the other model lacks say most about the difference: first.
    const order = (other: Layout) => (a: string, b: string) =>
      Number(other.topLevel.includes(a.split('.')[0])) - Number(other.topLevel.includes(b.split('.')[0])) || cmp(a, b);
    const onlyRef = [...ref.names.keys()].filter((n) => !l.names.has(n) && !optional.has(n)).sort(order(l));
    const onlyThis = [...l.names.keys()].filter((n) => !ref.names.has(n) && !optional.has(n)).sort(order(ref));
    if (onlyRef.length === 0 && (allowCrimes || onlyThis.length === 0)) continue;

    const r = models[ri];
    const m = models[i];
    const describe = (lay: Layout) =>
      `${lay.layerPrefix !== undefined ? `layers named \`${lay.layerPrefix}.N.*\`` : 'no numbered layers'} `
      + `(top-level prefixes: ${lay.topLevel.map((p) => `${p}.`).join(', ')})`;
    const prefixesDiffer = ref.layerPrefix !== l.layerPrefix || ref.topLevel.join() !== l.topLevel.join();
    const head = prefixesDiffer
      ? `\`${m.label}\` and \`${r.label}\` name their tensors differently: \`${r.label}\` has ${describe(ref)}, `
        + `\`${m.label}\` has ${describe(l)}`
      : `\`${m.label}\` and \`${r.label}\` do not have the same tensors`;
    const parts: string[] = [];
    if (onlyRef.length > 0) parts.push(`only in \`${r.label}\` (${onlyRef.length}): ${sample(onlyRef)}`);
    if (onlyThis.length > 0 && !allowCrimes) parts.push(`only in \`${m.label}\` (${onlyThis.length}): ${sample(onlyThis)}`);
    const hint = prefixesDiffer
      ? `convert \`${m.label}\` to the layout of the others: ${RESAVE_HINT} (old fine-tunes with \`transformer.\` `
        + 'names, like early Phi-2 ones, come out with `model.` names); or pick models of one family saved with one layout'
      : `\`${m.label}\` has different weights (another architecture variant, or a partial checkpoint): `
        + 'pick models of one family and configuration, or re-save it with current transformers if it is an old checkpoint';
    throw new MergeopsError('ARCH', `${head}; ${parts.join('; ')}`, hint);
  }
}
