/** Reads a model folder's tokenizer files (small JSON and Jinja files; the only I/O of this stage). */
import { join } from 'node:path';
import { parseJsonObject, readOptionalFile, readOptionalJsonObject } from '../io/optional-file.js';
import type { TokenizerFiles } from '../model/tokenizer-files.js';

/** The tokenizer files of the model in `dir` (small files; tokenizer.model is a few MB at most); missing files are left undefined. */
export function readTokenizerFiles(dir: string): TokenizerFiles {
  const files: TokenizerFiles = {};
  const tm = readOptionalFile(join(dir, 'tokenizer.model'));
  if (tm) files.tokenizerModel = new Uint8Array(tm);
  files.tokenizerJson = readOptionalJsonObject(join(dir, 'tokenizer.json'));
  const config = readOptionalFile(join(dir, 'tokenizer_config.json'));
  if (config) {
    // kept as written too: the output's tokenizer_config.json is this text with only the changed keys edited
    files.tokenizerConfigText = config.toString('utf8');
    files.tokenizerConfig = parseJsonObject(files.tokenizerConfigText, join(dir, 'tokenizer_config.json'));
  }
  files.specialTokensMap = readOptionalJsonObject(join(dir, 'special_tokens_map.json'));
  const added = readOptionalJsonObject(join(dir, 'added_tokens.json'));
  if (added) files.addedTokensJson = added as Record<string, number>;
  const jinja = readOptionalFile(join(dir, 'chat_template.jinja'));
  if (jinja) files.chatTemplateJinja = jinja.toString('utf8');
  files.chatTemplateJson = readOptionalJsonObject(join(dir, 'chat_template.json'));
  const merges = readOptionalFile(join(dir, 'merges.txt'));
  if (merges) files.mergesTxt = merges.toString('utf8');
  return files;
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
