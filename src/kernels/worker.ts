/**
 * A kernel worker: one WebAssembly instance, an arena in its memory, input bytes read straight
 * into that memory and results written straight from it (no copies in JavaScript).
 *
 * A job computes elements [first, first + n) of one output tensor. Inputs stored on disk in a
 * float dtype feed the element-wise kernels as they are; every other input (gathered rows, LoRA,
 * an earlier stage's output) and every input of a tensor program is materialized as F32.
 */
import { closeSync, constants as fsConstants, openSync, write, writeSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { DTYPE_SIZE, isFloatDType, KERNEL_DTYPE_CODE, type DType, type FloatDType } from '../formats/dtype.js';
import { MergeopsError } from '../errors.js';
import { ReadAhead } from '../io/read-ahead.js';
import { readRangeSync } from '../io/file-range.js';
import { rangeRead } from '../io/range-read.js';
import { programFor } from '../methods/registry.js';
import type { TensorProgram } from '../methods/program.js';
import { Arena } from './arena.js';
import { FactorCache } from './factor-cache.js';
import { gatherElements } from './gather.js';
import { writeGGUFChunks } from './gguf-encode.js';
import { chunkHealth } from './health.js';
import { materializeLora } from './lora-input.js';
import type { JobInput, KernelJob, ProgramStep } from './jobs.js';
import { runAllStats, runApply, runStatPass, type ChunkView } from './program-runner.js';
import { hasHealthKernels, instantiateKernels, type KernelExports } from './wasm-module.js';
import type { TensorOp } from '../model/tensor.js';

const MAX_IO = 1 << 30; // fs calls take < 2 GiB; stay at 1 GiB per call

interface WorkerRequest { id: number; job: KernelJob }

const k: KernelExports = instantiateKernels((workerData as { module: WebAssembly.Module }).module);
const arena = new Arena(k);
/** False only with a kernels.wasm older than the health kernels (then no tensor health is reported). */
const healthKernels = hasHealthKernels(k);
const readFds = new Map<string, number>();
const writeFds = new Map<string, number>();
let bytesRead = 0;
let bytesDirect = 0;
/** HTTP sources (Hub streaming): range reads with retries, small ones coalesced into blocks. */
const remote = new ReadAhead();

function fdFor(map: Map<string, number>, file: string, flags: string): number {
  let fd = map.get(file);
  if (fd === undefined) {
    fd = openSync(file, flags);
    map.set(file, fd);
  }
  return fd;
}

function readFile(ptr: number, len: number, file: string, offset: number): void {
  readRangeSync(fdFor(readFds, file, 'r'), arena.bytes(ptr, len), offset, file);
  bytesRead += len;
}

function writeAll(fd: number, ptr: number, len: number, offset: number): void {
  let done = 0;
  while (done < len) {
    const want = Math.min(MAX_IO, len - done);
    done += writeSync(fd, arena.bytes(ptr + done, want), 0, want, offset + done);
  }
}

const DIRECT_BLOCK = 4096;
/** Writes at least this long send their page-aligned middle to the disk directly. */
const DIRECT_MIN = 1 << 20;
/** Output files opened for direct I/O (O_DIRECT), or null where the file system refused it. */
const directFds = new Map<string, number | null>();
const useDirect = (workerData as { directIO?: boolean }).directIO === true;

function directFd(file: string): number | null {
  let fd = directFds.get(file);
  if (fd === undefined) {
    try {
      fd = openSync(file, fsConstants.O_WRONLY | fsConstants.O_DIRECT);
    } catch {
      fd = null; // tmpfs and some network file systems have no direct I/O
    }
    directFds.set(file, fd);
  }
  return fd;
}

/** A write of `len` bytes at `offset`: unaligned head, page-aligned middle (direct I/O when long), tail. */
function directSplit(offset: number, len: number): { head: number; middle: number; tail: number } {
  const head = Math.min(len, (DIRECT_BLOCK - offset % DIRECT_BLOCK) % DIRECT_BLOCK);
  const middle = Math.floor((len - head) / DIRECT_BLOCK) * DIRECT_BLOCK;
  return { head, middle, tail: len - head - middle };
}

/**
 * Writes worker memory to a file. The page-aligned middle of a long write goes to the disk by
 * direct I/O when the buffer sits at the file offset's page phase (Arena.allocIO places output
 * buffers so): no copy into the page cache, whose fresh pages cost more than the copy itself,
 * and nothing left for the final fsync to write back. The unaligned ends go through the page
 * cache (neighbouring jobs share those pages).
 */
function writeFrom(ptr: number, len: number, file: string, offset: number): void {
  try {
    writeFromUnchecked(ptr, len, file, offset);
  } catch (e) {
    throw atFile(e, file);
  }
}

/**
 * A failed write names its file (Node's write errors carry none): the main thread makes it a
 * typed error with the path, the operation and a hint (ENOSPC: the space needed and free there).
 */
function atFile(e: unknown, file: string): unknown {
  if (typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string'
    && (e as { path?: unknown }).path === undefined) (e as { path?: string }).path = file;
  return e;
}

function writeFromUnchecked(ptr: number, len: number, file: string, offset: number): void {
  const fd = fdFor(writeFds, file, 'r+');
  const { head, middle, tail } = directSplit(offset, len);
  const dfd = useDirect && len >= DIRECT_MIN && (ptr + head) % DIRECT_BLOCK === 0 && middle > 0 ? directFd(file) : null;
  if (dfd === null) {
    writeAll(fd, ptr, len, offset);
    return;
  }
  if (head > 0) writeAll(fd, ptr, head, offset);
  try {
    writeAll(dfd, ptr + head, middle, offset + head);
    bytesDirect += middle;
  } catch (e) {
    // A file system may accept O_DIRECT at open and still refuse this alignment: go buffered.
    if ((e as NodeJS.ErrnoException).code !== 'EINVAL') throw e;
    closeSync(dfd);
    directFds.set(file, null);
    writeAll(fd, ptr + head, middle, offset + head);
  }
  if (tail > 0) writeAll(fd, ptr + head + middle, tail, offset + head + middle);
}

/**
 * Write-behind for each job's main output: the chunk is copied into a page-aligned staging
 * memory and written from there on libuv's thread pool while the worker goes on with its next
 * job (one write in flight; the next job's output waits for it). Long aligned middles go by
 * direct I/O as in `writeFrom`. A failed write fails the worker's next job, or closing.
 */
const staging = new WebAssembly.Memory({ initial: 1 });
let inFlight: Promise<void> | undefined;

async function drainWrites(): Promise<void> {
  const p = inFlight;
  inFlight = undefined;
  if (p) await p;
}

function writeAsync(fd: number, buf: Uint8Array, offset: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const step = (done: number): void => {
      if (done === buf.length) { resolve(); return; }
      const want = Math.min(MAX_IO, buf.length - done);
      write(fd, buf, done, want, offset + done, (err, n) => (err ? reject(err) : step(done + n)));
    };
    step(0);
  });
}

