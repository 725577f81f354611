/**
 * Which recipes a run concerns: those matching the `recipes` input that the commits changed, and
 * those whose lockfile (`mergeops.lock` beside the recipe) changed.
 */
import { existsSync } from 'node:fs';
import { dirname, posix } from 'node:path';
import { changedFiles } from './git.js';
import { findFiles, matchesAny } from './glob.js';

const LOCK = 'mergeops.lock';

/** Every recipe in the checkout. */
export function allRecipes(root: string, patterns: readonly RegExp[]): string[] {
  return findFiles(root, patterns);
}

/** Recipes changed between two commits (including through their lockfile), that exist in the checkout. */
export function changedRecipes(root: string, patterns: readonly RegExp[], base: string, head: string): string[] {
  const changed = changedFiles(root, base, head);
  const out = new Set(changed.filter((f) => matchesAny(f, patterns)));
  const lockDirs = new Set(changed.filter((f) => posix.basename(f) === LOCK).map((f) => posix.dirname(f)));
  if (lockDirs.size > 0) for (const r of allRecipes(root, patterns)) if (lockDirs.has(posix.dirname(r))) out.add(r);
  return [...out].filter((f) => existsSync(f)).sort();
}

/** The name a recipe publishes under: its file name without extension. */
export function recipeName(path: string): string {
  return posix.basename(path).replace(/\.(ya?ml|json)$/i, '');
}

export function lockPathOf(recipe: string): string {
  return posix.join(dirname(recipe), LOCK);
}
