/** Reads a model folder's tokenizer files (small JSON and Jinja files; the only I/O of this stage). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MergeopsError } from '../errors.js';
import type { TokenizerFiles } from './types.js';

function readJson(dir: string, name: string): Record<string, unknown> | undefined {
  let text: string;
  try {
    text = readFileSync(join(dir, name), 'utf8');
  } catch {
    return undefined;
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new MergeopsError('IO', `${join(dir, name)} is not valid JSON (${(e as Error).message})`,
      'the file is damaged; download the model again');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new MergeopsError('IO', `${join(dir, name)} is not a JSON object`, 'the file is damaged; download the model again');
  }
  return v as Record<string, unknown>;
}

/** The tokenizer files of the model in `dir`; missing files are left undefined. */
export function readTokenizerFiles(dir: string): TokenizerFiles {
  let chatTemplateJinja: string | undefined;
  try {
    chatTemplateJinja = readFileSync(join(dir, 'chat_template.jinja'), 'utf8');
  } catch {
    chatTemplateJinja = undefined;
  }
  return {
    tokenizerJson: readJson(dir, 'tokenizer.json'),
    tokenizerConfig: readJson(dir, 'tokenizer_config.json'),
    specialTokensMap: readJson(dir, 'special_tokens_map.json'),
    chatTemplateJinja,
  };
}
