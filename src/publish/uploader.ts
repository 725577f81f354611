/**
 * The uploader of one target repo (CONTRACTS.md): finished files may be uploaded as they are
 * produced (`upload`, low-disk and matrix builds), then one `commit` makes them all appear at
 * once. Nothing is visible in the repo before the commit; a failure before it changes nothing.
 */
import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';

export interface PublishFile {
  /** Path in the repo. */
  path: string;
  /** The local file. */
  local: string;
}

export interface CommitMessage {
  title: string;
  description: string;
}

export interface CommitOutcome {
  /** `hf:org/name` or `dir:PATH`. */
  target: string;
  /** False: every file already equal (nothing committed). */
  committed: boolean;
  /** The new commit (Hub) when committed. */
  commit?: string;
  changed: string[];
  deleted: string[];
  unchanged: string[];
}

export interface UploadProgress {
  target: string;
  bytesSent: number;
  bytesTotal: number;
  /** Seconds since the uploads started. */
  elapsed: number;
}

export interface Uploader {
  readonly target: string;
  /**
   * Sends a finished file now (as an LFS object on the Hub). True when it is stored remotely and
   * the local copy may be deleted; false for a file the Hub keeps in git (it goes in the commit).
   */
  upload(local: string, path?: string): Promise<boolean>;
  /**
   * A file another job stored remotely (a part of a matrix build), known by its digest: the
   * commit includes it as if `upload` had sent it (the Hub refuses the commit when it has no
   * such object).
   */
  adopt(path: string, digest: FileDigest): void;
  /** The files stored remotely so far (`upload`, `adopt`) with their digests, by repo path. */
  readonly stored: ReadonlyMap<string, FileDigest>;
  /** One commit of these files plus every uploaded one; none when all are equal to the repo's. */
  commit(files: readonly PublishFile[], message: CommitMessage): Promise<CommitOutcome>;
  /**
   * The run failed (`why`: `the eval gate failed`, …) before committing here: removes what this
   * uploader left that no commit holds (a Hub repo it created and nothing was committed to; a
   * folder's staged copies). Logs what it removed; never throws.
   */
  discard(why: string): Promise<void>;
}

/** What a repo file is compared by: sha256 (LFS oid) and the git blob sha1 (regular files). */
export interface FileDigest {
  size: number;
  sha256: string;
  gitOid: string;
}

export async function digestFile(path: string): Promise<FileDigest> {
  const size = statSync(path).size;
  const s = createHash('sha256');
  const g = createHash('sha1').update(`blob ${size}\0`);
  for await (const chunk of createReadStream(path, { highWaterMark: 4 << 20 })) {
    s.update(chunk as Buffer);
    g.update(chunk as Buffer);
  }
  return { size, sha256: s.digest('hex'), gitOid: g.digest('hex') };
}

/** Remote files a publish replaces when the new output lacks them: stale weights would mix with new ones. */
export const OWNED_FILE = /(\.safetensors|\.gguf|^model\.safetensors\.index\.json|^mergeops-[\w.-]+\.svg)$/;

/** Files whose change alone makes no commit (the eval's timings differ on every run). */
export const VOLATILE_FILE = /^eval\.(json|md)$/;

/** Whether a comparison calls for a commit: something besides volatile files changed, or stale files go. */
export function needsCommit(changed: readonly string[], deleted: readonly string[]): boolean {
  return deleted.length > 0 || changed.some((p) => !VOLATILE_FILE.test(p));
}
