/**
 * Worker side of LoRA inputs: produces elements [first, first + n) of `base + scale·(B·A)` as F32
 * in kernel memory. Reads only what the chunk needs: its base elements, the rows of B it touches
 * and A (small: rank × cols); the product is computed by the `lora_apply` kernel, so the result
 * does not depend on how the tensor is chunked.
 */
import type { JobInput } from './jobs.js';
import type { KernelExports } from './wasm-module.js';

export type LoraInput = Extract<JobInput, { kind: 'lora' }>;

/** The bits of a worker's memory this needs (an Arena fits). */
export interface LoraMemory {
  readonly k: KernelExports;
  /** Reserves `bytes` (16-byte aligned) of kernel memory and returns their address. */
  alloc(bytes: number): number;
}

/**
 * Elements [first, first + n) of a sub-input as F32 in kernel memory, in a buffer the caller may
 * overwrite (the base chunk is patched in place). `factorNumel` is set for reads of a LoRA factor
 * (its whole size), so the reader may fetch the factor whole once and serve later chunks from it.
 */
export type F32Reader = (input: JobInput, first: number, n: number, factorNumel?: number) => number | Promise<number>;

/** Rows of B (or columns of PEFT's lora_embedding_A) that elements [first, first + n) touch. */
export function loraRows(cols: number, first: number, n: number): { row0: number; nrows: number; col0: number } {
  const row0 = Math.floor(first / cols);
  const col0 = first - row0 * cols;
  return { row0, col0, nrows: n === 0 ? 0 : Math.ceil((col0 + n) / cols) };
}

/** Materializes a chunk of a LoRA input; returns the address of its `n` F32 elements. */
export async function materializeLora(mem: LoraMemory, input: LoraInput, first: number, n: number, read: F32Reader): Promise<number> {
  const { rank, cols, scale } = input;
  if (!(rank >= 1 && cols >= 1)) throw new Error(`internal: LoRA input with rank ${rank} and ${cols} columns`);
  const x = await read(input.base, first, n);
  if (n === 0) return x;
  const { row0, nrows, col0 } = loraRows(cols, first, n);
  let b: number;
  let a: number;
  if (input.embedding === undefined) {
    b = await read(input.b, row0 * rank, nrows * rank, input.rows * rank);
    a = await read(input.a, 0, rank * cols, rank * cols);
  } else {
    // PEFT embedding layout: `b` is Bᵀ [rank, rows], `a` is Aᵀ [cols, rank]. Gather this chunk's
    // columns of Bᵀ (one run per rank row), then transpose both into the kernel's layout.
    const { rows } = input.embedding;
    const bt = mem.alloc(4 * rank * nrows);
    for (let r = 0; r < rank; r++) {
      const p = await read(input.b, r * rows + row0, nrows, rank * rows);
      // `read` may have grown the memory: take a fresh view for the copy.
      new Uint8Array(mem.k.memory.buffer).copyWithin(bt + 4 * r * nrows, p, p + 4 * nrows);
    }
    b = mem.alloc(4 * rank * nrows);
    mem.k.lora_transpose(bt, rank, nrows, b);
    const at = await read(input.a, 0, cols * rank, cols * rank);
    a = mem.alloc(4 * rank * cols);
    mem.k.lora_transpose(at, cols, rank, a);
  }
  mem.k.lora_apply(x, n, b, a, rank, cols, col0, scale);
  return x;
}
