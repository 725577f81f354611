/**
 * Execute stage: streams every planned tensor through the kernel workers into the output
 * shards and, chunk by chunk from the same workers, into every GGUF file asked for. The output
 * folder is built as a temporary sibling and renamed at the end, so a failed run leaves no
 * half-written model and no GGUF file.
 */
import {
  closeSync, copyFileSync, existsSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readdirSync, readSync, renameSync, rmSync,
  statSync, writeFileSync, writeSync,
} from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { MergeopsError, type ErrorCode } from '../errors.js';
import { asFsError, fsError, systemErrorCode } from '../fs-errors.js';
import { onInterruptCleanup, onInterruptStop } from '../interrupt.js';
import type { JobDone } from '../kernels/jobs.js';
import { asSystemError, KernelError, KernelPool } from '../kernels/pool.js';
import type { Plan } from '../plan/types.js';
import { defaultMaxMemory, ggufPlanBytes, minMaxMemory, programWholeBudget, workerDataBudget } from './budget.js';
import type { FileTypeName } from '../quant/select.js';
import { ShardFlusher } from './flush.js';
import {
  acquireOutputLock, guardOutputDir, OUTPUT_MARKER, partialPath, removeStalePartials, resolveOutPath, writeOutputMarker, type GuardedPath, type OutputLock,
} from './output-safety.js';
import { GGUFOutputs } from './gguf-outputs.js';
import type { GGUFCheck, LoadCheck } from './gguf-check.js';
import { checkFinite, HealthTracker, type TensorHealth } from './health.js';
import { assignShards, SMALL_FILES_JOB, type ShardSpec } from '../plan/matrix.js';
import { runTensor, type Budget, type RunJob } from './tensor-jobs.js';
import type { PlannedTensor } from '../model/tensor.js';

export interface Progress {
  tensorsDone: number;
  tensorsTotal: number;
  bytesRead: number;
  bytesWritten: number;
  bytesTotal: number;
  /** Seconds since the start. */
  elapsed: number;
  /** Tensor most recently finished. */
  current: string;
}

export interface ExecuteOptions {
  outDir: string;
  /** Bytes the whole process may use (default: half of RAM, at most 16 GiB). */
  maxMemory?: number;
  /** Kernel workers (default: one per core). */
  threads?: number;
  /** Replace an existing output folder (only one a mergeops run wrote, unless forceOverwrite). */
  overwrite?: boolean;
  /** Replace an existing output folder whatever it holds. */
  forceOverwrite?: boolean;
  /** Paths the output may not overlap (inputs, recipe, cache): see output-safety.ts. */
  guards?: readonly GuardedPath[];
  /** What the output marker records as the command and recipe. */
  marker?: { command: string; name?: string };
  /** Notes (stale partial outputs removed). */
  log?: (line: string) => void;
  /** The output's lock, when the caller took it before (then the caller releases it). */
  outputLock?: OutputLock;
  onProgress?: (p: Progress) => void;
  /** Awaited before a tensor's first job: its inputs are present (download mode fetches shards meanwhile). */
  inputsReady?: (t: PlannedTensor) => Promise<void>;
  /** Long output writes may bypass the page cache (default: unless MERGEOPS_DIRECT_IO=0). */
  directIO?: boolean;
  /** Load each GGUF file written with `loadCheck` (default true, when one is given). */
  ggufCheck?: boolean;
  /** The GGUF load check (eval/load-check.ts `smokeTestGGUF`: llama.cpp decodes a few tokens), passed in by the caller. */
  loadCheck?: LoadCheck;
  /** Told when a GGUF file is planned (it is then written during the merge). */
  onGGUF?: (type: FileTypeName) => void;
  /** Write output tensors holding NaN or Inf instead of failing the run (their health still says so). */
  allowNonfinite?: boolean;
  /**
   * One job of a matrix build (plan/matrix.ts): write only the files assigned to part `index` of
   * `count`, computing only the tensors they hold (and reading only those tensors' inputs).
   */
  shard?: ShardSpec;
  /** Told the tensors this run computes (all of the plan's unless a matrix job), before the first is read. */
  onTensors?: (tensors: readonly PlannedTensor[]) => void;
  /**
   * Low-disk publishing: called with each finished safetensors shard (once all its tensors are
   * written, while the merge goes on), one at a time. Resolves true when it took the file away
   * (uploaded and deleted it). GGUF files are never handed off: they stay in the folder for the
   * load check and the eval, and go up with the publish commit (so they count in the peak disk).
   */
  onFileDone?: (path: string) => Promise<boolean>;
  /** Warnings found while merging (from the data, so not in the plan's), each told once. */
  onWarning?: (message: string) => void;
}

