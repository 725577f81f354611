/**
 * Scale-out over a job matrix (`--shard i/N`, the Action's `shard` input): which of N jobs writes
 * each output file. Every job computes the same assignment from the plan alone, so no job needs
 * to hear from another: the safetensors shards first, in plan order, each to the job with the
 * fewest bytes so far (the lowest index on a tie); then each GGUF file (every part of a gguf-split
 * set) to the job whose shards hold most of its tensors' bytes (then the least loaded), so that a
 * tensor is rarely computed by two jobs. The folder's small files (index, config, tokenizer,
 * recipe) belong to job 1. A job computes only the tensors its files hold and reads only their
 * inputs; the union of the N jobs' files is the one-job output, byte for byte.
 */
import { MergeopsError } from '../errors.js';
import type { Plan } from './types.js';

/** One part of a matrix build: `index` of `count`, 1-based as written (`--shard 2/3`). */
export interface ShardSpec { index: number; count: number }

/** Parses `i/N` (1 ≤ i ≤ N); `what` names the option or input in errors. */
export function parseShardSpec(text: string, what = '--shard'): ShardSpec {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || !(count >= 1 && count <= 1024) || !(index >= 1 && index <= count)) {
    throw new MergeopsError('USAGE', `${what} ${JSON.stringify(text.slice(0, 40))} is not a part of a matrix build`,
      `write i/N with 1 ≤ i ≤ N ≤ 1024, e.g. ${what} 2/3 for the second of three jobs`);
  }
  return { index, count };
}

/** Greedy assignment of files (in the order given) to `count` jobs by bytes; 0-based job per file. */
export class MatrixAssigner {
  private readonly load: number[];
  constructor(readonly count: number) {
    this.load = new Array<number>(count).fill(0);
  }

  /** The job (0-based) that writes a file of `bytes`. */
  assign(bytes: number): number {
    let best = 0;
    for (let j = 1; j < this.count; j++) if (this.load[j] < this.load[best]) best = j;
    this.load[best] += bytes;
    return best;
  }

  /**
   * The job (0-based) that writes a file of `bytes` whose tensors' bytes are `overlap[j]` in job
   * j's files already: the largest overlap, then the least loaded, then the lowest index.
   */
  assignNear(bytes: number, overlap: readonly number[]): number {
    let best = 0;
    for (let j = 1; j < this.count; j++) {
      if (overlap[j] > overlap[best] || (overlap[j] === overlap[best] && this.load[j] < this.load[best])) best = j;
    }
    this.load[best] += bytes;
    return best;
  }

  /** Bytes assigned to each job so far. */
  get bytes(): readonly number[] {
    return this.load;
  }
}

/** The safetensors shards' jobs (0-based, by shard index), and the assigner to continue with GGUF files. */
export function assignShards(plan: Plan, count: number): { shardJob: number[]; assigner: MatrixAssigner } {
  const assigner = new MatrixAssigner(count);
  return { shardJob: plan.shards.map((s) => assigner.assign(s.size)), assigner };
}

/** Job 1 (index 0) writes the folder's small files. */
export const SMALL_FILES_JOB = 0;

/** The matrix of a plan as `mergeops plan --matrix N --json` prints it (GGUF files are assigned at run time by the same rule). */
export function matrixJson(plan: Plan, count: number): unknown {
  const { shardJob, assigner } = assignShards(plan, count);
  return {
    count,
    shard: Array.from({ length: count }, (_, j) => `${j + 1}/${count}`),
    jobs: Array.from({ length: count }, (_, j) => ({
      shard: `${j + 1}/${count}`,
      files: plan.shards.filter((_, i) => shardJob[i] === j).map((s) => s.fileName),
      bytes: assigner.bytes[j],
      smallFiles: j === SMALL_FILES_JOB,
    })),
    note: 'each GGUF file (every part of a split set) goes, at run time, to the job whose shards hold most of its tensors',
  };
}
