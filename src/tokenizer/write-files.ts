/**
 * The output tokenizer files (as text): the donor's tokenizer.json with stripped tokens removed
 * and the new tokens appended to `added_tokens`, its tokenizer_config.json with a rebuilt
 * `added_tokens_decoder` (and the chat template), and its special_tokens_map.json. The union is
 * always a fast tokenizer: slow-tokenizer files of the donor are not carried over.
 */
import { reconcileJsonText } from '../formats/json-text.js';
import type { TokenizerFiles } from '../model/tokenizer-files.js';
import type { AddedToken, OutputVocab } from './types.js';

export interface OutFile {
  name: string;
  text: string;
}

/** Donor files the written tokenizer replaces (never copied next to it). */
export const REPLACED_TOKENIZER_FILES: readonly string[] = [
  'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'tokenizer.model', 'added_tokens.json',
  'merges.txt', 'vocab.json', 'chat_template.jinja', 'chat_template.json',
];

/** Donor files a new chat template replaces. */
export const REPLACED_TEMPLATE_FILES: readonly string[] = ['tokenizer_config.json', 'chat_template.jinja', 'chat_template.json'];

const json = (v: unknown): string => JSON.stringify(v, null, 2) + '\n';

function addedEntry(id: number, a: AddedToken): Record<string, unknown> {
  return { id, content: a.content, single_word: a.single_word, lstrip: a.lstrip, rstrip: a.rstrip, normalized: a.normalized, special: a.special };
}

function mergeParts(m: unknown): string[] {
  if (Array.isArray(m)) return m.map(String);
  return typeof m === 'string' ? m.split(' ') : [];
}

function tokenizerJson(donor: Record<string, unknown>, out: OutputVocab): Record<string, unknown> {
  const tj = structuredClone(donor);
  const model = tj.model as Record<string, unknown>;
  if (out.stripped.length > 0) {
    const gone = new Set(out.stripped);
    const vocab = model.vocab as Record<string, number>;
    model.vocab = Object.fromEntries(Object.entries(vocab).filter(([t]) => !gone.has(t)));
    if (Array.isArray(model.merges)) {
      model.merges = model.merges.filter((m: unknown) => {
        const parts = mergeParts(m);
        return !parts.some((p) => gone.has(p)) && !gone.has(parts.join(''));
      });
    }
  }
  const added = Array.isArray(tj.added_tokens) ? (tj.added_tokens as Record<string, unknown>[]) : [];
  const kept = added.filter((a) => typeof a.id === 'number' && out.added.get(a.id)?.content === a.content);
  // The output's other added tokens: appended ones, and vocabulary tokens named under `tokens:`.
  const keptIds = new Set(kept.map((a) => a.id as number));
  const others = [...out.added].filter(([id]) => !keptIds.has(id)).map(([id, token]) => addedEntry(id, token));
  tj.added_tokens = [...kept, ...others].sort((a, b) => (a.id as number) - (b.id as number));
  return tj;
}

function tokenizerConfig(donor: Record<string, unknown> | undefined, out: OutputVocab | undefined, chatTemplate: string | undefined): Record<string, unknown> {
  const tc: Record<string, unknown> = donor ? structuredClone(donor) : {};
  if (out) {
    const dec: Record<string, unknown> = {};
    for (const [id, a] of [...out.added].sort((x, y) => x[0] - y[0])) {
      const { content, lstrip, normalized, rstrip, single_word, special } = a;
      dec[String(id)] = { content, lstrip, normalized, rstrip, single_word, special };
    }
    tc.added_tokens_decoder = dec;
  }
  if (chatTemplate !== undefined) tc.chat_template = chatTemplate;
  return tc;
}

/** Files of the merged tokenizer (`out` set) or of the donor's with a new chat template only. */
export function outputTokenizerFiles(donor: TokenizerFiles, out: OutputVocab | undefined, chatTemplate: string | undefined): OutFile[] {
  const files: OutFile[] = [];
  if (out && donor.tokenizerJson) files.push({ name: 'tokenizer.json', text: json(tokenizerJson(donor.tokenizerJson, out)) });
  // Without a chat_template setting, the donor's template (wherever it was) stays with the tokenizer.
  const template = chatTemplate ?? (out ? donor.chatTemplateJinja : undefined);
  if (out || chatTemplate !== undefined || donor.tokenizerConfig) {
    const tc = tokenizerConfig(donor.tokenizerConfig, out, template);
    files.push({ name: 'tokenizer_config.json', text: donor.tokenizerConfigText !== undefined ? reconcileJsonText(donor.tokenizerConfigText, tc) : json(tc) });
  }
  if (out && donor.specialTokensMap) files.push({ name: 'special_tokens_map.json', text: json(donor.specialTokensMap) });
  return files;
}
