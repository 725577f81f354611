/**
 * Embedding remapping (mergekit's `PermutedEmbeddings`, §3.3) as row-gather descriptions: for
 * every model of an embedding-like tensor, where each output row comes from. No tensor data.
 *
 * Default source of a token, unless `tokens:` configures one:
 *  1. present in exactly one model → that model's row;
 *  2. present in no model → zeros;
 *  3. present in several, the base model among them → the base model's row;
 *  4. otherwise → the mean of the rows of the models that have it.
 * A model uses its own row when it has the token (unless `force`), else the default. Padding
 * rows (past the real vocabulary) are the mean of that model's real rows.
 */
import type { SourcePos } from '../errors.js';
import type { ModelRowGather, OutputVocab, TokenizerModel } from './types.js';
import type { RowMix } from '../model/tensor.js';

export type TokenSource =
  | { kind: 'model'; key: string }
  | { kind: 'model_token'; key: string; token?: string; tokenId?: number }
  | { kind: 'zero' };

export interface TokenConfig {
  /** undefined: the default rules, but still subject to `force`. */
  source?: TokenSource;
  force: boolean;
  pos: SourcePos;
}

/** Raises a recipe error at a `tokens:` entry. */
export type FailAt = (pos: SourcePos, message: string, hint: string) => never;

/** Output id → the model's id of the same token, or −1 (absent, or past the model's embedding rows). */
export function permutation(out: OutputVocab, m: TokenizerModel, fallback: TokenizerModel): Int32Array {
  const v = (m.vocab ?? fallback.vocab)!;
  const p = new Int32Array(out.tokens.length).fill(-1);
  out.tokens.forEach((t, i) => {
    if (t === undefined) return;
    const id = v.ids.get(t);
    if (id !== undefined && id < m.vocabSize) p[i] = id;
  });
  return p;
}

type Default = { kind: 'zero' } | { kind: 'rows'; rows: { key: string; row: number }[] };

export interface EmbedInput {
  out: OutputVocab;
  /** Permutation of every model that may be read, by key. */
  perms: Map<string, Int32Array>;
  models: Map<string, TokenizerModel>;
  /** Models whose tensor is merged, in input order. */
  tensorModels: string[];
  /** Rows of each readable model's tensor (models whose tensor is not available are absent). */
  rowsOf: Map<string, number>;
  /** The merge's base model (rule 3), if any. */
  baseKey?: string;
  tokens: Map<string, TokenConfig>;
  fail: FailAt;
}

function configuredDefault(inp: EmbedInput, token: string, id: number, cfg: TokenConfig & { source: TokenSource }): Default {
  const src = cfg.source;
  if (src.kind === 'zero') return { kind: 'zero' };
  const rows = inp.rowsOf.get(src.key);
  if (rows === undefined) {
    inp.fail(cfg.pos, `token ${JSON.stringify(token)} takes its embedding from \`${src.key}\`, which is not one of the merged models`,
      'use a model listed in the recipe (its embedding tensor must be read), or `{kind: zero}`');
  }
  if (src.kind === 'model') {
    const row = inp.perms.get(src.key)![id];
    if (row < 0) {
      inp.fail(cfg.pos, `token ${JSON.stringify(token)} is not in the vocabulary of \`${src.key}\``,
        `take it from a model that has it, or use \`{kind: model_token, model: ${src.key}, token: "<a token it has>"}\``);
    }
    return { kind: 'rows', rows: [{ key: src.key, row }] };
  }
  let row = src.tokenId;
  if (row === undefined) {
    const m = inp.models.get(src.key)!;
    row = m.vocab?.ids.get(src.token!);
    if (row === undefined) {
      inp.fail(cfg.pos, `token ${JSON.stringify(src.token)} is not in the vocabulary of \`${src.key}\``,
        'check the spelling of `token` (it is matched exactly, with its leading space marker), or give `token_id`');
    }
  }
  if (row < 0 || row >= rows) {
    inp.fail(cfg.pos, `token id ${row} is past the ${rows} embedding rows of \`${src.key}\``, `use a token id below ${rows}`);
  }
  return { kind: 'rows', rows: [{ key: src.key, row }] };
}

function ruleDefault(inp: EmbedInput, id: number): Default {
  const having = inp.tensorModels.filter((k) => inp.perms.get(k)![id] >= 0);
  if (having.length === 0) return { kind: 'zero' };
  if (having.length > 1 && inp.baseKey !== undefined && having.includes(inp.baseKey)) {
    return { kind: 'rows', rows: [{ key: inp.baseKey, row: inp.perms.get(inp.baseKey)![id] }] };
  }
  return { kind: 'rows', rows: having.map((k) => ({ key: k, row: inp.perms.get(k)![id] })) };
}

/**
 * One row gather per model of the tensor (same order as `tensorModels`), and the tokens that get
 * zero rows because no model of the tensor has them and nothing configures them (rule 2).
 */
export function embeddingGathers(inp: EmbedInput): { gathers: ModelRowGather[]; unsourced: string[] } {
  const { out } = inp;
  const V = out.tokens.length;
  const defaults: (Default | undefined)[] = new Array<Default | undefined>(V);
  const forced = new Uint8Array(V);
  const defaultOf = (id: number): Default => {
    let d = defaults[id];
    if (!d) {
      const token = out.tokens[id];
      const cfg = token === undefined ? undefined : inp.tokens.get(token);
      d = cfg?.source ? configuredDefault(inp, token!, id, { ...cfg, source: cfg.source }) : ruleDefault(inp, id);
      defaults[id] = d;
    }
    return d;
  };
  for (const [token, cfg] of inp.tokens) {
    const id = out.ids.get(token);
    if (id === undefined) continue;
    if (cfg.force) forced[id] = 1;
    defaultOf(id); // configuration errors surface even for tokens every model has
  }

  const gathers = inp.tensorModels.map((key) => {
    const perm = inp.perms.get(key)!;
    const sources = [key];
    const srcIndex = (k: string): number => {
      let i = sources.indexOf(k);
      if (i < 0) i = sources.push(k) - 1;
      return i;
    };
    const map = new Array<number>(out.paddedSize);
    const mixes: RowMix[] = [];
    for (let id = 0; id < V; id++) {
      if (out.tokens[id] === undefined) { map[id] = -1; continue; }
      if (perm[id] >= 0 && !forced[id]) { map[id] = perm[id]; continue; }
      const d = defaultOf(id);
      if (d.kind === 'zero') { map[id] = -1; continue; }
      if (d.rows.length === 1 && d.rows[0].key === key) { map[id] = d.rows[0].row; continue; }
      map[id] = -2 - mixes.length;
      mixes.push({ terms: d.rows.map((r) => ({ source: srcIndex(r.key), row: r.row, weight: 1 })), divisor: d.rows.length });
    }
    if (out.paddedSize > V) {
      const pad = -2 - mixes.length;
      mixes.push({ meanOf: V });
      for (let r = V; r < out.paddedSize; r++) map[r] = pad;
    }
    return { sources, map, mixes };
  });
  const unsourced: string[] = [];
  defaults.forEach((d, id) => {
    const token = out.tokens[id];
    if (d?.kind === 'zero' && token !== undefined && !inp.tokens.get(token)?.source) unsourced.push(token);
  });
  return { gathers, unsourced };
}
