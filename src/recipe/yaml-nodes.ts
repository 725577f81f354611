/**
 * Helpers over `yaml` (v2) AST nodes: positions, errors with source excerpts, mapping entries
 * (aliases and `<<` merge keys resolved), "did you mean" suggestions. Internal to `src/recipe/`.
 */
import { isAlias, isMap, isScalar, isSeq } from 'yaml';
import type { Document, LineCounter } from 'yaml';
import type { Node, YAMLMap, YAMLSeq } from 'yaml';
import { RecipeError } from '../errors.js';
import type { SourcePos } from '../errors.js';

/** Where nodes come from: the file, its lines and the document (for aliases). */
export interface NodeCtx {
  file: string;
  lines: string[];
  lineCounter: LineCounter;
  doc: Document;
}

export function posAt(ctx: NodeCtx, offset: number): SourcePos {
  const { line, col } = ctx.lineCounter.linePos(offset);
  return { file: ctx.file, line, col };
}

export function posOf(ctx: NodeCtx, node: Node): SourcePos {
  return posAt(ctx, node.range ? node.range[0] : 0);
}

/** Builds a RecipeError at `pos`, carrying the offending source line. */
export function recipeError(ctx: Pick<NodeCtx, 'lines'>, pos: SourcePos, message: string, hint: string): RecipeError {
  return new RecipeError(message, hint, pos, ctx.lines[pos.line - 1]);
}

export function fail(ctx: Pick<NodeCtx, 'lines'>, pos: SourcePos, message: string, hint: string): never {
  throw recipeError(ctx, pos, message, hint);
}

/** Follows aliases (`*name`) to the anchored node. */
export function deref(ctx: NodeCtx, node: Node | null | undefined): Node | null {
  let n: unknown = node ?? null;
  for (let i = 0; i < 100 && isAlias(n); i++) {
    const target: unknown = n.resolve(ctx.doc);
    if (target === undefined || target === null) {
      fail(ctx, posOf(ctx, n), `unknown alias \`*${n.source}\``, `define the anchor first with \`&${n.source}\` on the node you want to reuse`);
    }
    n = target;
  }
  return (n as Node | null) ?? null;
}

/** True for a missing value or an explicit null (`key:` with nothing after it, `~`, `null`). */
export function isNullNode(node: Node | null): boolean {
  return node === null || (isScalar(node) && node.value === null);
}

/** One `key: value` entry of a mapping, with the positions errors should point at. */
export interface Entry {
  key: string;
  keyPos: SourcePos;
  /** The value, aliases resolved; null when absent or an explicit null. */
  value: Node | null;
  /** Position of the value node, or of the key when the value is empty. */
  valuePos: SourcePos;
}

/** A short description of a node for messages: `the string "x"`, `a list`, ... */
export function describeNode(node: Node | null): string {
  if (node === null) return 'nothing';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    const v = node.value;
    if (v === null) return 'nothing';
    if (typeof v === 'string') return `the string ${JSON.stringify(v)}`;
    if (typeof v === 'number') return `the number ${v}`;
    if (typeof v === 'boolean') return `the boolean ${v}`;
    return `the value ${String(v)}`;
  }
  return 'an unexpected node';
}

/**
 * The entries of a mapping in source order, `<<: *anchor` merge keys expanded (explicit keys win,
 * then earlier merge sources). Keys must be plain strings.
 */
export function mapEntries(ctx: NodeCtx, map: YAMLMap, where: string): Entry[] {
  const explicit: Entry[] = [];
  const merged: Entry[] = [];
  for (const pair of map.items) {
    const keyNode = pair.key as Node | null;
    const valueRaw = pair.value as Node | null;
    if (isScalar(keyNode) && typeof keyNode.value === 'symbol') {
      // `<<` merge key: value is a map (usually an alias) or a list of maps.
      const v = deref(ctx, valueRaw);
      const sources: Node[] = isSeq(v) ? (v.items as Node[]).map((n) => deref(ctx, n)).filter((n): n is Node => n !== null) : v ? [v] : [];
      for (const src of sources) {
        if (!isMap(src)) {
          fail(ctx, posOf(ctx, keyNode), `\`<<\` merge key in ${where} must refer to a mapping`, 'write `<<: *anchor` where `&anchor` names a mapping');
        }
        for (const e of mapEntries(ctx, src, where)) merged.push(e);
      }
      continue;
    }
    const k = deref(ctx, keyNode);
    const keyPos = keyNode ? posOf(ctx, keyNode) : posOf(ctx, map);
    if (!isScalar(k) || (typeof k.value !== 'string' && typeof k.value !== 'number' && typeof k.value !== 'boolean')) {
      fail(ctx, keyPos, `keys in ${where} must be names, found ${describeNode(k)}`, 'write `name: value` entries with plain names as keys');
    }
    // Keys are names: a plain `1` or `true` key is taken as written.
    const key = typeof k.value === 'string' ? k.value : (k.source ?? String(k.value));
    const value = deref(ctx, valueRaw);
    const valuePos = value !== null && !(isScalar(value) && value.value === null && (value.source ?? '') === '')
      ? posOf(ctx, value)
      : keyPos;
    explicit.push({ key, keyPos, value, valuePos });
  }
  const seen = new Set(explicit.map((e) => e.key));
  const out = [...explicit];
  for (const e of merged) {
    if (!seen.has(e.key)) {
      seen.add(e.key);
      out.push(e);
    }
  }
  return out;
}

/** Requires `node` to be a mapping. */
export function expectMap(ctx: NodeCtx, node: Node | null, pos: SourcePos, what: string, hint: string): YAMLMap {
  if (!isMap(node)) fail(ctx, pos, `${what} must be a mapping, found ${describeNode(node)}`, hint);
  return node;
}

