/**
 * Where a build came from: the source repository and commit (the Actions environment, else the
 * git checkout holding the recipe), the workflow run, the mergeops version, the lockfile's hash.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, relative, resolve } from 'node:path';
import { sha256Text } from '../hub/lockfile.js';
import type { Provenance } from './data.js';

function git(cwd: string, args: string[]): string | undefined {
  try {
    return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** A remote URL made browsable, without credentials (`https://user:token@host/...` → `https://host/...`). */
export function publicRepoUrl(remote: string): string | undefined {
  const ssh = /^git@([^:]+):(.+?)(?:\.git)?$/.exec(remote);
  if (ssh) return `https://${ssh[1]}/${ssh[2]}`;
  try {
    const u = new URL(remote);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') return undefined;
    return `${u.protocol}//${u.host}${u.pathname.replace(/\.git$/, '')}`;
  } catch {
    return undefined;
  }
}

export interface ProvenanceResult {
  provenance: Provenance;
  /** The recipe file relative to the repository root (as given when not in a git checkout). */
  recipeFile: string;
}

export function gatherProvenance(recipeFile: string, lockPath: string | undefined, mergeopsVersion: string,
  env: NodeJS.ProcessEnv = process.env): ProvenanceResult {
  const dir = dirname(resolve(recipeFile));
  const root = git(dir, ['rev-parse', '--show-toplevel']);
  const server = env.GITHUB_SERVER_URL ?? 'https://github.com';
  const repositoryUrl = env.GITHUB_REPOSITORY ? `${server}/${env.GITHUB_REPOSITORY}`
    : (() => { const r = git(dir, ['remote', 'get-url', 'origin']); return r ? publicRepoUrl(r) : undefined; })();
  const commit = env.GITHUB_SHA ?? (root ? git(dir, ['rev-parse', 'HEAD']) : undefined);
  const runUrl = env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID ? `${server}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}` : undefined;
  const lockSha256 = lockPath && existsSync(lockPath) ? sha256Text(readFileSync(lockPath)) : undefined;
  const rel = root ? relative(root, resolve(recipeFile)) : basename(recipeFile);
  return { provenance: { repositoryUrl, commit, runUrl, mergeopsVersion, lockSha256 }, recipeFile: rel.split('\\').join('/') };
}