export interface ExecuteResult {
  outDir: string;
  files: { name: string; bytes: number }[];
  bytesRead: number;
  bytesWritten: number;
  /** What llama.cpp decoded from each GGUF file written (empty with ggufCheck: false). */
  ggufChecks: GGUFCheck[];
  /** The GGUF files written (the first file of a split set) with their types, in the order planned. */
  gguf: { file: string; type: FileTypeName }[];
  /** Of bytesWritten, those written by direct I/O (long aligned writes, where the file system allows). */
  bytesDirect: number;
  /** Every float output tensor's health (NaN/Inf counts, norms, cosines to its inputs), in plan order. */
  health: TensorHealth[];
  /** Files `onFileDone` took away (not in the folder; also listed in `files`). */
  removed: { name: string; bytes: number }[];
  /** Warnings found while merging (see ExecuteOptions.onWarning). */
  warnings: string[];
  /** The whole call, load checks of the GGUF files included. */
  seconds: number;
  /** The merge itself: from the start until every tensor is written and flushed (the rate of `bytesRead`). */
  mergeSeconds: number;
}

export async function executePlan(plan: Plan, opts: ExecuteOptions): Promise<ExecuteResult> {
  if (plan.ggufOnly) return executeGGUFOnly(plan, opts);
  const t0 = performance.now();
  const maxMemory = opts.maxMemory ?? defaultMaxMemory();
  const threads = opts.threads ?? availableParallelism();
  if (maxMemory < minMaxMemory(threads)) {
    throw new MergeopsError('USAGE', `--max-memory ${maxMemory} bytes is too small for ${threads} worker(s)`,
      `give at least ${Math.ceil(minMaxMemory(threads) / 2 ** 20)} MiB, or fewer --threads`);
  }
  // Placement, overwrite rule, the lock for the whole run, stale partial siblings removed.
  const guarded = guardOutputDir(opts.outDir, {
    overwrite: opts.overwrite, forceOverwrite: opts.forceOverwrite, guards: opts.guards, log: opts.log, heldLock: opts.outputLock,
  });
  const releaseLock = (): void => { if (!opts.outputLock) guarded.lock.release(); };
  const outDir = guarded.path;
  const tmp = partialPath(outDir);
  // Interrupted (a signal, a cancelled workflow): the partial folder goes, the lock is released.
  const removeTmp = (): void => rmSync(tmp, { recursive: true, force: true });
  const unregisterTmp = onInterruptCleanup(async () => {
    const { rm } = await import('node:fs/promises');
    await rm(tmp, { recursive: true, force: true });
  });
  let unregisterPool: (() => void) | undefined;
  try {
    removeTmp();
    mkdirSync(tmp);
  } catch (e) {
    unregisterTmp();
    releaseLock();
    throw fsError(e, 'create the folder', tmp);
  }
  let pool: KernelPool | undefined;
  let flusher: ShardFlusher | undefined;
  let gguf: GGUFOutputs | undefined;
  try {
    // A matrix job writes only its files; every job computes the same assignment.
    const job = opts.shard ? opts.shard.index - 1 : SMALL_FILES_JOB;
    const matrix = opts.shard ? assignShards(plan, opts.shard.count) : undefined;
    const mine = (shard: number): boolean => !matrix || matrix.shardJob[shard] === job;
    // Shard files at full size with their headers: every tensor's place is known already.
    const shardPaths = plan.shards.map((s, i) => (mine(i) ? join(tmp, s.fileName) : ''));
    plan.shards.forEach((s, i) => {
      if (!mine(i)) return;
      try {
        const fd = openSync(shardPaths[i], 'w');
        try {
          writeSync(fd, s.header, 0, s.header.length, 0);
          ftruncateSync(fd, s.size);
        } finally { closeSync(fd); }
      } catch (e) {
        throw asFsError(e, 'write', shardPaths[i], { needed: plan.estimates.diskBytes });
      }
    });
    // Everything but the tensors first: the GGUF headers are planned from these files.
    writeModelFiles(plan, tmp);
    writeOutputMarker(tmp, opts.marker ?? { command: 'run' });
    // GGUF files are written from the merge stream (the merged tensors are not read back), inside
    // the temporary folder so that they appear, like everything else, only with the final rename.
    // Exactly the files the plan lists (plan.gguf, planned by buildPlan).
    if (plan.gguf) {
      gguf = await GGUFOutputs.open(plan.gguf.plans, tmp, {
        onType: opts.onGGUF,
        ...(matrix ? { keep: (_: string, bytes: number, names: readonly string[]) => matrix.assigner.assignNear(bytes, overlapOf(plan, matrix.shardJob, matrix.assigner.count, names)) === job } : {}),
      });
    }

    // What the GGUF plans hold is not the workers' to use.
    const dataMemory = maxMemory - ggufPlanBytes(gguf?.headerBytes ?? 0);
    if (dataMemory < minMaxMemory(threads)) {
      throw new MergeopsError('USAGE', `--max-memory ${maxMemory} bytes is too small for ${threads} worker(s) and the GGUF files' headers`,
        `give at least ${Math.ceil((maxMemory - dataMemory + minMaxMemory(threads)) / 2 ** 20)} MiB, or fewer --threads or --gguf types`);
    }
    pool = await KernelPool.create(threads, { directIO: opts.directIO });
    const p = pool;
    unregisterPool = onInterruptStop(() => p.close());
    const perWorker = workerDataBudget(dataMemory, pool.size);
    const progress: Progress = {
      tensorsDone: 0, tensorsTotal: plan.tensors.length, bytesRead: 0, bytesWritten: 0,
      bytesTotal: plan.estimates.inputBytes, elapsed: 0, current: '',
    };
    // A matrix job computes the tensors its files hold, no others.
    const tensors = matrix ? plan.tensors.filter((t) => mine(t.shard) || (gguf?.targets(t.name).length ?? 0) > 0) : plan.tensors;
    progress.tensorsTotal = tensors.length;
    opts.onTensors?.(tensors);
    flusher = new ShardFlusher([...shardPaths.filter((x) => x !== ''), ...(gguf?.paths ?? [])]);
    const tracker = new Tracker(progress, t0, opts.onProgress, flusher, opts.onWarning);
    const handoff = opts.onFileDone ? new FileHandoff(pool, opts.onFileDone) : undefined;
    const health = await runAll(pool, plan, tensors, { perWorker, whole: programWholeBudget(dataMemory, pool.size) }, shardPaths, opts.inputsReady,
      tracker, gguf, { allowNonfinite: opts.allowNonfinite ?? false, health: true, failure: 'merge failed: ' }, handoff);
    await handoff?.drain();
    await pool.closeFiles();
    // The workers' memories go before the GGUF files are read back.
    await pool.close();

    await flusher.finish();
    const mergeSeconds = (performance.now() - t0) / 1000;
    const ggufChecks = (await gguf?.finish(tmp, (opts.ggufCheck ?? true) ? opts.loadCheck : undefined)) ?? [];
    if (matrix && job !== SMALL_FILES_JOB) removeSmallFiles(plan, tmp);
    fsyncFile(tmp);
    replaceDir(tmp, outDir);

    const removed = handoff?.removed ?? [];
    const files = [...readdirSync(outDir).filter((n) => n !== OUTPUT_MARKER).map((name) => ({ name, bytes: statSync(join(outDir, name)).size })), ...removed]
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return {
      outDir, files, removed, bytesRead: progress.bytesRead, bytesWritten: progress.bytesWritten, bytesDirect: tracker.bytesDirect, ggufChecks, health,
      gguf: gguf?.files ?? [],
      warnings: tracker.warnings,
      seconds: (performance.now() - t0) / 1000, mergeSeconds,
    };
  } catch (e) {
    flusher?.close();
    await gguf?.abort();
    removeTmp();
    throw asFsError(asSystemError(e), 'write', tmp, { needed: plan.estimates.diskBytes });
  } finally {
    unregisterPool?.();
    await pool?.close();
    unregisterTmp();
    releaseLock();
  }
}

