/**
 * The shard cache: a local folder of model files keyed by (repo, commit sha, path), laid out as
 * `<root>/models--<org>--<name>/<sha>/<path>`. Files appear atomically (written to a temporary
 * file, fsynced, renamed), so a crash or a failed download never leaves a partial file under a
 * real name. A size cap evicts least recently used files (mtime is touched on every use).
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, utimesSync, writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { processAlive } from '../process-alive.js';

export interface CacheEntry {
  path: string;
  bytes: number;
  /** Last use, ms since the epoch. */
  used: number;
}

/** `$MERGEOPS_CACHE`, else `$XDG_CACHE_HOME/mergeops`, else `~/.cache/mergeops`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MERGEOPS_CACHE) return env.MERGEOPS_CACHE;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'mergeops');
}

export class ShardCache {
  constructor(readonly root: string, readonly maxBytes = Number.POSITIVE_INFINITY) {}

  /** Folder of one model at one commit. */
  snapshotDir(repo: string, sha: string): string {
    return join(this.root, `models--${repo.replace(/\//g, '--')}`, sha);
  }

  pathOf(repo: string, sha: string, path: string): string {
    return join(this.snapshotDir(repo, sha), ...path.split('/'));
  }

  /** The cached file's path if present (with this size, when given); marks it used. */
  lookup(repo: string, sha: string, path: string, size?: number): string | undefined {
    const p = this.pathOf(repo, sha, path);
    try {
      const st = statSync(p);
      if (!st.isFile() || (size !== undefined && st.size !== size)) return undefined;
      this.touch(p);
      return p;
    } catch {
      return undefined;
    }
  }

  touch(p: string): void {
    const now = new Date();
    try { utimesSync(p, now, now); } catch { /* gone: nothing to mark */ }
  }

  /** A fresh temporary path inside the cache (same file system as the destination, so rename is atomic). */
  tempPath(): string {
    const dir = join(this.root, '.tmp');
    mkdirSync(dir, { recursive: true });
    return join(dir, `${process.pid}-${randomBytes(6).toString('hex')}`);
  }

  /** Moves a finished, fsynced temporary file to `dest` atomically. */
  commit(tmp: string, dest: string): void {
    mkdirSync(dirname(dest), { recursive: true });
    renameSync(tmp, dest);
    const fd = openSync(dirname(dest), 'r');
    try { fsyncSync(fd); } finally { closeSync(fd); }
  }

  /** Writes a small file atomically. */
  putBytes(dest: string, data: Uint8Array): void {
    const tmp = this.tempPath();
    try {
      writeFileSync(tmp, data);
      const fd = openSync(tmp, 'r');
      try { fsyncSync(fd); } finally { closeSync(fd); }
      this.commit(tmp, dest);
    } catch (e) {
      rmSync(tmp, { force: true });
      throw e;
    }
  }

  /** Every cached file (temporaries excluded). */
  entries(): CacheEntry[] {
    const out: CacheEntry[] = [];
    const walk = (dir: string): void => {
      let names: string[];
      try { names = readdirSync(dir); } catch { return; }
      for (const n of names) {
        const p = join(dir, n);
        if (dir === this.root && n === '.tmp') continue;
        const st = statSync(p);
        if (st.isDirectory()) walk(p);
        else if (st.isFile()) out.push({ path: p, bytes: st.size, used: st.mtimeMs });
      }
    };
    walk(this.root);
    return out;
  }

  totalBytes(): number {
    return this.entries().reduce((a, e) => a + e.bytes, 0);
  }

  /**
   * Evicts least recently used files until the cache holds at most `maxBytes - reserve` bytes,
   * never touching `keep`. Returns the evicted paths.
   */
  evict(keep: ReadonlySet<string> = new Set(), reserve = 0): string[] {
    if (!Number.isFinite(this.maxBytes)) return [];
    const entries = this.entries().sort((a, b) => a.used - b.used);
    let total = entries.reduce((a, e) => a + e.bytes, 0);
    const evicted: string[] = [];
    for (const e of entries) {
      if (total <= this.maxBytes - reserve) break;
      if (keep.has(e.path)) continue;
      rmSync(e.path, { force: true });
      total -= e.bytes;
      evicted.push(e.path);
    }
    return evicted;
  }

  /** Removes leftovers of interrupted writes (temporaries of processes that are gone). */
  clearTemp(): void {
    const dir = join(this.root, '.tmp');
    let names: string[];
    try { names = readdirSync(dir); } catch { return; }
    for (const n of names) {
      const pid = Number(n.split('-')[0]);
      // This run's own, or another live run's: still being written.
      if (Number.isInteger(pid) && pid > 0 && (pid === process.pid || processAlive(pid))) continue;
      rmSync(join(dir, n), { force: true });
    }
  }

  /** `repo` and `sha` of every cached snapshot. */
  snapshots(): { repo: string; sha: string; dir: string }[] {
    const out: { repo: string; sha: string; dir: string }[] = [];
    if (!existsSync(this.root)) return out;
    for (const m of readdirSync(this.root)) {
      if (!m.startsWith('models--')) continue;
      const repo = m.slice('models--'.length).replace('--', '/');
      for (const sha of readdirSync(join(this.root, m))) out.push({ repo, sha, dir: join(this.root, m, sha) });
    }
    return out;
  }

  /** Path relative to the cache root, `/`-separated (for logs). */
  rel(p: string): string {
    return relative(this.root, p).split(sep).join('/');
  }
}
