/**
 * `chat_template:` — `auto` (the template most of the models use), a built-in name, or a Jinja
 * string — resolved to the template text and checked by rendering a sample conversation with
 * @huggingface/jinja (a sandboxed interpreter: templates never run as code).
 */
import { Template } from '@huggingface/jinja';
import { BUILTIN_CHAT_TEMPLATES } from './chat-templates.js';
import type { TokenizerFiles } from '../model/tokenizer-files.js';

/** A conversation every chat template should render (user first, alternating, as Mistral's requires). */
export const SAMPLE_CONVERSATION = [
  { role: 'user', content: 'What is 2 + 2?' },
  { role: 'assistant', content: '4.' },
  { role: 'user', content: 'And 3 + 3?' },
] as const;

/** The template a model's tokenizer carries: chat_template.jinja, else tokenizer_config.json's (the `default` of a named list). */
export function modelChatTemplate(files: TokenizerFiles): string | undefined {
  if (files.chatTemplateJinja !== undefined) return files.chatTemplateJinja;
  const t = files.tokenizerConfig?.chat_template;
  if (typeof t === 'string') return t;
  if (Array.isArray(t)) {
    const named = t.filter((e): e is { name: string; template: string } =>
      typeof e === 'object' && e !== null && typeof (e as { template?: unknown }).template === 'string');
    return (named.find((e) => e.name === 'default') ?? named[0])?.template;
  }
  return undefined;
}

/** mergekit's `auto`: the most common (stripped) template among the models; the first model's on a tie; undefined if none has one. */
export function mostCommonTemplate(models: TokenizerFiles[]): string | undefined {
  const counts = new Map<string, number>();
  for (const f of models) {
    const t = modelChatTemplate(f)?.trim();
    if (t) counts.set(t, (counts.get(t) ?? 0) + 1);
  }
  let best: string | undefined;
  let bestCount = 0;
  for (const [t, c] of counts) if (c > bestCount) { best = t; bestCount = c; }
  return best;
}

/** Line and column (1-based) of offset `i` in `text`. */
function lineCol(text: string, i: number): { line: number; col: number } {
  const before = text.slice(0, i).split('\n');
  return { line: before.length, col: before[before.length - 1].length + 1 };
}

const BLOCKS: Readonly<Record<string, string>> = {
  for: 'endfor', if: 'endif', macro: 'endmacro', call: 'endcall', filter: 'endfilter', generation: 'endgeneration',
};

/**
 * Finds unclosed or unbalanced tags, with their position: the mistakes the interpreter reports
 * without one. undefined when the tags balance.
 */
export function tagProblem(text: string): { message: string; line: number; col: number } | undefined {
  const stack: { name: string; at: number }[] = [];
  const open = /\{\{|\{%|\{#/g;
  let m: RegExpExecArray | null;
  while ((m = open.exec(text)) !== null) {
    const close = m[0] === '{{' ? '}}' : m[0] === '{%' ? '%}' : '#}';
    const end = text.indexOf(close, m.index + 2);
    if (end < 0) return { message: `\`${m[0]}\` is never closed by \`${close}\``, ...lineCol(text, m.index) };
    if (m[0] === '{%') {
      const word = /^[-+]?\s*(\w+)/.exec(text.slice(m.index + 2, end))?.[1];
      const body = text.slice(m.index + 2, end);
      if (word && word in BLOCKS) stack.push({ name: word, at: m.index });
      else if (word === 'set' && !body.includes('=')) stack.push({ name: 'set', at: m.index });
      else if (word && word.startsWith('end')) {
        const top = stack.pop();
        const want = top ? (top.name === 'set' ? 'endset' : BLOCKS[top.name]) : undefined;
        if (want !== word) {
          return {
            message: top ? `\`{% ${word} %}\` closes \`{% ${top.name} %}\` (opened at line ${lineCol(text, top.at).line}), which needs \`{% ${want} %}\`` : `\`{% ${word} %}\` has no opening tag`,
            ...lineCol(text, m.index),
          };
        }
      }
    }
    open.lastIndex = end + 2;
  }
  const top = stack.pop();
  if (top) {
    const want = top.name === 'set' ? 'endset' : BLOCKS[top.name];
    return { message: `\`{% ${top.name} %}\` is never closed by \`{% ${want} %}\``, ...lineCol(text, top.at) };
  }
  return undefined;
}

export type ChatTemplateResult =
  | { ok: true; template: string; rendered: string; warning?: string }
  | { ok: false; message: string; line?: number; col?: number };

/**
 * Parses the template and renders the sample conversation. Any template the interpreter renders
 * is valid (a literal `{{messages[0]['content']}}` is, as in mergekit); one whose output holds
 * none of the messages gets a warning.
 */
export function validateChatTemplate(template: string, specials: { bos?: string; eos?: string } = {}): ChatTemplateResult {
  const tag = tagProblem(template);
  if (tag) return { ok: false, message: tag.message, line: tag.line, col: tag.col };
  let t: Template;
  try {
    t = new Template(template);
  } catch (e) {
    return { ok: false, message: `the template does not parse: ${(e as Error).message}` };
  }
  try {
    const rendered = t.render({
      messages: SAMPLE_CONVERSATION.map((m) => ({ ...m })),
      add_generation_prompt: true,
      bos_token: specials.bos ?? '<s>',
      eos_token: specials.eos ?? '</s>',
    });
    if (!SAMPLE_CONVERSATION.some((m) => rendered.includes(m.content))) {
      return { ok: true, template, rendered, warning: 'chat_template: rendering a sample conversation outputs none of the messages\' contents (does the template use `messages`?)' };
    }
    return { ok: true, template, rendered };
  } catch (e) {
    return { ok: false, message: `rendering a sample conversation (user, assistant, user) fails: ${(e as Error).message}` };
  }
}

/** The template text for a `chat_template:` value; undefined for `auto` when no model has one. */
export function resolveChatTemplate(value: string, models: TokenizerFiles[]): string | undefined {
  if (value === 'auto') return mostCommonTemplate(models);
  return BUILTIN_CHAT_TEMPLATES[value] ?? value;
}
