/**
 * The eval stage (execute → eval → publish): the configured checks on the first GGUF the run
 * wrote (else an F16 GGUF made for the eval in a temporary folder and deleted after), the same
 * checks on each input model converted to a GGUF of the same type (`compare_inputs`), the gate,
 * and eval.json + eval.md in the output folder. Without llama.cpp the report says the eval did not
 * run: never a silent pass.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { MergeopsError } from '../errors.js';
import type { FileTypeName } from '../quant/select.js';
import { runChecks, type ModelResults } from './checks.js';
import type { EvalData } from './data.js';
import { evaluateGate } from './gate.js';
import { llamaRuntime } from './llama.js';
import type { GGUFCheck } from '../execute/gguf-check.js';
import { LOAD_CHECK_PROMPT } from './load-check.js';
import { notRunReport, writeEvalReport, type EvalCheck, type EvalModel, type EvalReport, type TensorHealthReport } from './report.js';
import type { EvalResultsCache } from './results-cache.js';
import { MAX_SEQUENCES, ModelSession } from './session.js';

export interface EvalInput {
  label: string;
  /** Local model folder (safetensors + config + tokenizer), converted directly. */
  dir?: string;
  /** Otherwise: writes the model as a local folder under `tmp` (a Hub model streamed through the merge machinery) and returns it. */
  materialize?: (tmp: string) => Promise<string>;
  /** Why the input cannot be compared, when it has neither. */
  why?: string;
  /** What identifies the input's weights (a Hub commit, the local files' identity), for the results cache. */
  identity?: () => string;
}

export interface EvalStageOptions {
  /** The output folder: the merge's model files and GGUFs; the report is written here. */
  outDir: string;
  /** The checks (undefined: only the load checks of the GGUFs written are reported). */
  data?: EvalData;
  /** GGUF files the run wrote (names in outDir) with their types, in order. */
  gguf: { file: string; type: FileTypeName }[];
  /** The load checks execute ran on them. */
  loadChecks: GGUFCheck[];
  /** The recipe's input models, for compare_inputs. */
  inputs: EvalInput[];
  mergeopsVersion: string;
  /** Threads for llama.cpp and for GGUF conversions (default: one per core). */
  threads?: number;
  log?: (line: string) => void;
  /** Folder for temporary GGUFs (default: the system's). */
  tmpRoot?: string;
  /** Write eval.json/eval.md (default true). */
  write?: boolean;
  /** Tensor health from the merge pass (the kernels'), carried into the report as it is. */
  health?: TensorHealthReport;
  /** Where the inputs' results are kept between runs (compare_inputs); none: every input is checked. */
  resultsCache?: EvalResultsCache;
  /** Writes a GGUF of a model folder (pipeline.ts `quantizeFolder`, passed in: eval does not import the pipeline). */
  quantize: QuantizeFolder;
}

/** A model folder → one GGUF file of `fileType` named `<prefix>.gguf` in `outDir`, not load-checked. */
export type QuantizeFolder = (o: { modelDir: string; outDir: string; fileType: FileTypeName; prefix: string; threads?: number }) =>
  Promise<{ files: readonly { path: string }[] }>;

const MERGE_ID = 'merge';

/** Tokens a session needs: the perplexity context, or the longest prompt (UTF-8 bytes bound its tokens) plus its new tokens. */
export function contextFor(data: EvalData): number {
  let need = data.options.perplexity?.context ?? 0;
  const prompt = (text: string, chat: boolean, max: number): void => {
    need = Math.max(need, Buffer.byteLength(text) + 8 + (chat ? 1024 : 0) + max);
  };
  for (const p of data.options.prompts) prompt(p.prompt, p.chat, p.maxTokens);
  for (const t of data.tasks) for (const i of t.items) prompt(i.prompt, t.spec.chat, t.spec.maxTokens);
  return Math.ceil(Math.max(need, 64) / 64) * 64;
}

