/**
 * `--frozen`: the lockfile must match the recipe, and every pinned input must still be what the
 * lock says upstream (a Hub revision that moved fails the run, naming both commits).
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { MergeopsError } from '../errors.js';
import type { HubOptions } from './hub-options.js';
import type { CanonicalRecipe } from '../recipe/canonical.js';
import { lockMatchesRecipe, recipeChangesSinceLock, type LockedModel, type Lockfile } from './lockfile.js';
import { resolveRevision } from './resolve-revision.js';

export async function checkFrozen(lock: Lockfile, recipe: CanonicalRecipe, recipeText: string, lockPath: string, hub: HubOptions): Promise<void> {
  if (!lockMatchesRecipe(lock, recipe, recipeText)) {
    throw new MergeopsError('UPSTREAM_CHANGED',
      `the recipe changed since ${lockPath} was written: ${recipeChangesSinceLock(lock, recipe)}`,
      'run `mergeops lock <recipe.yml>` and commit the new lockfile, or run without --frozen');
  }
  for (const [key, m] of Object.entries(lock.models).sort(([a], [b]) => (a < b ? -1 : 1))) {
    await checkLocked(`model \`${key}\``, m, lockPath, hub);
    if (m.lora) await checkLocked(`the LoRA adapter of \`${key}\``, m.lora, lockPath, hub);
  }
}

/** One locked model or adapter: its Hub revision still points at the locked commit, or its local files have their sizes. */
async function checkLocked(what: string, m: LockedModel, lockPath: string, hub: HubOptions): Promise<void> {
  if (m.repo && m.sha) {
    const now = await resolveRevision({ ...hub, repo: m.repo, revision: m.revision });
    if (now !== m.sha) {
      throw new MergeopsError('UPSTREAM_CHANGED',
        `${what} moved upstream: ${lockPath} pins ${m.repo}@${m.revision ?? 'main'} to ${m.sha}, the Hub now has ${now}`,
        're-lock with `mergeops lock <recipe.yml>` to accept the new commit (review the diff), '
        + `or pin the old one in the recipe (\`${m.repo}@${m.sha}\`)`);
    }
  } else if (m.path) {
    for (const f of m.files) {
      const p = resolve(dirname(lockPath), m.path, f.path);
      const size = existsSync(p) ? statSync(p).size : -1;
      if (size !== f.size) {
        throw new MergeopsError('UPSTREAM_CHANGED',
          `${what}: ${p} ${size < 0 ? 'is missing' : `is ${size} bytes, locked ${f.size}`}`,
          'the local files changed since they were locked: restore them, or re-lock with `mergeops lock <recipe.yml>`');
      }
    }
  }
}
