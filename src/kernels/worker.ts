/**
 * A kernel worker: one WebAssembly instance, an arena in its memory, input bytes read straight
 * into that memory and results written straight from it (no copies in JavaScript).
 *
 * A job computes elements [first, first + n) of one output tensor. Inputs stored on disk in a
 * float dtype feed the element-wise kernels as they are; every other input (gathered rows, LoRA,
 * an earlier stage's output) and every input of a tensor program is materialized as F32.
 */
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { DTYPE_SIZE, isFloatDType, KERNEL_DTYPE_CODE, type DType, type FloatDType } from '../formats/dtype.js';
import { MergeopsError } from '../errors.js';
import { ReadAhead } from '../hub/read-ahead.js';
import { programFor } from '../methods/programs.js';
import type { TensorProgram } from '../methods/program.js';
import { Arena } from './arena.js';
import { gatherElements } from './gather.js';
import { writeGGUFChunks } from './gguf-encode.js';
import { materializeLora } from './lora-input.js';
import type { JobInput, KernelJob, KernelOp, ProgramStep } from './jobs.js';
import { runAllStats, runApply, runStatPass, type ChunkView } from './program-runner.js';
import { instantiateKernels, type KernelExports } from './wasm-module.js';

const MAX_IO = 1 << 30; // fs calls take < 2 GiB; stay at 1 GiB per call

interface WorkerRequest { id: number; job: KernelJob }

const k: KernelExports = instantiateKernels((workerData as { module: WebAssembly.Module }).module);
const arena = new Arena(k);
const readFds = new Map<string, number>();
const writeFds = new Map<string, number>();
let bytesRead = 0;
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
  const fd = fdFor(readFds, file, 'r');
  let done = 0;
  while (done < len) {
    const want = Math.min(MAX_IO, len - done);
    const got = readSync(fd, arena.bytes(ptr + done, want), 0, want, offset + done);
    if (got === 0) {
      throw new Error(`${file}: file ends at byte ${offset + done}, expected ${len - done} more bytes (truncated?)`);
    }
    done += got;
  }
  bytesRead += len;
}

function writeFrom(ptr: number, len: number, file: string, offset: number): void {
  const fd = fdFor(writeFds, file, 'r+');
  let done = 0;
  while (done < len) {
    const want = Math.min(MAX_IO, len - done);
    done += writeSync(fd, arena.bytes(ptr + done, want), 0, want, offset + done);
  }
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
      const ptr = arena.alloc(size * n);
      // Nothing allocates while the read is pending (inputs are materialized one by one), so the view stays valid.
      if (input.source.kind === 'http') {
        await remote.read(input.source, input.start + first * size, new Uint8Array(k.memory.buffer, ptr, size * n));
        bytesRead += size * n;
      } else readFile(ptr, size * n, input.source.path, input.start + first * size);
      return asF32 && input.dtype !== 'F32' ? toF32({ ptr, dtype: input.dtype }, n) : { ptr, dtype: input.dtype };
    }
    case 'op': {
      const ins = await materializeAll(input.op, input.inputs, first, n);
      const size = DTYPE_SIZE[input.dtype];
      const out = arena.alloc(size * n);
      const numel = input.shape.reduce((a, b) => a * b, 1);
      const step: ProgramStep | undefined = input.op.kind === 'program' ? { mode: 'apply', stats: input.stats ?? [] } : undefined;
      if (input.op.kind === 'copy' && input.op.scale === undefined && ins[0].dtype === input.dtype) {
        return asF32 && input.dtype !== 'F32' ? toF32(ins[0], n) : ins[0];
      }
      compute(input.op, ins, { shape: input.shape, tensor: input.tensor, first, n, numel }, input.dtype, out, step);
      const m = { ptr: out, dtype: input.dtype };
      return asF32 && input.dtype !== 'F32' ? toF32(m, n) : m;
    }
    case 'gather':
      return materializeGather(input, first, n);
    case 'lora':
      return { ptr: await materializeLora(arena, input, first, n, async (i, f, m) => (await materialize(i, f, m, true)).ptr), dtype: 'F32' };
  }
}

/**
 * Rows of a tokenizer remap (kernels/gather.ts). Everything is allocated before the first read:
 * growing the memory would detach the views the gather writes through. Rows land straight in the
 * output (F32 read in place, other dtypes converted by the wasm kernel from a staging buffer).
 */
function materializeGather(input: Extract<JobInput, { kind: 'gather' }>, first: number, n: number): Materialized {
  const { cols } = input;
  const srcs = input.sources.map((s) => {
    if (s.kind !== 'tensor' || s.source.kind !== 'file') throw new Error(`gather: only stored tensors can be gathered from, not ${s.kind} inputs`);
    return { path: s.source.path, start: s.start, dtype: s.dtype, size: DTYPE_SIZE[s.dtype] };
  });
  const out = arena.alloc(4 * n);
  const staging = arena.alloc(Math.max(4, ...srcs.map((s) => s.size)) * Math.max(n, cols));
  const row = arena.alloc(4 * cols);
  gatherElements(input, first, n, (si, r, nRows, dst) => {
    const s = srcs[si];
    const count = nRows * cols;
    const inWasm = dst.buffer === k.memory.buffer;
    const at = inWasm ? dst.byteOffset : row;
    if (!inWasm && nRows !== 1) throw new Error('internal: gather reads several rows into a JavaScript buffer');
    if (s.dtype === 'F32') readFile(at, 4 * count, s.path, s.start + r * cols * 4);
    else {
      readFile(staging, s.size * count, s.path, s.start + r * cols * s.size);
      k.convert(floatCode(s.dtype), staging, KERNEL_DTYPE_CODE.F32, at, count);
    }
    if (!inWasm) dst.set(arena.f32(row, cols));
  }, arena.f32(out, n));
  return { ptr: out, dtype: 'F32' };
}

