/**
 * The import graph of src/ between its modules (a folder, or a file at the top of src/), and the
 * rules ARCHITECTURE.md states for it: its "Allowed imports" table says, per module, what it may
 * import (`anything but …`, a list, or `nothing`).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';

/** One import between two modules: `from` imports `to`, e.g. at `src/plan/plan.ts` → `src/methods/registry.ts`. */
export interface ModuleEdge { from: string; to: string; file: string; target: string }

export type ImportRule = { kind: 'only'; modules: string[] } | { kind: 'except'; modules: string[] };

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? tsFiles(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

/** `plan` for src/plan/x.ts, `errors` for src/errors.ts. */
export function moduleOf(srcRelative: string): string {
  const parts = srcRelative.split(sep);
  return parts.length > 1 ? parts[0] : parts[0].replace(/\.(d\.)?ts$/, '');
}

/** Relative import specifiers of a TypeScript source (static, re-exports and dynamic), comments ignored. */
export function importSpecifiers(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const out: string[] = [];
  const re = /\bfrom\s+'(\.[^']*)'|\bimport\s*\(\s*'(\.[^']*)'\s*\)|^\s*import\s+'(\.[^']*)'/gm;
  for (let m = re.exec(code); m; m = re.exec(code)) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

/** Every import of one module of src/ from another. */
export function moduleEdges(srcDir: string): ModuleEdge[] {
  const edges: ModuleEdge[] = [];
  for (const file of tsFiles(srcDir)) {
    const from = moduleOf(relative(srcDir, file));
    for (const spec of importSpecifiers(readFileSync(file, 'utf8'))) {
      const target = normalize(join(dirname(file), spec)).replace(/\.js$/, '.ts');
      const rel = relative(srcDir, target);
      if (rel.startsWith('..')) continue;
      const to = moduleOf(rel);
      if (to !== from) edges.push({ from, to, file: relative(srcDir, file), target: rel });
    }
  }
  return edges;
}

/** The groups of modules that import each other in a circle (strongly connected components of more than one). */
export function cycles(edges: readonly ModuleEdge[]): string[][] {
  const next = new Map<string, Set<string>>();
  for (const e of edges) {
    if (!next.has(e.from)) next.set(e.from, new Set());
    if (!next.has(e.to)) next.set(e.to, new Set());
    next.get(e.from)!.add(e.to);
  }
  // Tarjan's algorithm.
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index); low.set(v, index); index++;
    stack.push(v); on.add(v);
    for (const w of next.get(v)!) {
      if (!idx.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); }
      else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do { w = stack.pop()!; on.delete(w); comp.push(w); } while (w !== v);
      if (comp.length > 1) out.push(comp.sort());
    }
  };
  for (const v of [...next.keys()].sort()) if (!idx.has(v)) visit(v);
  return out;
}

/**
 * The "Allowed imports" table of ARCHITECTURE.md: rows `| \`module\` | rule |` where the rule is
 * `anything but \`a\`, \`b\``, a list of backticked modules, or `nothing`.
 */
export function importRules(markdown: string): Map<string, ImportRule> {
  const start = markdown.indexOf('## Allowed imports');
  if (start < 0) throw new Error('ARCHITECTURE.md has no "## Allowed imports" section');
  const section = markdown.slice(start).split(/\n## /)[0];
  const rules = new Map<string, ImportRule>();
  for (const line of section.split('\n')) {
    const m = /^\|\s*`([\w-]+)\/?`\s*\|([^|]*)\|/.exec(line);
    if (!m) continue;
    const names = [...m[2].matchAll(/`([\w-]+)\/?`/g)].map((x) => x[1]);
    rules.set(m[1], /anything but/.test(m[2]) ? { kind: 'except', modules: names } : { kind: 'only', modules: names });
  }
  return rules;
}

/** The imports the rules forbid, and the modules that have no rule. */
export function violations(edges: readonly ModuleEdge[], rules: ReadonlyMap<string, ImportRule>): { forbidden: ModuleEdge[]; unruled: string[] } {
  const forbidden: ModuleEdge[] = [];
  const unruled = new Set<string>();
  for (const e of edges) {
    const r = rules.get(e.from);
    if (!r) { unruled.add(e.from); continue; }
    const allowed = r.kind === 'only' ? r.modules.includes(e.to) : !r.modules.includes(e.to);
    if (!allowed) forbidden.push(e);
  }
  return { forbidden, unruled: [...unruled].sort() };
}