/** Output bytes of the tensors `names` in each matrix job's shards. */
function overlapOf(plan: Plan, shardJob: readonly number[], count: number, names: readonly string[]): number[] {
  const out = new Array<number>(count).fill(0);
  const set = new Set(names);
  for (const t of plan.tensors) if (set.has(t.name)) out[shardJob[t.shard]] += t.end - t.start;
  return out;
}

/** What `writeModelFiles` wrote: a matrix job other than the first leaves them to that one. */
function removeSmallFiles(plan: Plan, dir: string): void {
  const names = ['config.json', 'mergekit_config.yml', ...plan.donor.files, ...(plan.outFiles ?? []).map((f) => f.name)];
  if (plan.indexJson) names.push('model.safetensors.index.json');
  if (plan.stages?.length) names.push('mergeops_recipe.yml');
  for (const n of names) rmSync(join(dir, n), { force: true });
}

/** The output folder's files besides the shards: index, config, tokenizer, recipe. */
export function writeModelFiles(plan: Plan, dir: string): void {
  // Each failure names the file written (a full disk: the output's, never the input it was copied from).
  const needed = { needed: plan.estimates.diskBytes };
  const writeFile = (name: string, data: string | Uint8Array): void => {
    try { writeFileSync(join(dir, name), data); } catch (e) { throw fsError(e, 'write', join(dir, name), needed); }
  };
  if (plan.indexJson) writeFile('model.safetensors.index.json', plan.indexJson);
  writeFile('config.json', plan.outConfigText);
  for (const f of plan.donor.files) {
    const from = join(plan.donor.dir, f);
    try {
      copyFileSync(from, join(dir, f));
    } catch (e) {
      // Reading the donor's file failed: name it; writing the copy failed (no room, read-only): name the copy.
      const onTarget = /^(ENOSPC|EDQUOT|EROFS|EFBIG)$/.test(systemErrorCode(e) ?? '');
      throw onTarget ? fsError(e, `copy ${from} to`, join(dir, f), needed) : asFsError(e, 'copy', from, needed);
    }
  }
  for (const f of plan.outFiles ?? []) writeFile(f.name, f.text);
  writeFile('mergekit_config.yml', plan.recipe.text.endsWith('\n') ? plan.recipe.text : plan.recipe.text + '\n');
  // A multi-stage recipe: the final stage's config names earlier stages, so keep the whole file too.
  if (plan.stages?.length) writeFile('mergeops_recipe.yml', plan.recipe.lines.join('\n').trimEnd() + '\n');
}

