/** The stages in order, for the front ends (CLI, Action): recipe file → plan → files. */
import { existsSync, readFileSync } from 'node:fs';
import { MergeopsError, RecipeError } from './errors.js';
import { executePlan, type ExecuteOptions, type ExecuteResult } from './execute/execute.js';
import { checkFrozen } from './hub/check-frozen.js';
import {
  buildLock, defaultLockPath, lockedShas, outputFiles, readLock, serializeLock, sha256Text, writeLock, type Lockfile,
} from './hub/lockfile.js';
import { resolveRecipe, type ResolveOptions, type ResolveResult } from './hub/resolve.js';
import { defaultCacheDir, ShardCache } from './store/shard-cache.js';
import { ShardFetcher } from './store/shard-fetcher.js';
import { buildPlan, type PlanOptions } from './plan/plan.js';
import type { Plan } from './plan/types.js';
import { parseRecipeText } from './recipe/parse.js';
import type { Recipe } from './recipe/types.js';

export function loadRecipeFile(file: string): Recipe {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new MergeopsError('USAGE', `cannot read recipe ${file}`, 'check the path of the recipe file');
  }
  const docs = parseRecipeText(text, file);
  if (docs.length > 1) {
    throw new RecipeError('multi-stage recipes (several `---` documents) are not supported yet',
      'run each stage as its own recipe for now', docs[1].pos, docs[1].lines[docs[1].pos.line - 1]);
  }
  return docs[0];
}

/** parse → resolve → plan. */
export async function planRecipeFile(file: string, opts: ResolveOptions & PlanOptions = {}): Promise<Plan> {
  const recipe = loadRecipeFile(file);
  const resolved = await resolveRecipe(recipe, opts);
  return buildPlan(resolved, opts);
}

/** What a run or a lock needs beyond resolve and plan options. */
export interface PrepareOptions extends ResolveOptions, PlanOptions {
  /** Default: `mergeops.lock` beside the recipe. */
  lockPath?: string;
  /** Fail unless the lockfile matches the recipe and upstream still has the locked commits. */
  frozen?: boolean;
  /** Resolve afresh, ignoring an existing lockfile (`mergeops lock`). */
  relock?: boolean;
}

export interface Prepared {
  plan: Plan;
  resolved: ResolveResult;
  lockPath: string;
  /** The lockfile in use (existing and matching the recipe), if any. */
  lock?: Lockfile;
}

/**
 * parse → (lockfile) → resolve → plan. An existing lockfile whose recipe hash matches pins the
 * Hub commits; with `frozen`, it must exist, match, and agree with upstream.
 */
export async function prepareRecipeFile(file: string, opts: PrepareOptions = {}): Promise<Prepared> {
  const recipe = loadRecipeFile(file);
  const lockPath = opts.lockPath ?? defaultLockPath(file);
  let lock: Lockfile | undefined;
  if (opts.frozen) {
    lock = readLock(lockPath);
    await checkFrozen(lock, recipe.text, lockPath, opts.hub ?? {});
  } else if (!opts.relock && existsSync(lockPath)) {
    const l = readLock(lockPath);
    if (l.recipe.sha256 === sha256Text(recipe.text)) lock = l;
    else opts.log?.(`warning: ${lockPath} is for another version of the recipe: not used (run \`mergeops lock\` to update it)`);
  }
  const resolved = await resolveRecipe(recipe, { ...opts, pinned: lock ? lockedShas(lock) : opts.pinned });
  const plan = buildPlan(resolved, opts);
  return { plan, resolved, lockPath, lock };
}

/** `mergeops lock`: resolves every model afresh and writes the lockfile. */
export async function lockRecipeFile(file: string, opts: PrepareOptions = {}): Promise<{ lockPath: string; lock: Lockfile }> {
  const { resolved, lockPath } = await prepareRecipeFile(file, { ...opts, relock: true, frozen: false, sourceMode: 'stream' });
  const lock = await buildLock(resolved, resolved.recipe.text);
  writeLock(lockPath, lock);
  return { lockPath, lock };
}

export interface RunOptions extends PrepareOptions, Omit<ExecuteOptions, 'inputsReady'> {
  /** Called once the plan is known, before any tensor data is read. */
  onPlan?: (plan: Plan) => void;
}

export interface RunResult extends ExecuteResult {
  plan: Plan;
  sourceMode?: 'stream' | 'download';
  /** Set when the outputs were recorded in the lockfile. */
  lockPath?: string;
}

/** parse → resolve → plan → execute, with Hub shards streamed or downloaded alongside. */
export async function runRecipeFile(file: string, opts: RunOptions): Promise<RunResult> {
  const cache = opts.cache ?? new ShardCache(defaultCacheDir());
  const { plan, resolved, lockPath, lock } = await prepareRecipeFile(file, { ...opts, cache });
  opts.onPlan?.(plan);
  let fetcher: ShardFetcher | undefined;
  if (resolved.pending.length > 0) {
    const c = cache;
    // Make room first; never evict what this run reads.
    const reading = new Set(plan.tensors.flatMap((t) => t.inputs.map((i) => (i.source.kind === 'file' ? i.source.path : ''))));
    c.evict(reading, resolved.pending.reduce((a, p) => a + p.src.size, 0));
    const order = plan.tensors.flatMap((t) => t.inputs.map((i) => (i.source.kind === 'file' ? i.source.path : '')));
    fetcher = new ShardFetcher(resolved.pending, c, { ...opts.range, log: opts.log }, order);
  }
  const f = fetcher;
  const result = await executePlan(plan, {
    ...opts,
    inputsReady: f ? async (t) => { for (const i of t.inputs) if (i.source.kind === 'file') await f.ready(i.source.path); } : undefined,
  });
  if (f) await f.all();
  if (resolved.sourceMode) cache.evict();
  let recorded: string | undefined;
  if (lock) {
    const outputs = await outputFiles(result.outDir, result.files.map((x) => x.name));
    if (lock.outputs && serializeLock({ ...lock, outputs }) !== serializeLock(lock)) {
      opts.log?.(`note: the outputs differ from those recorded in ${lockPath}; recording the new ones`);
    }
    writeLock(lockPath, { ...lock, outputs });
    recorded = lockPath;
  }
  return { ...result, plan, sourceMode: resolved.sourceMode, lockPath: recorded };
}
