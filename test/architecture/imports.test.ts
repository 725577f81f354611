/**
 * The house rules of ARCHITECTURE.md, checked on src/: no two modules import each other in a
 * circle, and no module imports what its row of the "Allowed imports" table does not allow.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cycles, importRules, importSpecifiers, moduleEdges, violations, type ModuleEdge } from '../support/import-graph.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const SRC = join(ROOT, 'src');
const edges = moduleEdges(SRC);
const rules = importRules(readFileSync(join(ROOT, 'ARCHITECTURE.md'), 'utf8'));
const show = (e: ModuleEdge): string => `${e.from} → ${e.to} (src/${e.file} imports src/${e.target})`;

describe('imports between the modules of src/', () => {
  it('reads the real graph', () => {
    expect(edges.length).toBeGreaterThan(100);
    expect(edges).toContainEqual(expect.objectContaining({ from: 'plan', to: 'methods' }));
  });

  it('form no cycle', () => {
    const found = cycles(edges).map((c) => `${c.join(' ↔ ')}: ${edges.filter((e) => c.includes(e.from) && c.includes(e.to)).map(show).join('; ')}`);
    expect(found).toEqual([]);
  });

  it('follow ARCHITECTURE.md', () => {
    const { forbidden, unruled } = violations(edges, rules);
    expect(unruled.map((m) => `src/${m} has no row in ARCHITECTURE.md's "Allowed imports" table`)).toEqual([]);
    expect(forbidden.map(show)).toEqual([]);
  });

  it('kernels/ import nothing from hub/, plan/ or recipe/; plan/ does no I/O', () => {
    expect(edges.filter((e) => e.from === 'kernels' && ['hub', 'plan', 'recipe'].includes(e.to)).map(show)).toEqual([]);
    expect(edges.filter((e) => e.from === 'plan' && ['hub', 'store', 'execute', 'kernels', 'io'].includes(e.to)).map(show)).toEqual([]);
  });
});

describe('the checker itself', () => {
  const e = (from: string, to: string): ModuleEdge => ({ from, to, file: `${from}/x.ts`, target: `${to}/y.ts` });

  it('finds a cycle through three folders, not a one-way chain', () => {
    expect(cycles([e('a', 'b'), e('b', 'c'), e('c', 'a'), e('c', 'd')])).toEqual([['a', 'b', 'c']]);
    expect(cycles([e('a', 'b'), e('b', 'c')])).toEqual([]);
  });

  it('reads the rules table and finds a forbidden import and a module without a row', () => {
    const r = importRules('# x\n## Allowed imports\n| module | may import |\n| --- | --- |\n| `kernels/` | `model`, `io` |\n| `cli/` | anything but `action` |\n| `errors` | nothing |\n## Next\n| `late` | `x` |\n');
    expect([...r.keys()]).toEqual(['kernels', 'cli', 'errors']);
    const v = violations([e('kernels', 'io'), e('kernels', 'hub'), e('cli', 'plan'), e('cli', 'action'), e('errors', 'model'), e('eval', 'model')], r);
    expect(v.forbidden.map((x) => `${x.from}->${x.to}`)).toEqual(['kernels->hub', 'cli->action', 'errors->model']);
    expect(v.unruled).toEqual(['eval']);
  });

  it('sees static, type-only, re-exported and dynamic imports, not commented ones', () => {
    const text = "import { a } from './a.js';\nimport type { B } from '../b/b.js';\nexport { c } from './c.js';\n"
      + "const d = await import('../d/d.js');\n// import { e } from '../e.js';\n/* import { f } from '../f.js'; */\nimport 'node:fs';\n";
    expect(importSpecifiers(text)).toEqual(['./a.js', '../b/b.js', './c.js', '../d/d.js']);
  });
});
