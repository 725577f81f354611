/**
 * Publishing from the CLI: `mergeops publish DIR --to T` and `mergeops run ... --publish T`
 * (preflight before the merge, low-disk uploads during it, the commits after it).
 */
import { MergeopsError } from '../errors.js';
import type { RunResult } from '../pipeline.js';
import type { Plan } from '../plan/types.js';
import type { HubOptions } from '../hub/hub-options.js';
import { checkPublishAccess, type RepoStart } from '../publish/access.js';
import { publishOutput, type PublishResult } from '../publish/publish.js';
import { RunUploads } from '../publish/run-uploads.js';
import { publishTargets, targetName, type PublishTargets } from '../publish/target.js';
import type { CommandIO } from './command.js';
import { uploadProgressReporter } from './progress.js';

export interface PublishFlags {
  publish?: string;
  to?: string;
  'gguf-repo'?: string;
  private?: boolean;
  'low-disk'?: boolean;
  shard?: string;
}

export function printOutcomes(r: PublishResult, io: CommandIO): void {
  for (const o of r.outcomes) {
    if (o.committed) {
      io.out(`published ${o.target}: ${o.changed.length} file(s) changed${o.deleted.length ? `, ${o.deleted.length} removed` : ''}`
        + `${o.commit ? `, commit ${o.commit}` : ''}\n`);
    } else {
      io.out(`published ${o.target}: no change (all ${o.unchanged.length} file(s) already there), no commit\n`);
    }
  }
}

export interface RunPublish {
  targets: PublishTargets;
  starts: RepoStart[];
  /**
   * For RunOptions.onPlan: decides low-disk mode (asked, or the output does not fit); `evalChecks`:
   * the eval has checks to run (low-disk mode then needs a GGUF of the merge to run them on).
   */
  onPlan(plan: Plan, evalChecks: boolean): void;
  /** For ExecuteOptions.onFileDone. */
  onFileDone(path: string): Promise<boolean>;
  /** For RunOptions.uploadedDigest: what low-disk mode uploaded, for the lockfile. */
  uploadedDigest(name: string): { size: number; sha256: string } | undefined;
  finish(result: RunResult): Promise<void>;
  /**
   * The run failed (`why`) or its eval gate did: deletes a Hub repo this run created and never
   * committed to (low-disk runs create it at their first upload). Also done on SIGINT/SIGTERM
   * until `release`.
   */
  abandon(why: string): Promise<void>;
  /** The run is over (published or abandoned): an interruption no longer abandons. */
  release(): void;
}

/**
 * `run --publish T`: checks the token's write access to every target now, before the merge, and
 * returns the hooks that upload during the merge (low-disk) and publish after it.
 */
export async function startRunPublish(values: PublishFlags, outDir: string, hub: HubOptions, log: (line: string) => void, io: CommandIO): Promise<RunPublish | undefined> {
  if (values.publish === undefined) {
    if (values['low-disk']) throw new MergeopsError('USAGE', '--low-disk needs --publish', 'low-disk mode uploads each finished file and deletes it: add --publish hf:ORG/NAME');
    if (values['gguf-repo'] !== undefined || values.private) throw new MergeopsError('USAGE', '--gguf-repo and --private need --publish', 'add --publish hf:ORG/NAME');
    return undefined;
  }
  if (values.shard !== undefined) {
    // A part holds some of the files and no card: it is published only with the other parts, at once.
    throw new MergeopsError('USAGE', '--publish cannot publish one part of a matrix build (--shard)',
      'publish a matrix build with the GitHub Action (workflows-examples/sharded-build.yml: each part uploads its files, a final job commits them all), or build in one job with --publish');
  }
  const targets = publishTargets(values.publish, values['gguf-repo']);
  const starts = await checkPublishAccess(targets, hub);
  log(`publishing to ${targets.model === targets.gguf ? targetName(targets.model) : `${targetName(targets.model)} and ${targetName(targets.gguf)}`} after the merge: access checked`);
  const onProgress = uploadProgressReporter(process.stderr);
  const uploads = new RunUploads(targets, { hub, starts, private: values.private, log, onProgress, lowDisk: values['low-disk'] });
  const release = uploads.abandonOnInterrupt();
  return {
    targets, starts,
    onPlan(plan, evalChecks) {
      uploads.decide(plan, outDir, evalChecks);
    },
    onFileDone: uploads.onFileDone,
    uploadedDigest: uploads.digestOf,
    async finish(result) {
      const r = await publishOutput(result.outDir, targets, {
        hub, starts, private: values.private, log, onProgress, uploaders: uploads.uploaders, uploadedFiles: result.removed,
      });
      printOutcomes(r, io);
    },
    abandon: (why) => uploads.abandon(why),
    release,
  };
}
