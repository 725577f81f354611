/**
 * Keeps cached model snapshots between workflow runs with `@actions/cache`: one cache entry per
 * model@sha (key `mergeops-model-<org>--<name>-<sha>`), holding that snapshot's folder in the
 * shard cache. Models too large for the per-repository budget are not saved, with a log line.
 */
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import * as cache from '@actions/cache';
import type { RemoteFile } from '../model/resolved.js';
import type { ShardCache } from './shard-cache.js';

/** GitHub's default Actions cache budget per repository (and the v1 client's per-entry limit). */
export const ACTIONS_CACHE_BUDGET = 10e9;

export interface ActionsCacheOptions {
  log?: (line: string) => void;
  /** Largest snapshot saved (default 10 GB). */
  budgetBytes?: number;
}

export function actionsCacheKey(repo: string, sha: string): string {
  return `mergeops-model-${repo.replace(/\//g, '--')}-${sha}`;
}

function dirBytes(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    const st = statSync(p);
    total += st.isDirectory() ? dirBytes(p) : st.size;
  }
  return total;
}

export type SaveOutcome = 'saved' | 'exists' | 'too-large' | 'unavailable' | 'empty';

/** Saves one model@sha snapshot of the shard cache. */
export async function saveModelToActionsCache(store: ShardCache, repo: string, sha: string, opts: ActionsCacheOptions = {}): Promise<SaveOutcome> {
  const log = opts.log ?? ((): void => undefined);
  if (!cache.isFeatureAvailable()) return 'unavailable';
  const dir = store.snapshotDir(repo, sha);
  if (!existsSync(dir)) return 'empty';
  const bytes = dirBytes(dir);
  const budget = opts.budgetBytes ?? ACTIONS_CACHE_BUDGET;
  if (bytes > budget) {
    log(`${repo}@${sha}: ${(bytes / 1e9).toFixed(1)} GB of cached files is more than the ${(budget / 1e9).toFixed(0)} GB Actions cache budget: `
      + 'not saved (the next run fetches it again; use a self-hosted runner with a persistent --cache-dir to keep it)');
    return 'too-large';
  }
  try {
    await cache.saveCache([dir], actionsCacheKey(repo, sha));
    log(`${repo}@${sha}: saved ${(bytes / 1e6).toFixed(1)} MB to the Actions cache`);
    return 'saved';
  } catch (e) {
    // Another job saving the same key at the same time is fine: the entry exists.
    if (e instanceof Error && (e.name === 'ReserveCacheError' || /already exists/i.test(e.message))) return 'exists';
    log(`${repo}@${sha}: could not save to the Actions cache: ${e instanceof Error ? e.message : String(e)}`);
    return 'unavailable';
  }
}

/**
 * Restores one model@sha snapshot; files whose size disagrees with the cached listing are
 * removed (they will be fetched and verified again). True on a hit.
 */
export async function restoreModelFromActionsCache(store: ShardCache, repo: string, sha: string, opts: ActionsCacheOptions = {}): Promise<boolean> {
  const log = opts.log ?? ((): void => undefined);
  if (!cache.isFeatureAvailable()) return false;
  const dir = store.snapshotDir(repo, sha);
  let hit: string | undefined;
  try {
    hit = await cache.restoreCache([dir], actionsCacheKey(repo, sha));
  } catch (e) {
    log(`${repo}@${sha}: could not restore from the Actions cache: ${e instanceof Error ? e.message : String(e)}`);
    return false;
  }
  if (!hit) return false;
  const manifest = join(dir, '.mergeops-files.json');
  if (existsSync(manifest)) {
    const files = JSON.parse(readFileSync(manifest, 'utf8')) as RemoteFile[];
    for (const f of files) {
      const p = store.pathOf(repo, sha, f.path);
      if (existsSync(p) && statSync(p).size !== f.size) rmSync(p, { force: true });
    }
  }
  log(`${repo}@${sha}: restored from the Actions cache`);
  return true;
}

/** The eval stage's results cache under the shard cache (eval/results-cache.ts keeps its entries there). */
function evalResultsDir(store: ShardCache): string {
  return join(store.root, 'eval');
}

/** The entries of the eval results cache, by name (each name is the hash of what its result depends on). */
function evalEntries(store: ShardCache): string[] {
  const dir = evalResultsDir(store);
  return existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith('.json')).sort() : [];
}

/** An Actions cache key naming a set of eval results: entries are immutable, so a grown set is saved under a new key. */
export function evalResultsKey(entries: readonly string[]): string {
  return `mergeops-eval-${createHash('sha256').update(entries.join('\n')).digest('hex').slice(0, 32)}`;
}

/**
 * Restores the newest saved eval results (the inputs' check results of earlier workflow runs, so a
 * rebuild checks only the merge). Returns the entries present afterwards, for `saveEvalResultsToActionsCache`.
 */
export async function restoreEvalResultsFromActionsCache(store: ShardCache, opts: ActionsCacheOptions = {}): Promise<string[]> {
  const log = opts.log ?? ((): void => undefined);
  if (!cache.isFeatureAvailable()) return evalEntries(store);
  try {
    const hit = await cache.restoreCache([evalResultsDir(store)], evalResultsKey(evalEntries(store)), ['mergeops-eval-']);
    if (hit) log(`eval results of earlier runs restored from the Actions cache (${evalEntries(store).length})`);
  } catch (e) {
    log(`could not restore eval results from the Actions cache: ${e instanceof Error ? e.message : String(e)}`);
  }
  return evalEntries(store);
}

/** Saves the eval results when this run added some (`before`: the entries after the restore). */
export async function saveEvalResultsToActionsCache(store: ShardCache, before: readonly string[], opts: ActionsCacheOptions = {}): Promise<SaveOutcome> {
  const log = opts.log ?? ((): void => undefined);
  const now = evalEntries(store);
  if (now.length === 0) return 'empty';
  if (now.length === before.length && now.every((n, i) => n === before[i])) return 'exists';
  if (!cache.isFeatureAvailable()) return 'unavailable';
  try {
    await cache.saveCache([evalResultsDir(store)], evalResultsKey(now));
    log(`eval results saved to the Actions cache (${now.length - before.length} new)`);
    return 'saved';
  } catch (e) {
    if (e instanceof Error && (e.name === 'ReserveCacheError' || /already exists/i.test(e.message))) return 'exists';
    log(`could not save eval results to the Actions cache: ${e instanceof Error ? e.message : String(e)}`);
    return 'unavailable';
  }
}