async function writeBehind(ptr: number, len: number, file: string, offset: number): Promise<void> {
  await drainWrites();
  try {
    startWrite(ptr, len, file, offset);
  } catch (e) {
    throw atFile(e, file);
  }
  // The failure is reported by the next drain; until then it is no unhandled rejection (which
  // would kill the worker and lose the error's code and path).
  const p = inFlight!.catch((e: unknown) => { throw atFile(e, file); });
  p.catch(() => undefined);
  inFlight = p;
}

function startWrite(ptr: number, len: number, file: string, offset: number): void {
  const phase = offset % DIRECT_BLOCK; // the staging copy sits at the file's page phase
  const need = phase + len;
  if (need > staging.buffer.byteLength) staging.grow(Math.ceil((need - staging.buffer.byteLength) / 65536));
  const buf = new Uint8Array(staging.buffer, phase, len);
  buf.set(arena.bytes(ptr, len));
  const fd = fdFor(writeFds, file, 'r+');
  const { head, middle, tail } = directSplit(offset, len);
  const dfd = useDirect && len >= DIRECT_MIN && middle > 0 ? directFd(file) : null;
  if (dfd === null) {
    inFlight = writeAsync(fd, buf, offset);
    return;
  }
  // The short unaligned ends through the page cache now, the middle directly in the background.
  if (head > 0) writeSync(fd, buf, 0, head, offset);
  if (tail > 0) writeSync(fd, buf, head + middle, tail, offset + head + middle);
  bytesDirect += middle;
  const mid = buf.subarray(head, head + middle);
  inFlight = writeAsync(dfd, mid, offset + head).catch(async (e: unknown) => {
    if ((e as NodeJS.ErrnoException).code !== 'EINVAL') throw e;
    directFds.set(file, null); // refused this alignment after all: buffered from now on
    closeSync(dfd);
    await writeAsync(fd, mid, offset + head);
  });
}

