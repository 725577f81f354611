/**
 * Execute stage: streams every planned tensor through the kernel workers into the output
 * shards. The output folder is built as a temporary sibling and renamed at the end, so a
 * failed run leaves no half-written model.
 */
import {
  closeSync, copyFileSync, existsSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readdirSync, renameSync, rmSync,
  statSync, writeFileSync, writeSync,
} from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { MergeopsError } from '../errors.js';
import { DTYPE_SIZE } from '../formats/dtype.js';
import type { KernelJob } from '../kernels/jobs.js';
import { KernelPool } from '../kernels/pool.js';
import type { Plan, PlannedTensor } from '../plan/types.js';
import { chunkElements, defaultMaxMemory, minMaxMemory, workerDataBudget } from './budget.js';

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
  /** Replace an existing output folder. */
  overwrite?: boolean;
  onProgress?: (p: Progress) => void;
  /** Awaited before a tensor's first job: its inputs are present (download mode fetches shards meanwhile). */
  inputsReady?: (t: PlannedTensor) => Promise<void>;
}

export interface ExecuteResult {
  outDir: string;
  files: { name: string; bytes: number }[];
  bytesRead: number;
  bytesWritten: number;
  seconds: number;
}

function* chunkJobs(t: PlannedTensor, perWorker: number, shardPath: string): Generator<KernelJob> {
  const numel = t.shape.reduce((a, b) => a * b, 1);
  const step = chunkElements(t, perWorker);
  const inputs = t.inputs.map((r) => ({ kind: 'tensor' as const, source: r.source, start: r.start, dtype: r.dtype }));
  for (let e = 0; e < numel; e += step) {
    yield {
      op: t.op, inputs, shape: t.shape, tensor: t.name, first: e, n: Math.min(step, numel - e),
      out: { file: shardPath, start: t.start, dtype: t.dtype },
    };
  }
}

function checkOutDir(outDir: string, overwrite: boolean): void {
  if (existsSync(outDir) && readdirSync(outDir).length > 0 && !overwrite) {
    throw new MergeopsError('USAGE', `output folder ${outDir} exists and is not empty`,
      'choose another --out folder, or pass --overwrite to replace it');
  }
}

export async function executePlan(plan: Plan, opts: ExecuteOptions): Promise<ExecuteResult> {
  const t0 = performance.now();
  const outDir = resolve(opts.outDir);
  checkOutDir(outDir, opts.overwrite ?? false);
  const maxMemory = opts.maxMemory ?? defaultMaxMemory();
  const threads = opts.threads ?? availableParallelism();
  if (maxMemory < minMaxMemory(threads)) {
    throw new MergeopsError('USAGE', `--max-memory ${maxMemory} bytes is too small for ${threads} worker(s)`,
      `give at least ${Math.ceil(minMaxMemory(threads) / 2 ** 20)} MiB, or fewer --threads`);
  }
  mkdirSync(dirname(outDir), { recursive: true });
  const tmp = join(dirname(outDir), `.${basename(outDir)}.partial-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  let pool: KernelPool | undefined;
  try {
    // Shard files at full size with their headers: every tensor's place is known already.
    const shardPaths = plan.shards.map((s) => join(tmp, s.fileName));
    plan.shards.forEach((s, i) => {
      const fd = openSync(shardPaths[i], 'w');
      writeSync(fd, s.header, 0, s.header.length, 0);
      ftruncateSync(fd, s.size);
      closeSync(fd);
    });

    pool = await KernelPool.create(threads);
    const perWorker = workerDataBudget(maxMemory, pool.size);
    const progress: Progress = {
      tensorsDone: 0, tensorsTotal: plan.tensors.length, bytesRead: 0, bytesWritten: 0,
      bytesTotal: plan.estimates.inputBytes, elapsed: 0, current: '',
    };
    await runAll(pool, plan, perWorker, shardPaths, progress, t0, opts.onProgress, opts.inputsReady);
    await pool.closeFiles();

    for (const p of shardPaths) fsyncFile(p);
    if (plan.indexJson) writeFileSync(join(tmp, 'model.safetensors.index.json'), plan.indexJson);
    writeFileSync(join(tmp, 'config.json'), JSON.stringify(plan.outConfig, null, 2) + '\n');
    for (const f of plan.donor.files) copyFileSync(join(plan.donor.dir, f), join(tmp, f));
    writeFileSync(join(tmp, 'mergekit_config.yml'), plan.recipe.text.endsWith('\n') ? plan.recipe.text : plan.recipe.text + '\n');
    fsyncFile(tmp);
    replaceDir(tmp, outDir);

    const files = readdirSync(outDir).sort().map((name) => ({ name, bytes: statSync(join(outDir, name)).size }));
    return {
      outDir, files, bytesRead: progress.bytesRead, bytesWritten: progress.bytesWritten,
      seconds: (performance.now() - t0) / 1000,
    };
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  } finally {
    await pool?.close();
  }
}

/** Feeds chunks to the pool, a bounded number in flight, in plan order. */
async function runAll(pool: KernelPool, plan: Plan, perWorker: number, shardPaths: string[], progress: Progress,
  t0: number, onProgress: ExecuteOptions['onProgress'], inputsReady?: ExecuteOptions['inputsReady']): Promise<void> {
  const window = pool.size * 2;
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  let lastReport = 0;
  for (const t of plan.tensors) {
    if (inputsReady) {
      try { await inputsReady(t); } catch (e) { failure ??= e; break; }
    }
    const chunks = [...chunkJobs(t, perWorker, shardPaths[t.shard])];
    let left = chunks.length;
    for (const job of chunks) {
      if (failure) break;
      const p: Promise<void> = pool.run(job).then((r) => {
        progress.bytesRead += r.bytesRead;
        progress.bytesWritten += r.bytesWritten;
        if (--left === 0) {
          progress.tensorsDone++;
          progress.current = t.name;
        }
        const now = performance.now();
        if (onProgress && (now - lastReport > 200 || progress.tensorsDone === progress.tensorsTotal)) {
          lastReport = now;
          progress.elapsed = (now - t0) / 1000;
          onProgress({ ...progress });
        }
      }, (e: unknown) => { failure ??= e; }).finally(() => { inFlight.delete(p); });
      inFlight.add(p);
      if (inFlight.size >= window) await Promise.race(inFlight);
    }
    if (failure) break;
  }
  await Promise.all(inFlight);
  if (failure instanceof MergeopsError) throw failure;
  if (failure) {
    const msg = failure instanceof Error ? failure.message : String(failure);
    throw new MergeopsError('IO', `merge failed: ${msg}`, 'check that the input files are complete and the output disk has room');
  }
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
