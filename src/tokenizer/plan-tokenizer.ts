/**
 * The tokenizer part of the plan: from the recipe's `tokenizer`/`tokenizer_source` and
 * `chat_template` and the models' tokenizer files, the output vocabulary, the permutation of
 * every model, the files to write and the template. Pure (the files were read by resolve).
 */
import { MergeopsError, RecipeError, type SourcePos } from '../errors.js';
import type { Recipe } from '../recipe/types.js';
import { buildOutputVocab, type VocabSource } from './build-vocab.js';
import { resolveChatTemplate, validateChatTemplate } from './chat-template.js';
import { embeddingGathers, permutation, type FailAt, type TokenConfig } from './embed.js';
import type { ModelRowGather, OutputVocab, TokenizerModel } from './types.js';
import { vocabOf } from './vocab.js';
import { outputTokenizerFiles, REPLACED_TEMPLATE_FILES, REPLACED_TOKENIZER_FILES, type OutFile } from './write-files.js';
import type { Resolved, ResolvedModel } from '../model/resolved.js';
import type { InputTensorRef } from '../model/tensor.js';

export interface TokenizerSetup {
  /** Set when the recipe configures a tokenizer (embeddings are then remapped). */
  vocab?: OutputVocab;
  perms: Map<string, Int32Array>;
  models: Map<string, TokenizerModel>;
  tokens: Map<string, TokenConfig>;
  /** The merge's base model, for rule 3 of the embedding sources. */
  baseKey?: string;
  /** Tokenizer files to write, and the donor files they replace. */
  files: OutFile[];
  replaced: readonly string[];
  chatTemplate?: string;
  /** `union`, `base`, the source model's key, or `copied` (only a chat template is set). */
  sourceLabel: string;
  warnings: string[];
}

/** True when the recipe needs the models' tokenizer files (resolve reads them only then). */
export function recipeNeedsTokenizers(recipe: Recipe): boolean {
  return recipe.tokenizer !== undefined || recipe.tokenizerSource !== undefined || recipe.chatTemplate !== undefined;
}

export function failAt(recipe: Recipe): FailAt {
  return (pos: SourcePos, message: string, hint: string): never => {
    throw new RecipeError(message, hint, pos, recipe.lines[pos.line - 1]);
  };
}

/** config.json's vocabulary size (rows of the embedding), else the tokenizer's size. */
function vocabSizeOf(m: ResolvedModel, vocabLen: number | undefined): number {
  const v = m.config[m.arch.def.vocabSizeKey];
  if (typeof v === 'number' && Number.isInteger(v) && v > 0) return v;
  const embed = m.arch.def.preWeights.find((w) => w.isEmbed);
  const t = embed ? m.tensors.get(embed.name) : undefined;
  return t?.shape[0] ?? vocabLen ?? 0;
}

/** Where `chat_template:` is written in the recipe (the parser keeps no position for it). */
function chatTemplatePos(recipe: Recipe): SourcePos {
  // From this document's first line: a multi-document file holds several recipes.
  const i = recipe.lines.findIndex((l, n) => n >= recipe.pos.line - 1 && /^\s*chat_template\s*:/.test(l));
  if (i < 0) return recipe.pos;
  return { file: recipe.file, line: i + 1, col: recipe.lines[i].indexOf('chat_template') + 1 };
}

function specialText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && v !== null && typeof (v as { content?: unknown }).content === 'string') return (v as { content: string }).content;
  return undefined;
}