function toF32(m: Materialized, n: number): Materialized {
  const f = arena.alloc(4 * n);
  k.convert(floatCode(m.dtype), m.ptr, KERNEL_DTYPE_CODE.F32, f, n);
  return { ptr: f, dtype: 'F32' };
}

async function materializeAll(op: KernelOp, inputs: readonly JobInput[], first: number, n: number): Promise<Materialized[]> {
  const asF32 = op.kind === 'program';
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

function program(op: Extract<KernelOp, { kind: 'program' }>, inputs: number, c: ChunkInfo): TensorProgram {
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
function compute(op: KernelOp, ins: Materialized[], c: ChunkInfo, outDType: DType, dst: number, step?: ProgramStep): void {
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
      const view: ChunkView = { inputs: ins.map((i) => i.ptr), first: c.first, n: c.n, rowLen: rowLen(c.shape, c.numel) };
      const stats = step.mode === 'whole' ? runAllStats(arena, prog, view) : step.stats;
      const f32 = outDType === 'F32' ? dst : arena.alloc(4 * c.n);
      runApply(arena, prog, stats, view, f32);
      if (f32 !== dst) k.convert(KERNEL_DTYPE_CODE.F32, f32, outCode, dst, c.n);
      return;
    }
  }
}

interface JobResult { bytesRead: number; bytesWritten: number; stats?: Float64Array; ggufBytes?: number[] }

async function runJob(job: KernelJob): Promise<JobResult> {
  arena.reset();
  bytesRead = 0;
  const { op, first, n } = job;
  const numel = job.shape.reduce((a, b) => a * b, 1);
  const c: ChunkInfo = { shape: job.shape, tensor: job.tensor, first, n, numel };
  const ins = await materializeAll(op, job.inputs, first, n);

  if (job.step?.mode === 'pass') {
    if (op.kind !== 'program') throw new Error('internal: a statistics pass needs a program op');
    const prog = program(op, ins.length, c);
    const view: ChunkView = { inputs: ins.map((i) => i.ptr), first, n, rowLen: rowLen(job.shape, numel) };
    const stats = runStatPass(arena, prog, job.step.pass, job.step.stats, view);
    return { bytesRead, bytesWritten: 0, stats };
  }

  const outSize = DTYPE_SIZE[job.out.dtype];
  const outBytes = outSize * n;
  const outOffset = job.out.start + first * outSize;
  // Same-dtype copy needs no kernel: write the input bytes back out.
  if (op.kind === 'copy' && op.scale === undefined && ins[0].dtype === job.out.dtype) {
    writeFrom(ins[0].ptr, outBytes, job.out.file, outOffset);
    return { bytesRead, bytesWritten: outBytes, ...writeGGUF(job, ins[0].ptr) };
  }
  // The element-wise kernels may write over their first input when the dtypes match: one
  // buffer less to touch per element (the kernels' aliasing contract allows exactly this).
  const alias = op.kind !== 'program' && ins[0].dtype === job.out.dtype;
  const dst = alias ? ins[0].ptr : arena.alloc(outBytes);
  compute(op, ins, c, job.out.dtype, dst, job.step);
  writeFrom(dst, outBytes, job.out.file, outOffset);
  return { bytesRead, bytesWritten: outBytes, ...writeGGUF(job, dst) };
}

/** The chunk just written to the shard (at `ptr`, in the output dtype), encoded into every GGUF file of the job. */
function writeGGUF(job: KernelJob, ptr: number): { ggufBytes?: number[] } {
  if (!job.gguf?.length) return {};
  return { ggufBytes: writeGGUFChunks(arena, job.gguf, ptr, job.out.dtype, job.first, job.n, writeFrom) };
}

function closeAll(): void {
  for (const fd of [...readFds.values(), ...writeFds.values()]) closeSync(fd);
  readFds.clear();
  writeFds.clear();
}

parentPort!.on('message', (msg: WorkerRequest | { id: number; close: true }) => {
  if ('close' in msg) {
    closeAll();
    parentPort!.postMessage({ id: msg.id, closed: true });
    return;
  }
  runJob(msg.job).then(
    (r) => parentPort!.postMessage({ id: msg.id, ...r }),
    // A MergeopsError (e.g. a Hub read that gave up) keeps its code and hint across the thread boundary.
    (e: unknown) => parentPort!.postMessage({
      id: msg.id, error: e instanceof Error ? e.message : String(e), ...(e instanceof MergeopsError ? { code: e.code, hint: e.hint } : {}),
    }),
  );
});
