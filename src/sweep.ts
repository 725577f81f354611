/**
 * `mergeops sweep`: merge the recipe once per candidate value of one parameter at a cheap GGUF
 * type, run the recipe's eval prompts on each, and pick a value. With labelled tasks the pick is
 * the best mean accuracy; without labels (or with `unlabeled`) it is AdaMMS's unsupervised rule
 * (arXiv:2503.23733, §3.3): the candidate whose greedy outputs differ least from those of its
 * neighbours in the grid — where the merge is stable under small changes of the parameter.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { isMap, isSeq, parseAllDocuments } from 'yaml';
import { MergeopsError } from './errors.js';
import { loadRecipeFile, runRecipeFile, type RunOptions } from './pipeline.js';
import type { FileTypeName } from './quant/select.js';
import type { EvalOptions } from './recipe/types.js';
import { renderSweepChart } from './eval/chart.js';
import { loadEvalData, type EvalData } from './eval/data.js';
import { llamaRuntime } from './eval/llama.js';
import { runChecks } from './eval/checks.js';
import { MAX_SEQUENCES, ModelSession } from './eval/session.js';
import { contextFor } from './eval/stage.js';

/** Parameters a sweep may vary: global ones set under `parameters:`, per-model ones on every model. */
export const SWEEP_PARAMS = { lambda: 'global', t: 'global', weight: 'model', density: 'model' } as const;
export type SweepParam = keyof typeof SWEEP_PARAMS;

export interface SweepCandidate {
  value: number;
  /** Greedy outputs on every prompt (task prompts, then prompt checks), in order. */
  outputs: string[];
  /** Accuracy per labelled task, by task name. */
  accuracy: Record<string, number>;
  /** Mean share of prompts whose output differs from the neighbours' (lower: more consistent). */
  inconsistency: number;
  seconds: number;
}

export interface SweepResult {
  param: SweepParam;
  type: FileTypeName;
  rule: 'accuracy' | 'consistency';
  candidates: SweepCandidate[];
  chosen: number;
  /** The recipe with the chosen value, as YAML. */
  recipe: string;
  seconds: number;
}

export interface SweepOptions extends Pick<RunOptions, 'hub' | 'cache' | 'sourceMode' | 'maxMemory' | 'threads' | 'log' | 'range'> {
  recipeFile: string;
  param: SweepParam;
  values: number[];
  /** GGUF type the candidates are evaluated at (default Q8_0). */
  type?: FileTypeName;
  /** Pick by generation consistency even when the tasks have labels. */
  unlabeled?: boolean;
  /** The prompts and tasks to run (default: the recipe's mergeops.eval). */
  eval?: EvalOptions;
  /** Folder for sweep.json, sweep.md, sweep.svg and the chosen recipe. */
  outDir: string;
  onCandidate?: (c: SweepCandidate, index: number) => void;
}

/** The recipe text with `param` set to `value` (in the final document; comments and layout kept). */
export function setRecipeParam(text: string, param: SweepParam, value: number): string {
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs) || docs.length === 0) throw new MergeopsError('USAGE', 'the recipe is empty', 'sweep a recipe that `mergeops plan` accepts');
  const doc = docs[docs.length - 1];
  if (SWEEP_PARAMS[param] === 'global') doc.setIn(['parameters', param], value);
  else {
    const models = doc.get('models');
    const slices = doc.get('slices');
    if (isSeq(models)) models.items.forEach((_, i) => doc.setIn(['models', i, 'parameters', param], value));
    else if (isSeq(slices)) {
      slices.items.forEach((s, i) => {
        const sources = isMap(s) ? s.get('sources') : undefined;
        if (isSeq(sources)) sources.items.forEach((_, j) => doc.setIn(['slices', i, 'sources', j, 'parameters', param], value));
      });
    }
  }
  const head = docs.length > 1 ? text.slice(0, doc.range[0]) : '';
  return head + doc.toString();
}

