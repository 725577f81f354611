/**
 * The configured checks on one loaded model: prompts (greedy; expect / regex / not_contains),
 * labelled tasks (exact-match accuracy) and perplexity. A check the model cannot run (no chat
 * template, a text too short for the context) fails with the reason as its output.
 */
import type { EvalPromptSpec } from '../recipe/types.js';
import type { EvalData } from './data.js';
import { CheckError, type GreedyJob, type ModelSession } from './session.js';

export interface ModelResults {
  prompts: { pass: boolean; output: string }[];
  tasks: { correct: number; n: number; outputs: string[] }[];
  perplexity?: { perplexity: number; tokens: number } | { error: string };
  /** (prompts passed + task items right) / (prompts + task items); undefined without either. */
  passRate?: number;
}

/** Whether a prompt's decoded text meets every condition the check gives. */
export function promptPasses(spec: Pick<EvalPromptSpec, 'expect' | 'regex' | 'notContains'>, text: string): boolean {
  if (spec.expect !== undefined && text !== spec.expect) return false;
  if (spec.regex !== undefined && !new RegExp(spec.regex, 'u').test(text)) return false;
  if (spec.notContains !== undefined && text.includes(spec.notContains)) return false;
  return true;
}

/** Every prompt and task item, decoded together (`greedyAll`); one item's CheckError is its output. */
async function generateAll(session: ModelSession, items: readonly { prompt: string; chat: boolean; maxTokens: number }[]): Promise<{ text: string; ran: boolean }[]> {
  const out: { text: string; ran: boolean }[] = new Array(items.length);
  const jobs: GreedyJob[] = [];
  const at: number[] = [];
  items.forEach((item, i) => {
    try {
      jobs.push({ prompt: item.chat ? session.chatTokens(item.prompt) : session.encode(item.prompt), maxTokens: item.maxTokens });
      at.push(i);
    } catch (e) {
      if (!(e instanceof CheckError)) throw e;
      out[i] = { text: `(not run: ${e.message})`, ran: false };
    }
  });
  const generated = await session.greedyAll(jobs);
  generated.forEach((g, k) => {
    out[at[k]] = g instanceof CheckError ? { text: `(not run: ${g.message})`, ran: false } : { text: g.text, ran: true };
  });
  return out;
}

export async function runChecks(session: ModelSession, data: EvalData): Promise<ModelResults> {
  const out: ModelResults = { prompts: [], tasks: [] };
  const generations = [
    ...data.options.prompts.map((p) => ({ prompt: p.prompt, chat: p.chat, maxTokens: p.maxTokens })),
    ...data.tasks.flatMap((t) => t.items.map((i) => ({ prompt: i.prompt, chat: t.spec.chat, maxTokens: t.spec.maxTokens }))),
  ];
  const texts = await generateAll(session, generations);
  let k = 0;
  for (const spec of data.options.prompts) {
    const { text, ran } = texts[k++];
    out.prompts.push({ pass: ran && promptPasses(spec, text), output: text });
  }
  for (const task of data.tasks) {
    const got = task.items.map(() => texts[k++]);
    const outputs = got.map((g) => g.text);
    const correct = task.items.filter((item, i) => got[i].ran && got[i].text === item.answer).length;
    out.tasks.push({ correct, n: task.items.length, outputs });
  }
  const p = data.options.perplexity;
  if (p && data.perplexityText !== undefined) {
    try {
      const r = await session.perplexity(data.perplexityText, p.context);
      out.perplexity = { perplexity: r.perplexity, tokens: r.tokens };
    } catch (e) {
      if (!(e instanceof CheckError)) throw e;
      out.perplexity = { error: e.message };
    }
  }
  const items = out.prompts.length + out.tasks.reduce((a, t) => a + t.n, 0);
  if (items > 0) {
    const passed = out.prompts.filter((x) => x.pass).length + out.tasks.reduce((a, t) => a + t.correct, 0);
    out.passRate = passed / items;
  }
  return out;
}
