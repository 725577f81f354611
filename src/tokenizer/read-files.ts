/** Reads a model folder's tokenizer files (small JSON and Jinja files; the only I/O of this stage). */
import { folderView, parseJsonObject, viewJsonObject, type FileView } from '../io/optional-file.js';
import type { GGUFSources } from '../model/resolved.js';
import type { TokenizerFiles } from '../model/tokenizer-files.js';

/** Which fields of `TokenizerFiles` each file fills (what `readTokenizerFiles` reads). */
const FIELDS_OF_FILE: Readonly<Record<string, readonly (keyof TokenizerFiles)[]>> = {
  'tokenizer.model': ['tokenizerModel'],
  'tokenizer.json': ['tokenizerJson'],
  'tokenizer_config.json': ['tokenizerConfig', 'tokenizerConfigText'],
  'special_tokens_map.json': ['specialTokensMap'],
  'added_tokens.json': ['addedTokensJson'],
  'chat_template.jinja': ['chatTemplateJinja'],
  'chat_template.json': ['chatTemplateJson'],
  'merges.txt': ['mergesTxt'],
};

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
 * What a folder's GGUF metadata is built from besides config.json: its tokenizer files (`tokenizer`
 * when the caller read them already) and generation config.
 */
export function readGGUFSources(from: string | FileView, tokenizer?: TokenizerFiles): GGUFSources {
  const view = typeof from === 'string' ? folderView(from) : from;
  const sources: GGUFSources = { tokenizer: tokenizer ?? readTokenizerFiles(view) };
  const generationConfig = viewJsonObject(view, 'generation_config.json');
  if (generationConfig) sources.generationConfig = generationConfig;
  return sources;
}

/**
 * The tokenizer files of a folder a run is about to write, from what it holds in memory: each
 * file as `written` (text the plan writes), else the donor's (`donor`, as resolve read its folder)
 * when the run copies it (`copied`), else absent. Pure: written files are parsed by
 * `readTokenizerFiles` from memory, named `<file> (planned output)` in errors. The tokenizer of an
 * earlier stage of a multi-stage recipe, and of a merge's output for its GGUF metadata.
 */
export function plannedFolderTokenizer(donor: TokenizerFiles, copied: readonly string[], written: readonly { name: string; text: string }[]): TokenizerFiles {
  const texts = new Map(written.map((f) => [f.name, f.text]));
  const parsed = readTokenizerFiles({
    path: (name) => `${name} (planned output)`,
    read: (name) => { const t = texts.get(name); return t === undefined ? undefined : Buffer.from(t, 'utf8'); },
  });
  const out: Record<string, unknown> = {};
  for (const [name, fields] of Object.entries(FIELDS_OF_FILE)) {
    const from: TokenizerFiles | undefined = texts.has(name) ? parsed : copied.includes(name) ? donor : undefined;
    for (const f of fields) if (from?.[f] !== undefined) out[f] = from[f];
  }
  return out as TokenizerFiles;
}
