/**
 * YAML text → `Recipe[]`: mergekit's configuration schema (`mergekit/config.py`,
 * `mergekit/tokenizer/config.py`), one recipe per `---` document (mergekit-multi), plus our
 * `mergeops:` key. Every value keeps its line:column; every error is a RecipeError pointing at
 * the offending node, with a hint.
 *
 * Stricter than mergekit where mergekit silently ignores a mistake: unknown keys are rejected
 * (with a "did you mean"), as are duplicate inputs within one slice.
 */
import { LineCounter, isMap, isScalar, isSeq, parseAllDocuments } from 'yaml';
import { checkRecipeDocument, checkRecipeText, checkStageCount, excerptOf } from './limits.js';
import type { Document, Node, YAMLMap, YAMLSeq } from 'yaml';
import type { SourcePos } from '../errors.js';
import { TORCH_DTYPE_NAMES, parseTorchDType } from '../formats/dtype.js';
import { parseEvalOptions } from './eval-options.js';
import type { FloatDType } from '../formats/dtype.js';
import { parseByteSize } from '../formats/byte-size.js';
import { modelRefFromNode } from './model-ref.js';
import type {
  ConditionalEntry,
  MergeopsOptions,
  ModelRef,
  ParamMap,
  ParamSetting,
  Recipe,
  SliceSpec,
  SourceSpec,
  TokenSourceSpec,
  TokenizerSpec,
} from './types.js';
import {
  checkKeys,
  describeNode,
  didYouMean,
  entryMap,
  expectMap,
  expectSeq,
  expectString,
  fail,
  isBefore,
  isNullNode,
  listNames,
  mapEntries,
  posAt,
  posOf,
  scalarBoolean,
  scalarNumber,
  seqItems,
} from './yaml-nodes.js';
import type { Entry, NodeCtx } from './yaml-nodes.js';

/** Top-level keys of a recipe document (mergekit's plus `name` and `mergeops`). */
export const RECIPE_KEYS = [
  'merge_method',
  'models',
  'slices',
  'base_model',
  'parameters',
  'dtype',
  'out_dtype',
  'tokenizer_source',
  'tokenizer',
  'chat_template',
  'name',
  'mergeops',
] as const;

/**
 * Recipe-wide keys under `mergeops:`, validated here (`eval` in eval-options.ts). A merge method's
 * own options (e.g. `consensus_method`) are declared in its file and checked at plan time with the
 * method known, as is any other key (plan/check-recipe.ts). A stage that reads a new key adds it here.
 */
export const MERGEOPS_KEYS = ['seed', 'quantize', 'out_shard_size', 'eval', 'license', 'truncate_embeddings'] as const;

/** mergekit's built-in chat templates (`mergekit/_data/chat_templates/*.jinja`) and `auto`. */
export const CHAT_TEMPLATE_NAMES = ['auto', 'alpaca', 'chatml', 'llama3', 'mistral', 'exaone'] as const;

/** Parameter names people put at the wrong level; used for hints only. */
const COMMON_PARAMETERS = [
  'weight', 'density', 't', 'normalize', 'int8_mask', 'lambda', 'rescale', 'epsilon', 'gamma',
  'select_topk', 'filter_wise', 'scale', 'max_iter', 'tol', 'nuslerp_row_wise', 'nuslerp_flatten',
  'normalize_weights', 'eps', 'r', 'alpha',
];

const PARAM_VALUE_HINT =
  'write a number (`0.5`), `true`/`false`, a gradient list (`[0, 0.5, 1]`) or a list of ' +
  '`{filter, value}` entries; mergekit only accepts numbers as parameter values';

// ---------------------------------------------------------------------------------------------
// Entry point

/**
 * Parses a recipe file: one `Recipe` per YAML document. A multi-document file is a
 * mergekit-multi recipe: named stages (`name:`) plus at most one unnamed final merge.
 */
