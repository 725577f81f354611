/**
 * Uploader of a Hub model repo, on @huggingface/hub: `commitIter` does preupload, hashing, the
 * LFS batch and the object or multipart uploads; `commit` makes the one commit, with
 * `parentCommit` set to the revision read when the run started (a concurrent push → HTTP 412 →
 * nothing changes). Files are compared with the repo's first (sha256 = LFS oid, git blob sha1
 * for regular files), so an identical build commits nothing. A repo this uploader created and
 * never committed to is deleted by `discard` when the run fails (no empty repo is left behind).
 */
import { statSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { MergeopsError } from '../errors.js';
import { hubError } from '../hub/hub-error.js';
import { maskTokens, type HubOptions } from '../hub/hub-options.js';
import { retryingFetch } from './retry-fetch.js';
import {
  digestFile, needsCommit, OWNED_FILE, type CommitMessage, type CommitOutcome, type FileDigest, type PublishFile, type UploadProgress, type Uploader,
} from './uploader.js';

export interface HubUploaderOptions {
  hub: HubOptions;
  /** The head commit read at the start of the run (undefined: create the repo). */
  revision?: string;
  /** Create the repo private. */
  private?: boolean;
  onProgress?: (p: UploadProgress) => void;
  /** Retry notes (no secrets in them). */
  log?: (line: string) => void;
  /** Attempts after the first for each request (default 4). */
  retries?: number;
}

interface RemoteEntry {
  size: number;
  /** LFS oid (sha256), for LFS files. */
  lfs?: string;
  /** git blob sha1. */
  oid: string;
}

/**
 * A local file as the library's content: a `file:` URL, which it reads through its own file blob
 * (Node streams). A Blob from `openAsBlob` goes through web streams in 64 KiB chunks, which made
 * the library's sha256 before the upload about twice as slow (bench/publish-speed.ts).
 */
function fileContent(local: string): URL {
  return pathToFileURL(local);
}

export class HubUploader implements Uploader {
  readonly target: string;
  private readonly uploaded = new Map<string, FileDigest>();
  get stored(): ReadonlyMap<string, FileDigest> { return this.uploaded; }
  private readonly fetch: typeof fetch;
  private bytesSent = 0;
  private bytesTotal = 0;
  /** The head right after this run created the repo (its creation commit); undefined when it existed or another job created it. */
  private createdHead: string | undefined;
  private committed = false;
  private discarded: Promise<void> | undefined;
  private t0 = performance.now();

  private constructor(readonly repo: string, private readonly opts: HubUploaderOptions, private parent: string | undefined) {
    this.target = `hf:${repo}`;
    this.fetch = retryingFetch(opts.hub.fetch ?? fetch, {
      retries: opts.retries,
      onRetry: (what, attempt, ms, reason) => opts.log?.(`${this.target}: ${what} failed (${reason}); retry ${attempt} in ${(ms / 1000).toFixed(1)} s`),
      onSent: (n) => this.sent(n),
    });
  }

  /** The uploader of `repo`, creating the repo when the preflight found none. */
  static async open(repo: string, opts: HubUploaderOptions): Promise<HubUploader> {
    if (!opts.hub.accessToken) {
      throw new MergeopsError('USAGE', `publishing to hf:${repo} needs a Hugging Face token with write access`, 'set HF_TOKEN to a token with the `write` role');
    }
    const u = new HubUploader(repo, opts, opts.revision);
    if (opts.revision === undefined) await u.create();
    return u;
  }

  private creds(): { hubUrl?: string; accessToken: string; fetch: typeof fetch } {
    return { hubUrl: this.opts.hub.hubUrl, accessToken: this.opts.hub.accessToken ?? '', fetch: this.fetch };
  }

  private async create(): Promise<void> {
    const { createRepo, modelInfo } = await import('@huggingface/hub');
    let created = false;
    try {
      await createRepo({ ...this.creds(), repo: { type: 'model', name: this.repo }, visibility: this.opts.private ? 'private' : 'public' });
      created = true;
      this.opts.log?.(`created ${this.target}${this.opts.private ? ' (private)' : ''}`);
    } catch (e) {
      // Created meanwhile (another job of a matrix build): fine, use its head (and never delete it).
      if ((e as { statusCode?: number }).statusCode !== 409) throw hubError(e, `cannot create ${this.target}`, this.opts.hub);
    }
    try {
      const info = await modelInfo({ ...this.creds(), name: this.repo, additionalFields: ['sha'] });
      this.parent = typeof info.sha === 'string' ? info.sha : undefined;
      if (created) this.createdHead = this.parent;
    } catch (e) {
      // Just created by this run, and no one else's yet: it goes again rather than stay empty.
      if (created) await this.deleteCreated('it could not be read back');
      throw hubError(e, `cannot read ${this.target} after creating it`, this.opts.hub);
    }
  }

  private sent(n: number): void {
    this.bytesSent += n;
    this.opts.onProgress?.({ target: this.target, bytesSent: this.bytesSent, bytesTotal: Math.max(this.bytesTotal, this.bytesSent), elapsed: (performance.now() - this.t0) / 1000 });
  }

  async upload(local: string, path = local.split('/').pop()!): Promise<boolean> {
    const { commitIter } = await import('@huggingface/hub');
    const size = statSync(local).size;
    this.bytesTotal += size;
    // commitIter stops short of the commit call: the object is uploaded (or found already there),
    // and the final commit references it by its sha256.
    const it = commitIter({
      ...this.creds(), repo: { type: 'model', name: this.repo }, title: 'upload', branch: 'main',
      operations: [{ operation: 'addOrUpdate', path, content: fileContent(local) }],
    });
    // Our digest (sha256 and git oid, for the commit and the lockfile) reads the file alongside the
    // library's hashing and upload rather than after them; a failed upload throws first.
    const digest = digestFile(local);
    digest.catch(() => undefined);
    let stored = false;
    try {
      for (;;) {
        const r = await it.next();
        if (r.done) break;
        const ev = r.value;
        if (ev.event === 'phase' && ev.phase === 'committing') { await it.return(undefined); break; }
        if (ev.event === 'fileProgress' && ev.state === 'uploading' && ev.progress === 1) stored = true;
      }
    } catch (e) {
      throw hubError(e, `cannot upload ${path} to ${this.target}`, this.opts.hub);
    }
    if (!stored) { this.bytesTotal -= size; return false; }
    this.uploaded.set(path, await digest);
    return true;
  }

  adopt(path: string, digest: FileDigest): void {
    this.uploaded.set(path, digest);
  }

  private async remoteFiles(): Promise<Map<string, RemoteEntry>> {
    const out = new Map<string, RemoteEntry>();
    if (this.parent === undefined) return out;
    const { listFiles } = await import('@huggingface/hub');
    try {
      for await (const f of listFiles({ ...this.creds(), repo: { type: 'model', name: this.repo }, revision: this.parent, recursive: true })) {
        if (f.type === 'file') out.set(f.path, { size: f.lfs?.size ?? f.size, lfs: f.lfs?.oid, oid: f.oid ?? '' });
      }
    } catch (e) {
      throw hubError(e, `cannot list the files of ${this.target}`, this.opts.hub);
    }
    return out;
  }

  async commit(files: readonly PublishFile[], message: CommitMessage): Promise<CommitOutcome> {
    const remote = await this.remoteFiles();
    const same = (path: string, d: FileDigest): boolean => {
      const r = remote.get(path);
      return r !== undefined && r.size === d.size && (r.lfs !== undefined ? r.lfs === d.sha256 : r.oid === d.gitOid);
    };
    const changed: PublishFile[] = [];
    const unchanged: string[] = [];
    let changedBytes = 0;
    for (const f of files) {
      // Only a file the repo holds at this size can be unchanged: the others are not hashed here
      // (the library hashes what it uploads; a second read pass first would delay the upload).
      const size = statSync(f.local).size;
      if (remote.get(f.path)?.size === size && same(f.path, await digestFile(f.local))) unchanged.push(f.path);
      else { changed.push(f); changedBytes += size; }
    }
    const changedUploads = [...this.uploaded].filter(([p, d]) => !same(p, d));
    for (const [p, d] of this.uploaded) if (same(p, d)) unchanged.push(p);
    const keep = new Set([...files.map((f) => f.path), ...this.uploaded.keys()]);
    const deleted = [...remote.keys()].filter((p) => !keep.has(p) && OWNED_FILE.test(p)).sort();
    const outcome: CommitOutcome = {
      target: this.target, committed: false, changed: [...changed.map((f) => f.path), ...changedUploads.map(([p]) => p)].sort(), deleted, unchanged: unchanged.sort(),
    };
    if (!needsCommit(outcome.changed, deleted)) return outcome;

    const { commit } = await import('@huggingface/hub');
    const operations = [
      ...changed.map((f) => ({ operation: 'addOrUpdate' as const, path: f.path, content: fileContent(f.local) })),
      ...deleted.map((path) => ({ operation: 'delete' as const, path })),
    ];
    this.bytesTotal += changedBytes;
    if (this.bytesSent === 0) this.t0 = performance.now();
    // Objects uploaded earlier (low-disk, matrix parts) are not local any more: the library cannot
    // hash them, so their `lfsFile` lines join its commit call here. The Hub checks they exist.
    const extra = changedUploads.map(([path, d]) => JSON.stringify({ key: 'lfsFile', value: { path, algo: 'sha256', size: d.size, oid: d.sha256 } }));
    const commitFetch: typeof fetch = extra.length === 0 ? this.fetch : ((input, init) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      if (init?.method === 'POST' && /\/api\/models\/.+\/commit\//.test(url) && typeof init.body === 'string') {
        return this.fetch(input, { ...init, body: `${init.body}\n${extra.join('\n')}` });
      }
      return this.fetch(input, init);
    }) as typeof fetch;
    try {
      const out = await commit({
        ...this.creds(), fetch: commitFetch, repo: { type: 'model', name: this.repo }, branch: 'main',
        title: message.title, description: message.description, parentCommit: this.parent, operations,
      });
      outcome.committed = true;
      this.committed = true;
      outcome.commit = out?.commit.oid;
      this.parent = out?.commit.oid ?? this.parent;
      return outcome;
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode === 412) {
        throw new MergeopsError('UPSTREAM_CHANGED', `${this.target} changed since this run started (its head is no longer ${this.parent}): nothing was committed`,
          'someone pushed to the repo meanwhile; run again to publish on top of the new head');
      }
      throw hubError(e, `cannot commit to ${this.target} (nothing was committed; the repo is unchanged)`, this.opts.hub);
    }
  }

  /**
   * After a failed or interrupted run: deletes the repo when this run created it and nothing was
   * committed to it since (its head is still the creation commit, so no one else's work either).
   * A repo that existed before the run, or got a commit, stays. Says what it did in the log;
   * never throws (the run's own failure is the error to report). Once per uploader.
   */
  discard(why: string): Promise<void> {
    this.discarded ??= this.discardOnce(why);
    return this.discarded;
  }

  private async discardOnce(why: string): Promise<void> {
    const log = (line: string): void => this.opts.log?.(line);
    if (this.createdHead === undefined) {
      if (!this.committed && this.uploaded.size > 0) log(`${this.target} left as it was (this run did not create it; the ${this.uploaded.size} file(s) uploaded are in no commit)`);
      return;
    }
    if (this.committed) return;
    const { modelInfo } = await import('@huggingface/hub');
    let head: unknown;
    try {
      head = (await modelInfo({ ...this.creds(), name: this.repo, additionalFields: ['sha'] })).sha;
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode === 404) return; // gone already
      this.notDeleted(e, why);
      return;
    }
    if (head !== this.createdHead) {
      log(`${this.target} not deleted: this run created it, but it has a commit since that this run did not make`);
      return;
    }
    await this.deleteCreated(why);
  }

  /** Deletes the repo this run created (`why`: the reason, for the log); a failure is a warning. */
  private async deleteCreated(why: string): Promise<void> {
    const { deleteRepo } = await import('@huggingface/hub');
    try {
      await deleteRepo({ ...this.creds(), repo: { type: 'model', name: this.repo } });
      this.opts.log?.(`deleted ${this.target}: this run created it and committed nothing to it (${why})`);
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode !== 404) this.notDeleted(e, why);
    }
  }

  private notDeleted(e: unknown, why: string): void {
    const status = (e as { statusCode?: number }).statusCode;
    const reason = maskTokens(e instanceof Error ? e.message : String(e), this.opts.hub);
    this.opts.log?.(`warning: ${this.target} not deleted (${status ? `HTTP ${status}: ` : ''}${reason}): this run created it and committed nothing to it (${why}); `
      + `delete it yourself: ${this.opts.hub.hubUrl ?? 'https://huggingface.co'}/${this.repo}/settings`);
  }
}
