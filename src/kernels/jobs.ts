/** Messages between the executor and kernel workers: byte ranges in, byte ranges out. */
import type { DType } from '../formats/dtype.js';
import type { ProgramParams } from '../methods/program.js';

/** Element-wise work, computed in float32 and rounded once to the output dtype. */
export type KernelOp =
  | { kind: 'copy'; scale?: number }
  | { kind: 'linear'; weights: number[]; divisor: number }
  /** inputs[0] is the base. */
  | { kind: 'task_arithmetic'; weights: number[]; divisor: number; lambda: number }
  | { kind: 'program'; method: string; params: ProgramParams };

export interface JobInput {
  /** Absolute path of the file to read. */
  file: string;
  /** Byte offset of this chunk's first element. */
  offset: number;
  dtype: DType;
}

export interface KernelJob {
  op: KernelOp;
  inputs: JobInput[];
  /** Number of elements in this chunk. */
  n: number;
  out: { file: string; offset: number; dtype: DType };
}

export interface JobDone {
  bytesRead: number;
  bytesWritten: number;
}

/** Bytes of worker memory a job needs: its inputs, its output and the argument records. */
export function jobBytes(inputSizes: number[], outSize: number, n: number): number {
  return inputSizes.reduce((a, s) => a + s * n, 0) + outSize * n + 16 * (inputSizes.length + 1) + 64;
}
