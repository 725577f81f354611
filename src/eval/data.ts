/**
 * The files an eval configuration names — task sets (JSON lines `{prompt, answer}`) and the
 * perplexity text — read and checked before the merge starts, so a typo costs seconds, not a merge.
 * Errors point at the recipe's `file:` value, or at the line and column inside the task file.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { RecipeError, type SourcePos } from '../errors.js';
import type { EvalOptions, EvalTaskSpec } from '../recipe/types.js';

export interface TaskItem {
  prompt: string;
  answer: string;
}

export interface EvalData {
  options: EvalOptions;
  tasks: { spec: EvalTaskSpec; items: TaskItem[] }[];
  perplexityText?: string;
}

export function loadEvalData(options: EvalOptions): EvalData {
  const tasks = options.tasks.map((spec) => ({ spec, items: parseTaskLines(readText(options, spec.file, spec.filePos), resolve(options.baseDir, spec.file)) }));
  const p = options.perplexity;
  const perplexityText = p ? readText(options, p.file, p.filePos) : undefined;
  if (p && perplexityText !== undefined && perplexityText.trim() === '') {
    throw new RecipeError(`the perplexity file ${p.file} is empty`, 'give a text of at least 2 × context tokens', p.filePos);
  }
  return { options, tasks, perplexityText };
}

function readText(options: EvalOptions, file: string, pos: SourcePos): string {
  const full = resolve(options.baseDir, file);
  try {
    return readFileSync(full, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new RecipeError(`cannot read ${file} (${code === 'ENOENT' ? `no such file: ${full}` : code ?? (e as Error).message})`,
      `relative paths are read from ${options.baseDir}; fix the path or add the file`, pos);
  }
}

/** JSON lines of `{"prompt": string, "answer": string}`; blank lines are skipped. */
export function parseTaskLines(text: string, file: string): TaskItem[] {
  const items: TaskItem[] = [];
  const lines = text.split('\n');
  const hint = 'each line is a JSON object like {"prompt": "12+34=", "answer": "46"}';
  lines.forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') return;
    const at = (col: number): SourcePos => ({ file, line: i + 1, col });
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (e) {
      const m = /position (\d+)/.exec((e as Error).message);
      throw new RecipeError(`not valid JSON: ${(e as Error).message}`, hint, at(m ? Number(m[1]) + 1 : 1), line);
    }
    const o = v as Record<string, unknown> | null;
    if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new RecipeError('a task line must be a JSON object', hint, at(1), line);
    for (const key of ['prompt', 'answer']) {
      if (typeof o[key] !== 'string') {
        const col = line.indexOf(`"${key}"`);
        throw new RecipeError(o[key] === undefined ? `missing "${key}"` : `"${key}" must be a string`, hint, at(col >= 0 ? col + 1 : 1), line);
      }
    }
    items.push({ prompt: o.prompt as string, answer: o.answer as string });
  });
  if (items.length === 0) throw new RecipeError('the task file has no items', hint, { file, line: 1, col: 1 });
  return items;
}

/**
 * At most how many tokens the checks put through one model: each prompt and task item's bytes
 * (a token holds at least one byte) plus its new tokens, and the perplexity chunks. For estimates.
 */
export function evalTokenBound(data: EvalData): number {
  let tokens = 0;
  const item = (prompt: string, chat: boolean, maxTokens: number): void => {
    tokens += Buffer.byteLength(prompt) + 1 + (chat ? 64 : 0) + maxTokens;
  };
  for (const p of data.options.prompts) item(p.prompt, p.chat, p.maxTokens);
  for (const t of data.tasks) for (const i of t.items) item(i.prompt, t.spec.chat, t.spec.maxTokens);
  const p = data.options.perplexity;
  if (p && data.perplexityText !== undefined) {
    const n = Buffer.byteLength(data.perplexityText) + 1;
    tokens += Math.floor(n / p.context) * p.context;
  }
  return tokens;
}
