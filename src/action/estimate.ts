/**
 * Will a build fit a standard GitHub-hosted runner? Memory, disk and time from the plan, with the
 * rates the estimate assumes stated next to it (review comment). Rough by design: the point is
 * to warn before a six-hour job dies on a full disk, not to predict seconds.
 */
import { minMaxMemory } from '../execute/budget.js';
import type { Plan } from '../plan/types.js';
import type { FileTypeName } from '../quant/select.js';

/** The standard hosted Linux runner for public repositories (hub-and-actions.md). */
export const STANDARD_RUNNER = { label: 'ubuntu-latest', cpus: 4, memoryBytes: 16e9, diskBytes: 14e9, jobSeconds: 6 * 3600 } as const;
export type RunnerSpec = { label: string; cpus: number; memoryBytes: number; diskBytes: number; jobSeconds: number };

/**
 * Rates assumed on such a runner: Hub downloads, merging, K/legacy quantization of the output
 * (bytes per second), and llama.cpp's forward passes in the eval (FLOP per second: 2 per
 * parameter per token; measured ~100 GFLOP/s batched on 2 busy cores, BENCHMARKS.md).
 */
export const ASSUMED_RATES = { download: 100e6, merge: 1e9, quantize: 0.25e9, evalFlops: 100e9 } as const;

/** What the eval will run: at most how many tokens through each model (eval/data.ts `evalTokenBound`), over how many models. */
export interface EvalWork {
  tokens: number;
  models: number;
}

export interface GGUFEstimate { type: FileTypeName; bytes: number }

export interface ResourceEstimate {
  runner: RunnerSpec;
  inputBytes: number;
  outputBytes: number;
  gguf: GGUFEstimate[];
  /** The merge's memory budget (default: half the runner's RAM, at most 16 GiB) and the least it can run with. */
  mergeMemoryBytes: number;
  minMemoryBytes: number;
  /** What the eval maps: the largest GGUF plus llama.cpp's own (~0.3 GB). */
  evalMemoryBytes: number;
  /** Output (temporary sibling, renamed) + GGUF files; inputs are streamed when they would not fit as well. */
  diskBytes: number;
  /** Inputs too, when downloaded whole (faster, needs the room). */
  diskWithInputsBytes: number;
  /** Download, merge, quantization and eval. */
  seconds: number;
  /** The eval's share of `seconds` (0 without checks). */
  evalSeconds: number;
  warnings: string[];
}

/** The GGUF files the plan lists (`plan.gguf`), each type's bytes (every part of a split set). */
export function ggufSizes(plan: Plan): GGUFEstimate[] {
  return (plan.gguf?.plans ?? []).map((p) => ({ type: p.fileType, bytes: p.files.reduce((a, f) => a + f.layout.fileSize, 0) }));
}

/** The plan's resources on `runner`: its GGUF files (`plan.gguf`, planned with the plan) with their exact sizes. */
export function estimateResources(plan: Plan, runner: RunnerSpec = STANDARD_RUNNER, evalWork?: EvalWork): ResourceEstimate {
  const inputBytes = plan.estimates.inputBytes;
  const outputBytes = plan.estimates.outputBytes;
  const ggufs = ggufSizes(plan);
  // The default --max-memory rule (execute/budget.ts) applied to the runner's RAM.
  const mergeMemoryBytes = Math.min(Math.floor(runner.memoryBytes / 2), 16 * 1024 ** 3);
  const minMemoryBytes = minMaxMemory(runner.cpus);
  const evalMemoryBytes = ggufs.length ? Math.max(...ggufs.map((g) => g.bytes)) + 0.3e9 : 0;
  // The plan's disk estimate holds its GGUF files.
  const diskBytes = plan.estimates.diskBytes;
  const diskWithInputsBytes = diskBytes + inputBytes;
  const params = plan.tensors.reduce((a, t) => a + t.shape.reduce((x, y) => x * y, 1), 0);
  const evalSeconds = evalWork ? (evalWork.tokens * evalWork.models * 2 * params) / ASSUMED_RATES.evalFlops : 0;
  const seconds = inputBytes / ASSUMED_RATES.download + inputBytes / ASSUMED_RATES.merge
    + ggufs.filter((g) => g.type !== 'F16' && g.type !== 'F32' && g.type !== 'BF16').length * outputBytes / ASSUMED_RATES.quantize
    + evalSeconds;
  const warnings: string[] = [];
  const gb = (n: number): string => `${(n / 1e9).toFixed(1)} GB`;
  if (diskBytes > runner.diskBytes) {
    warnings.push(`the output and GGUF files need ${gb(diskBytes)} of disk, more than the ${gb(runner.diskBytes)} of a standard runner: `
      + 'build with `low-disk: true` (`--low-disk` in the CLI: each file is uploaded as it is written, then deleted) or split the build over the job matrix (`shard: i/N`, see sharded-build.yml)');
  }
  if (evalMemoryBytes > runner.memoryBytes) {
    warnings.push(`the eval maps a ${gb(evalMemoryBytes)} GGUF, more than the runner's ${gb(runner.memoryBytes)} of RAM: `
      + 'it will page from disk and crawl; evaluate a smaller quant type, or use a larger runner');
  }
  if (seconds > runner.jobSeconds) {
    warnings.push(`about ${Math.round(seconds / 3600)} h of work, beyond a hosted job's 6 h limit: split it over the job matrix (\`shard: i/N\`)`);
  }
  return { runner, inputBytes, outputBytes, gguf: ggufs, mergeMemoryBytes, minMemoryBytes, evalMemoryBytes, diskBytes, diskWithInputsBytes, seconds, evalSeconds, warnings };
}
