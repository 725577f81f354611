/**
 * Uploader of a `dir:PATH` target: a local folder laid out as the Hub repo would be (the demo
 * publishes here). Same rules as the Hub: files compared by sha256 first (no change, no write),
 * and the folder replaced as a whole at the end (a failure leaves the previous one).
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { MergeopsError } from '../errors.js';
import { digestFile, needsCommit, OWNED_FILE, type CommitMessage, type CommitOutcome, type FileDigest, type PublishFile, type Uploader } from './uploader.js';

function filesUnder(dir: string, prefix = ''): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory()
    ? filesUnder(join(dir, e.name), `${prefix}${e.name}/`) : e.isFile() ? [`${prefix}${e.name}`] : []));
}

export class DirUploader implements Uploader {
  readonly target: string;
  private readonly staging: string;
  private readonly uploaded = new Map<string, string>();
  private readonly digests = new Map<string, FileDigest>();
  get stored(): ReadonlyMap<string, FileDigest> { return this.digests; }

  constructor(private readonly path: string) {
    this.target = `dir:${path}`;
    this.staging = join(dirname(path), `.${basename(path)}.uploads-${process.pid}`);
  }

  async upload(local: string, path = basename(local)): Promise<boolean> {
    mkdirSync(this.staging, { recursive: true });
    const dest = join(this.staging, path.replace(/\//g, '__'));
    copyFileSync(local, dest);
    this.uploaded.set(path, dest);
    this.digests.set(path, await digestFile(dest));
    return true;
  }

  adopt(path: string): void {
    // A folder's staging belongs to one process: another job's files never reach it.
    throw new MergeopsError('USAGE', `${this.target} cannot take ${path} from another job`,
      'publish the parts of a matrix build to a Hub repo (hf:ORG/NAME), or build in one job to publish to a folder');
  }

  async commit(files: readonly PublishFile[], message: CommitMessage): Promise<CommitOutcome> {
    void message; // a folder has no history to record it in
    const all = new Map<string, string>([...files.map((f) => [f.path, f.local] as const), ...this.uploaded]);
    const existing = new Set(filesUnder(this.path));
    const changed: string[] = [];
    const unchanged: string[] = [];
    for (const [p, local] of all) {
      const cur = join(this.path, p);
      const same = existing.has(p) && statSync(cur).size === statSync(local).size
        && (await digestFile(cur)).sha256 === (this.digests.get(p) ?? await digestFile(local)).sha256;
      if (same) unchanged.push(p);
      else changed.push(p);
    }
    const deleted = [...existing].filter((p) => !all.has(p) && OWNED_FILE.test(p)).sort();
    const outcome: CommitOutcome = { target: this.target, committed: false, changed: changed.sort(), deleted, unchanged: unchanged.sort() };
    if (!needsCommit(changed, deleted)) { rmSync(this.staging, { recursive: true, force: true }); return outcome; }
    const tmp = join(dirname(this.path), `.${basename(this.path)}.partial-${process.pid}`);
    rmSync(tmp, { recursive: true, force: true });
    try {
      // Files of the folder that this publish does not own (a user's additions) stay.
      for (const p of existing) {
        if (all.has(p) || deleted.includes(p)) continue;
        mkdirSync(dirname(join(tmp, p)), { recursive: true });
        copyFileSync(join(this.path, p), join(tmp, p));
      }
      for (const [p, local] of all) {
        mkdirSync(dirname(join(tmp, p)), { recursive: true });
        if (this.uploaded.get(p) === local) renameSync(local, join(tmp, p));
        else copyFileSync(local, join(tmp, p));
      }
      if (existsSync(this.path)) {
        const old = `${tmp}.old`;
        renameSync(this.path, old);
        renameSync(tmp, this.path);
        rmSync(old, { recursive: true, force: true });
      } else {
        mkdirSync(dirname(this.path), { recursive: true });
        renameSync(tmp, this.path);
      }
    } catch (e) {
      rmSync(tmp, { recursive: true, force: true });
      throw new MergeopsError('IO', `cannot write ${this.target}: ${(e as Error).message}`, 'check the folder and the free disk space');
    } finally {
      rmSync(this.staging, { recursive: true, force: true });
    }
    outcome.committed = true;
    return outcome;
  }

  async discard(): Promise<void> {
    // The folder itself appears only at the commit: only the staged copies are this run's.
    rmSync(this.staging, { recursive: true, force: true });
  }
}
