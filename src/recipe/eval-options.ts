/**
 * The eval stage's configuration: `mergeops.eval` in a recipe, or a file of its own given with
 * `--eval FILE` (YAML; JSON is YAML). Every error names file:line:col and the fix.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { LineCounter, isScalar, parseDocument } from 'yaml';
import type { Node } from 'yaml';
import { MergeopsError, type SourcePos } from '../errors.js';
import type { EvalOptions, EvalPerplexitySpec, EvalPromptSpec, EvalTaskSpec } from './types.js';
import {
  checkKeys, describeNode, expectMap, expectSeq, expectString, fail, isNullNode, mapEntries, scalarBoolean, scalarNumber,
  seqItems, type Entry, type NodeCtx,
} from './yaml-nodes.js';

export const DEFAULT_MAX_TOKENS = 32;
export const DEFAULT_PERPLEXITY_CONTEXT = 512;

const EVAL_KEYS = ['prompts', 'tasks', 'perplexity', 'compare_inputs', 'min_pass_rate', 'max_perplexity_increase'] as const;
const PROMPT_KEYS = ['prompt', 'expect', 'regex', 'not_contains', 'chat', 'max_tokens'] as const;
const TASK_KEYS = ['name', 'file', 'max_tokens', 'chat'] as const;
const PERPLEXITY_KEYS = ['file', 'context'] as const;

const EXAMPLE = 'e.g.\n    eval:\n      prompts: [{prompt: "12+34=", expect: "46", max_tokens: 8}]\n'
  + '      tasks: [{name: add, file: evals/add.jsonl}]\n      perplexity: {file: evals/sample.txt, context: 256}\n      min_pass_rate: 0.5';

/** `eval:` under `mergeops:` (entry `e`), relative files read from the recipe's folder. */
export function parseEvalOptions(ctx: NodeCtx, e: Entry): EvalOptions {
  return parseEvalNode(ctx, e.value, e.valuePos, '`mergeops.eval`', dirname(resolve(ctx.file)));
}

/** `--eval FILE`: the same mapping as `mergeops.eval`, in a file of its own. */
export function readEvalFile(file: string): EvalOptions {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new MergeopsError('USAGE', `cannot read the eval file ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      'check the path given with --eval');
  }
  return parseEvalText(text, file);
}

export function parseEvalText(text: string, file: string): EvalOptions {
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, merge: true, uniqueKeys: true });
  const err = doc.errors[0];
  if (err) {
    const { line, col } = lineCounter.linePos(err.pos[0]);
    fail({ lines }, { file, line, col }, `invalid YAML: ${err.message.split('\n')[0]}`, 'fix the syntax (JSON is YAML too)');
  }
  const ctx: NodeCtx = { file, lines, lineCounter, doc };
  const root = doc.contents as Node | null;
  const pos: SourcePos = { file, line: 1, col: 1 };
  // The file may hold the mapping itself or a recipe-like `mergeops: {eval: ...}` / `eval: ...` wrapper.
  let node = root;
  let where = `the eval file`;
  for (const key of ['mergeops', 'eval']) {
    if (node === null || isNullNode(node)) break;
    const entries = mapEntries(ctx, expectMap(ctx, node, pos, where, EXAMPLE), where);
    if (entries.length === 1 && entries[0].key === key) {
      node = entries[0].value;
      where = `\`${key}\``;
    }
  }
  return parseEvalNode(ctx, node, pos, where, dirname(resolve(file)));
}

