/**
 * How one output tensor becomes kernel jobs: element-wise ops in chunks; tensor programs whole
 * (one job, inputs read once) or, when the tensor exceeds a worker's share of the budget, pass by
 * pass over chunks with the statistics reduced here. Inputs computed by earlier stages of a
 * multi-stage recipe are nested into the jobs; their programs' statistics are computed first.
 */
import { DTYPE_SIZE } from '../formats/dtype.js';
import { ggufQuantum } from '../kernels/gguf-encode.js';
import type { GGUFTarget, JobDone, JobInput, KernelJob } from '../kernels/jobs.js';
import { SKIPPED, type TensorProgram } from '../methods/program.js';
import { programFor } from '../methods/registry.js';
import { ggufBytesPerElement } from './budget.js';
import type { AdapterTensor, InputTensorRef, PlannedTensor, TensorOp } from '../model/tensor.js';

/** Bytes per worker: for one chunk, and for a whole tensor held by a program. */
export interface Budget { perWorker: number; whole: number }

/**
 * Whole-tensor program runs over local inputs stop here (per worker). Measured on TIES of three
 * 1 GB models: 256 MiB ran 2.6 s at 0.38 GB peak, against 3.0–3.3 s at 1.4 GB holding every
 * tensor whole (fresh memory costs more than re-reading cached input; BENCHMARKS.md).
 */
export const LOCAL_WHOLE_BYTES = 256 * 1024 * 1024;

/** True when any input (nested ones included) is read over HTTP. */
function readsRemote(inputs: readonly JobInput[]): boolean {
  return inputs.some((i) => {
    switch (i.kind) {
      case 'tensor': return i.source.kind === 'http';
      case 'op': return readsRemote(i.inputs);
      case 'gather': return readsRemote(i.sources);
      case 'lora': return readsRemote([i.base]);
    }
  });
}

/** Runs a job and counts what it did. */
export type RunJob = (job: KernelJob) => Promise<JobDone>;

type OpInput = Extract<JobInput, { kind: 'op' }>;
type ProgramOp = Extract<TensorOp, { kind: 'program' }>;

/**
 * A planned input as a job input; an earlier stage's tensor nests that stage's op; a tensor a
 * LoRA adapter patches becomes `base + scale·(B·A)` over it.
 */
export function refInput(r: InputTensorRef): JobInput {
  const p = r.producer;
  const g = r.gather;
  if (g) {
    const sources = g.sources.map((s) => refInput({ ...s, gather: undefined }));
    const align = sources.map((s, i) => ({ quantum: quantumOf([s]), numel: numelOf(g.sources[i].shape) }));
    return { kind: 'gather', cols: g.cols, sources, rows: g.rows, align };
  }
  const base: JobInput = p
    ? { kind: 'op', op: p.op, inputs: p.inputs.map(refInput), shape: p.shape, tensor: p.name, dtype: p.dtype }
    : { kind: 'tensor', source: r.source, start: r.start, dtype: r.dtype };
  if (!r.lora) return base;
  const { a, b, rank, scale, embedding } = r.lora;
  const stored = (x: AdapterTensor): JobInput => ({ kind: 'tensor', source: x.source, start: x.start, dtype: x.dtype });
  return {
    kind: 'lora', base, a: stored(a), b: stored(b), rank, rows: r.shape[0], cols: r.shape[1], scale, ...(embedding ? { embedding: { rows: r.shape[0] } } : {}),
  };
}

const numelOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
const rowLenOf = (shape: readonly number[]): number => (shape.length > 1 ? shape[shape.length - 1] : numelOf(shape));

function programOf(op: ProgramOp, shape: readonly number[], k: number, tensor: string): TensorProgram {
  return programFor(op.method, op.params, { shape, numel: numelOf(shape), rowLen: rowLenOf(shape), k, tensor });
}

/** Worker bytes per element to produce `input` (as F32 when `asF32`). */
function inputBytes(input: JobInput, asF32: boolean): number {
  switch (input.kind) {
    case 'tensor':
      return DTYPE_SIZE[input.dtype] + (asF32 && input.dtype !== 'F32' ? 4 : 0);
    case 'op':
      return opBytes(input.op, input.inputs, input.dtype, input.shape, input.tensor) + (asF32 && input.dtype !== 'F32' ? 4 : 0);
    case 'gather':
      // The f32 result, a padding mean's batch of rows (about a chunk's), and the costliest
      // source producing a chunk's worth of rows (one source at a time, released after each read).
      return 8 + Math.max(4, ...input.sources.map((s) => inputBytes(s, true)));
    case 'lora': {
      // The base as F32 (patched in place), plus this chunk's rows of B (stored and F32; gathered
      // and transposed for embeddings): rank × that per row of `cols` elements.
      const b = (input.b.kind === 'tensor' ? DTYPE_SIZE[input.b.dtype] : 4) + 4 + (input.embedding ? 8 : 0);
      return inputBytes(input.base, true) + Math.ceil((input.rank * b) / input.cols);
    }
  }
}