/** Requires `node` to be a list. */
export function expectSeq(ctx: NodeCtx, node: Node | null, pos: SourcePos, what: string, hint: string): YAMLSeq {
  if (!isSeq(node)) fail(ctx, pos, `${what} must be a list, found ${describeNode(node)}`, hint);
  return node;
}

/** The items of a list, aliases resolved, each with its position. */
export function seqItems(ctx: NodeCtx, seq: YAMLSeq): { node: Node | null; pos: SourcePos }[] {
  return (seq.items as (Node | null)[]).map((raw) => {
    const node = deref(ctx, raw);
    const pos = raw ? posOf(ctx, raw) : posOf(ctx, seq);
    return { node, pos };
  });
}

/** Requires a string scalar. */
export function expectString(ctx: NodeCtx, node: Node | null, pos: SourcePos, what: string, hint: string): string {
  if (!isScalar(node) || typeof node.value !== 'string') {
    fail(ctx, pos, `${what} must be a string, found ${describeNode(node)}`, hint);
  }
  return node.value;
}

/** A string scalar, or the source text of a plain scalar YAML read as a number or boolean (e.g. a revision `0123`). */
export function scalarText(node: Node | null): string | undefined {
  if (!isScalar(node)) return undefined;
  if (typeof node.value === 'string') return node.value;
  if ((typeof node.value === 'number' || typeof node.value === 'boolean') && node.type === 'PLAIN' && node.source) return node.source;
  return undefined;
}

/** YAML 1.1 (PyYAML, which mergekit uses) reads these plain words as booleans; YAML 1.2 does not. */
const YAML11_TRUE = new Set(['yes', 'Yes', 'YES', 'on', 'On', 'ON']);
const YAML11_FALSE = new Set(['no', 'No', 'NO', 'off', 'Off', 'OFF']);

/** A boolean scalar, including PyYAML's plain `yes`/`no`/`on`/`off`. */
export function scalarBoolean(node: Node | null): boolean | undefined {
  if (!isScalar(node)) return undefined;
  if (typeof node.value === 'boolean') return node.value;
  if (typeof node.value === 'string' && node.type === 'PLAIN') {
    if (YAML11_TRUE.has(node.value)) return true;
    if (YAML11_FALSE.has(node.value)) return false;
  }
  return undefined;
}

/** Python `float()` syntax accepted for quoted numbers (pydantic's lax mode converts them). */
const NUMERIC_STRING = /^[+-]?(?:\d+(?:_\d+)*(?:\.(?:\d+(?:_\d+)*)?)?|\.\d+(?:_\d+)*)(?:[eE][+-]?\d+(?:_\d+)*)?$/;

/**
 * A number as mergekit's pydantic validation reads it: numbers, booleans (1/0), PyYAML's boolean
 * words, and strings spelling a number. Undefined otherwise.
 */
export function scalarNumber(node: Node | null): number | undefined {
  if (!isScalar(node)) return undefined;
  const v = node.value;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  const b = scalarBoolean(node);
  if (b !== undefined) return b ? 1 : 0;
  if (typeof v === 'string') {
    const s = v.trim();
    if (NUMERIC_STRING.test(s)) return Number(s.replace(/_/g, ''));
  }
  return undefined;
}

/** Optimal string alignment distance (Levenshtein plus adjacent transpositions). */
export function editDistance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  const d: number[][] = [];
  for (let i = 0; i <= m; i++) {
    d.push(new Array<number>(n + 1).fill(0));
    d[i][0] = i;
  }
  for (let j = 0; j <= n; j++) d[0][j] = j;
  for (let i = 1; i <= m; i++) {
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2][j - 2] + 1);
      d[i][j] = v;
    }
  }
  return d[m][n];
}

const normalizeName = (s: string): string => s.toLowerCase().replace(/[-_\s]/g, '');

/** The closest candidate to `word`, if it is close enough to be a likely typo. */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  const w = normalizeName(word);
  for (const c of candidates) if (normalizeName(c) === w) return c;
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const dist = editDistance(word.toLowerCase(), c.toLowerCase());
    const limit = Math.max(1, Math.floor(c.length / 3));
    if (dist <= limit && dist < bestD) {
      best = c;
      bestD = dist;
    }
  }
  return best;
}

/** Keys to list in a hint: `a`, `b`, `c`. */
export function listNames(names: readonly string[]): string {
  return names.map((n) => `\`${n}\``).join(', ');
}

/**
 * Rejects keys outside `allowed` (mergekit would silently ignore them), suggesting the closest
 * allowed key. `extraHint` may give a more specific hint for a key.
 */
export function checkKeys(
  ctx: NodeCtx,
  entries: Entry[],
  allowed: readonly string[],
  where: string,
  extraHint?: (key: string) => string | undefined,
): void {
  for (const e of entries) {
    if (allowed.includes(e.key)) continue;
    const special = extraHint?.(e.key);
    const suggestion = didYouMean(e.key, allowed);
    const message = suggestion
      ? `unknown key \`${e.key}\` in ${where}; did you mean \`${suggestion}\`?`
      : `unknown key \`${e.key}\` in ${where}`;
    const hint = special
      ?? (suggestion
        ? `rename it to \`${suggestion}\` (mergekit would silently ignore \`${e.key}\`)`
        : `the keys allowed in ${where} are ${listNames(allowed)}; mergekit would silently ignore \`${e.key}\``);
    fail(ctx, e.keyPos, message, hint);
  }
}

/** Entries by key. */
export function entryMap(entries: Entry[]): Map<string, Entry> {
  return new Map(entries.map((e) => [e.key, e]));
}

/** Positions compare in source order. */
export function isBefore(a: SourcePos, b: SourcePos): boolean {
  return a.line < b.line || (a.line === b.line && a.col < b.col);
}