export function parseRecipeText(text: string, file: string): Recipe[] {
  // Size and nesting first: the YAML parser itself does not survive deep enough nesting.
  checkRecipeText(text, file);
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  const lineCounter = new LineCounter();
  const parsed = parseAllDocuments(text, { lineCounter, prettyErrors: false, merge: true, uniqueKeys: true });
  const base = { lines };
  const startPos: SourcePos = { file, line: 1, col: 1 };

  if (!Array.isArray(parsed) || parsed.length === 0) {
    fail(base, startPos, 'the recipe is empty', 'write a mergekit merge configuration, e.g. `merge_method: linear` and a `models:` list');
  }
  const docs = parsed as Document.Parsed[];

  checkStageCount(docs.length, file);
  for (const doc of docs) {
    const e = doc.errors[0];
    if (e) {
      const { line, col } = lineCounter.linePos(e.pos[0]);
      fail(base, { file, line, col }, `invalid YAML: ${excerptOf(firstLine(e.message), 200)}`, yamlHint(e.code));
    }
    // What aliases expand to, depth, list and string lengths: bounded before anything walks the tree.
    checkRecipeDocument(doc, file, lineCounter, lines);
  }

  const recipes: Recipe[] = [];
  const names = new Map<string, SourcePos>();
  let unnamed: SourcePos | undefined;
  docs.forEach((doc, i) => {
    const start = i === 0 ? 0 : doc.range[0];
    const end = i + 1 < docs.length ? docs[i + 1].range[0] : text.length;
    const docText = stripDocStart(text.slice(start, end));
    const ctx: NodeCtx = { file, lines, lineCounter, doc };
    const { recipe, namePos } = parseDocument(ctx, doc, docText, docs.length > 1 ? i + 1 : undefined);
    if (recipe.name !== undefined && namePos) {
      const prev = names.get(recipe.name);
      if (prev) {
        fail(ctx, namePos, `duplicate stage name \`${recipe.name}\` (already used at line ${prev.line})`, 'give every stage of a multi-stage recipe a different `name:`');
      }
      names.set(recipe.name, namePos);
    } else if (docs.length > 1) {
      if (unnamed) {
        fail(ctx, recipe.pos, `more than one unnamed document (the first is at line ${unnamed.line})`,
          'in a multi-stage recipe every intermediate stage needs a `name:`; only the final merge may be unnamed');
      }
      unnamed = recipe.pos;
    }
    recipes.push(recipe);
  });
  return recipes;
}

function firstLine(s: string): string {
  return s.split('\n')[0].trim();
}

function yamlHint(code: string): string {
  switch (code) {
    case 'DUPLICATE_KEY':
      return 'a key may appear only once in a mapping; remove or rename one of them';
    case 'TAB_AS_INDENT':
      return 'YAML indentation must use spaces, not tabs';
    case 'BAD_INDENT':
      return 'check the indentation and that every `[` / `{` is closed on this node';
    case 'MISSING_CHAR':
      return 'a bracket or quote is not closed';
    case 'BLOCK_AS_IMPLICIT_KEY':
    case 'MULTILINE_IMPLICIT_KEY':
      return 'put a nested mapping on its own indented lines, or quote a value that contains `: `';
    default:
      return 'fix the YAML syntax here (indentation, `key: value` pairs, `- ` list items, closed quotes and brackets)';
  }
}

