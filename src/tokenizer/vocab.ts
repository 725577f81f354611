/** A fast tokenizer's vocabulary (`get_vocab()` and `added_tokens_decoder`) from its JSON files. */
import { MergeopsError } from '../errors.js';
import type { AddedToken, Vocab } from './types.js';
import type { TokenizerFiles } from '../model/tokenizer-files.js';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Flags of an added token, with transformers' defaults for missing ones. */
export function addedTokenOf(content: string, v: Record<string, unknown>): AddedToken {
  return {
    content,
    single_word: v.single_word === true,
    lstrip: v.lstrip === true,
    rstrip: v.rstrip === true,
    normalized: v.normalized === undefined ? v.special !== true : v.normalized === true,
    special: v.special === true,
  };
}

/**
 * The vocabulary of `tokenizer.json`: `model.vocab` (an object for BPE/WordLevel/WordPiece, a list
 * of `[piece, score]` for Unigram), then `added_tokens`, then `added_tokens_decoder` entries of
 * tokenizer_config.json that tokenizer.json lacks. undefined when there is no tokenizer.json.
 */
export function vocabOf(files: TokenizerFiles, label: string): Vocab | undefined {
  const tj = files.tokenizerJson;
  if (!tj) return undefined;
  const model = tj.model;
  if (!isObj(model)) {
    throw new MergeopsError('IO', `${label}: tokenizer.json has no \`model\` object`, 'the file is damaged; download the model again');
  }
  const modelType = typeof model.type === 'string' ? model.type : 'BPE';
  const ids = new Map<string, number>();
  const v = model.vocab;
  if (Array.isArray(v)) {
    v.forEach((e, i) => { if (Array.isArray(e) && typeof e[0] === 'string') ids.set(e[0], i); });
  } else if (isObj(v)) {
    for (const [tok, id] of Object.entries(v)) if (typeof id === 'number') ids.set(tok, id);
  } else {
    throw new MergeopsError('IO', `${label}: tokenizer.json has no \`model.vocab\``, 'the file is damaged; download the model again');
  }
  const added = new Map<number, AddedToken>();
  for (const a of Array.isArray(tj.added_tokens) ? tj.added_tokens : []) {
    if (!isObj(a) || typeof a.id !== 'number' || typeof a.content !== 'string') continue;
    added.set(a.id, addedTokenOf(a.content, a));
    ids.set(a.content, a.id);
  }
  const dec = files.tokenizerConfig?.added_tokens_decoder;
  if (isObj(dec)) {
    for (const [k, a] of Object.entries(dec)) {
      const id = Number(k);
      if (!Number.isInteger(id) || !isObj(a) || typeof a.content !== 'string' || added.has(id)) continue;
      added.set(id, addedTokenOf(a.content, a));
      ids.set(a.content, id);
    }
  }
  return { ids, added, modelType };
}