function floatCode(d: DType): number {
  if (!isFloatDType(d as FloatDType)) throw new Error(`dtype ${d} cannot be computed on; only copied`);
  return KERNEL_DTYPE_CODE[d as FloatDType];
}

/** Elements [first, first + n) of an input, in worker memory. */
interface Materialized { ptr: number; dtype: DType }

/** Produces a chunk of an input; `asF32` converts stored half-precision data. */
async function materialize(input: JobInput, first: number, n: number, asF32: boolean): Promise<Materialized> {
  switch (input.kind) {
    case 'tensor': {
      const size = DTYPE_SIZE[input.dtype];
      const at = input.start + first * size;
      const ptr = input.source.kind === 'file' ? arena.allocIO(size * n, [at]) : arena.alloc(size * n);
      // Nothing allocates while the read is pending (inputs are materialized one by one), so the view stays valid.
      if (input.source.kind === 'http') {
        await remote.read(input.source, input.start + first * size, new Uint8Array(k.memory.buffer, ptr, size * n));
        bytesRead += size * n;
      } else readFile(ptr, size * n, input.source.path, at);
      return asF32 && input.dtype !== 'F32' ? toF32({ ptr, dtype: input.dtype }, n) : { ptr, dtype: input.dtype };
    }
    case 'op': {
      const info: ChunkInfo = { shape: input.shape, tensor: input.tensor, first, n, numel: input.shape.reduce((a, b) => a * b, 1) };
      const ins = await materializeAll(input.op, input.inputs, first, n, needsF32(input.op, input.inputs.length, info));
      const size = DTYPE_SIZE[input.dtype];
      const out = arena.alloc(size * n);
      const step: ProgramStep | undefined = input.op.kind === 'program' ? { mode: 'apply', stats: input.stats ?? [] } : undefined;
      if (input.op.kind === 'copy' && input.op.scale === undefined && ins[0].dtype === input.dtype) {
        return asF32 && input.dtype !== 'F32' ? toF32(ins[0], n) : ins[0];
      }
      compute(input.op, ins, info, input.dtype, out, step);
      const m = { ptr: out, dtype: input.dtype };
      return asF32 && input.dtype !== 'F32' ? toF32(m, n) : m;
    }
    case 'gather':
      return await materializeGather(input, first, n);
    case 'lora':
      return {
        ptr: await materializeLora(arena, input, first, n,
          async (i, f, m, whole) => (whole !== undefined && i.kind === 'tensor' ? readFactor(i, f, m, whole) : (await materialize(i, f, m, true)).ptr)),
        dtype: 'F32',
      };
  }
}

/** LoRA factors kept whole per worker; beyond the running job's own two, up to this many bytes. */
const factors = new FactorCache(16 * 1024 * 1024);

