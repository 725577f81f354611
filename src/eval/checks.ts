/**
 * The configured checks on one loaded model: prompts (greedy; expect / regex / not_contains),
 * labelled tasks (exact-match accuracy) and perplexity. A check the model cannot run (no chat
 * template, a text too short for the context) fails with the reason as its output.
 */
import type { EvalPromptSpec } from '../recipe/types.js';
import type { EvalData } from './data.js';
import { CheckError, type ModelSession } from './session.js';

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

async function generate(session: ModelSession, prompt: string, chat: boolean, maxTokens: number): Promise<string> {
  const tokens = chat ? session.chatTokens(prompt) : session.encode(prompt);
  return (await session.greedy(tokens, maxTokens)).text;
}

export async function runChecks(session: ModelSession, data: EvalData, onItem?: () => void): Promise<ModelResults> {
  const out: ModelResults = { prompts: [], tasks: [] };
  for (const spec of data.options.prompts) {
    try {
      const text = await generate(session, spec.prompt, spec.chat, spec.maxTokens);
      out.prompts.push({ pass: promptPasses(spec, text), output: text });
    } catch (e) {
      if (!(e instanceof CheckError)) throw e;
      out.prompts.push({ pass: false, output: `(not run: ${e.message})` });
    }
    onItem?.();
  }
  for (const task of data.tasks) {
    let correct = 0;
    const outputs: string[] = [];
    for (const item of task.items) {
      let text: string;
      try {
        text = await generate(session, item.prompt, task.spec.chat, task.spec.maxTokens);
      } catch (e) {
        if (!(e instanceof CheckError)) throw e;
        text = `(not run: ${e.message})`;
      }
      outputs.push(text);
      if (text === item.answer) correct++;
      onItem?.();
    }
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