/** Counts what the jobs did and reports progress at most every 200 ms. */
class Tracker {
  private lastReport = 0;
  bytesDirect = 0;
  readonly warnings: string[] = [];
  constructor(private readonly progress: Progress, private readonly t0: number,
    private readonly onProgress: ExecuteOptions['onProgress'], private readonly flusher: ShardFlusher,
    private readonly onWarning?: ExecuteOptions['onWarning']) {}

  readonly note = (message: string): void => {
    if (this.warnings.includes(message)) return;
    this.warnings.push(message);
    this.onWarning?.(message);
  };

  job(r: JobDone): void {
    // Direct writes are on the disk already: only page-cache bytes need flushing.
    this.flusher.written(r.bytesWritten + (r.ggufBytes ?? []).reduce((a, b) => a + b, 0) - r.bytesDirect);
    this.bytesDirect += r.bytesDirect;
    this.progress.bytesRead += r.bytesRead;
    this.progress.bytesWritten += r.bytesWritten;
    this.report(false);
  }

  tensor(name: string): void {
    this.progress.tensorsDone++;
    this.progress.current = name;
    this.report(this.progress.tensorsDone === this.progress.tensorsTotal);
  }

  private report(force: boolean): void {
    const now = performance.now();
    if (this.onProgress && (force || now - this.lastReport > 200)) {
      this.lastReport = now;
      this.progress.elapsed = (now - this.t0) / 1000;
      this.onProgress({ ...this.progress });
    }
  }
}

