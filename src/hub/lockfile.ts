/**
 * `mergeops.lock`: pins a recipe's inputs and records its outputs. JSON with sorted keys and
 * one entry per line of interest, so diffs in review read well. For each referenced model: the
 * commit sha (Hub) or folder (local), and every used file's path, size and sha256; the recipe's
 * sha256; the output files' sizes and sha256 once a run has produced them.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync, statSync, writeFileSync, renameSync } from 'node:fs';
import { basename, dirname, join, relative, sep } from 'node:path';
import { MergeopsError } from '../errors.js';
import { firstDuplicateKey } from '../formats/json-keys.js';
import type { PinnedFile, ResolvedModel } from '../model/resolved.js';
import { canonicalRecipeHash, recipeChanges, type CanonicalRecipe } from '../recipe/canonical.js';
import { ADAPTER_CONFIG, ADAPTER_WEIGHTS } from './lora.js';

export const LOCK_VERSION = 1;

export interface LockedModel {
  /** Hub repo id (Hub models). */
  repo?: string;
  /** The revision the recipe asked for (Hub models). */
  revision?: string;
  /** The commit it resolved to (Hub models). */
  sha?: string;
  /** Folder, relative to the lockfile (local models). */
  path?: string;
  files: PinnedFile[];
  /** The LoRA adapter of a `model+lora` reference, pinned the same way. */
  lora?: LockedModel;
}

export interface Lockfile {
  version: number;
  /**
   * `sha256` of the recipe's canonical form (src/recipe/canonical.ts), which `content` holds so a
   * changed recipe can be told apart field by field. Locks written before kept the hash of the
   * text and no content; they still match the same text.
   */
  recipe: { file: string; sha256: string; content?: CanonicalRecipe };
  models: Record<string, LockedModel>;
  outputs?: PinnedFile[];
}

export function defaultLockPath(recipeFile: string): string {
  return join(dirname(recipeFile), 'mergeops.lock');
}

export function sha256Text(text: string | Uint8Array): string {
  return createHash('sha256').update(text).digest('hex');
}

export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 4 << 20 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Pins every model of a resolved recipe (local files are hashed here). */
export async function buildLock(resolvedModels: readonly ResolvedModel[], recipeFile: string, recipe: CanonicalRecipe, lockDir: string): Promise<Lockfile> {
  const models: Record<string, LockedModel> = {};
  const local = async (dir: string, names: Set<string>): Promise<LockedModel> => {
    const files: PinnedFile[] = [];
    for (const n of [...names].sort()) {
      const p = join(dir, n);
      if (!existsSync(p)) continue;
      files.push({ path: n, size: statSync(p).size, sha256: await sha256File(p) });
    }
    // Relative to the lockfile, so the lock reads the same on every machine.
    return { path: relative(lockDir, dir).split(sep).join('/') || '.', files };
  };
  for (const m of resolvedModels) {
    let lora: LockedModel | undefined;
    if (m.loraHub) lora = { repo: m.loraHub.repo, revision: m.loraHub.revision, sha: m.loraHub.sha, files: m.loraHub.files };
    else if (m.loraDir !== undefined) lora = await local(m.loraDir, new Set([ADAPTER_CONFIG, ADAPTER_WEIGHTS]));
    if (m.hub) {
      models[m.key] = { repo: m.hub.repo, revision: m.hub.revision, sha: m.hub.sha, files: m.hub.files, lora };
      continue;
    }
    // An earlier stage's output with an adapter: only the adapter is an input.
    if ([...m.tensors.values()].some((t) => t.producer)) {
      if (lora) models[m.key] = { files: [], lora };
      continue;
    }
    const names = new Set<string>(['config.json', ...m.otherFiles]);
    // Adapter files are the adapter's entry, not the model's.
    for (const t of m.tensors.values()) if (t.source.kind === 'file' && dirname(t.source.path) === m.dir) names.add(basename(t.source.path));
    models[m.key] = { ...await local(m.dir, names), lora };
  }
  return { version: LOCK_VERSION, recipe: { file: recipeFile, sha256: canonicalRecipeHash(recipe), content: recipe }, models };
}

/** The lock is for this recipe: the same canonical form (comments and formatting aside), or, for an older lock, the same text. */
export function lockMatchesRecipe(lock: Lockfile, recipe: CanonicalRecipe, recipeText: string): boolean {
  return lock.recipe.sha256 === canonicalRecipeHash(recipe) || lock.recipe.sha256 === sha256Text(recipeText);
}

/** What changed in the recipe since the lock was written, for messages: `model \`x\`, parameters.weight: 1 → 0.5; …`. */
export function recipeChangesSinceLock(lock: Lockfile, recipe: CanonicalRecipe): string {
  if (!Array.isArray(lock.recipe.content)) return 'this lockfile predates recording the recipe, so only its hash is known to differ';
  const changes = recipeChanges(lock.recipe.content, recipe);
  return changes.length > 0 ? changes.join('; ') : 'its canonical form differs';
}

/** Hashes a finished output folder. */
export async function outputFiles(dir: string, names: readonly string[]): Promise<PinnedFile[]> {
  const out: PinnedFile[] = [];
  for (const n of [...names].sort()) {
    const p = join(dir, n);
    out.push({ path: n, size: statSync(p).size, sha256: await sha256File(p) });
  }
  return out;
}

/** Sorted keys at every level: the same lock always serializes to the same text. */
function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) o[k] = sortKeys(x);
    }
    return o;
  }
  return v;
}