function parseEvalNode(ctx: NodeCtx, node: Node | null, pos: SourcePos, where: string, baseDir: string): EvalOptions {
  const out: EvalOptions = { prompts: [], tasks: [], compareInputs: false, baseDir, pos };
  if (isNullNode(node)) return out;
  const entries = mapEntries(ctx, expectMap(ctx, node, pos, where, EXAMPLE), where);
  checkKeys(ctx, entries, EVAL_KEYS, where);
  for (const o of entries) {
    if (isNullNode(o.value)) continue;
    switch (o.key) {
      case 'prompts': {
        const seq = expectSeq(ctx, o.value, o.valuePos, '`prompts`', 'write a list of `{prompt: ..., expect: ...}` entries');
        out.prompts = seqItems(ctx, seq).map(({ node: n, pos: p }) => parsePrompt(ctx, n, p));
        break;
      }
      case 'tasks': {
        const seq = expectSeq(ctx, o.value, o.valuePos, '`tasks`', 'write a list of `{name: ..., file: tasks.jsonl}` entries');
        out.tasks = seqItems(ctx, seq).map(({ node: n, pos: p }) => parseTask(ctx, n, p));
        const seen = new Map<string, SourcePos>();
        for (const t of out.tasks) {
          const prev = seen.get(t.name);
          if (prev) fail(ctx, t.pos, `task \`${t.name}\` is listed twice (first at line ${prev.line})`, 'give each task its own `name`');
          seen.set(t.name, t.pos);
        }
        break;
      }
      case 'perplexity':
        out.perplexity = parsePerplexity(ctx, o.value, o.valuePos);
        break;
      case 'compare_inputs': {
        const b = scalarBoolean(o.value);
        if (b === undefined) fail(ctx, o.valuePos, `\`compare_inputs\` must be true or false, found ${describeNode(o.value)}`, 'write `compare_inputs: true`');
        out.compareInputs = b;
        break;
      }
      case 'min_pass_rate':
        out.minPassRate = fraction(ctx, o, 'a pass rate from 0 to 1, e.g. `min_pass_rate: 0.5`', 1);
        out.minPassRatePos = o.valuePos;
        break;
      case 'max_perplexity_increase':
        out.maxPerplexityIncrease = fraction(ctx, o, 'a relative increase, e.g. `max_perplexity_increase: 0.25` (25% above the best input)', Infinity);
        out.maxPerplexityIncreasePos = o.valuePos;
        break;
    }
  }
  if (out.minPassRate !== undefined && out.prompts.length + out.tasks.length === 0) {
    fail(ctx, out.minPassRatePos!, '`min_pass_rate` needs prompts or tasks to rate', 'add `prompts:` or `tasks:`, or remove `min_pass_rate`');
  }
  if (out.maxPerplexityIncrease !== undefined && (!out.perplexity || !out.compareInputs)) {
    fail(ctx, out.maxPerplexityIncreasePos!, '`max_perplexity_increase` compares with the input models: it needs `perplexity:` and `compare_inputs: true`',
      'add both, or remove `max_perplexity_increase`');
  }
  return out;
}

function fraction(ctx: NodeCtx, o: Entry, hint: string, max: number): number {
  const v = scalarNumber(o.value);
  if (v === undefined || !Number.isFinite(v) || v < 0 || v > max) {
    fail(ctx, o.valuePos, `\`${o.key}\` must be a number from 0${max === 1 ? ' to 1' : ' up'}, found ${describeNode(o.value)}`, hint);
  }
  return v;
}

function positiveInt(ctx: NodeCtx, o: Entry, hint: string, max = 1 << 20): number {
  const v = scalarNumber(o.value);
  if (v === undefined || !Number.isInteger(v) || v < 1 || v > max) {
    fail(ctx, o.valuePos, `\`${o.key}\` must be a whole number from 1 to ${max}, found ${describeNode(o.value)}`, hint);
  }
  return v;
}

function bool(ctx: NodeCtx, o: Entry): boolean {
  const b = scalarBoolean(o.value);
  if (b === undefined) fail(ctx, o.valuePos, `\`${o.key}\` must be true or false, found ${describeNode(o.value)}`, `write \`${o.key}: true\``);
  return b;
}