/** Share of positions where two output lists differ. */
function difference(a: readonly string[], b: readonly string[]): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) d++;
  return a.length === 0 ? 0 : d / a.length;
}

/** Each candidate's mean difference to its grid neighbours (the values sorted). */
export function inconsistency(outputs: readonly (readonly string[])[]): number[] {
  return outputs.map((o, i) => {
    const n = [i - 1, i + 1].filter((j) => j >= 0 && j < outputs.length);
    return n.length === 0 ? 0 : n.reduce((s, j) => s + difference(o, outputs[j]), 0) / n.length;
  });
}

/** The pick: best mean accuracy, else lowest inconsistency; ties go to the value nearer the grid's middle. */
export function choose(candidates: readonly SweepCandidate[], rule: 'accuracy' | 'consistency'): number {
  const mid = (candidates.length - 1) / 2;
  const score = (c: SweepCandidate): number => {
    if (rule === 'consistency') return -c.inconsistency;
    const acc = Object.values(c.accuracy);
    return acc.reduce((a, b) => a + b, 0) / Math.max(1, acc.length);
  };
  let best = 0;
  candidates.forEach((c, i) => {
    const s = score(c);
    const b = score(candidates[best]);
    if (s > b + 1e-12 || (Math.abs(s - b) <= 1e-12 && Math.abs(i - mid) < Math.abs(best - mid))) best = i;
  });
  return candidates[best].value;
}