/**
 * Elements [first, first + n) of a stored LoRA factor of `whole` elements, as F32: the factor is
 * fetched whole once (file or HTTP) and kept, so the chunks of a tensor do not read it again.
 */
async function readFactor(input: Extract<JobInput, { kind: 'tensor' }>, first: number, n: number, whole: number): Promise<number> {
  const size = DTYPE_SIZE[input.dtype];
  const src = input.source;
  const bytes = whole * size;
  const key = `${src.kind === 'file' ? src.path : src.url}\0${input.start}`;
  const data = await factors.get(key, bytes, async () => {
    const buf = new Uint8Array(bytes);
    if (src.kind === 'http') await rangeRead(src, input.start, buf);
    else {
      readRangeSync(fdFor(readFds, src.path, 'r'), buf, input.start, src.path);
    }
    bytesRead += bytes;
    return buf;
  });
  const ptr = arena.alloc(size * n);
  arena.bytes(ptr, size * n).set(data.subarray(first * size, (first + n) * size));
  return input.dtype === 'F32' ? ptr : toF32({ ptr, dtype: input.dtype }, n).ptr;
}

/**
 * Rows of a tokenizer remap (kernels/gather.ts), as F32. Rows of a stored file land straight in
 * the output (F32 read in place, other dtypes converted by the wasm kernel from a staging buffer);
 * rows of any other source (an earlier stage's computed tensor, a LoRA-patched or streamed one)
 * are produced by materializing that source over the rows' elements, widened to its quantum, then
 * copied. Each read's memory is released before the next, so a chunk's memory stays bounded.
 */
async function materializeGather(input: Extract<JobInput, { kind: 'gather' }>, first: number, n: number): Promise<Materialized> {
  const { cols } = input;
  const out = arena.alloc(4 * n);
  await gatherElements(input, first, n, async (si, r, nRows, dst, at) => {
    const s = input.sources[si];
    const count = nRows * cols;
    const mark = arena.mark();
    if (s.kind === 'tensor' && s.source.kind === 'file') {
      const size = DTYPE_SIZE[s.dtype];
      const into = dst.ptr !== undefined ? dst.ptr + 4 * at : arena.alloc(4 * count);
      if (s.dtype === 'F32') readFile(into, 4 * count, s.source.path, s.start + r * cols * 4);
      else {
        const staging = arena.alloc(size * count);
        readFile(staging, size * count, s.source.path, s.start + r * cols * size);
        k.convert(floatCode(s.dtype), staging, KERNEL_DTYPE_CODE.F32, into, count);
      }
      if (dst.ptr === undefined) dst.view().set(arena.f32(into, count), at);
    } else {
      // A computed source: produce the rows' elements, widened to whole quanta of its programs.
      const { quantum, numel } = input.align[si];
      const from = r * cols;
      const a0 = Math.floor(from / quantum) * quantum;
      const a1 = Math.min(numel, Math.ceil((from + count) / quantum) * quantum);
      const m = await materialize(s, a0, a1 - a0, true);
      dst.view().set(arena.f32(m.ptr + 4 * (from - a0), count), at);
    }
    arena.release(mark);
  }, { ptr: out, view: () => arena.f32(out, n) });
  return { ptr: out, dtype: 'F32' };
}

function toF32(m: Materialized, n: number): Materialized {
  const f = arena.alloc(4 * n);
  k.convert(floatCode(m.dtype), m.ptr, KERNEL_DTYPE_CODE.F32, f, n);
  return { ptr: f, dtype: 'F32' };
}

/** Program inputs are F32 unless the program's kernels widen stored dtypes themselves. */
function needsF32(op: TensorOp, inputs: number, c: ChunkInfo): boolean {
  return op.kind === 'program' && !program(op, inputs, c).mixedDTypes;
}