/**
 * Hands finished files to `onFileDone`, one at a time, in order. A shard's descriptors are
 * released by every worker first (its pending writes land). The merge pauses for the uploads
 * rather than fill the disk.
 */
class FileHandoff {
  private chain: Promise<void> = Promise.resolve();
  private waiting = 0;
  private failure: unknown;
  readonly removed: { name: string; bytes: number }[] = [];
  constructor(private readonly pool: KernelPool, private readonly onFileDone: (path: string) => Promise<boolean>) {}

  file(path: string, release = true): void {
    this.waiting++;
    this.chain = this.chain.then(async () => {
      if (this.failure) return;
      try {
        if (release) await this.pool.releaseFile(path);
        const bytes = statSync(path).size;
        if (await this.onFileDone(path)) this.removed.push({ name: basename(path), bytes });
      } catch (e) {
        this.failure ??= e;
      } finally {
        this.waiting--;
      }
    });
  }

  /** Waits while more than `limit` finished files are queued (the disk holds them). */
  async backpressure(limit: number): Promise<void> {
    while (this.waiting > limit && !this.failure) await this.chain;
    if (this.failure) throw this.failure;
  }

  async drain(): Promise<void> {
    await this.chain;
    if (this.failure) throw this.failure;
  }
}

/**
 * Runs every tensor through the pool, a bounded number of tensors at a time (each worker runs one
 * job at a time, so memory is bounded by the per-worker budget; queued jobs are descriptors only).
 * Returns the tensors' health; an output tensor with NaN or Inf fails the run unless allowed.
 */