export async function runSweep(o: SweepOptions): Promise<SweepResult> {
  const t0 = performance.now();
  const log = o.log ?? (() => undefined);
  const values = [...new Set(o.values)].sort((a, b) => a - b);
  if (values.length < 2) throw new MergeopsError('USAGE', 'a sweep needs at least two values', 'e.g. --values 0.6,0.8,1.0,1.2');
  const docs = loadRecipeFile(o.recipeFile);
  const final = docs[docs.length - 1];
  const evalOptions = o.eval ?? final.mergeops.eval;
  if (!evalOptions || evalOptions.prompts.length + evalOptions.tasks.length === 0) {
    throw new MergeopsError('USAGE', `${o.recipeFile} has no eval prompts or tasks to sweep with`,
      'add unlabeled prompts (`mergeops: {eval: {prompts: ["12+34=", "rev abc="]}}`) or labelled tasks (`tasks: [{file: add.jsonl}]`, JSON lines {"prompt": ..., "answer": ...})');
  }
  const data = loadEvalData(evalOptions);
  const rule = o.unlabeled || data.tasks.length === 0 ? 'consistency' : 'accuracy';
  const rt = await llamaRuntime(o.threads);
  if ('unavailable' in rt) throw new MergeopsError('USAGE', `a sweep needs llama.cpp: ${rt.unavailable}`, 'install node-llama-cpp (npm install node-llama-cpp)');
  const type = o.type ?? 'Q8_0';
  const text = docs.map((d) => d.text).join('');
  const tmp = mkdtempSync(join(tmpdir(), 'mergeops-sweep-'));
  const candidates: SweepCandidate[] = [];
  try {
    for (const [i, value] of values.entries()) {
      const c0 = performance.now();
      log(`sweep: ${o.param} = ${value} (${i + 1}/${values.length})`);
      const out = join(tmp, `candidate-${i}`);
      const r = await runRecipeFile(o.recipeFile, {
        ...o, recipeText: setRecipeParam(text, o.param, value), outDir: out, gguf: [type], ggufCheck: false, eval: false,
        lockPath: join(tmp, 'no.lock'), overwrite: true,
      });
      const { outputs, accuracy } = await evaluateCandidate(rt, join(out, r.gguf[0].file), data);
      rmSync(out, { recursive: true, force: true });
      const c: SweepCandidate = { value, outputs, accuracy, inconsistency: 0, seconds: (performance.now() - c0) / 1000 };
      candidates.push(c);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  inconsistency(candidates.map((c) => c.outputs)).forEach((v, i) => { candidates[i].inconsistency = v; });
  candidates.forEach((c, i) => o.onCandidate?.(c, i));
  const chosen = choose(candidates, rule);
  const result: SweepResult = {
    param: o.param, type, rule, candidates, chosen, recipe: setRecipeParam(text, o.param, chosen), seconds: (performance.now() - t0) / 1000,
  };
  writeSweep(o.outDir, result, basename(o.recipeFile));
  return result;
}

async function evaluateCandidate(rt: Parameters<typeof ModelSession.open>[0], file: string, data: EvalData): Promise<{ outputs: string[]; accuracy: Record<string, number> }> {
  // The prompts and tasks of the eval stage, decoded in batches the same way; no perplexity (the pick uses outputs).
  const session = await ModelSession.open(rt, file, contextFor(data), undefined, MAX_SEQUENCES);
  try {
    const r = await runChecks(session, { ...data, options: { ...data.options, perplexity: undefined } });
    const accuracy: Record<string, number> = {};
    data.tasks.forEach((t, i) => { accuracy[t.spec.name] = r.tasks[i].correct / r.tasks[i].n; });
    return { outputs: [...r.tasks.flatMap((t) => t.outputs), ...r.prompts.map((p) => p.output)], accuracy };
  } finally {
    await session.dispose();
  }
}

/** sweep.json, sweep.md (table + chart), sweep.svg and the chosen recipe in `dir`. */
function writeSweep(dir: string, r: SweepResult, recipeName: string): void {
  mkdirSync(dir, { recursive: true });
  const chosenName = recipeName.replace(/(\.ya?ml)?$/, `.${r.param}-${r.chosen}.yml`);
  writeFileSync(join(dir, chosenName), r.recipe);
  writeFileSync(join(dir, 'sweep.svg'), renderSweepChart(r));
  writeFileSync(join(dir, 'sweep.json'), JSON.stringify({ ...r, candidates: r.candidates.map(({ outputs: _o, ...c }) => c) }, null, 2) + '\n');
  const tasks = Object.keys(r.candidates[0]?.accuracy ?? {});
  const lines = [
    `# Sweep of \`${r.param}\` (${r.type})`, '',
    `Chosen: **${r.param} = ${r.chosen}** by ${r.rule === 'accuracy' ? 'mean task accuracy' : 'generation consistency with the neighbouring values (AdaMMS, unlabeled)'}; `
    + `recipe: \`${chosenName}\`.`, '',
    '![score against the parameter](sweep.svg)', '',
    `| ${r.param} | ${tasks.map((t) => `${t} accuracy`).join(' | ')}${tasks.length ? ' | ' : ''}output change vs neighbours | seconds |`,
    `|---:|${tasks.map(() => '---:|').join('')}---:|---:|`,
    ...r.candidates.map((c) => `| ${c.value}${c.value === r.chosen ? ' ✓' : ''} | ${tasks.map((t) => c.accuracy[t].toFixed(3)).join(' | ')}${tasks.length ? ' | ' : ''}`
      + `${c.inconsistency.toFixed(3)} | ${c.seconds.toFixed(1)} |`),
    '',
  ];
  writeFileSync(join(dir, 'sweep.md'), lines.join('\n'));
}

/** The sweep's table as aligned text for the CLI. */
export function sweepText(r: SweepResult): string {
  const tasks = Object.keys(r.candidates[0]?.accuracy ?? {});
  const header = [r.param, ...tasks.map((t) => `${t} acc`), 'change vs neighbours', 'seconds'];
  const rows = r.candidates.map((c) => [`${c.value}${c.value === r.chosen ? ' *' : ''}`, ...tasks.map((t) => c.accuracy[t].toFixed(3)), c.inconsistency.toFixed(3), c.seconds.toFixed(1)]);
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (row: string[]): string => row.map((x, i) => x.padStart(w[i])).join('  ');
  return [line(header), ...rows.map(line), '',
    `chosen: ${r.param} = ${r.chosen} (${r.rule === 'accuracy' ? 'best mean task accuracy' : 'most consistent generations, AdaMMS'})`].join('\n') + '\n';
}