async function materializeAll(op: TensorOp, inputs: readonly JobInput[], first: number, n: number, asF32: boolean): Promise<Materialized[]> {
  const fetched = await fetchRemote(inputs, first, n);
  const out: Materialized[] = [];
  for (const [j, i] of inputs.entries()) {
    const m = fetched.get(j);
    out.push(m ? (asF32 && m.dtype !== 'F32' ? toF32(m, n) : m) : await materialize(i, first, n, asF32));
  }
  return out;
}

/**
 * Remote (http) tensor inputs of a job, fetched all at once so their latencies overlap. Every
 * buffer is allocated before the first request and nothing allocates until all are done, so the
 * views into WebAssembly memory stay valid.
 */
async function fetchRemote(inputs: readonly JobInput[], first: number, n: number): Promise<Map<number, Materialized>> {
  const got = new Map<number, Materialized>();
  const jobs: { src: Extract<JobInput, { kind: 'tensor' }>; ptr: number; len: number }[] = [];
  for (const [j, i] of inputs.entries()) {
    if (i.kind !== 'tensor' || i.source.kind !== 'http') continue;
    const len = DTYPE_SIZE[i.dtype] * n;
    const ptr = arena.alloc(len);
    got.set(j, { ptr, dtype: i.dtype });
    jobs.push({ src: i, ptr, len });
  }
  if (jobs.length === 0) return got;
  const mem = k.memory.buffer;
  await Promise.all(jobs.map(({ src, ptr, len }) => src.source.kind === 'http'
    && remote.read(src.source, src.start + first * DTYPE_SIZE[src.dtype], new Uint8Array(mem, ptr, len))));
  for (const j of jobs) bytesRead += j.len;
  return got;
}

interface ChunkInfo { shape: readonly number[]; tensor: string; first: number; n: number; numel: number }

function rowLen(shape: readonly number[], numel: number): number {
  return shape.length > 1 ? shape[shape.length - 1] : numel;
}

const programs = new Map<string, TensorProgram>();

function program(op: Extract<TensorOp, { kind: 'program' }>, inputs: number, c: ChunkInfo): TensorProgram {
  // Jobs of one tensor usually land on the same worker in a row: keep its program.
  const key = `${c.tensor}\0${op.method}\0${JSON.stringify(op.params)}`;
  let p = programs.get(key);
  if (!p) {
    p = programFor(op.method, op.params, { shape: c.shape, numel: c.numel, rowLen: rowLen(c.shape, c.numel), k: inputs, tensor: c.tensor });
    programs.clear();
    programs.set(key, p);
  }
  return p;
}

/**
 * Computes a chunk of `op` into `dst` (dtype `outDType`). Program ops need `step`: `whole` runs
 * every pass on this chunk (which must be the whole tensor), `apply` uses reduced statistics.
 */
function compute(op: TensorOp, ins: Materialized[], c: ChunkInfo, outDType: DType, dst: number, step?: ProgramStep): string[] | undefined {
  const outCode = floatCode(outDType);
  const recs = (from: number, weights: number[]): number => {
    const table = arena.alloc(12 * weights.length);
    const view = new DataView(k.memory.buffer, table, 12 * weights.length);
    weights.forEach((w, j) => {
      view.setUint32(12 * j, ins[from + j].ptr, true);
      view.setUint32(12 * j + 4, floatCode(ins[from + j].dtype), true);
      view.setFloat32(12 * j + 8, w, true);
    });
    return table;
  };
  switch (op.kind) {
    case 'copy':
      if (op.scale === undefined) k.convert(floatCode(ins[0].dtype), ins[0].ptr, outCode, dst, c.n);
      else k.scale_convert(floatCode(ins[0].dtype), ins[0].ptr, op.scale, outCode, dst, c.n);
      return;
    case 'linear':
      k.linear(recs(0, op.weights), op.weights.length, op.divisor, outCode, dst, c.n);
      return;
    case 'task_arithmetic':
      k.task_arithmetic(ins[0].ptr, floatCode(ins[0].dtype), recs(1, op.weights), op.weights.length,
        op.divisor, op.lambda, outCode, dst, c.n);
      return;
    case 'program': {
      if (!step || step.mode === 'pass') throw new Error('internal: a program op needs a whole or apply step');
      const prog = program(op, ins.length, c);
      const view = programView(prog, ins, c.first, c.n, prog.rowLen ?? rowLen(c.shape, c.numel));
      const stats = step.mode === 'whole' ? runAllStats(arena, prog, view) : step.stats;
      // Chunked runs: the main thread has the statistics and asks for the notes itself.
      const notes = step.mode === 'whole' ? prog.notes?.(stats) : undefined;
      if (prog.mixedDTypes) {
        runApply(arena, prog, stats, { ...view, outDType: outCode }, dst);
        return notes;
      }
      const f32 = outDType === 'F32' ? dst : arena.alloc(4 * c.n);
      runApply(arena, prog, stats, view, f32);
      if (f32 !== dst) k.convert(KERNEL_DTYPE_CODE.F32, f32, outCode, dst, c.n);
      return notes;
    }
  }
}