/**
 * Worker bytes per element of a job computing `op` into `outDType`. A program's inputs are F32
 * copies plus an F32 result, unless its kernels take inputs as stored and write the output dtype
 * (`mixedDTypes`, widening a cache-sized tile at a time).
 */
function opBytes(op: TensorOp, inputs: readonly JobInput[], outDType: keyof typeof DTYPE_SIZE, shape?: readonly number[], tensor = ''): number {
  const f32 = op.kind === 'program' && !(shape && programOf(op, shape, inputs.length, tensor).mixedDTypes);
  return inputs.reduce((a, i) => a + inputBytes(i, f32), 0) + DTYPE_SIZE[outDType] + (f32 ? 4 : 0);
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/**
 * Chunks must be multiples of every nested program's quantum (statistics blocks, whole rows). A
 * gather aligns its own reads of computed sources, so any chunk is correct; chunks of their
 * quantum keep each block of such a source from being computed once per small chunk.
 */
function quantumOf(inputs: readonly JobInput[]): number {
  let q = 1;
  for (const i of inputs) {
    if (i.kind === 'lora') q = lcm(q, quantumOf([i.base]));
    if (i.kind === 'gather') for (const a of i.align) q = lcm(q, a.quantum);
    if (i.kind !== 'op') continue;
    q = lcm(q, quantumOf(i.inputs));
    if (i.op.kind === 'program') q = lcm(q, programOf(i.op, i.shape, i.inputs.length, i.tensor).quantum);
  }
  return q;
}

const lcm = (a: number, b: number): number => (a / gcd(a, b)) * b;

/**
 * Worker bytes a job needs whatever its chunk size: every LoRA input reads its whole A factor
 * (stored, then as F32; embeddings transpose it too) and a few rows of B beyond the chunk's, and
 * the worker holds both factors whole as stored (kernels/factor-cache.ts).
 */
export function fixedBytes(inputs: readonly JobInput[]): number {
  let bytes = 0;
  for (const i of inputs) {
    if (i.kind === 'op') bytes += fixedBytes(i.inputs);
    else if (i.kind === 'gather') {
      // Reads of a computed source reach past the chunk: up to a row and a quantum at each end.
      bytes += fixedBytes(i.sources) + 8 * i.cols + 256
        + Math.max(0, ...i.sources.map((s, j) => (s.kind === 'tensor' ? 0 : 2 * (i.cols + i.align[j].quantum) * inputBytes(s, true))));
    }
    else if (i.kind === 'lora') {
      const size = (x: JobInput): number => (x.kind === 'tensor' ? DTYPE_SIZE[x.dtype] : 4);
      const stored = (x: JobInput): number => size(x) + 4;
      const held = i.rank * (i.cols * size(i.a) + i.rows * size(i.b));
      bytes += fixedBytes([i.base]) + i.rank * i.cols * (stored(i.a) + (i.embedding ? 4 : 0)) + 2 * i.rank * stored(i.b) * (i.embedding ? 2 : 1) + held + 256;
    }
  }
  return bytes;
}

/**
 * Elements per chunk: as many as fit beside the job's `fixed` bytes, a multiple of `quantum`,
 * whole rows when a row fits.
 */
function chunkStep(shape: readonly number[], perElement: number, perWorker: number, quantum: number, fixed = 0): number {
  const numel = numelOf(shape);
  const fit = Math.max(1, Math.floor(Math.max(0, perWorker - fixed) / perElement));
  if (fit >= numel) return Math.max(1, numel);
  if (quantum > 1) return Math.max(quantum, Math.floor(fit / quantum) * quantum);
  const row = shape.length > 1 ? shape[shape.length - 1] : 1;
  const whole = row > 1 && fit >= row ? Math.floor(fit / row) * row : fit;
  // Multiples of 16 elements keep chunk boundaries aligned for the SIMD kernels.
  return Math.max(16, whole - (whole % 16));
}

function chunks(numel: number, step: number): { first: number; n: number }[] {
  const out: { first: number; n: number }[] = [];
  for (let e = 0; e < numel; e += step) out.push({ first: e, n: Math.min(step, numel - e) });
  return out;
}

/** A program's statistics over a whole tensor, pass by pass over chunks. */
async function computeStats(run: RunJob, op: ProgramOp, inputs: readonly JobInput[], shape: readonly number[], tensor: string,
  perWorker: number): Promise<Float64Array[]> {
  const prog = programOf(op, shape, inputs.length, tensor);
  const perElement = opBytes(op, inputs, 'F32', shape, tensor);
  const step = chunkStep(shape, perElement, perWorker, lcm(prog.quantum, quantumOf(inputs)), fixedBytes(inputs));
  const parts = chunks(numelOf(shape), step);
  const stats: Float64Array[] = [];
  for (let pass = 0; pass < prog.passes.length; pass++) {
    if (prog.passes[pass].skip?.(stats)) {
      stats.push(SKIPPED);
      continue;
    }
    const got = await Promise.all(parts.map(async ({ first, n }) => {
      const r = await run({ op, inputs, shape, tensor, first, n, step: { mode: 'pass', pass, stats }, out: { file: '', start: 0, dtype: 'F32' } });
      if (!r.stats) throw new Error(`internal: statistics pass ${pass} of ${tensor} returned nothing`);
      return { first, n, data: r.stats };
    }));
    stats.push(prog.passes[pass].reduce(got));
  }
  return stats;
}

/** Fills in the statistics of every nested program op (inside gathers and LoRA bases too), innermost first. */
async function prepareNested(run: RunJob, inputs: readonly JobInput[], perWorker: number): Promise<void> {
  for (const i of inputs) {
    if (i.kind === 'gather') await prepareNested(run, i.sources, perWorker);
    if (i.kind === 'lora') await prepareNested(run, [i.base], perWorker);
    if (i.kind !== 'op') continue;
    await prepareNested(run, i.inputs, perWorker);
    if (i.op.kind === 'program' && !i.stats) (i as OpInput).stats = await computeStats(run, i.op, i.inputs, i.shape, i.tensor, perWorker);
  }
}

/**
 * Computes one output tensor into its place in the output shard (none: `shardPath` '') and, chunk
 * by chunk, into each `gguf` file: output chunks are then whole quanta of every target (whole
 * rows, whole heads). `health`: the kernels also compute the tensor's health statistics.
 */
export async function runTensor(run: RunJob, t: PlannedTensor, budget: Budget, shardPath: string,
  gguf: readonly GGUFTarget[] = [], note?: (message: string) => void, health = true): Promise<void> {
  const inputs = t.inputs.map(refInput);
  await prepareNested(run, inputs, budget.perWorker);
  const numel = numelOf(t.shape);
  const base = {
    op: t.op, inputs, shape: t.shape, tensor: t.name, out: { file: shardPath, start: t.start, dtype: t.dtype },
    ...(gguf.length > 0 ? { gguf } : {}), health,
  };
  // + the output again: the worker's write-behind staging copy (kernels/worker.ts).
  const perElement = opBytes(t.op, inputs, t.dtype, t.shape, t.name) + ggufBytesPerElement(gguf, t.dtype) + DTYPE_SIZE[t.dtype];
  const outQuantum = gguf.reduce((q, g) => lcm(q, ggufQuantum(g)), quantumOf(inputs));
  if (t.op.kind !== 'program') {
    const step = chunkStep(t.shape, perElement, budget.perWorker, outQuantum, fixedBytes(inputs));
    await Promise.all(chunks(numel, step).map(({ first, n }) => run({ ...base, first, n })));
    return;
  }
  const prog = programOf(t.op, t.shape, inputs.length, t.name);
  // Inputs on local disk are re-read cheaply from the page cache by chunked statistics passes, so
  // only modest tensors are held whole; streamed (HTTP) inputs are held whole up to the full budget.
  const whole = readsRemote(inputs) ? budget.whole : Math.min(budget.whole, LOCAL_WHOLE_BYTES);
  if (numel * perElement + (prog.scratchBytes?.(numel) ?? 0) + fixedBytes(inputs) <= whole) {
    const r = await run({ ...base, step: { mode: 'whole' }, first: 0, n: numel });
    for (const m of r.notes ?? []) note?.(m);
    return;
  }
  const stats = await computeStats(run, t.op, inputs, t.shape, t.name, budget.perWorker);
  for (const m of prog.notes?.(stats) ?? []) note?.(m);
  const step = chunkStep(t.shape, perElement, budget.perWorker, lcm(prog.quantum, outQuantum), fixedBytes(inputs));
  await Promise.all(chunks(numel, step).map(({ first, n }) => run({ ...base, first, n, step: { mode: 'apply', stats } })));
}
