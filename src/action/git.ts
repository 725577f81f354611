/** The workspace's git history, read with the git the runner has (actions/checkout's clone). */
import { execFileSync } from 'node:child_process';
import { MergeopsError } from '../errors.js';

export const ZERO_SHA = '0000000000000000000000000000000000000000';

function git(cwd: string, args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
}

export function hasCommit(cwd: string, sha: string): boolean {
  try {
    git(cwd, ['cat-file', '-e', `${sha}^{commit}`]);
    return true;
  } catch {
    return false;
  }
}

function needCommit(cwd: string, sha: string, what: string): void {
  if (!hasCommit(cwd, sha)) {
    throw new MergeopsError('USAGE', `the ${what} commit ${sha} is not in the checkout at ${cwd}`,
      'check out the history: `actions/checkout` with `fetch-depth: 0`');
  }
}

/** Files added, modified or renamed between two commits (paths relative to the repository root). */
export function changedFiles(cwd: string, base: string, head: string): string[] {
  needCommit(cwd, base, 'base');
  needCommit(cwd, head, 'head');
  const out = git(cwd, ['diff', '--name-only', '--no-renames', '-z', '--diff-filter=ACMRT', base, head]);
  return out.split('\0').filter(Boolean);
}

/** A file's text at a commit; undefined when it does not exist there. */
export function showFile(cwd: string, rev: string, path: string): string | undefined {
  try {
    return git(cwd, ['show', `${rev}:${path}`]);
  } catch {
    return undefined;
  }
}

/** The merge base of two commits (what a pull request's diff is against), or `base` itself when none. */
export function mergeBase(cwd: string, base: string, head: string): string {
  try {
    return git(cwd, ['merge-base', base, head]).trim() || base;
  } catch {
    return base;
  }
}

export function hasGit(cwd: string): boolean {
  try {
    git(cwd, ['rev-parse', '--git-dir']);
    return true;
  } catch {
    return false;
  }
}

/** The repository root of the workspace. */
export function repoRoot(cwd: string): string {
  try {
    return git(cwd, ['rev-parse', '--show-toplevel']).trim();
  } catch {
    throw new MergeopsError('USAGE', `${cwd} is not a git checkout`, 'add an `actions/checkout` step (with `fetch-depth: 0`) before mergeops');
  }
}