/** A program's view of its materialized inputs (with their dtypes when it takes them as stored). */
function programView(prog: TensorProgram, ins: readonly Materialized[], first: number, n: number, row: number): ChunkView {
  const view: ChunkView = { inputs: ins.map((i) => i.ptr), first, n, rowLen: row };
  return prog.mixedDTypes ? { ...view, dtypes: ins.map((i) => floatCode(i.dtype)) } : view;
}

interface JobResult { bytesRead: number; bytesWritten: number; bytesDirect: number; stats?: Float64Array; ggufBytes?: number[]; notes?: string[]; health?: Float64Array }

/** The chunk's health (kernels/health.ts) of the output at `out` against the job's inputs; none for non-float data. */
function healthOf(job: KernelJob, out: number, ins: readonly Materialized[]): { health?: Float64Array } {
  if (!job.health || !healthKernels || !isFloatDType(job.out.dtype as FloatDType) || !ins.every((i) => isFloatDType(i.dtype as FloatDType))) return {};
  return { health: chunkHealth(arena, { ptr: out, code: floatCode(job.out.dtype) }, ins.map((i) => ({ ptr: i.ptr, code: floatCode(i.dtype) })), job.n) };
}

async function runJob(job: KernelJob): Promise<JobResult> {
  arena.reset();
  bytesRead = 0;
  bytesDirect = 0;
  const { op, first, n } = job;
  const numel = job.shape.reduce((a, b) => a * b, 1);
  const c: ChunkInfo = { shape: job.shape, tensor: job.tensor, first, n, numel };
  const outSize = DTYPE_SIZE[job.out.dtype];
  const outBytes = outSize * n;
  const outOffset = job.out.start + first * outSize;
  const ins = await materializeAll(op, job.inputs, first, n, needsF32(op, job.inputs.length, c));

  if (job.step?.mode === 'pass') {
    if (op.kind !== 'program') throw new Error('internal: a statistics pass needs a program op');
    const prog = program(op, ins.length, c);
    const view = programView(prog, ins, first, n, prog.rowLen ?? rowLen(job.shape, numel));
    const stats = runStatPass(arena, prog, job.step.pass, job.step.stats, view);
    return { bytesRead, bytesWritten: 0, bytesDirect, stats };
  }

  // Same-dtype copy needs no kernel: write the input bytes back out.
  if (op.kind === 'copy' && op.scale === undefined && ins[0].dtype === job.out.dtype) {
    if (job.out.file !== '') await writeBehind(ins[0].ptr, outBytes, job.out.file, outOffset);
    const health = healthOf(job, ins[0].ptr, ins);
    const gguf = writeGGUF(job, ins[0].ptr);
    return { bytesRead, bytesWritten: job.out.file !== '' ? outBytes : 0, bytesDirect, ...gguf, ...health };
  }
  // The element-wise kernels may write over their first input when the dtypes match: one
  // buffer less to touch per element (the kernels' aliasing contract allows exactly this);
  // not when the health pass reads that input after the kernel.
  const alias = !job.health && op.kind !== 'program' && ins[0].dtype === job.out.dtype;
  const dst = alias ? ins[0].ptr : arena.alloc(outBytes);
  const notes = compute(op, ins, c, job.out.dtype, dst, job.step);
  // No shard file: a matrix job that writes only this tensor's GGUF copy (or a GGUF-only job).
  if (job.out.file !== '') await writeBehind(dst, outBytes, job.out.file, outOffset);
  // While the chunk's write runs in the background.
  const health = healthOf(job, dst, ins);
  const gguf = writeGGUF(job, dst);
  return { bytesRead, bytesWritten: job.out.file !== '' ? outBytes : 0, bytesDirect, ...gguf, ...(notes?.length ? { notes } : {}), ...health };
}