export async function runEvalStage(o: EvalStageOptions): Promise<EvalReport> {
  const t0 = performance.now();
  const log = o.log ?? (() => undefined);
  const finish = (r: EvalReport): EvalReport => {
    r.seconds = (performance.now() - t0) / 1000;
    if (o.health) r.health = o.health;
    if (o.write ?? true) writeEvalReport(o.outDir, r);
    return r;
  };
  const loadRows: EvalCheck[] = o.loadChecks.filter((c) => c.ran).map((c) => ({
    kind: 'prompt', name: `load ${c.file}`, prompt: LOAD_CHECK_PROMPT, results: { [MERGE_ID]: { pass: true, output: c.text } },
  }));
  // No checks configured and no load check attempted (no GGUF, or --skip-gguf-check): llama.cpp is not
  // even loaded, so such a run pays nothing for the stage. A load check that could not run (no llama.cpp)
  // goes on below, so the report says why.
  if (!o.data && o.loadChecks.length === 0) {
    const why = o.gguf.length > 0 ? 'no checks configured (mergeops.eval), and the GGUF load check was skipped' : 'no checks configured (mergeops.eval) and no GGUF written';
    return finish(notRunReport(why, o.mergeopsVersion));
  }
  const rt = await llamaRuntime(o.threads);
  if ('unavailable' in rt) {
    log(`warning: eval not run: ${rt.unavailable}`);
    return finish(notRunReport(rt.unavailable, o.mergeopsVersion));
  }
  const versions = { mergeops: o.mergeopsVersion, ...rt.versions };
  const mergeModel: EvalModel = { id: MERGE_ID, label: basename(o.outDir), role: 'merge' };
  if (!o.data) {
    if (loadRows.length === 0) return finish(notRunReport('no checks configured (mergeops.eval), and the GGUF load check was skipped', o.mergeopsVersion, { versions }));
    return finish({
      version: 1, ran: true, versions, gguf: o.gguf[0], models: [mergeModel], checks: loadRows, summary: { [MERGE_ID]: {} },
      gate: { passed: true, failures: [] }, seconds: 0,
    });
  }
  const data = o.data;
  const tmp = mkdtempSync(join(o.tmpRoot ?? tmpdir(), 'mergeops-eval-'));
  try {
    let target: { path: string; file: string; type: FileTypeName };
    if (o.gguf.length > 0) target = { path: join(o.outDir, o.gguf[0].file), ...o.gguf[0] };
    else {
      log('eval: writing an F16 GGUF of the merge for the checks (deleted after)');
      let r: Awaited<ReturnType<QuantizeFolder>>;
      try {
        r = await o.quantize({ modelDir: o.outDir, outDir: tmp, fileType: 'F16', prefix: 'eval-merge', threads: o.threads });
      } catch (e) {
        // An architecture or tokenizer GGUF cannot hold: the checks cannot run, and the report says why.
        if (!(e instanceof MergeopsError)) throw e;
        log(`warning: eval not run: no GGUF of the merge can be made (${e.message})`);
        return finish(notRunReport(`no GGUF of the merge can be made for llama.cpp (${e.message})`, o.mergeopsVersion, { versions }));
      }
      target = { path: r.files[0].path, file: `${basename(r.files[0].path)} (temporary)`, type: 'F16' };
    }
    const context = contextFor(data);
    const results = new Map<string, ModelResults>();
    const models: EvalModel[] = [mergeModel];
    const notes: string[] = [];
    log(`eval: checks on ${target.file}`);
    results.set(MERGE_ID, await checkModel(rt, target.path, context, data));
    if (data.options.compareInputs) {
      for (const [i, input] of o.inputs.entries()) {
        if (!input.dir && !input.materialize) {
          notes.push(`${input.label}: not compared (${input.why ?? 'no local files'})`);
          log(`warning: eval: ${input.label} not compared (${input.why ?? 'no local files'})`);
          continue;
        }
        const id = `input${i}`;
        const identity = o.resultsCache && input.identity ? inputIdentity(input.identity) : undefined;
        const scope = { data, context, ggufType: target.type, versions };
        const cached = identity !== undefined ? o.resultsCache?.get(identity, scope) : undefined;
        if (cached) {
          log(`eval: ${input.label}: results of an earlier run on the same weights and checks (eval cache)`);
          results.set(id, cached);
          models.push({ id, label: input.label, role: 'input', cached: true });
          continue;
        }
        const dir = join(tmp, id);
        let modelDir = input.dir;
        if (!modelDir) {
          log(`eval: reading ${input.label} for comparison`);
          modelDir = await input.materialize!(join(tmp, `${id}-model`));
        }
        log(`eval: converting ${input.label} to ${target.type} for comparison`);
        let conv: Awaited<ReturnType<QuantizeFolder>>;
        try {
          conv = await o.quantize({ modelDir, outDir: dir, fileType: target.type, prefix: id, threads: o.threads });
        } catch (e) {
          if (!(e instanceof MergeopsError)) throw e;
          notes.push(`${input.label}: not compared (no ${target.type} GGUF of it can be made: ${e.message})`);
          log(`warning: eval: ${input.label} not compared (${e.message})`);
          continue;
        } finally {
          if (!input.dir) rmSync(modelDir, { recursive: true, force: true });
        }
        try {
          const r = await checkModel(rt, conv.files[0].path, context, data);
          results.set(id, r);
          if (identity !== undefined) o.resultsCache?.put(identity, scope, r);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
        models.push({ id, label: input.label, role: 'input' });
      }
    }
    const report = buildReport(data, models, results, loadRows);
    report.versions = versions;
    report.gguf = { file: target.file, type: target.type };
    if (notes.length) report.notes = notes;
    return finish(report);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** The input's identity, or undefined when its files cannot be read now (it is then checked, not looked up). */
function inputIdentity(identity: () => string): string | undefined {
  try {
    return identity();
  } catch {
    return undefined;
  }
}

async function checkModel(rt: Parameters<typeof ModelSession.open>[0], file: string, context: number, data: EvalData): Promise<ModelResults> {
  // Prompts are decoded up to 16 at a time (one batch per step): several times faster than one by one.
  const session = await ModelSession.open(rt, file, context, undefined, MAX_SEQUENCES);
  try {
    return await runChecks(session, data);
  } finally {
    await session.dispose();
  }
}

/** The report's checks, summary and gate from each model's results. */
export function buildReport(data: EvalData, models: EvalModel[], results: Map<string, ModelResults>, extraChecks: EvalCheck[] = []): EvalReport {
  const checks: EvalCheck[] = [...extraChecks];
  const per = <T>(f: (r: ModelResults) => T | undefined): Record<string, T> => {
    const out: Record<string, T> = {};
    for (const m of models) {
      const r = results.get(m.id);
      const v = r ? f(r) : undefined;
      if (v !== undefined) out[m.id] = v;
    }
    return out;
  };
  data.options.prompts.forEach((p, i) => {
    checks.push({ kind: 'prompt', name: JSON.stringify(p.prompt) + (p.chat ? ' (chat)' : ''), prompt: p.prompt, results: per((r) => r.prompts[i]) });
  });
  data.tasks.forEach((t, i) => {
    checks.push({
      kind: 'task', name: t.spec.name, n: t.items.length,
      results: per((r) => ({ accuracy: r.tasks[i].correct / r.tasks[i].n, correct: r.tasks[i].correct })),
    });
  });
  const errors: { check: string; message: string }[] = [];
  const p = data.options.perplexity;
  if (p) {
    const ok = per((r) => (r.perplexity && 'perplexity' in r.perplexity ? r.perplexity : undefined));
    const tokens = Object.values(ok)[0]?.tokens ?? 0;
    checks.push({ kind: 'perplexity', name: `${basename(p.file)}, context ${p.context}`, tokens, results: per((r) => (r.perplexity && 'perplexity' in r.perplexity ? { perplexity: r.perplexity.perplexity } : undefined)) });
    const err = results.get(MERGE_ID)?.perplexity;
    if (err && 'error' in err) errors.push({ check: `perplexity ${p.file}`, message: err.error });
  }
  const summary = per((r) => ({
    ...(r.passRate !== undefined ? { passRate: r.passRate } : {}),
    ...(r.perplexity && 'perplexity' in r.perplexity ? { perplexity: r.perplexity.perplexity } : {}),
  }));
  const partial = { models, checks, summary };
  return {
    version: 1, ran: true, versions: { mergeops: '' }, ...partial,
    gate: evaluateGate(partial, data.options, errors), seconds: 0,
  };
}