/** Drops a bare `---` line opening a document, so a stage's text is a plain one-document YAML file. */
function stripDocStart(s: string): string {
  return s.replace(/^---[ \t]*(?:#[^\n]*)?\r?\n/, '');
}

// ---------------------------------------------------------------------------------------------
// One document

/** The entry exists and has a non-null value (mergekit treats an explicit null like an absent key). */
function present(e: Entry | undefined): e is Entry & { value: Node } {
  return e !== undefined && !isNullNode(e.value);
}

function topLevelHint(key: string): string | undefined {
  if ((MERGEOPS_KEYS as readonly string[]).includes(key)) {
    return `\`${key}\` is a mergeops option: move it under \`mergeops:\``;
  }
  if (COMMON_PARAMETERS.includes(key)) {
    return `merge parameters go under \`parameters:\` (top level, per slice, or per model), e.g. \`parameters: {${key}: ...}\``;
  }
  return undefined;
}

function parseDocument(
  ctx: NodeCtx,
  doc: Document.Parsed,
  text: string,
  docNumber: number | undefined,
): { recipe: Recipe; namePos?: SourcePos } {
  const where = docNumber !== undefined ? `document ${docNumber}` : 'the recipe';
  const root = doc.contents as Node | null;
  if (isNullNode(root)) {
    const pos = posAt(ctx, doc.range[0]);
    fail(ctx, pos, `${where} is empty`, docNumber !== undefined
      ? 'remove the extra `---` separator, or write a merge configuration in this document'
      : 'write a mergekit merge configuration, e.g. `merge_method: linear` and a `models:` list');
  }
  const rootPos = posOf(ctx, root as Node);
  if (!isMap(root)) {
    fail(ctx, rootPos, `a recipe document must be a mapping of keys, found ${describeNode(root)}`,
      'write `merge_method: ...`, `models:` or `slices:`, and the other keys at the top level of the document');
  }
  const entries = mapEntries(ctx, root, 'the recipe');
  checkKeys(ctx, entries, [...RECIPE_KEYS, 'modules'], 'the recipe', topLevelHint);
  const m = entryMap(entries);

  const modules = m.get('modules');
  if (modules) {
    fail(ctx, modules.keyPos, '`modules:` (per-module merges of multi-module models such as VLMs or encoder-decoders) is not supported yet',
      'for decoder-only models use `models:` or `slices:` instead');
  }

  const mm = m.get('merge_method');
  if (!present(mm)) {
    fail(ctx, mm ? mm.keyPos : rootPos, mm ? '`merge_method` is empty' : `${where} has no \`merge_method\``,
      'add `merge_method: <name>`, e.g. `linear`, `slerp`, `ties`, `dare_ties`, `task_arithmetic` or `passthrough`');
  }

  const models = m.get('models');
  const slices = m.get('slices');
  if (present(models) && present(slices)) {
    const later = isBefore(models.keyPos, slices.keyPos) ? slices : models;
    fail(ctx, later.keyPos, 'both `models` and `slices` are given; a recipe has exactly one of them',
      '`models:` merges whole models, `slices:` picks layer ranges; keep one and remove the other');
  }
  if (!present(models) && !present(slices)) {
    const e = models ?? slices;
    fail(ctx, e ? e.keyPos : rootPos, e ? `\`${e.key}\` is empty` : `${where} has neither \`models\` nor \`slices\``,
      'add `models:` with a list of `- model: org/repo` entries, or `slices:` with layer ranges');
  }

  const tokSrc = m.get('tokenizer_source');
  const tok = m.get('tokenizer');
  if (present(tokSrc) && present(tok)) {
    const later = isBefore(tokSrc.keyPos, tok.keyPos) ? tok : tokSrc;
    fail(ctx, later.keyPos, '`tokenizer` and `tokenizer_source` cannot both be given',
      '`tokenizer_source: X` is the legacy spelling of `tokenizer: {source: X}`; keep only `tokenizer:`');
  }

  const recipe: Recipe = {
    file: ctx.file,
    text,
    mergeMethod: '',
    mergeMethodPos: rootPos,
    parameters: new Map(),
    mergeops: { extra: new Map() },
    pos: rootPos,
    lines: ctx.lines,
  };
  let namePos: SourcePos | undefined;

  for (const e of entries) {
    switch (e.key) {
      case 'name': {
        if (isNullNode(e.value)) break;
        const name = expectString(ctx, e.value, e.valuePos, '`name`', 'write a stage name such as `first-merge` (quote it if it looks like a number)');
        checkStageName(ctx, name, e.valuePos);
        recipe.name = name;
        namePos = e.valuePos;
        break;
      }
      case 'merge_method': {
        const v = expectString(ctx, e.value, e.valuePos, '`merge_method`', 'write a merge method name, e.g. `merge_method: linear`');
        if (v.trim() === '') fail(ctx, e.valuePos, '`merge_method` is empty', 'write a merge method name, e.g. `merge_method: linear`');
        recipe.mergeMethod = v;
        recipe.mergeMethodPos = e.valuePos;
        break;
      }
      case 'models':
        if (present(e)) {
          const duplicates: string[] = [];
          recipe.models = parseModels(ctx, e, duplicates);
          if (duplicates.length) recipe.notes = [...(recipe.notes ?? []), ...duplicates];
        }
        break;
      case 'slices':
        if (present(e)) recipe.slices = parseSlices(ctx, e);
        break;
      case 'base_model':
        if (present(e)) recipe.baseModel = modelRefFromNode(ctx, e.value, e.valuePos, '`base_model`');
        break;
      case 'parameters':
        recipe.parameters = parseParamMap(ctx, e, 'the top-level `parameters`');
        break;
      case 'dtype': {
        const d = parseDType(ctx, e);
        if (d) recipe.dtype = d;
        break;
      }
      case 'out_dtype': {
        const d = parseDType(ctx, e);
        if (d) recipe.outDtype = d;
        break;
      }
      case 'tokenizer_source':
        if (present(e)) recipe.tokenizerSource = parseTokenizerSource(ctx, e.value, e.valuePos, '`tokenizer_source`');
        break;
      case 'tokenizer':
        if (present(e)) recipe.tokenizer = parseTokenizer(ctx, e);
        break;
      case 'chat_template':
        if (present(e)) recipe.chatTemplate = parseChatTemplate(ctx, e);
        break;
      case 'mergeops':
        recipe.mergeops = parseMergeops(ctx, e);
        break;
    }
  }
  return { recipe, namePos };
}

function checkStageName(ctx: NodeCtx, name: string, pos: SourcePos): void {
  const hint = 'a stage name is a plain word such as `first-merge`; later stages refer to it by that name (`base_model: first-merge`)';
  if (name.trim() === '') fail(ctx, pos, 'stage `name` is empty', hint);
  for (const ch of ['/', '+', '@']) {
    if (name.includes(ch)) fail(ctx, pos, `stage name \`${name}\` contains \`${ch}\``, hint + '; `/`, `+` and `@` would be read as part of a model reference');
  }
  if (/\s/.test(name)) fail(ctx, pos, `stage name \`${name}\` contains whitespace`, hint);
}

// ---------------------------------------------------------------------------------------------
// models / slices

function inputKeyHint(key: string): string | undefined {
  if (COMMON_PARAMETERS.includes(key)) {
    return `per-model parameters go under \`parameters:\`, e.g. \`parameters: {${key}: ...}\``;
  }
  return undefined;
}

function parseModels(ctx: NodeCtx, e: Entry, duplicates: string[]): SourceSpec[] {
  const seq = expectSeq(ctx, e.value, e.valuePos, '`models`', 'write a list of inputs: `models:` then `  - model: org/repo` lines');
  const items = seqItems(ctx, seq);
  const out: SourceSpec[] = [];
  const seen = new Map<string, SourceSpec>();
  for (const { node, pos } of items) {
    if (isScalar(node) && typeof node.value === 'string') {
      fail(ctx, pos, `a \`models\` entry must be a mapping with a \`model\` key, found the string ${JSON.stringify(node.value)}`,
        `write \`- model: ${node.value}\``);
    }
    const map = expectMap(ctx, node, pos, 'a `models` entry', 'write `- model: org/repo` with optional `parameters:`');
    const entries = mapEntries(ctx, map, 'a `models` entry');
    checkKeys(ctx, entries, ['model', 'parameters'], 'a `models` entry', inputKeyHint);
    const m = entryMap(entries);
    const me = m.get('model');
    if (!present(me)) fail(ctx, me ? me.keyPos : pos, 'a `models` entry has no `model`', 'write `- model: org/repo`');
    const model = modelRefFromNode(ctx, me.value, me.valuePos, '`model`');
    const parameters = parseParamMap(ctx, m.get('parameters'), `the parameters of \`${model.key}\``);
    const prev = seen.get(model.key);
    if (prev) {
      // mergekit keys a tensor's inputs by model: the entries are one input, and each parameter
      // comes from the first entry that sets it (ConfigReader.parameter).
      for (const [name, v] of parameters) if (!prev.parameters.has(name)) prev.parameters.set(name, v);
      duplicates.push(`model \`${model.key}\` is listed twice in \`models\` (lines ${prev.pos.line} and ${model.pos.line}): `
        + 'as in mergekit, the entries are one input, each parameter taken from the first entry that sets it');
      continue;
    }
    const spec: SourceSpec = { model, parameters, pos };
    seen.set(model.key, spec);
    out.push(spec);
  }
  if (out.length === 0) fail(ctx, e.valuePos, '`models` is empty', 'list the models to merge: `  - model: org/repo`');
  return out;
}

function parseSlices(ctx: NodeCtx, e: Entry): SliceSpec[] {
  const seq = expectSeq(ctx, e.value, e.valuePos, '`slices`', 'write a list of output slices: `slices:` then `  - sources:` entries');
  const out: SliceSpec[] = [];
  for (const { node, pos } of seqItems(ctx, seq)) {
    const map = expectMap(ctx, node, pos, 'a `slices` entry', 'write `- sources: [...]` with optional `base_model:` and `parameters:`');
    const entries = mapEntries(ctx, map, 'a slice');
    checkKeys(ctx, entries, ['sources', 'base_model', 'parameters', 'residual_weight'], 'a slice', inputKeyHint);
    const m = entryMap(entries);
    const se = m.get('sources');
    if (!present(se)) {
      fail(ctx, se ? se.keyPos : pos, 'a slice has no `sources`', 'write `- sources:` then `    - model: org/repo` with `layer_range: [start, end]`');
    }
    const sources = parseSources(ctx, se);
    const slice: SliceSpec = { sources, parameters: parseParamMap(ctx, m.get('parameters'), 'the slice `parameters`'), pos };
    const be = m.get('base_model');
    if (present(be)) slice.baseModel = modelRefFromNode(ctx, be.value, be.valuePos, '`base_model`');
    const rw = m.get('residual_weight');
    if (present(rw)) {
      // Parsed but unused by mergekit; validated for compatibility, then dropped.
      const v = scalarNumber(rw.value);
      if (v === undefined || !Number.isFinite(v)) fail(ctx, rw.valuePos, `\`residual_weight\` must be a number, found ${describeNode(rw.value)}`, 'write a number, or remove the key (mergekit ignores it)');
    }
    out.push(slice);
  }
  if (out.length === 0) fail(ctx, e.valuePos, '`slices` is empty', 'list the output slices: `  - sources:` entries with `layer_range`');
  return out;
}

function parseSources(ctx: NodeCtx, e: Entry): SourceSpec[] {
  const seq = expectSeq(ctx, e.value, e.valuePos, '`sources`', 'write a list: `- model: org/repo` with `layer_range: [start, end]`');
  const out: SourceSpec[] = [];
  const rangeNodes: SourcePos[] = [];
  const seen = new Map<string, SourcePos>();
  for (const { node, pos } of seqItems(ctx, seq)) {
    const map = expectMap(ctx, node, pos, 'a slice source', 'write `- model: org/repo` with `layer_range: [start, end]`');
    const entries = mapEntries(ctx, map, 'a slice source');
    checkKeys(ctx, entries, ['model', 'layer_range', 'parameters'], 'a slice source', inputKeyHint);
    const m = entryMap(entries);
    const me = m.get('model');
    if (!present(me)) fail(ctx, me ? me.keyPos : pos, 'a slice source has no `model`', 'write `- model: org/repo` with `layer_range: [start, end]`');
    const model = modelRefFromNode(ctx, me.value, me.valuePos, '`model`');
    const prev = seen.get(model.key);
    if (prev) {
      fail(ctx, model.pos, `model \`${model.key}\` appears twice in the sources of one slice (first at line ${prev.line})`,
        'mergekit keys a slice\'s inputs by model, so the two sources would collapse into one; put different layer ranges of one model in different slices');
    }
    seen.set(model.key, model.pos);
    const le = m.get('layer_range');
    if (!present(le)) {
      fail(ctx, le ? le.keyPos : pos, 'a slice source has no `layer_range`', 'add `layer_range: [start, end]` (end exclusive), e.g. `layer_range: [0, 32]`');
    }
    const { range: layerRange, end } = parseLayerRange(ctx, le);
    rangeNodes.push(le.valuePos);
    out.push({ model, layerRange, layerRangePos: { range: le.valuePos, end }, parameters: parseParamMap(ctx, m.get('parameters'), `the parameters of \`${model.key}\``), pos });
  }
  if (out.length === 0) fail(ctx, e.valuePos, '`sources` is empty', 'list at least one `- model: org/repo` with `layer_range: [start, end]`');
  const len0 = out[0].layerRange![1] - out[0].layerRange![0];
  out.forEach((s, i) => {
    const len = s.layerRange![1] - s.layerRange![0];
    if (len !== len0) {
      fail(ctx, rangeNodes[i], `all sources of a slice must have the same number of layers: [${out[0].layerRange!.join(', ')}] has ${len0}, [${s.layerRange!.join(', ')}] has ${len}`,
        'make every `layer_range` of this slice the same length (end − start)');
    }
  });
  return out;
}

function parseLayerRange(ctx: NodeCtx, e: Entry): { range: [number, number]; end: SourcePos } {
  const hint = 'write `layer_range: [start, end]` with integers 0 ≤ start < end (end exclusive), e.g. `[0, 16]`';
  const seq = expectSeq(ctx, e.value, e.valuePos, '`layer_range`', hint);
  const items = seqItems(ctx, seq);
  if (items.length !== 2) fail(ctx, e.valuePos, `\`layer_range\` must have exactly two numbers, found ${items.length}`, hint);
  const nums = items.map(({ node, pos }) => {
    if (!isScalar(node) || typeof node.value !== 'number' || !Number.isInteger(node.value)) {
      fail(ctx, pos, `\`layer_range\` bounds must be integers, found ${describeNode(node)}`, hint);
    }
    if (node.value < 0) fail(ctx, pos, `\`layer_range\` bounds cannot be negative (${node.value})`, hint);
    return node.value;
  });
  const [start, end] = nums;
  if (start >= end) {
    fail(ctx, e.valuePos, `\`layer_range\` [${start}, ${end}] is empty or reversed: start must be less than end`,
      start === end ? 'the end is exclusive: `[n, n + 1]` is one layer' : `did you mean \`[${end}, ${start}]\`? the end is exclusive`);
  }
  return { range: [start, end], end: items[1].pos };
}

// ---------------------------------------------------------------------------------------------
// parameters

/** Where each parsed parameter's name is written (a setting's `pos` is its value's). */
const KEY_POS = new WeakMap<ParamSetting, SourcePos>();

/** The position of a parameter's name, for errors about the name itself (an unknown parameter). */
export function paramKeyPos(setting: ParamSetting): SourcePos | undefined {
  return KEY_POS.get(setting);
}

function parseParamMap(ctx: NodeCtx, e: Entry | undefined, where: string): ParamMap {
  const out: ParamMap = new Map();
  if (!present(e)) return out;
  const map = expectMap(ctx, e.value, e.valuePos, '`parameters`', 'write `parameters:` then indented `name: value` lines, e.g. `weight: 0.5`');
  for (const p of mapEntries(ctx, map, where)) {
    const setting = parseSetting(ctx, p.key, p.value, p.valuePos);
    KEY_POS.set(setting, p.keyPos);
    out.set(p.key, setting);
  }
  return out;
}

function finiteNumber(ctx: NodeCtx, name: string, node: Node | null, pos: SourcePos): number {
  if (isNullNode(node)) fail(ctx, pos, `parameter \`${name}\` has no value`, 'write a number, e.g. `' + name + ': 0.5`, or remove the key');
  if (isMap(node) || isSeq(node)) {
    fail(ctx, pos, `parameter \`${name}\`: expected a number here, found ${describeNode(node)}`, PARAM_VALUE_HINT);
  }
  const v = scalarNumber(node);
  if (v === undefined) {
    fail(ctx, pos, `parameter \`${name}\` must be a number, found ${describeNode(node)}`, PARAM_VALUE_HINT);
  }
  if (!Number.isFinite(v)) fail(ctx, pos, `parameter \`${name}\` must be a finite number, found ${v}`, PARAM_VALUE_HINT);
  return v;
}

/** A list of numbers (a gradient). */
function gradientValues(ctx: NodeCtx, name: string, seq: YAMLSeq, pos: SourcePos): number[] {
  const items = seqItems(ctx, seq);
  if (items.length === 0) {
    fail(ctx, pos, `parameter \`${name}\` is an empty list`, 'a gradient needs at least one value, e.g. `[0, 0.5, 1]`');
  }
  return items.map((it) => {
    if (isMap(it.node)) {
      fail(ctx, it.pos, `parameter \`${name}\` mixes numbers and \`{filter, value}\` entries in one list`,
        'write either a gradient (a list of numbers) or a list of `{filter, value}` entries, whose `value` may be a gradient');
    }
    return finiteNumber(ctx, name, it.node, it.pos);
  });
}

function parseSetting(ctx: NodeCtx, name: string, node: Node | null, pos: SourcePos): ParamSetting {
  if (isSeq(node)) {
    const items = seqItems(ctx, node);
    if (items.length > 0 && isMap(items[0].node)) {
      const entries: ConditionalEntry[] = items.map((it) => {
        if (!isMap(it.node)) {
          fail(ctx, it.pos, `parameter \`${name}\` mixes \`{filter, value}\` entries and ${describeNode(it.node)} in one list`,
            'every entry of a conditional list is `- filter: <substring>` / `  value: <number or gradient>` (omit `filter` for the fallback)');
        }
        return parseConditionalEntry(ctx, name, it.node, it.pos);
      });
      return { kind: 'conditional', entries, pos };
    }
    return { kind: 'gradient', values: gradientValues(ctx, name, node, pos), pos };
  }
  if (isMap(node)) {
    // A single `{filter, value}` mapping validates in mergekit; treat it as a one-entry list.
    return { kind: 'conditional', entries: [parseConditionalEntry(ctx, name, node, pos)], pos };
  }
  return { kind: 'scalar', value: finiteNumber(ctx, name, node, pos), pos };
}

function conditionalKeyHint(key: string): string | undefined {
  if (['pattern', 'match', 'regex', 'name', 'tensor', 'filters'].includes(key)) {
    return `the tensor-name selector is spelled \`filter\` (a substring of the tensor name); mergekit would silently ignore \`${key}\` and apply this value to every tensor`;
  }
  return undefined;
}

function parseConditionalEntry(ctx: NodeCtx, name: string, node: YAMLMap, pos: SourcePos): ConditionalEntry {
  const where = `a conditional entry of \`${name}\``;
  const entries = mapEntries(ctx, node, where);
  checkKeys(ctx, entries, ['filter', 'value'], where, conditionalKeyHint);
  const m = entryMap(entries);
  const ve = m.get('value');
  if (!present(ve)) {
    fail(ctx, ve ? ve.keyPos : pos, `${where} has no \`value\``, 'write `- filter: self_attn` and `  value: 0.5` (omit `filter` for the fallback entry)');
  }
  let value: number | number[];
  if (isSeq(ve.value)) {
    value = gradientValues(ctx, name, ve.value, ve.valuePos);
  } else if (isMap(ve.value)) {
    return fail(ctx, ve.valuePos, `${where}: \`value\` cannot itself be conditional`, 'a conditional `value` is a number or a gradient list; list further filters as separate entries');
  } else {
    value = finiteNumber(ctx, name, ve.value, ve.valuePos);
  }
  const entry: ConditionalEntry = { value, pos };
  const fe = m.get('filter');
  if (present(fe)) {
    entry.filter = expectString(ctx, fe.value, fe.valuePos, '`filter`',
      'a filter is a substring of the tensor name, e.g. `self_attn`, `mlp`, `layers.3.` (quote it if it looks like a number)');
  }
  return entry;
}

// ---------------------------------------------------------------------------------------------
// dtype, tokenizer, chat template

const DTYPE_NAMES = Object.keys(TORCH_DTYPE_NAMES);

function parseDType(ctx: NodeCtx, e: Entry): FloatDType | undefined {
  if (!present(e)) return undefined;
  const allowed = `use one of ${listNames(['bfloat16', 'float16', 'float32'])} (also ${listNames(DTYPE_NAMES.filter((n) => !['bfloat16', 'float16', 'float32'].includes(n)))}, optionally prefixed \`torch.\`)`;
  const s = expectString(ctx, e.value, e.valuePos, `\`${e.key}\``, allowed);
  const d = parseTorchDType(s);
  if (d) return d;
  const bare = s.startsWith('torch.') ? s.slice(6) : s;
  if (bare === 'int64') {
    fail(ctx, e.valuePos, `\`${e.key}: ${s}\` is not supported: merges are computed and written in floating point`, allowed);
  }
  const guess = didYouMean(bare, DTYPE_NAMES);
  fail(ctx, e.valuePos, guess ? `unknown ${e.key} \`${s}\`; did you mean \`${guess}\`?` : `unknown ${e.key} \`${s}\``, allowed);
}

function parseTokenizerSource(ctx: NodeCtx, node: Node | null, pos: SourcePos, what: string): 'union' | 'base' | ModelRef {
  if (isScalar(node) && (node.value === 'union' || node.value === 'base')) return node.value;
  return modelRefFromNode(ctx, node, pos, what);
}

function parseTokenizer(ctx: NodeCtx, e: Entry): TokenizerSpec {
  const map = expectMap(ctx, e.value, e.valuePos, '`tokenizer`', 'write `tokenizer:` then `  source: union` (or `base`, or a model), optional `tokens:` and `pad_to_multiple_of:`');
  const entries = mapEntries(ctx, map, '`tokenizer`');
  checkKeys(ctx, entries, ['source', 'tokens', 'pad_to_multiple_of'], '`tokenizer`');
  const m = entryMap(entries);
  const spec: TokenizerSpec = { source: 'union', tokens: new Map(), pos: e.valuePos };
  const se = m.get('source');
  if (present(se)) spec.source = parseTokenizerSource(ctx, se.value, se.valuePos, 'tokenizer `source`');
  const pe = m.get('pad_to_multiple_of');
  if (present(pe)) {
    const v = pe.value;
    if (!isScalar(v) || typeof v.value !== 'number' || !Number.isInteger(v.value) || v.value < 1) {
      fail(ctx, pe.valuePos, `\`pad_to_multiple_of\` must be a positive integer, found ${describeNode(v)}`, 'write e.g. `pad_to_multiple_of: 64`');
    }
    spec.padToMultipleOf = v.value;
  }
  const te = m.get('tokens');
  if (present(te)) {
    const tmap = expectMap(ctx, te.value, te.valuePos, '`tokens`', 'write `tokens:` then `  "<token>": {source: org/model, force: false}` entries');
    for (const t of mapEntries(ctx, tmap, '`tokens`')) {
      spec.tokens.set(t.key, parseTokenConfig(ctx, t));
    }
  }
  return spec;
}

function parseTokenConfig(ctx: NodeCtx, t: Entry): { source?: TokenSourceSpec; force: boolean; pos: SourcePos } {
  const out: { source?: TokenSourceSpec; force: boolean; pos: SourcePos } = { force: false, pos: t.keyPos };
  if (!present(t)) return out; // `"<tok>":` alone: just add the token
  const where = `the configuration of token ${JSON.stringify(t.key)}`;
  const map = expectMap(ctx, t.value, t.valuePos, where, 'write `source:` (a model, `{kind: model_token, ...}` or `{kind: zero}`) and optional `force: true`');
  const entries = mapEntries(ctx, map, where);
  checkKeys(ctx, entries, ['source', 'force'], where);
  const m = entryMap(entries);
  const fe = m.get('force');
  if (present(fe)) {
    const b = scalarBoolean(fe.value);
    if (b === undefined) fail(ctx, fe.valuePos, `\`force\` must be true or false, found ${describeNode(fe.value)}`, 'write `force: true` or `force: false`');
    out.force = b;
  }
  const se = m.get('source');
  if (present(se)) out.source = parseTokenSource(ctx, se.value, se.valuePos);
  return out;
}

function parseTokenSource(ctx: NodeCtx, node: Node | null, pos: SourcePos): TokenSourceSpec {
  if (isMap(node)) {
    const entries = mapEntries(ctx, node, 'a token `source`');
    const m = entryMap(entries);
    const ke = m.get('kind');
    if (ke) {
      const kinds = ['model_token', 'zero'];
      const kind = expectString(ctx, ke.value, ke.valuePos, '`kind`', `use ${listNames(kinds)}`);
      if (kind === 'zero') {
        checkKeys(ctx, entries, ['kind'], 'a `{kind: zero}` token source');
        return { kind: 'zero' };
      }
      if (kind !== 'model_token') {
        const guess = didYouMean(kind, kinds);
        fail(ctx, ke.valuePos, guess ? `unknown token source kind \`${kind}\`; did you mean \`${guess}\`?` : `unknown token source kind \`${kind}\``,
          'use `{kind: model_token, model: org/model, token: "<tok>"}` (or `token_id: 123`), `{kind: zero}`, or just a model reference');
      }
      checkKeys(ctx, entries, ['kind', 'model', 'token', 'token_id'], 'a `model_token` token source');
      const me = m.get('model');
      if (!present(me)) fail(ctx, me ? me.keyPos : pos, 'a `model_token` token source has no `model`', 'add `model: org/model`');
      const spec: TokenSourceSpec = { kind: 'model_token', model: modelRefFromNode(ctx, me.value, me.valuePos, '`model`') };
      const tk = m.get('token');
      const ti = m.get('token_id');
      if (present(tk) && present(ti)) {
        fail(ctx, isBefore(tk.keyPos, ti.keyPos) ? ti.keyPos : tk.keyPos, 'give only one of `token` and `token_id`', 'keep `token: "<tok>"` or `token_id: 123`, not both');
      }
      if (present(tk)) {
        spec.token = expectString(ctx, tk.value, tk.valuePos, '`token`', 'write the token text in quotes, e.g. `token: "<|im_start|>"`');
      } else if (present(ti)) {
        const v = ti.value;
        if (!isScalar(v) || typeof v.value !== 'number' || !Number.isInteger(v.value) || v.value < 0) {
          fail(ctx, ti.valuePos, `\`token_id\` must be a non-negative integer, found ${describeNode(v)}`, 'write e.g. `token_id: 32000`');
        }
        spec.tokenId = v.value;
      } else {
        fail(ctx, posOf(ctx, node), 'a `model_token` token source needs `token` or `token_id`', 'add `token: "<tok>"` or `token_id: 123`');
      }
      return spec;
    }
  }
  return { kind: 'model', model: modelRefFromNode(ctx, node, pos, 'token `source`') };
}

function parseChatTemplate(ctx: NodeCtx, e: Entry): string {
  const names = CHAT_TEMPLATE_NAMES as readonly string[];
  const hint = `use \`auto\`, a built-in template (${listNames(names.slice(1))}) or a Jinja template string`;
  const s = expectString(ctx, e.value, e.valuePos, '`chat_template`', hint);
  if (names.includes(s)) return s;
  if (s.length < 20 || !s.includes('{')) {
    const guess = didYouMean(s, names);
    fail(ctx, e.valuePos, guess
      ? `unknown chat template \`${s}\`; did you mean \`${guess}\`?`
      : `\`chat_template\` \`${s}\` is neither a built-in template name nor a Jinja template`, hint);
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// mergeops:

function parseMergeops(ctx: NodeCtx, e: Entry): MergeopsOptions {
  const out: MergeopsOptions = { extra: new Map() };
  if (!present(e)) return out;
  const map = expectMap(ctx, e.value, e.valuePos, '`mergeops`', 'write `mergeops:` then indented options, e.g. `seed: 42`, `quantize: [Q4_K_M, Q8_0]`');
  for (const o of mapEntries(ctx, map, '`mergeops`')) {
    switch (o.key) {
      case 'seed': {
        if (!present(o)) break;
        const v = o.value;
        if (!isScalar(v) || typeof v.value !== 'number' || !Number.isSafeInteger(v.value) || v.value < 0) {
          fail(ctx, o.valuePos, `\`seed\` must be a non-negative integer, found ${describeNode(v)}`, 'write e.g. `seed: 42`');
        }
        out.seed = v.value;
        break;
      }
      case 'quantize': {
        if (!present(o)) break;
        const hint = 'write a GGUF type or a list of them, e.g. `quantize: Q4_K_M` or `quantize: [Q4_K_M, Q8_0]`';
        const items = isSeq(o.value) ? seqItems(ctx, o.value) : [{ node: o.value, pos: o.valuePos }];
        const seen = new Map<string, SourcePos>();
        out.quantizePos = items.map((it) => it.pos);
        out.quantize = items.map(({ node, pos }) => {
          const s = expectString(ctx, node, pos, 'a `quantize` type', hint);
          if (s.trim() === '') fail(ctx, pos, 'empty `quantize` type', hint);
          const prev = seen.get(s.toUpperCase());
          if (prev) fail(ctx, pos, `\`quantize\` lists \`${s}\` twice (first at line ${prev.line}, column ${prev.col})`, 'list each GGUF type once');
          seen.set(s.toUpperCase(), pos);
          return s;
        });
        break;
      }
      case 'out_shard_size': {
        if (!present(o)) break;
        const hint = 'write a size in bytes: a number, or a string like `5B` / `2G` / `500M` (powers of 1000, as mergekit\'s `--out-shard-size`) or `4GiB`';
        const v = o.value;
        let size: number | undefined;
        if (isScalar(v) && typeof v.value === 'number') size = Number.isSafeInteger(v.value) ? v.value : undefined;
        else if (isScalar(v) && typeof v.value === 'string') size = parseByteSize(v.value);
        if (size === undefined || size <= 0) {
          fail(ctx, o.valuePos, `\`out_shard_size\` must be a positive size in bytes, found ${describeNode(v)}`, hint);
        }
        out.outShardSize = size;
        break;
      }
      case 'license': {
        if (!present(o)) break;
        const hint = 'write a license id from the Hub\'s list, e.g. `license: apache-2.0` (or `other`)';
        const v = expectString(ctx, o.value, o.valuePos, '`license`', hint).trim();
        if (!/^[a-z0-9][a-z0-9.+-]*$/i.test(v)) fail(ctx, o.valuePos, `\`license\` must be a license id, found \`${v}\``, hint);
        out.license = v;
        out.licensePos = o.valuePos;
        break;
      }
      case 'eval':
        if (present(o)) out.eval = parseEvalOptions(ctx, o);
        break;
      case 'truncate_embeddings': {
        if (!present(o)) break;
        const v = o.value;
        if (!isScalar(v) || typeof v.value !== 'boolean') {
          fail(ctx, o.valuePos, `\`${o.key}\` must be true or false, found ${describeNode(v)}`,
            'write `truncate_embeddings: true` to crop embeddings of different vocabularies to their common rows (as mergekit does)');
        }
        out.truncateEmbeddings = v.value;
        break;
      }
      default:
        out.extra.set(o.key, { value: o.value === null ? null : o.value.toJS(ctx.doc), pos: o.valuePos, keyPos: o.keyPos });
    }
  }
  return out;
}
