/**
 * The uploads of one run that publishes (CLI `run --publish`, the Action's build): one uploader
 * per target repo, opened when first needed; each finished file goes to the repo its kind belongs
 * to (GGUF files to the GGUF repo). Low-disk mode uploads each safetensors shard as it is finished
 * and deletes it (GGUF files stay for the eval and go up with the commit); a matrix part uploads
 * its files and commits nothing (the final job commits them).
 */
import { existsSync, rmSync, statfsSync, truncateSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { MergeopsError } from '../errors.js';
import type { HubOptions } from '../hub/hub-options.js';
import { onInterruptCleanup } from '../interrupt.js';
import { diskEstimate } from '../plan/disk.js';
import type { Plan } from '../plan/types.js';
import { bytes } from '../units.js';
import type { RepoStart } from './access.js';
import { openUploader } from './publish.js';
import { targetName, type PublishTarget, type PublishTargets } from './target.js';
import type { FileDigest, UploadProgress, Uploader } from './uploader.js';

export interface RunUploadsOptions {
  hub: HubOptions;
  starts: readonly RepoStart[];
  private?: boolean;
  log?: (line: string) => void;
  onProgress?: (p: UploadProgress) => void;
  /** Upload and delete each finished file during the merge (also switched on when the output does not fit). */
  lowDisk?: boolean;
}

/** Free bytes where `path` (or its nearest existing ancestor) lives. */
function freeDisk(path: string): number {
  let p = resolve(path);
  while (!existsSync(p) && dirname(p) !== p) p = dirname(p);
  const s = statfsSync(p);
  return s.bavail * s.bsize;
}

/** The target a file of the output goes to: GGUF files to the GGUF repo, the rest to the model repo. */
export function targetOf(targets: PublishTargets, fileName: string): PublishTarget {
  return fileName.endsWith('.gguf') ? targets.gguf : targets.model;
}

export class RunUploads {
  /** By target name (`hf:org/name`), for publishOutput's `uploaders`. */
  readonly uploaders = new Map<string, Uploader>();
  /** Uploaders being opened (a repo being created), so that `abandon` also sees one a signal interrupted. */
  private readonly opening = new Map<string, Promise<Uploader>>();
  private low: boolean;
  private abandoned: Promise<void> | undefined;

  constructor(readonly targets: PublishTargets, private readonly opts: RunUploadsOptions) {
    this.low = opts.lowDisk ?? false;
  }

  get lowDisk(): boolean {
    return this.low;
  }

  /** Once the plan is known: low-disk mode when asked, or when the output does not fit the free disk of `outDir`. */
  decide(plan: Plan, outDir: string, evalChecks = false): void {
    const est = diskEstimate(plan);
    const free = freeDisk(outDir);
    const auto = !this.low && est.normal > free;
    // Low-disk mode deletes each shard once it is uploaded: the checks can only run on a GGUF of the merge.
    if ((this.low || auto) && evalChecks && !(plan.gguf?.plans.length)) {
      throw new MergeopsError('USAGE',
        `${auto ? `the output (~${bytes(est.normal)}) does not fit the free disk (${bytes(free)}), so low-disk mode` : 'low-disk mode'} would delete every shard once uploaded, and the eval's checks would have no model to run on`,
        'ask for a GGUF type to evaluate (and publish): `--gguf Q8_0` (the Action\'s `gguf: Q8_0`), or switch the eval off: `--no-eval` (`eval: false`)');
    }
    if (auto) {
      this.low = true;
      this.opts.log?.(`the output (~${bytes(est.normal)}) does not fit the free disk (${bytes(free)}): low-disk mode, each finished file is uploaded and deleted (peak ~${bytes(est.lowDisk)})`);
    } else if (this.low) {
      this.opts.log?.(`low-disk mode: each finished file is uploaded and deleted (peak ~${bytes(est.lowDisk)} instead of ${bytes(est.normal)})`);
    }
  }

  /** The uploader of the repo `path`'s file goes to (opened, and the repo created, on first use). */
  async uploaderFor(path: string): Promise<Uploader> {
    const t = targetOf(this.targets, path.split('/').pop()!);
    const name = targetName(t);
    const u = this.uploaders.get(name);
    if (u) return u;
    let p = this.opening.get(name);
    if (!p) {
      p = openUploader(t, this.opts).then((x) => { this.uploaders.set(name, x); return x; }).finally(() => this.opening.delete(name));
      this.opening.set(name, p);
    }
    return p;
  }

  /**
   * The run failed or was interrupted (`why`, e.g. `the eval gate failed`) before its commits:
   * each uploader removes what no commit holds (a Hub repo this run created and never committed
   * to is deleted; a repo that existed before stays as it was). Once; never throws. Not for a
   * matrix part: the other parts may be uploading to the repo it created.
   */
  abandon(why: string): Promise<void> {
    this.abandoned ??= (async () => {
      await Promise.allSettled([...this.opening.values()]);
      for (const u of this.uploaders.values()) await u.discard(why);
    })();
    return this.abandoned;
  }

  /** Abandons the uploads if the process is interrupted (SIGINT, SIGTERM, SIGHUP) until the returned release is called. */
  abandonOnInterrupt(): () => void {
    return onInterruptCleanup(() => this.abandon('the run was interrupted'));
  }

  /** The digest of a file uploaded under `name` (for the lockfile's outputs of a low-disk run). */
  readonly digestOf = (name: string): FileDigest | undefined => {
    for (const u of this.uploaders.values()) {
      const d = u.stored.get(name);
      if (d) return d;
    }
    return undefined;
  };

  /** Sends a finished file to its repo without committing; true when stored remotely (see Uploader.upload). */
  async upload(path: string): Promise<boolean> {
    return (await this.uploaderFor(path)).upload(path);
  }

  /** For ExecuteOptions.onFileDone: in low-disk mode, uploads the finished file and deletes it. */
  readonly onFileDone = async (path: string): Promise<boolean> => {
    if (!this.low) return false;
    if (!(await this.upload(path))) return false;
    truncateSync(path, 0); // frees the blocks now, even while a descriptor is still open
    rmSync(path, { force: true });
    return true;
  };
}