export function planTokenizer(resolved: Resolved): TokenizerSetup | undefined {
  const { recipe } = resolved;
  if (!recipeNeedsTokenizers(recipe)) return undefined;
  const fail = failAt(recipe);
  const all = [...resolved.models.values()];
  // Tokenizer base: base_model, else the first model the recipe names (mergekit).
  const tokBase = recipe.baseModel ? resolved.models.get(recipe.baseModel.key)! : all[0];
  const ordered = [tokBase, ...all.filter((m) => m !== tokBase)];
  const models = new Map<string, TokenizerModel>();
  for (const m of ordered) {
    const files = m.tokenizer ?? {};
    const vocab = vocabOf(files, m.key);
    models.set(m.key, { key: m.key, files, vocab, vocabSize: vocabSizeOf(m, vocab?.ids.size) });
  }
  const warnings: string[] = [];
  const spec = recipe.tokenizer;
  const src = spec?.source ?? recipe.tokenizerSource;
  let vocab: OutputVocab | undefined;
  const tokens = new Map<string, TokenConfig>();
  if (src !== undefined) {
    const source: VocabSource = src === 'union' ? { kind: 'union' } : src === 'base' ? { kind: 'base' } : { kind: 'model', key: src.key };
    for (const [t, c] of spec?.tokens ?? []) {
      const s = c.source;
      tokens.set(t, {
        force: c.force, pos: c.pos,
        source: !s ? undefined
          : s.kind === 'zero' ? { kind: 'zero' }
            : s.kind === 'model' ? { kind: 'model', key: s.model!.key }
              : { kind: 'model_token', key: s.model!.key, token: s.token, tokenId: s.tokenId },
      });
    }
    try {
      const built = buildOutputVocab({ source, models: [...models.values()], extraTokens: [...tokens.keys()], padToMultipleOf: spec?.padToMultipleOf });
      vocab = built.vocab;
      warnings.push(...built.warnings);
    } catch (e) {
      if (e instanceof MergeopsError && !(e instanceof RecipeError)) fail(spec?.pos ?? recipe.pos, e.message, e.hint);
      throw e;
    }
  }
  const perms = new Map<string, Int32Array>();
  if (vocab) for (const m of models.values()) perms.set(m.key, permutation(vocab, m, models.get(tokBase.key)!));

  const donorKey = vocab?.donorKey ?? tokBase.key;
  const donor = models.get(donorKey)!;
  let chatTemplate: string | undefined;
  if (recipe.chatTemplate !== undefined) {
    chatTemplate = resolveChatTemplate(recipe.chatTemplate, [...models.values()].map((m) => m.files));
    if (chatTemplate === undefined) warnings.push('chat_template: auto found no chat template in any model; none is set');
    else {
      const tc = donor.files.tokenizerConfig ?? {};
      const r = validateChatTemplate(chatTemplate, { bos: specialText(tc.bos_token), eos: specialText(tc.eos_token) });
      if (!r.ok) {
        const where = r.line !== undefined ? ` (template line ${r.line}, column ${r.col})` : '';
        fail(chatTemplatePos(recipe), `chat_template: ${r.message}${where}`,
          'fix the Jinja template (it is rendered with `messages`, `add_generation_prompt`, `bos_token` and `eos_token`), or use a built-in: chatml, llama3, mistral, alpaca');
      }
      else if (r.warning) warnings.push(r.warning);
    }
  }
  const files = vocab || chatTemplate !== undefined ? outputTokenizerFiles(donor.files, vocab, chatTemplate) : [];
  const replaced = vocab ? REPLACED_TOKENIZER_FILES : chatTemplate !== undefined ? REPLACED_TEMPLATE_FILES : [];
  const sourceLabel = src === undefined ? 'copied' : typeof src === 'string' ? src : src.key;
  return { vocab, perms, models, tokens, baseKey: recipe.baseModel?.key, files, replaced, chatTemplate, sourceLabel, warnings };
}

/** Row gathers of one embedding-like tensor, one per model in `tensorModels`. */
export function tensorGathers(setup: TokenizerSetup, recipe: Recipe, tensorModels: string[], rowsOf: Map<string, number>): { gathers: ModelRowGather[]; unsourced: string[] } {
  if (!setup.vocab) throw new MergeopsError('INTERNAL', 'tensorGathers without an output vocabulary', 'report this as a bug');
  return embeddingGathers({
    out: setup.vocab, perms: setup.perms, models: setup.models, tensorModels, rowsOf,
    baseKey: setup.baseKey !== undefined && tensorModels.includes(setup.baseKey) ? setup.baseKey : undefined,
    tokens: setup.tokens, fail: failAt(recipe),
  });
}

/**
 * An embedding-like tensor's inputs rebuilt for the output vocabulary: each input becomes a row
 * gather over its own tensor and the same tensor of the other models it borrows rows from.
 * `tensorOf(key)` gives any model's stored tensor for this weight (undefined if it has none).
 */
