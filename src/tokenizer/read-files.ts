/** Reads a model folder's tokenizer files (small JSON and Jinja files; the only I/O of this stage). */
import { folderView, parseJsonObject, viewJsonObject, type FileView } from '../io/optional-file.js';
import type { TokenizerFiles } from '../model/tokenizer-files.js';

/** The tokenizer files of the model in `dir` (or a view of a folder); missing files are left undefined. */
export function readTokenizerFiles(from: string | FileView): TokenizerFiles {
  const view = typeof from === 'string' ? folderView(from) : from;
  const files: TokenizerFiles = {};
  const tm = view.read('tokenizer.model');
  if (tm) files.tokenizerModel = new Uint8Array(tm);
  files.tokenizerJson = viewJsonObject(view, 'tokenizer.json');
  const config = view.read('tokenizer_config.json');
  if (config) {
    // kept as written too: the output's is this text with only the changed keys edited
    files.tokenizerConfigText = config.toString('utf8');
    files.tokenizerConfig = parseJsonObject(files.tokenizerConfigText, view.path('tokenizer_config.json'));
  }
  files.specialTokensMap = viewJsonObject(view, 'special_tokens_map.json');
  const added = viewJsonObject(view, 'added_tokens.json');
  if (added) files.addedTokensJson = added as Record<string, number>;
  const jinja = view.read('chat_template.jinja');
  if (jinja) files.chatTemplateJinja = jinja.toString('utf8');
  files.chatTemplateJson = viewJsonObject(view, 'chat_template.json');
  const merges = view.read('merges.txt');
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