/** Files stay one per line (`{"path":…,"sha256":…,"size":…}`): a changed file is a one-line diff. */
export function serializeLock(lock: Lockfile): string {
  const text = JSON.stringify(sortKeys(lock), (_k, v: unknown) => v, 2);
  // Collapse each file object onto one line.
  return text.replace(/\{\n\s+"path": ("[^"\n]*"),\n\s+"sha256": ("[0-9a-f]*"),\n\s+"size": (\d+)\n\s+\}/g,
    '{"path": $1, "sha256": $2, "size": $3}') + '\n';
}

export function writeLock(path: string, lock: Lockfile): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, serializeLock(lock));
  renameSync(tmp, path);
}

export function readLock(path: string): Lockfile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new MergeopsError('USAGE', `no lockfile at ${path}`, 'create it with `mergeops lock <recipe.yml>` (and commit it), or run without --frozen');
  }
  return parseLock(text, path);
}

/** A lockfile's text, checked field by field: every value the run trusts has its expected form. */
export function parseLock(text: string, path: string): Lockfile {
  const regen = 'regenerate it with `mergeops lock <recipe.yml>` (resolve merge conflicts by re-locking)';
  if (text.length > MAX_LOCK_BYTES) {
    throw new MergeopsError('USAGE', `${path} is ${text.length} bytes, more than the ${MAX_LOCK_BYTES}-byte limit for a lockfile`, regen);
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new MergeopsError('USAGE', `${path} is not valid JSON: ${(e instanceof Error ? e.message : String(e)).slice(0, 200)}`, regen);
  }
  const dup = firstDuplicateKey(text);
  if (dup !== undefined) throw new MergeopsError('USAGE', `${path}: key ${JSON.stringify(dup.slice(0, 80))} appears twice in one object`, regen);
  const bad = (where: string, want: string): never => {
    throw new MergeopsError('USAGE', `${path}: ${where} must be ${want}`, regen);
  };
  const obj = (x: unknown, where: string): Record<string, unknown> => {
    if (typeof x !== 'object' || x === null || Array.isArray(x)) bad(where, 'an object');
    return x as Record<string, unknown>;
  };
  const str = (x: unknown, where: string, re?: RegExp, want = 'a string'): void => {
    if (typeof x !== 'string' || x.length > 4096 || (re && !re.test(x))) bad(where, want);
  };
  const files = (x: unknown, where: string): void => {
    if (!Array.isArray(x)) bad(where, 'an array of files');
    (x as unknown[]).forEach((f, i) => {
      const w = `${where}[${i}]`;
      const o = obj(f, w);
      str(o['path'], `${w}.path`, /^(?!\/)(?!.*(^|\/)\.\.?(\/|$))[^\0\\]+$/, 'a relative path without . or .. parts');
      str(o['sha256'], `${w}.sha256`, /^[0-9a-f]{64}$/, '64 hex digits');
      if (!Number.isSafeInteger(o['size']) || (o['size'] as number) < 0) bad(`${w}.size`, 'a whole number of bytes');
    });
  };
  const model = (x: unknown, where: string, nested: boolean): void => {
    const o = obj(x, where);
    for (const k of ['repo', 'revision', 'path'] as const) if (o[k] !== undefined) str(o[k], `${where}.${k}`);
    if (o['sha'] !== undefined) str(o['sha'], `${where}.sha`, /^[0-9a-f]{40}$/, 'a 40-digit commit sha');
    files(o['files'], `${where}.files`);
    if (o['lora'] !== undefined) {
      if (nested) bad(`${where}.lora`, 'absent (an adapter has no adapter)');
      model(o['lora'], `${where}.lora`, true);
    }
  };
  const l = obj(v, 'the file');
  if (l['version'] !== LOCK_VERSION) {
    throw new MergeopsError('USAGE', `${path} is not a mergeops.lock (version ${LOCK_VERSION})`, 'regenerate it with `mergeops lock <recipe.yml>`');
  }
  const recipe = obj(l['recipe'], 'recipe');
  str(recipe['sha256'], 'recipe.sha256', /^[0-9a-f]{64}$/, '64 hex digits');
  if (recipe['file'] !== undefined) str(recipe['file'], 'recipe.file');
  const models = obj(l['models'], 'models');
  const keys = Object.keys(models);
  if (keys.length > MAX_LOCK_MODELS) bad('models', `at most ${MAX_LOCK_MODELS} entries`);
  for (const k of keys) model(models[k], `models[${JSON.stringify(k.slice(0, 80))}]`, false);
  if (l['outputs'] !== undefined) files(l['outputs'], 'outputs');
  return l as unknown as Lockfile;
}

/** Far beyond any real lockfile (thousands of shards): a bound on what a hostile one costs. */
const MAX_LOCK_BYTES = 16 * 2 ** 20;
const MAX_LOCK_MODELS = 10_000;

/** The Hub commits a lock pins, by model key (what resolve takes as `pinned`). */
export function lockedShas(lock: Lockfile): Map<string, string> {
  const m = new Map<string, string>();
  for (const [k, v] of Object.entries(lock.models)) if (v.sha) m.set(k, v.sha);
  return m;
}

/** The Hub commits of the LoRA adapters a lock pins, by model key (what resolve takes as `pinnedLora`). */
export function lockedLoraShas(lock: Lockfile): Map<string, string> {
  const m = new Map<string, string>();
  for (const [k, v] of Object.entries(lock.models)) if (v.lora?.sha) m.set(k, v.lora.sha);
  return m;
}
