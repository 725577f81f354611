/**
 * The checks' results on an input model, kept between runs (`compare_inputs`): a recipe rebuilt
 * with other parameters, a sweep or a scheduled rebuild evaluates its unchanged inputs once, and
 * afterwards only the merge. A result is keyed by everything it depends on: the input's weights
 * (a Hub commit, or the files' identity on disk), the GGUF type the input is converted to, the
 * checks' full data and context, and the mergeops and llama.cpp versions. Greedy decoding and
 * perplexity are deterministic for those, so a cached result is the result a new run computes.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelResults } from './checks.js';
import type { EvalData } from './data.js';

const FORMAT = 1;

/**
 * Fields of the eval data that do not change a model's results: where the recipe says things
 * (positions, folders, file names: the files' contents are hashed) and the gate's thresholds.
 */
const IRRELEVANT = new Set(['baseDir', 'file', 'pos', 'compareInputs', 'minPassRate', 'maxPerplexityIncrease']);

/** What a cached result depends on besides the input's weights. */
export interface EvalCacheScope {
  data: EvalData;
  context: number;
  ggufType: string;
  versions: { mergeops: string; nodeLlamaCpp?: string; llamaCpp?: string };
}

/**
 * A local model folder's identity: its real path and, per file, the size, modification time and
 * inode (what make and git's index trust). Rewriting a file in place changes its mtime, so a
 * changed model never matches an earlier entry.
 */
export function localModelIdentity(dir: string): string {
  const real = realpathSync(dir);
  const files = readdirSync(real).filter((n) => !n.startsWith('.')).sort();
  const parts = files.map((n) => {
    const s = statSync(join(real, n), { bigint: true });
    return `${n}:${s.size}:${s.mtimeNs}:${s.ino}`;
  });
  return `local:${real}\n${parts.join('\n')}`;
}

export class EvalResultsCache {
  constructor(readonly dir: string) {}

  private key(identity: string, scope: EvalCacheScope): string {
    const h = createHash('sha256');
    h.update(JSON.stringify({ format: FORMAT, identity, context: scope.context, ggufType: scope.ggufType, versions: scope.versions }));
    h.update('\0');
    h.update(JSON.stringify(scope.data, (k, v: unknown) => (IRRELEVANT.has(k) || k.endsWith('Pos') ? undefined : v)));
    return h.digest('hex');
  }

  /** The results recorded for this input and scope; undefined when absent or unreadable (then they are computed). */
  get(identity: string, scope: EvalCacheScope): ModelResults | undefined {
    try {
      const entry = JSON.parse(readFileSync(join(this.dir, `${this.key(identity, scope)}.json`), 'utf8')) as { format?: unknown; results?: ModelResults };
      return entry.format === FORMAT && isResults(entry.results) ? entry.results : undefined;
    } catch {
      return undefined;
    }
  }

  /** Records results; a cache that cannot be written (read-only, full disk) is only a missed speed-up. */
  put(identity: string, scope: EvalCacheScope, results: ModelResults): boolean {
    const file = join(this.dir, `${this.key(identity, scope)}.json`);
    const tmp = `${file}.${process.pid}.tmp`;
    try {
      mkdirSync(this.dir, { recursive: true });
      writeFileSync(tmp, JSON.stringify({ format: FORMAT, results }));
      renameSync(tmp, file);
      return true;
    } catch {
      try {
        rmSync(tmp, { force: true });
      } catch { /* nothing was written */ }
      return false;
    }
  }
}

function isResults(x: unknown): x is ModelResults {
  const r = x as ModelResults | undefined;
  return typeof r === 'object' && r !== null && Array.isArray(r.prompts) && Array.isArray(r.tasks);
}
