/**
 * The eval stage's result, `eval.json` in the output folder, and its human rendering `eval.md`.
 * The publish stage, the model card and the Action's job summary read it back with
 * `readEvalReport`; the field names on disk are the ones below (CONTRACTS.md).
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MergeopsError } from '../errors.js';
import { renderEvalMarkdown } from './render.js';

export const EVAL_JSON = 'eval.json';
export const EVAL_MD = 'eval.md';

export interface EvalReport {
  version: 1;
  /** false: not run (then `reason` says why: --no-eval, no llama.cpp, ...) */
  ran: boolean;
  reason?: string;
  versions: { mergeops: string; nodeLlamaCpp?: string; llamaCpp?: string };
  /** The GGUF the checks ran on (file name in the output folder, or the temporary F16 made for the eval). */
  gguf?: { file: string; type: string };
  /** 'merge' first */
  models: EvalModel[];
  checks: EvalCheck[];
  /** By model id: pass rate over prompts + tasks, perplexity of the perplexity check. */
  summary: Record<string, { passRate?: number; perplexity?: number }>;
  gate: EvalGate;
  /** Filled by the kernels' tensor health pass (may be absent). */
  health?: TensorHealthReport;
  /** Things the reader should know (an input that could not be compared, ...). */
  notes?: string[];
  seconds: number;
}

export interface EvalModel {
  id: string;
  label: string;
  role: 'merge' | 'input';
  /** The input's results came from the results cache (an earlier run on the same weights, checks and llama.cpp). */
  cached?: boolean;
}

export interface EvalGate {
  passed: boolean;
  failures: { check: string; message: string }[];
}

export type EvalCheck =
  | { kind: 'prompt'; name: string; prompt: string; results: Record<string, { pass: boolean; output: string }> }
  | { kind: 'task'; name: string; n: number; results: Record<string, { accuracy: number; correct: number }> }
  | { kind: 'perplexity'; name: string; tokens: number; results: Record<string, { perplexity: number }> };

export interface TensorHealthReport {
  tensors: { name: string; nan: number; inf: number; normRatio?: number; cosine?: Record<string, number> }[];
  outliers: { name: string; reason: string }[];
}

/** Why eval.json says the eval did not run when it was switched off (--no-eval, the Action's `eval: false`). */
export const EVAL_SWITCHED_OFF = 'skipped with --no-eval';

/** A report for a run whose checks did not run, saying why. */
export function notRunReport(reason: string, mergeopsVersion: string, extra: Partial<EvalReport> = {}): EvalReport {
  return {
    version: 1, ran: false, reason, versions: { mergeops: mergeopsVersion }, models: [], checks: [], summary: {},
    gate: { passed: true, failures: [] }, seconds: 0, ...extra,
  };
}

/** Writes eval.json and eval.md into `dir`, each atomically (a reader never sees half a file). */
export function writeEvalReport(dir: string, report: EvalReport): void {
  writeAtomic(join(dir, EVAL_JSON), JSON.stringify(report, null, 2) + '\n');
  writeAtomic(join(dir, EVAL_MD), renderEvalMarkdown(report));
}

/** eval.json of an output folder, or undefined when the folder has none. */
export function readEvalReport(dir: string): EvalReport | undefined {
  const file = join(dir, EVAL_JSON);
  if (!existsSync(file)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new MergeopsError('IO', `${file}: not valid JSON (${(e as Error).message})`,
      'the eval report is damaged: run the merge again, or delete eval.json to publish without eval results');
  }
  const r = value as Partial<EvalReport> | null;
  if (typeof r !== 'object' || r === null || r.version !== 1 || typeof r.ran !== 'boolean' || !Array.isArray(r.checks)
    || !Array.isArray(r.models) || typeof r.gate !== 'object' || r.gate === null || typeof r.gate.passed !== 'boolean') {
    throw new MergeopsError('IO', `${file}: not an eval report of this mergeops version (version 1)`,
      'run the merge again with this mergeops version to write a new eval.json');
  }
  return r as EvalReport;
}

function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
