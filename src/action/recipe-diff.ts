/**
 * What a pull request changes in a recipe: every leaf of the YAML (per document of a multi-stage
 * recipe) compared with the base branch's version, as rows `key | base | PR`. Lists of models
 * are keyed by the model they name, so reordering is not a change and a new model reads as one.
 */
import { parseAllDocuments } from 'yaml';

export interface ParamChange { key: string; base?: string; head?: string }

function flatten(v: unknown, prefix: string, out: Map<string, string>): void {
  if (Array.isArray(v)) {
    v.forEach((x, i) => {
      // Entries naming a model are keyed by it (`models[org/a].parameters.weight`).
      const model = typeof x === 'object' && x !== null && !Array.isArray(x) ? (x as Record<string, unknown>).model : undefined;
      const k = typeof model === 'string' ? `${prefix}[${model}]` : `${prefix}[${i}]`;
      if (typeof model === 'string') {
        const rest = { ...(x as Record<string, unknown>) };
        delete rest.model;
        out.set(k, '(present)');
        flatten(rest, k, out);
      } else flatten(x, k, out);
    });
  } else if (typeof v === 'object' && v !== null) {
    for (const [key, x] of Object.entries(v)) flatten(x, prefix ? `${prefix}.${key}` : key, out);
  } else if (prefix) out.set(prefix, JSON.stringify(v));
}

function leaves(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const docs = parseAllDocuments(text);
  const list = Array.isArray(docs) ? docs : [docs];
  list.forEach((d, i) => {
    const js: unknown = d.toJS();
    const name = typeof js === 'object' && js !== null && typeof (js as Record<string, unknown>).name === 'string' ? (js as Record<string, string>).name : undefined;
    flatten(js, list.length > 1 ? `[${name ?? `document ${i + 1}`}]` : '', out);
  });
  return out;
}

/** Changes from `base` (undefined: the recipe is new) to `head`, in the head's key order, removals last. */
export function recipeDiff(base: string | undefined, head: string): ParamChange[] {
  const b = base === undefined ? new Map<string, string>() : leaves(base);
  const h = leaves(head);
  const out: ParamChange[] = [];
  for (const [k, v] of h) if (b.get(k) !== v) out.push({ key: k, base: b.get(k), head: v });
  for (const [k, v] of b) if (!h.has(k)) out.push({ key: k, base: v });
  return out;
}
