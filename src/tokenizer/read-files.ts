/** Reads a model folder's tokenizer files (small JSON and Jinja files; the only I/O of this stage). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MergeopsError } from '../errors.js';
import type { TokenizerFiles } from './types.js';

function readText(dir: string, name: string): string | undefined {
  try {
    return readFileSync(join(dir, name), 'utf8');
  } catch {
    return undefined;
  }
}

function readJson(dir: string, name: string, text = readText(dir, name)): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
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
  const tokenizerConfigText = readText(dir, 'tokenizer_config.json');
  return {
    tokenizerJson: readJson(dir, 'tokenizer.json'),
    tokenizerConfig: readJson(dir, 'tokenizer_config.json', tokenizerConfigText),
    tokenizerConfigText,
    specialTokensMap: readJson(dir, 'special_tokens_map.json'),
    chatTemplateJinja,
  };
}

/**
 * The tokenizer a plan writes: its `outFiles` (a merged tokenizer, or a new chat template) over
 * the tokenizer files of its donor folder. Used for earlier stages of multi-stage recipes, and
 * what GGUF tokenizer metadata should be built from: `plannedTokenizerFiles(plan.outFiles, plan.donor.dir)`.
 */
export function plannedTokenizerFiles(outFiles: readonly { name: string; text: string }[] | undefined, donorDir: string): TokenizerFiles {
  const files = readTokenizerFiles(donorDir);
  for (const f of outFiles ?? []) {
    const v = JSON.parse(f.text) as Record<string, unknown>;
    if (f.name === 'tokenizer.json') files.tokenizerJson = v;
    else if (f.name === 'special_tokens_map.json') files.specialTokensMap = v;
    else if (f.name === 'tokenizer_config.json') {
      files.tokenizerConfig = v;
      files.tokenizerConfigText = f.text;
      files.chatTemplateJinja = undefined; // the stage's template lives in its tokenizer_config.json
    }
  }
  return files;
}