async function runAll(pool: KernelPool, plan: Plan, tensors: readonly PlannedTensor[], budget: Budget, shardPaths: string[],
  inputsReady: ExecuteOptions['inputsReady'], tracker: Tracker, gguf: GGUFOutputs | undefined,
  o: { allowNonfinite: boolean; health: boolean; failure: string }, handoff?: FileHandoff): Promise<TensorHealth[]> {
  const window = pool.size * 2;
  const inFlight = new Set<Promise<void>>();
  const healthParts = new HealthTracker();
  const health = new Map<string, TensorHealth>();
  let failure: unknown;
  // Tensors left per shard: a shard is finished when its count reaches zero.
  const left = plan.shards.map(() => 0);
  for (const t of tensors) left[t.shard]++;
  let lastShard = -1;
  for (const t of tensors) {
    if (failure) break;
    if (handoff) {
      // A tensor of the next shard starts once the finished shards are gone: the disk holds the
      // shards being written and at most one being uploaded.
      const newShard = t.shard !== lastShard;
      lastShard = t.shard;
      try { await handoff.backpressure(newShard ? 0 : 1); } catch (e) { failure ??= e; break; }
    }
    if (inputsReady) {
      try { await inputsReady(t); } catch (e) { failure ??= e; break; }
    }
    const run: RunJob = async (job) => {
      const r = await pool.run(job);
      tracker.job(r);
      job.gguf?.forEach((g, i) => gguf?.written(g, r.ggufBytes?.[i] ?? 0));
      if (r.health) healthParts.add(t.name, job.first, r.health);
      return r;
    };
    const p: Promise<void> = runTensor(run, t, budget, shardPaths[t.shard], gguf?.targets(t.name), tracker.note, o.health)
      .then(() => {
        const h = healthParts.finish(t);
        checkFinite(h, o.allowNonfinite);
        if (h) health.set(t.name, h);
        tracker.tensor(t.name);
        // (a matrix job hands over only the shards it writes)
        if (--left[t.shard] === 0 && !failure && shardPaths[t.shard] !== '') handoff?.file(shardPaths[t.shard]);
      })
      .catch((e: unknown) => { failure ??= e; })
      .finally(() => { inFlight.delete(p); });
    inFlight.add(p);
    if (inFlight.size >= window) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  if (failure instanceof MergeopsError) throw failure;
  // A system error in a worker (ENOSPC writing a shard): typed by executePlan as on this thread.
  if (failure instanceof KernelError && failure.errno !== undefined) throw asSystemError(failure);
  if (failure instanceof KernelError && failure.code && failure.hint) {
    throw new MergeopsError(failure.code as ErrorCode, `${o.failure}${failure.message}`, failure.hint);
  }
  if (failure) {
    const msg = failure instanceof Error ? failure.message : String(failure);
    throw new MergeopsError('IO', `${o.failure}${msg}`, 'check that the input files are complete and the output disk has room');
  }
  return tensors.flatMap((t) => health.get(t.name) ?? []);
}

function fsyncFile(path: string): void {
  const fd = openSync(path, 'r');
  try { fsyncSync(fd); } finally { closeSync(fd); }
}

/** Moves the finished folder into place; an existing output is replaced only at the very end. */
function replaceDir(tmp: string, outDir: string): void {
  if (existsSync(outDir)) {
    const old = `${tmp}.old`;
    renameSync(outDir, old);
    renameSync(tmp, outDir);
    rmSync(old, { recursive: true, force: true });
  } else {
    renameSync(tmp, outDir);
  }
  fsyncFile(dirname(outDir));
}

/**
 * A GGUF-only plan (`mergeops quantize`): the planned GGUF files are written into `outDir` (created
 * when missing; the model folder itself by default), each through its own temporary sibling,
 * renamed when complete. Only files of the planned names are replaced, and only GGUF files unless
 * `forceOverwrite`; nothing else of the folder is touched. The kernel workers read each tensor
 * chunk by chunk and encode it into every file, as in a merge.
 */
async function executeGGUFOnly(plan: Plan, opts: ExecuteOptions): Promise<ExecuteResult> {
  const t0 = performance.now();
  const planned = plan.gguf!;
  const files = planned.plans.flatMap((p) => p.files);
  const ggufBytes = files.reduce((a, f) => a + f.layout.fileSize, 0);
  const maxMemory = opts.maxMemory ?? defaultMaxMemory();
  const threads = opts.threads ?? availableParallelism();
  // Files are added under names no input has (*.gguf): nothing is replaced but an earlier GGUF
  // file of the same name, so no placement rule applies.
  const outDir = resolveOutPath(opts.outDir);
  const created = !existsSync(outDir);
  try {
    mkdirSync(outDir, { recursive: true });
  } catch (e) {
    throw asFsError(e, 'create the folder', outDir);
  }
  // An empty folder this run created goes again when the run fails or is interrupted.
  const dropCreated = async (): Promise<void> => {
    if (!created) return;
    const { rmdir } = await import('node:fs/promises');
    await rmdir(outDir).catch(() => undefined);
  };
  const unregisterDir = onInterruptCleanup(dropCreated);
  const lock = opts.outputLock ?? acquireOutputLock(join(outDir, files[0].fileName));
  let pool: KernelPool | undefined;
  let unregisterPool: (() => void) | undefined;
  let gguf: GGUFOutputs | undefined;
  let flusher: ShardFlusher | undefined;
  let written = false;
  try {
    removeStalePartials(outDir, opts.log);
    for (const f of files) {
      const p = join(outDir, f.fileName);
      if (!existsSync(p)) continue;
      if (!opts.overwrite && !opts.forceOverwrite) {
        throw new MergeopsError('USAGE', `${p} already exists`, 'pass --overwrite to replace it, or choose another --out folder');
      }
      if (!opts.forceOverwrite && !isGGUFFile(p)) {
        throw new MergeopsError('USAGE', `${p} exists and is not a GGUF file: --overwrite replaces only GGUF files`,
          'choose another --out folder or --name, or pass --force-overwrite to replace it anyway');
      }
    }
    try {
      gguf = await GGUFOutputs.open(planned.plans, outDir, { onType: opts.onGGUF });
      const dataMemory = maxMemory - ggufPlanBytes(gguf.headerBytes);
      if (dataMemory < minMaxMemory(threads)) {
        throw new MergeopsError('USAGE', `--max-memory ${maxMemory} bytes is too small for ${threads} worker(s) and the GGUF files' headers`,
          `give at least ${Math.ceil((maxMemory - dataMemory + minMaxMemory(threads)) / 2 ** 20)} MiB, or fewer --threads`);
      }
      pool = await KernelPool.create(threads, { directIO: opts.directIO });
      const p = pool;
      unregisterPool = onInterruptStop(() => p.close());
      // Only the tensors some GGUF file holds are read (convert drops the others).
      const tensors = plan.tensors.filter((t) => gguf!.targets(t.name).length > 0);
      const progress: Progress = {
        tensorsDone: 0, tensorsTotal: tensors.length, bytesRead: 0, bytesWritten: 0,
        bytesTotal: tensors.reduce((a, t) => a + t.inputs.reduce((b, r) => b + r.end - r.start, 0), 0), elapsed: 0, current: '',
      };
      opts.onTensors?.(tensors);
      flusher = new ShardFlusher(gguf.paths);
      const tracker = new Tracker(progress, t0, opts.onProgress, flusher, opts.onWarning);
      await runAll(pool, plan, tensors, { perWorker: workerDataBudget(dataMemory, pool.size), whole: programWholeBudget(dataMemory, pool.size) },
        plan.shards.map(() => ''), opts.inputsReady, tracker, gguf, { allowNonfinite: true, health: false, failure: '' });
      await pool.closeFiles();
      await pool.close();
      await flusher.finish();
      const mergeSeconds = (performance.now() - t0) / 1000;
      written = true;
      const ggufChecks = await gguf.finish(outDir, (opts.ggufCheck ?? true) ? opts.loadCheck : undefined);
      return {
        outDir, files: files.map((f) => ({ name: f.fileName, bytes: f.layout.fileSize })), removed: [], bytesRead: progress.bytesRead,
        bytesWritten: ggufBytes, bytesDirect: tracker.bytesDirect, ggufChecks, health: [], gguf: gguf.files, warnings: tracker.warnings,
        seconds: (performance.now() - t0) / 1000, mergeSeconds,
      };
    } catch (e) {
      flusher?.close();
      await gguf?.abort();
      // A file llama.cpp cannot use is not left behind.
      if (written) for (const f of files) rmSync(join(outDir, f.fileName), { force: true });
      // A full disk or a read-only folder: typed, naming the file and (ENOSPC) the space the GGUF files need.
      throw written ? e : asFsError(asSystemError(e), 'write', outDir, { needed: ggufBytes });
    }
  } catch (e) {
    if (!opts.outputLock) lock.release();
    await dropCreated();
    throw e;
  } finally {
    unregisterPool?.();
    await pool?.close();
    unregisterDir();
    if (!opts.outputLock) lock.release();
  }
}

/** True for a file that starts with the GGUF magic. */
function isGGUFFile(p: string): boolean {
  try {
    const fd = openSync(p, 'r');
    try {
      const b = Buffer.alloc(4);
      readSync(fd, b, 0, 4, 0);
      return b.toString('latin1') === 'GGUF';
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  }
}
