/**
 * Editing JSON text in place: set some keys of a JSON document and keep every other byte as the
 * donor wrote it. `JSON.parse` + `JSON.stringify` would rewrite number literals (`1.0` → `1`,
 * `10000.0` → `10000`, a 31-digit integer → `1e+30`), and transformers refuses a config whose
 * float fields come back as integers; so merged configs are the donor's text with edits spliced in.
 */
import { MergeopsError } from '../errors.js';

/** One edit: the key path from the root object, and the new value (`undefined` deletes nothing: it is skipped). */
export interface JsonEdit {
  path: readonly string[];
  value: unknown;
}

interface Member {
  key: string;
  /** start of the key's opening quote */
  keyStart: number;
  valueStart: number;
  valueEnd: number;
}

interface ObjectSpan {
  start: number;
  end: number; // index just past '}'
  members: Member[];
}

function fail(at: number, what: string): never {
  throw new MergeopsError('IO', `invalid JSON at offset ${at}: ${what}`, 'the file is damaged; download the model again');
}

function skipWs(s: string, i: number): number {
  while (i < s.length && (s[i] === ' ' || s[i] === '\n' || s[i] === '\r' || s[i] === '\t')) i++;
  return i;
}

function stringEnd(s: string, i: number): number {
  // s[i] === '"'
  for (let j = i + 1; j < s.length; j++) {
    if (s[j] === '\\') j++;
    else if (s[j] === '"') return j + 1;
  }
  return fail(i, 'unterminated string');
}

/** Index just past the JSON value starting at `i` (after whitespace). */
function valueEnd(s: string, i: number): number {
  i = skipWs(s, i);
  const c = s[i];
  if (c === '"') return stringEnd(s, i);
  if (c === '{' || c === '[') {
    const close = c === '{' ? '}' : ']';
    let j = skipWs(s, i + 1);
    if (s[j] === close) return j + 1;
    for (;;) {
      if (c === '{') {
        if (s[j] !== '"') fail(j, 'expected a key');
        j = skipWs(s, stringEnd(s, j));
        if (s[j] !== ':') fail(j, 'expected ":"');
        j++;
      }
      j = skipWs(s, valueEnd(s, j));
      if (s[j] === ',') { j = skipWs(s, j + 1); continue; }
      if (s[j] === close) return j + 1;
      fail(j, `expected "," or "${close}"`);
    }
  }
  let j = i;
  while (j < s.length && !/[\s,\]}]/.test(s[j])) j++;
  if (j === i) fail(i, 'expected a value');
  return j;
}

function objectAt(s: string, i: number): ObjectSpan {
  i = skipWs(s, i);
  if (s[i] !== '{') fail(i, 'expected an object');
  const members: Member[] = [];
  let j = skipWs(s, i + 1);
  if (s[j] === '}') return { start: i, end: j + 1, members };
  for (;;) {
    if (s[j] !== '"') fail(j, 'expected a key');
    const keyStart = j;
    const ke = stringEnd(s, j);
    const key = JSON.parse(s.slice(j, ke)) as string;
    j = skipWs(s, ke);
    if (s[j] !== ':') fail(j, 'expected ":"');
    const valueStart = skipWs(s, j + 1);
    const ve = valueEnd(s, valueStart);
    members.push({ key, keyStart, valueStart, valueEnd: ve });
    j = skipWs(s, ve);
    if (s[j] === ',') { j = skipWs(s, j + 1); continue; }
    if (s[j] === '}') return { start: i, end: j + 1, members };
    fail(j, 'expected "," or "}"');
  }
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, k) => sameValue(x, bb[k]));
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** Whitespace at the start of the line holding `i`. */
function lineIndent(s: string, i: number): string {
  const ls = s.lastIndexOf('\n', i - 1) + 1;
  const m = /^[ \t]*/.exec(s.slice(ls, i));
  return m ? m[0] : '';
}

/** The document's indent unit (two spaces when it cannot be told: a one-line document). */
function indentUnit(s: string, root: ObjectSpan): string | undefined {
  const first = root.members[0];
  if (!first || !s.slice(root.start, first.keyStart).includes('\n')) return root.members.length ? undefined : '  ';
  return lineIndent(s, first.keyStart);
}

/** JSON for a new value, its continuation lines indented to sit at `indent`. */
function render(value: unknown, unit: string | undefined, indent: string): string {
  const text = unit === undefined ? JSON.stringify(value) : JSON.stringify(value, null, unit);
  return unit === undefined ? text : text.replace(/\n/g, '\n' + indent);
}

/**
 * `text` with each edit applied: a key that exists gets its value replaced (only when the parsed
 * value differs, so an unchanged key keeps its literal), a missing key is appended at the end of
 * its object (missing parent objects are created). Everything else stays byte for byte.
 */
export function editJsonText(text: string, edits: readonly JsonEdit[]): string {
  let s = text;
  for (const e of edits) {
    if (e.value === undefined || e.path.length === 0) continue;
    const root = objectAt(s, 0);
    const unit = indentUnit(s, root);
    let obj = root;
    let depth = 1;
    let k = 0;
    for (; k < e.path.length - 1; k++) {
      const m = obj.members.find((x) => x.key === e.path[k]);
      if (!m || s[m.valueStart] !== '{') break;
      obj = objectAt(s, m.valueStart);
      depth++;
    }
    // The value to write at path[k] in `obj` (a nested object when the parents were missing).
    let value: unknown = e.value;
    for (let j = e.path.length - 1; j > k; j--) value = { [e.path[j]]: value };
    const key = e.path[k];
    const m = obj.members.find((x) => x.key === key);
    if (m) {
      if (sameValue(JSON.parse(s.slice(m.valueStart, m.valueEnd)), value)) continue;
      s = s.slice(0, m.valueStart) + render(value, unit, lineIndent(s, m.keyStart)) + s.slice(m.valueEnd);
      continue;
    }
    const close = obj.end - 1;
    const memberIndent = unit === undefined ? '' : unit.repeat(depth);
    const entry = `${JSON.stringify(key)}: ${render(value, unit, memberIndent)}`;
    if (obj.members.length === 0) {
      const closeIndent = unit === undefined ? '' : unit.repeat(depth - 1);
      s = s.slice(0, obj.start + 1) + (unit === undefined ? entry : `\n${memberIndent}${entry}\n${closeIndent}`) + s.slice(close);
    } else {
      const last = obj.members[obj.members.length - 1];
      const sep = unit === undefined ? ', ' : `,\n${lineIndent(s, last.keyStart)}`;
      s = s.slice(0, last.valueEnd) + sep + entry + s.slice(last.valueEnd);
    }
  }
  return s;
}

/** Edits that turn `before` into `after`: one per changed leaf (objects are compared key by key). */
function diffEdits(before: unknown, after: unknown, path: string[], out: JsonEdit[]): void {
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isObj(before) && isObj(after)) {
    for (const [k, v] of Object.entries(after)) diffEdits(before[k], v, [...path, k], out);
    return;
  }
  if (!sameValue(before, after)) out.push({ path, value: after });
}

/**
 * `text` (a JSON object) edited to hold `value`: every key whose value differs is rewritten,
 * every key `value` adds is appended; untouched keys keep their bytes. Keys `value` lacks stay.
 */
export function reconcileJsonText(text: string, value: Record<string, unknown>): string {
  const edits: JsonEdit[] = [];
  diffEdits(JSON.parse(text), value, [], edits);
  return editJsonText(text, edits);
}

/** `value` serialised as a new JSON document the way transformers writes one (two-space indent, final newline). */
export function newJsonText(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}
