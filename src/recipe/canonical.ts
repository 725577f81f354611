/**
 * The canonical form of a recipe: each YAML document as plain data (aliases and `<<` merge keys
 * resolved, keys sorted, explicit nulls dropped as mergekit drops them, numbers as numbers), so a
 * comment, a reformatting, a reordered mapping or `1.0` written `1` is the same recipe. Lockfiles
 * hash it and keep it, to say what changed when a recipe no longer matches its lock.
 */
import { createHash } from 'node:crypto';
import { parseAllDocuments } from 'yaml';

/** One entry per YAML document (one for an ordinary recipe, one per stage of a multi-stage one). */
export type CanonicalRecipe = unknown[];

function canonicalValue(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonicalValue);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== null && x !== undefined) out[k] = canonicalValue(x);
    }
    return out;
  }
  return v;
}

/** The canonical form of each document's YAML text (texts that parse; the parser has checked them). */
export function canonicalRecipe(docTexts: readonly string[]): CanonicalRecipe {
  return docTexts.map((text) => {
    const [doc] = parseAllDocuments(text, { merge: true });
    return canonicalValue(doc && !Array.isArray(doc) ? doc.toJS({ maxAliasCount: -1 }) : null);
  });
}

export function canonicalRecipeHash(c: CanonicalRecipe): string {
  return createHash('sha256').update(JSON.stringify(c)).digest('hex');
}

// ---------------------------------------------------------------------------------------------
// What changed between two canonical recipes, in words

type Seg = string | number | { model: string };

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function show(v: unknown): string {
  const s = v === undefined ? 'nothing' : JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** `model:` of a list entry (models, slice sources), as written: `org/name`, or a path with a revision. */
function modelLabel(v: unknown): string | undefined {
  if (!isObject(v)) return undefined;
  const m = v.model;
  if (typeof m === 'string') return m;
  if (isObject(m) && isObject(m.model) && typeof m.model.path === 'string') return m.model.path;
  if (isObject(m) && typeof m.path === 'string') return m.path;
  return undefined;
}

function render(path: Seg[]): string {
  const dotted = (segs: Seg[]): string => segs.map((s, j) => (typeof s === 'number' ? `[${s}]` : `${j ? '.' : ''}${String(s)}`)).join('');
  const i = path.findIndex((s) => typeof s === 'object');
  if (i < 0) return dotted(path);
  // `models` / `sources` is implied by "model `x`"
  const before = path.slice(0, i);
  if (before[before.length - 1] === 'models' || before[before.length - 1] === 'sources') before.pop();
  const rest = path.slice(i + 1);
  return `${before.length ? `${dotted(before)} ` : ''}model \`${(path[i] as { model: string }).model}\`${rest.length ? `, ${dotted(rest)}` : ''}`;
}

function diff(path: Seg[], a: unknown, b: unknown, out: string[]): void {
  if (JSON.stringify(a) === JSON.stringify(b)) return;
  if (isObject(a) && isObject(b)) {
    for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      if (!(k in a)) out.push(`${render([...path, k])} added: ${show(b[k])}`);
      else if (!(k in b)) out.push(`${render([...path, k])} removed (was ${show(a[k])})`);
      else diff([...path, k], a[k], b[k], out);
    }
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const la = a.map(modelLabel);
    const lb = b.map(modelLabel);
    const unique = (ls: (string | undefined)[]): boolean => ls.every((l) => l !== undefined) && new Set(ls).size === ls.length;
    if (unique(la) && unique(lb)) {
      // Lists of models: matched by model, so removing one does not read as every later one changing.
      for (const [i, l] of la.entries()) {
        const j = lb.indexOf(l);
        if (j < 0) out.push(`${render([...path, { model: l! }])} removed`);
        else diff([...path, { model: l! }], a[i], b[j], out);
      }
      for (const l of lb) if (!la.includes(l)) out.push(`${render([...path, { model: l! }])} added`);
      const common = la.filter((l) => lb.includes(l));
      if (common.join('\n') !== lb.filter((l) => la.includes(l)).join('\n')) out.push(`${render(path)}: the order of the models changed`);
      return;
    }
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      if (i >= a.length) out.push(`${render([...path, i])} added: ${show(b[i])}`);
      else if (i >= b.length) out.push(`${render([...path, i])} removed (was ${show(a[i])})`);
      else diff([...path, i], a[i], b[i], out);
    }
    return;
  }
  out.push(`${render(path) || 'the recipe'}: ${show(a)} → ${show(b)}`);
}

/** What differs from `before` to `after`, one line each (at most `limit`, then a count). */
export function recipeChanges(before: CanonicalRecipe, after: CanonicalRecipe, limit = 8): string[] {
  const out: string[] = [];
  const stageName = (d: unknown, i: number): string => (isObject(d) && typeof d.name === 'string' ? `stage \`${d.name}\`` : `document ${i + 1}`);
  if (before.length === 1 && after.length === 1) diff([], before[0], after[0], out);
  else {
    for (let i = 0; i < Math.max(before.length, after.length); i++) {
      if (i >= before.length) out.push(`${stageName(after[i], i)} added`);
      else if (i >= after.length) out.push(`${stageName(before[i], i)} removed`);
      else {
        const lines: string[] = [];
        diff([], before[i], after[i], lines);
        out.push(...lines.map((l) => `${stageName(after[i], i)}: ${l}`));
      }
    }
  }
  return out.length > limit ? [...out.slice(0, limit), `and ${out.length - limit} more change(s)`] : out;
}