function parsePrompt(ctx: NodeCtx, node: Node | null, pos: SourcePos): EvalPromptSpec {
  const hint = 'write e.g. `{prompt: "12+34=", expect: "46", max_tokens: 8}`, with `expect`, `regex` or `not_contains`';
  // A bare prompt is a smoke check: the model's text decodes cleanly (no U+FFFD replacement characters).
  if (isScalar(node) && typeof node.value === 'string') return { prompt: node.value, notContains: '\ufffd', chat: false, maxTokens: DEFAULT_MAX_TOKENS, pos };
  const entries = mapEntries(ctx, expectMap(ctx, node, pos, 'a prompt check', hint), 'a prompt check');
  checkKeys(ctx, entries, PROMPT_KEYS, 'a prompt check');
  const spec: EvalPromptSpec = { prompt: '', chat: false, maxTokens: DEFAULT_MAX_TOKENS, pos };
  let hasPrompt = false;
  for (const o of entries) {
    if (isNullNode(o.value)) continue;
    switch (o.key) {
      case 'prompt': spec.prompt = expectString(ctx, o.value, o.valuePos, '`prompt`', hint); hasPrompt = true; break;
      case 'expect': spec.expect = textValue(ctx, o, hint); break;
      case 'not_contains': spec.notContains = textValue(ctx, o, hint); break;
      case 'regex': {
        spec.regex = expectString(ctx, o.value, o.valuePos, '`regex`', 'write a JavaScript regular expression, e.g. `regex: "^cba"`');
        try {
          new RegExp(spec.regex, 'u');
        } catch (e) {
          fail(ctx, o.valuePos, `\`regex\` is not a valid regular expression: ${(e as Error).message}`, 'fix the expression (JavaScript syntax, Unicode mode)');
        }
        break;
      }
      case 'chat': spec.chat = bool(ctx, o); break;
      case 'max_tokens': spec.maxTokens = positiveInt(ctx, o, 'e.g. `max_tokens: 8`', 4096); break;
    }
  }
  if (!hasPrompt) fail(ctx, pos, 'a prompt check needs `prompt`', hint);
  if (spec.expect === undefined && spec.regex === undefined && spec.notContains === undefined) {
    fail(ctx, pos, 'a prompt check needs `expect`, `regex` or `not_contains`', hint);
  }
  return spec;
}

/** A string; plain numbers are taken as written (`expect: 46` means the text "46"). */
function textValue(ctx: NodeCtx, o: Entry, hint: string): string {
  const n = o.value;
  if (isScalar(n) && (typeof n.value === 'number' || typeof n.value === 'boolean') && n.source !== undefined) return n.source;
  return expectString(ctx, n, o.valuePos, `\`${o.key}\``, hint);
}

function parseTask(ctx: NodeCtx, node: Node | null, pos: SourcePos): EvalTaskSpec {
  const hint = 'write e.g. `{name: add, file: evals/add.jsonl, max_tokens: 8}` (JSON lines of {"prompt": ..., "answer": ...})';
  const entries = mapEntries(ctx, expectMap(ctx, node, pos, 'a task', hint), 'a task');
  checkKeys(ctx, entries, TASK_KEYS, 'a task');
  let name: string | undefined;
  let file: string | undefined;
  let filePos = pos;
  let maxTokens = DEFAULT_MAX_TOKENS;
  let chat = false;
  for (const o of entries) {
    if (isNullNode(o.value)) continue;
    switch (o.key) {
      case 'name': name = expectString(ctx, o.value, o.valuePos, '`name`', hint); break;
      case 'file': file = expectString(ctx, o.value, o.valuePos, '`file`', hint); filePos = o.valuePos; break;
      case 'max_tokens': maxTokens = positiveInt(ctx, o, 'e.g. `max_tokens: 8`', 4096); break;
      case 'chat': chat = bool(ctx, o); break;
    }
  }
  if (file === undefined || file.trim() === '') fail(ctx, pos, 'a task needs `file`', hint);
  name ??= file.replace(/^.*[\\/]/, '').replace(/\.[^.]*$/, '');
  return { name, file, maxTokens, chat, filePos, pos };
}

function parsePerplexity(ctx: NodeCtx, node: Node | null, pos: SourcePos): EvalPerplexitySpec {
  const hint = 'write e.g. `perplexity: {file: evals/sample.txt, context: 256}`';
  const entries = mapEntries(ctx, expectMap(ctx, node, pos, '`perplexity`', hint), '`perplexity`');
  checkKeys(ctx, entries, PERPLEXITY_KEYS, '`perplexity`');
  let file: string | undefined;
  let filePos = pos;
  let context = DEFAULT_PERPLEXITY_CONTEXT;
  for (const o of entries) {
    if (isNullNode(o.value)) continue;
    if (o.key === 'file') { file = expectString(ctx, o.value, o.valuePos, '`file`', hint); filePos = o.valuePos; }
    if (o.key === 'context') {
      context = positiveInt(ctx, o, 'e.g. `context: 256` (tokens per chunk; the second half of each is scored)', 1 << 17);
      if (context < 4) fail(ctx, o.valuePos, '`context` must be at least 4 tokens', 'e.g. `context: 256`');
    }
  }
  if (file === undefined || file.trim() === '') fail(ctx, pos, '`perplexity` needs `file`', hint);
  return { file, context, filePos, pos };
}
