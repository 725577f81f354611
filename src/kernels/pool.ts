/** A pool of kernel workers (one WebAssembly instance each), fed jobs in order. */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { JobDone, KernelJob } from './jobs.js';
import { loadKernelModule } from './wasm-module.js';

interface Pending {
  resolve: (r: JobDone) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  busy: boolean;
  /** Control messages for this worker, sent before its next job. */
  controls: Queued[];
}

interface Queued {
  id: number;
  msg: object;
  pending: Pending;
}

export class KernelError extends Error {
  /** Set when the worker failed with a MergeopsError (its code and hint). */
  readonly code?: string;
  readonly hint?: string;
  /** Set when the worker failed with a system error (e.g. ENOSPC writing a shard): its errno, call and file. */
  readonly errno?: string;
  readonly syscall?: string;
  readonly path?: string;
  constructor(message: string, detail: WorkerFailure = {}) {
    super(message);
    this.name = 'KernelError';
    this.code = detail.code;
    this.hint = detail.hint;
    this.errno = detail.errno;
    this.syscall = detail.syscall;
    this.path = detail.path;
  }
}

/** What a worker reports with a failure (see worker.ts `failure`). */
export interface WorkerFailure {
  code?: string;
  hint?: string;
  errno?: string;
  syscall?: string;
  path?: string;
}

/** A worker's system error (its errno, call and file) as the Node error it was, for `asFsError`; anything else as it is. */
export function asSystemError(e: unknown): unknown {
  if (!(e instanceof KernelError) || e.errno === undefined) return e;
  return Object.assign(new Error(e.message), { code: e.errno, syscall: e.syscall, ...(e.path !== undefined ? { path: e.path } : {}) });
}

/** A worker's 'error' event (an uncaught exception): a system error keeps its errno and path. */
function crashError(e: Error): KernelError {
  const sys = e as Error & { code?: unknown; syscall?: unknown; path?: unknown };
  if (typeof sys.code === 'string' && /^E[A-Z]+$/.test(sys.code)) {
    return new KernelError(e.message, {
      errno: sys.code, syscall: typeof sys.syscall === 'string' ? sys.syscall : undefined, path: typeof sys.path === 'string' ? sys.path : undefined,
    });
  }
  return new KernelError(`kernel worker crashed: ${e.message}`);
}

export class KernelPool {
  private readonly slots: Slot[];
  private readonly pending = new Map<number, { slot: Slot; p: Pending }>();
  private readonly queue: Queued[] = [];
  private nextId = 1;
  private closed = false;
  private crashed?: KernelError;

  private constructor(workers: Worker[]) {
    this.slots = workers.map((worker) => ({ worker, busy: false, controls: [] }));
    for (const slot of this.slots) {
      slot.worker.on('message', (m: { id: number; error?: string } & WorkerFailure & Partial<JobDone>) => this.onMessage(slot, m));
      slot.worker.on('error', (e) => { this.crashed ??= crashError(e); this.failAll(this.crashed); });
    }
  }

  /**
   * Starts `threads` workers (default: one per core). `directIO`: long output writes may bypass
   * the page cache (default: unless MERGEOPS_DIRECT_IO=0).
   */
  static async create(threads = availableParallelism(), opts: { directIO?: boolean } = {}): Promise<KernelPool> {
    const module = await loadKernelModule();
    const url = new URL('./worker.js', import.meta.url);
    const n = Math.max(1, Math.floor(threads));
    const directIO = opts.directIO ?? process.env.MERGEOPS_DIRECT_IO !== '0';
    const workers = Array.from({ length: n }, () => new Worker(url, { workerData: { module, directIO } }));
    return new KernelPool(workers);
  }

  get size(): number {
    return this.slots.length;
  }

  /** Runs one job on the next free worker. */
  run(job: KernelJob): Promise<JobDone> {
    return this.submit({ job });
  }

  /** Closes every file the workers hold open. Call when no job is running (before fsync and rename). */
  async closeFiles(): Promise<void> {
    await Promise.all(this.slots.map((slot) => this.submitTo(slot, { close: true })));
  }

  /**
   * Every worker lands its pending writes and closes its descriptors of `file`, between jobs:
   * the file is finished (all its tensors done) and complete on disk when this resolves.
   */
  async releaseFile(file: string): Promise<void> {
    // A crashed worker would never answer: fail at once.
    if (this.closed || this.crashed) throw this.crashed ?? new KernelError('kernel pool closed');
    await Promise.all(this.slots.map((slot) => new Promise<JobDone>((resolve, reject) => {
      slot.controls.push({ id: this.nextId++, msg: { closeFile: file }, pending: { resolve, reject } });
      this.pump();
    })));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.failAll(new KernelError('kernel pool closed'));
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private submit(msg: object): Promise<JobDone> {
    if (this.closed) return Promise.reject(new KernelError('kernel pool closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, msg, pending: { resolve, reject } });
      this.pump();
    });
  }

  /** Sends a control message to one idle worker. */
  private submitTo(slot: Slot, msg: object): Promise<JobDone> {
    if (slot.busy) return Promise.reject(new KernelError('closeFiles() called while jobs are running'));
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      slot.busy = true;
      this.pending.set(id, { slot, p: { resolve, reject } });
      slot.worker.postMessage({ id, ...msg });
    });
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (slot.busy) continue;
      const q = slot.controls.shift() ?? this.queue.shift();
      if (!q) continue;
      slot.busy = true;
      this.pending.set(q.id, { slot, p: q.pending });
      slot.worker.postMessage({ id: q.id, ...q.msg });
    }
  }

  private onMessage(slot: Slot, m: { id: number; error?: string } & WorkerFailure & Partial<JobDone>): void {
    const entry = this.pending.get(m.id);
    if (!entry) return;
    this.pending.delete(m.id);
    slot.busy = false;
    if (m.error !== undefined) entry.p.reject(new KernelError(m.error, { code: m.code, hint: m.hint, errno: m.errno, syscall: m.syscall, path: m.path }));
    else entry.p.resolve({ bytesRead: m.bytesRead ?? 0, bytesWritten: m.bytesWritten ?? 0, bytesDirect: m.bytesDirect ?? 0, stats: m.stats, ggufBytes: m.ggufBytes, health: m.health });
    this.pump();
  }

  private failAll(e: Error): void {
    for (const [, entry] of this.pending) entry.p.reject(e);
    this.pending.clear();
    for (const q of this.queue.splice(0)) q.pending.reject(e);
    for (const slot of this.slots) for (const q of slot.controls.splice(0)) q.pending.reject(e);
  }
}
