/**
 * File-system and network failures as typed errors: the path or URL (credentials stripped), the
 * operation, and a hint for the usual causes. The front ends pass every error they catch through
 * `toMergeopsError`; only what is none of these stays an `internal error`.
 */
import { statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { MergeopsError } from './errors.js';

function bytesText(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(1)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} bytes`;
}

/** Free bytes on the file system holding `path` (or its nearest existing parent). */
export function freeBytesAt(path: string): number | undefined {
  for (let p = path; ; p = dirname(p)) {
    try {
      const s = statfsSync(p);
      return s.bavail * s.bsize;
    } catch {
      if (dirname(p) === p) return undefined;
    }
  }
}

/** A URL without user:password and without query parameters that carry tokens. */
export function stripCredentials(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    for (const k of [...u.searchParams.keys()]) {
      if (/token|key|secret|sig|signature|password|auth|credential/i.test(k)) u.searchParams.set(k, '***');
    }
    return u.toString();
  } catch {
    return url.replace(/\/\/[^/@\s]+@/g, '//');
  }
}

export interface FsErrorContext {
  /** Bytes the operation needed, for ENOSPC. */
  needed?: number;
}

const HINTS: Record<string, (path: string, c: FsErrorContext) => string> = {
  ENOSPC: (p, c) => {
    const free = freeBytesAt(p);
    return `the disk holding ${p} is full${c.needed !== undefined ? `: ${bytesText(c.needed)} needed` : ''}`
      + `${free !== undefined ? `, ${bytesText(free)} free` : ''}; free some space there or choose another folder (--out, --cache-dir)`;
  },
  EDQUOT: (p) => `the disk quota for ${p} is used up; free some space or choose another folder`,
  EACCES: (p) => `no permission for ${p}: check its owner and mode (ls -ld), or choose another folder`,
  EPERM: (p) => `the operation is not permitted on ${p}: check its owner, mode and attributes, or choose another folder`,
  EROFS: (p) => `${p} is on a read-only file system: choose a writable folder`,
  ENOTDIR: (p) => `a part of ${p} is a file where a folder is needed: check the path`,
  EISDIR: (p) => `${p} is a folder where a file is needed: check the path`,
  ENOENT: (p) => `${p} does not exist: check the path (a dangling symbolic link?)`,
  EEXIST: (p) => `${p} already exists: remove it or choose another path`,
  ENOTEMPTY: (p) => `${p} is not empty: remove its content or choose another path`,
  EMFILE: () => 'too many open files: raise the limit (ulimit -n) or use fewer --threads',
  ENFILE: () => 'too many open files on this system: close other programs or use fewer --threads',
  EIO: (p) => `the disk holding ${p} reported an I/O error: check the disk (dmesg)`,
  ELOOP: (p) => `${p} is a loop of symbolic links: point it at a real file or folder`,
  ENAMETOOLONG: (p) => `${p} is too long a path: choose a shorter one`,
  EBUSY: (p) => `${p} is busy (in use or a mount point): choose another path`,
  EXDEV: (p) => `${p} is on another file system than its temporary sibling: choose a folder on one file system`,
};

const CODES = new Set(Object.keys(HINTS));

/** A Node system error (errno code with a syscall), or undefined. */
export function systemErrorCode(e: unknown): string | undefined {
  if (typeof e !== 'object' || e === null || !('code' in e)) return undefined;
  const code = (e as { code: unknown }).code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code) ? code : undefined;
}

/** A file-system failure of `op` on `path` as a typed error. */
export function fsError(e: unknown, op: string, path: string, c: FsErrorContext = {}): MergeopsError {
  if (e instanceof MergeopsError) return e;
  const code = systemErrorCode(e) ?? 'EIO';
  const hint = (HINTS[code] ?? ((p: string) => `check ${p} and retry`))(path, c);
  const what = code === 'ENOSPC' ? 'no space left on device' : code;
  return new MergeopsError('IO', `cannot ${op} ${path}: ${what}`, hint);
}

/**
 * Rethrow helper for a block of file-system work: typed errors pass, a system error becomes a
 * typed one (its own path if it has one, else `path`), anything else (a bug) is left alone.
 */
export function asFsError(e: unknown, op: string, path: string, c: FsErrorContext = {}): unknown {
  if (e instanceof MergeopsError || systemErrorCode(e) === undefined) return e;
  const own = (e as { path?: unknown }).path;
  return fsError(e, op, typeof own === 'string' ? own : path, c);
}

/**
 * Any failure as a typed error when it is one we can explain (file system, network); undefined
 * for real bugs (those stay `internal error` with a stack).
 */
export function toMergeopsError(e: unknown): MergeopsError | undefined {
  if (e instanceof MergeopsError) return e;
  const code = systemErrorCode(e);
  if (code === undefined) return undefined;
  const err = e as { path?: unknown; dest?: unknown; syscall?: unknown; address?: unknown; port?: unknown; hostname?: unknown };
  if (typeof err.path === 'string') {
    const op = typeof err.syscall === 'string' ? `${err.syscall}` : 'access';
    return fsError(e, op, err.path);
  }
  if (CODES.has(code)) return new MergeopsError('IO', `file-system operation failed: ${code}`, (HINTS[code])('the file', {}));
  if (/^(ECONNRESET|ECONNREFUSED|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH)$/.test(code)) {
    const where = typeof err.hostname === 'string' ? err.hostname : typeof err.address === 'string' ? `${err.address}${err.port ? `:${String(err.port)}` : ''}` : 'the server';
    return new MergeopsError('NETWORK', `network failure talking to ${where}: ${code}`,
      'check the connection and the endpoint (HF_ENDPOINT), then run again: finished downloads are cached');
  }
  return undefined;
}