/** The chunk just written to the shard (at `ptr`, in the output dtype), encoded into every GGUF file of the job. */
function writeGGUF(job: KernelJob, ptr: number): { ggufBytes?: number[] } {
  if (!job.gguf?.length) return {};
  return { ggufBytes: writeGGUFChunks(arena, job.gguf, ptr, job.out.dtype, job.first, job.n, writeFrom) };
}

function closeAll(): void {
  for (const fd of [...readFds.values(), ...writeFds.values(), ...directFds.values()]) if (fd !== null) closeSync(fd);
  readFds.clear();
  writeFds.clear();
  directFds.clear();
}

/** Closes this worker's descriptors of one file (after its pending writes land). */
function closeFile(file: string): void {
  for (const map of [readFds, writeFds, directFds] as Map<string, number | null>[]) {
    const fd = map.get(file);
    if (fd !== undefined && fd !== null) closeSync(fd);
    map.delete(file);
  }
}

/** A failure as it crosses the thread boundary: a typed error keeps its code and hint, a system error its errno, syscall and path. */
function failure(id: number, e: unknown): object {
  const base = { id, error: e instanceof Error ? e.message : String(e) };
  if (e instanceof MergeopsError) return { ...base, code: e.code, hint: e.hint };
  const sys = e as { code?: unknown; syscall?: unknown; path?: unknown };
  if (typeof e === 'object' && e !== null && typeof sys.code === 'string' && /^E[A-Z]+$/.test(sys.code)) {
    return { ...base, errno: sys.code, syscall: typeof sys.syscall === 'string' ? sys.syscall : undefined, path: typeof sys.path === 'string' ? sys.path : undefined };
  }
  return base;
}

parentPort!.on('message', (msg: WorkerRequest | { id: number; close: true } | { id: number; closeFile: string }) => {
  if ('closeFile' in msg) {
    drainWrites().then(
      () => { closeFile(msg.closeFile); parentPort!.postMessage({ id: msg.id }); },
      (e: unknown) => parentPort!.postMessage(failure(msg.id, e)),
    );
    return;
  }
  if ('close' in msg) {
    // Pending writes land before the files close (the executor fsyncs and renames next).
    drainWrites().then(
      () => { closeAll(); parentPort!.postMessage({ id: msg.id, closed: true }); },
      (e: unknown) => { closeAll(); parentPort!.postMessage(failure(msg.id, e)); },
    );
    return;
  }
  runJob(msg.job).then(
    // A pass's words (a copy out of the kernel memory, owning its buffer) move to the main thread.
    (r) => parentPort!.postMessage({ id: msg.id, ...r }, r.stats && r.stats.byteLength === r.stats.buffer.byteLength ? [r.stats.buffer as ArrayBuffer] : []),
    // A MergeopsError (e.g. a Hub read that gave up) keeps its code and hint across the thread boundary.
    (e: unknown) => parentPort!.postMessage(failure(msg.id, e)),
  );
});