export function gatherInputs(setup: TokenizerSetup, recipe: Recipe, outName: string, refs: InputTensorRef[],
  tensorOf: (modelKey: string) => InputTensorRef | undefined): { refs: InputTensorRef[]; shape: number[]; warnings: string[] } {
  const vocab = setup.vocab!;
  const cols = refs[0].shape[1];
  const candidates = new Map<string, InputTensorRef>();
  for (const key of setup.models.keys()) {
    const r = refs.find((x) => x.modelKey === key) ?? tensorOf(key);
    if (r) candidates.set(key, r);
  }
  for (const r of candidates.values()) {
    if (r.shape.length !== 2 || r.shape[1] !== cols) {
      throw new MergeopsError('SHAPE_MISMATCH',
        `tensor ${outName}: \`${refs[0].modelKey}\` has rows of ${cols} values but \`${r.modelKey}\` has shape [${r.shape.join(', ')}]`,
        'the models have different hidden sizes; only models of the same size can be merged');
    }
  }
  const rowsOf = new Map([...candidates].map(([k, r]) => [k, r.shape[0]]));
  const { gathers, unsourced } = tensorGathers(setup, recipe, refs.map((r) => r.modelKey), rowsOf);
  const warnings = unsourced.length === 0 ? [] : [
    `${outName}: ${unsourced.length} token(s) are in no merged model and get zero rows (${unsourced.slice(0, 5).map((x) => JSON.stringify(x)).join(', ')}${unsourced.length > 5 ? ', …' : ''})`];
  // Inputs whose rows already are the output vocabulary, in order, stay as they are.
  const identity = gathers.map((g, i) => g.sources.length === 1 && g.mixes.length === 0 && g.map.length === refs[i].shape[0]
    && g.map.every((m, r) => m === r));
  // Sources may be earlier stages' outputs (rows computed in the worker; their vocabulary is their
  // planned tokenizer's) or LoRA-patched tensors, as well as stored tensors.
  const out = refs.map((r, i) => {
    if (identity[i]) return r;
    const g = gathers[i];
    const sources = g.sources.map((k) => (k === r.modelKey ? r : candidates.get(k)!));
    // A config.json vocab_size larger than the stored matrix would make ids point past it.
    const past = (src: number, row: number): boolean => row >= sources[src].shape[0];
    const bad = g.map.findIndex((m) => m >= 0 && past(0, m));
    if (bad >= 0 || g.mixes.some((m) => 'terms' in m && m.terms.some((t) => past(t.source, t.row)))) {
      throw new MergeopsError('SHAPE_MISMATCH',
        `tensor ${outName}: a token id of \`${r.modelKey}\` (or of a model it borrows rows from) is past the rows of its ${r.tensor}`,
        'the model\'s config.json vocab_size is larger than its embedding matrix; fix vocab_size to the number of rows');
    }
    return { ...r, shape: [vocab.paddedSize, cols], gather: { cols, sources, rows: { map: g.map, mixes: g.mixes } } };
  });
  return { refs: out, shape: [vocab.paddedSize, cols], warnings };
}

/**
 * Bytes the executor reads for a gathered input: every copied row, every row of every mix (each
 * used by one output row), and for padding the real rows once more (their mean is computed in
 * the chunk that holds the padding rows; usually one). `bytesOf(source)` is what reading a whole
 * source costs (for an earlier stage's tensor: reading its inputs); a row costs its share.
 */
export function gatherReadBytes(r: InputTensorRef, bytesOf: (source: InputTensorRef) => number = (x) => x.end - x.start): number {
  const g = r.gather!;
  const rowBytes = (ref: InputTensorRef): number => bytesOf(ref) / ref.shape[0];
  let bytes = 0;
  for (const m of g.rows.map) if (m >= 0) bytes += rowBytes(g.sources[0]);
  for (const mix of g.rows.mixes) {
    if ('terms' in mix) {
      for (const t of mix.terms) bytes += rowBytes(g.sources[t.source]);
    } else {
      // The mean re-reads rows [0, meanOf) (counted at the model's row size; zero rows read nothing).
      bytes += mix.meanOf * rowBytes(g.sources[0]);
    }
  }
  return bytes;
}
