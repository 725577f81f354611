/**
 * Runs tensor programs (methods/program.ts) in one kernel instance: builds each kernel's `Ctx`
 * record (wasm/src/program.rs), runs statistics passes and the apply pass over f32 inputs that
 * are already in the instance's memory. Used by the kernel worker, and by tests to check that a
 * program gives the same bytes whole and chunked.
 */
import { SKIPPED, tileOf, tileStride, type ChunkStats, type KernelCall, type TensorProgram } from '../methods/program.js';
import { Arena } from './arena.js';
import type { KernelExports } from './wasm-module.js';

/** Size of `Ctx` (16 u32 fields). */
const CTX_BYTES = 64;

type ProgramKernel = (ctx: number) => void;

function programKernel(k: KernelExports, name: string): ProgramKernel {
  const f = (k as unknown as Record<string, unknown>)[name];
  if (typeof f !== 'function') {
    throw new Error(`kernels.wasm has no program kernel '${name}': rebuild it (npm run build:wasm)`);
  }
  return f as ProgramKernel;
}

/** One chunk of a tensor whose inputs are arrays at `inputs` in the arena's memory. */
export interface ChunkView {
  inputs: readonly number[];
  /** Kernel dtype codes of the inputs (default: all F32); only for `mixedDTypes` programs. */
  dtypes?: readonly number[];
  /** Kernel dtype code of the apply output (default F32); only for `mixedDTypes` programs. */
  outDType?: number;
  /** Global index of the chunk's first element. */
  first: number;
  n: number;
  rowLen: number;
}

function callKernel(arena: Arena, prog: TensorProgram, call: KernelCall, c: ChunkView, out: number, outWords: number): void {
  const mark = arena.mark();
  try {
    const ctx = arena.alloc(CTX_BYTES);
    const table = arena.alloc(4 * Math.max(1, c.inputs.length));
    const params = arena.alloc(8 * Math.max(1, call.params.length));
    const scratchBytes = prog.scratchBytes?.(c.n) ?? 0;
    const scratch = scratchBytes > 0 ? arena.alloc(scratchBytes) : 0;
    const mixed = c.dtypes !== undefined || (c.outDType ?? 0) !== 0;
    if (mixed && !prog.mixedDTypes) throw new Error(`internal: ${call.fn} takes F32 inputs only`);
    const dtypes = mixed ? arena.alloc(4 * Math.max(1, c.inputs.length)) : 0;
    const tile = mixed ? tileOf(prog.quantum) : 0;
    const stage = mixed ? arena.alloc(4 * (c.inputs.length + 1) * tileStride(tile)) : 0;
    const mem = arena.k.memory.buffer;
    const t = new Uint32Array(mem, table, c.inputs.length);
    c.inputs.forEach((p, i) => { t[i] = p; });
    if (mixed) new Uint32Array(mem, dtypes, c.inputs.length).set(c.dtypes ?? c.inputs.map(() => 0));
    new Float64Array(mem, params, call.params.length).set(call.params);
    const v = new DataView(mem, ctx, CTX_BYTES);
    const w = [c.n, c.inputs.length, table, out, outWords, c.first % 2 ** 32, Math.floor(c.first / 2 ** 32), c.rowLen,
      call.params.length, params, scratch, scratchBytes, dtypes, c.outDType ?? 0, stage, tile];
    w.forEach((x, i) => v.setUint32(4 * i, x, true));
    programKernel(arena.k, call.fn)(ctx);
  } finally {
    arena.release(mark);
  }
}

/**
 * Runs statistics pass `pass` on one chunk and hands the words its kernel wrote to `use`, as a
 * view of the kernel memory valid only during the call.
 */
function withStatPass<T>(arena: Arena, prog: TensorProgram, pass: number, prev: readonly Float64Array[], c: ChunkView,
  use: (words: Float64Array) => T): T {
  const p = prog.passes[pass];
  const words = p.words(c.n, c.first);
  const mark = arena.mark();
  try {
    const out = arena.alloc(8 * Math.max(1, words));
    arena.f64(out, words).fill(0);
    callKernel(arena, prog, p.call(prev), c, out, words);
    return use(arena.f64(out, words));
  } finally {
    arena.release(mark);
  }
}

/** Runs statistics pass `pass` on one chunk and returns the words its kernel wrote. */
export function runStatPass(arena: Arena, prog: TensorProgram, pass: number, prev: readonly Float64Array[], c: ChunkView): Float64Array {
  return withStatPass(arena, prog, pass, prev, c, (w) => w.slice());
}

/** Runs the apply pass on one chunk, writing `n` elements (F32 unless `c.outDType`) at `out`. */
export function runApply(arena: Arena, prog: TensorProgram, stats: readonly Float64Array[], c: ChunkView, out: number): void {
  callKernel(arena, prog, prog.apply(stats), c, out, 0);
}

/**
 * Every statistics pass over the whole tensor held in memory (one chunk), reduced. Each pass is
 * reduced straight from the kernel memory (a pass that condenses its words, or is summed into a
 * new array, leaves no copy of them behind); a result that is the kernel memory is copied.
 */
export function runAllStats(arena: Arena, prog: TensorProgram, c: ChunkView): Float64Array[] {
  const stats: Float64Array[] = [];
  for (let i = 0; i < prog.passes.length; i++) {
    if (prog.passes[i].skip?.(stats)) {
      stats.push(SKIPPED);
      continue;
    }
    stats.push(withStatPass(arena, prog, i, stats, c, (data) => {
      const r = prog.passes[i].reduce([{ first: c.first, n: c.n, data }]);
      return r.buffer === arena.k.memory.buffer ? r.slice() : r;
    }));
  }
  return stats;
}

/**
 * Runs a program over f32 arrays, whole (`chunk` undefined) or in chunks of `chunk` elements
 * (rounded down to a multiple of the program's quantum), the way the executor does. For tests.
 */
export function runProgramOnArrays(k: KernelExports, prog: TensorProgram, inputs: readonly Float32Array[],
  rowLen: number, chunk?: number): Float32Array {
  const numel = inputs[0].length;
  const arena = new Arena(k);
  try {
    const ptrs = inputs.map((a) => {
      const p = arena.alloc(4 * a.length);
      arena.f32(p, a.length).set(a);
      return p;
    });
    const out = arena.alloc(4 * numel);
    const step = chunk === undefined ? numel : Math.max(prog.quantum, Math.floor(chunk / prog.quantum) * prog.quantum);
    const view = (first: number): ChunkView => ({
      inputs: ptrs.map((p) => p + 4 * first), first, n: Math.min(step, numel - first), rowLen: prog.rowLen ?? rowLen,
    });
    const stats: Float64Array[] = [];
    for (let i = 0; i < prog.passes.length; i++) {
      if (prog.passes[i].skip?.(stats)) {
        stats.push(SKIPPED);
        continue;
      }
      const parts: ChunkStats[] = [];
      for (let e = 0; e < numel; e += step) {
        const c = view(e);
        parts.push({ first: e, n: c.n, data: runStatPass(arena, prog, i, stats, c) });
      }
      stats.push(prog.passes[i].reduce(parts));
    }
    for (let e = 0; e < numel; e += step) runApply(arena, prog, stats, view(e), out + 4 * e);
    return arena.f32(out, numel).slice();
  } finally {
    arena.reset();
  }
}
