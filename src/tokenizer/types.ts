/** Tokenizer data as the tokenizer stage sees it: raw files in, a vocabulary model, the output vocabulary. */
import type { RowGather } from '../model/tensor.js';
import type { TokenizerFiles } from '../model/tokenizer-files.js';

/** An added token's flags, as in `tokenizer.json`'s `added_tokens` and `added_tokens_decoder`. */
export interface AddedToken {
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

/** What `get_vocab()` and `added_tokens_decoder` of a fast tokenizer return. */
export interface Vocab {
  /** token → id: the model vocabulary and the added tokens. */
  ids: Map<string, number>;
  /** Added tokens by id. */
  added: Map<number, AddedToken>;
  /** `model.type` of tokenizer.json (BPE, WordLevel, Unigram, WordPiece). */
  modelType: string;
}

/** One model as the tokenizer stage needs it. */
export interface TokenizerModel {
  key: string;
  files: TokenizerFiles;
  /** undefined when the model has no readable tokenizer.json. */
  vocab?: Vocab;
  /** config.json vocabulary size (rows of its embedding matrix). */
  vocabSize: number;
}

/** The merged model's vocabulary. */
export interface OutputVocab {
  /** Token text by output id (undefined for an id no token uses); length = real vocabulary size. */
  tokens: (string | undefined)[];
  /** Output id by token text. */
  ids: Map<string, number>;
  /** Added tokens of the output tokenizer by id (the base's, then the new ones). */
  added: Map<number, AddedToken>;
  /** Rows of the output embedding: `tokens.length` rounded up to `pad_to_multiple_of`. */
  paddedSize: number;
  /** Key of the model whose tokenizer the output is built on. */
  donorKey: string;
  /** Tokens (not in the donor's vocabulary) appended by the union or by `tokens:`, in id order. */
  appended: { id: number; token: AddedToken }[];
  /** Base-vocabulary tokens dropped because their id is past the donor's embedding rows. */
  stripped: string[];
}

/**
 * How one model's embedding-like tensor is rebuilt for the output vocabulary. Row r is row
 * `map[r]` of the model's own tensor when ≥ 0, zeros when −1, `mixes[-2 - map[r]]` otherwise.
 * `sources[0]` is the model itself; mixes may read rows of any of `sources` (model keys).
 */
export interface ModelRowGather extends RowGather {
  sources: string[];
}

