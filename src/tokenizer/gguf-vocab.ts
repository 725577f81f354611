/**
 * GGUF tokenizer metadata (`tokenizer.ggml.*`) as convert_hf_to_gguf writes it:
 * - SentencePiece (`llama`): pieces, scores and types from `tokenizer.model` (protobuf read
 *   directly), overlaid with added tokens (`_create_vocab_sentencepiece`);
 * - byte-level BPE (`gpt2`): tokens and types from `tokenizer.json`, merges, and
 *   `tokenizer.ggml.pre` recognised by llama.cpp's fingerprint: the sha256 of the token ids of a
 *   fixed text, tokenized here by @huggingface/tokenizers (`get_vocab_base_pre`).
 * Then the special-token block (gguf-special.ts).
 */
import { createHash } from 'node:crypto';
import { Tokenizer } from '@huggingface/tokenizers';
import { MergeopsError } from '../errors.js';
import { kv, type GGUFKV } from '../formats/gguf.js';
import { CHK_TXT, PRE_TOKENIZER_HASHES } from './gguf-pre-hashes.js';
import { specialVocabKVs, type WithConfig } from './gguf-special.js';

/** llama.cpp token types (`llama_token_type`). */
export const TokenType = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5, BYTE: 6 } as const;

type Json = Record<string, unknown>;

export interface SentencePiece {
  piece: string;
  score: number;
  /** sentencepiece ModelProto.SentencePiece.Type: NORMAL 1, UNKNOWN 2, CONTROL 3, USER_DEFINED 4, UNUSED 5, BYTE 6 */
  type: number;
}

// ---------------------------------------------------------------------------------------------
// SentencePiece
// ---------------------------------------------------------------------------------------------

/** The pieces of a SentencePiece `ModelProto` (field 1: repeated {1: piece, 2: score, 3: type}). */
export function parseSentencePieceModel(bytes: Uint8Array, file = 'tokenizer.model'): SentencePiece[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dec = new TextDecoder('utf-8', { fatal: false });
  const bad = (what: string): MergeopsError => new MergeopsError('IO', `${file} is not a SentencePiece model (${what})`,
    'use the tokenizer.model that came with the model, or remove it so tokenizer.json is used');
  const varint = (p: { i: number }, end: number): number => {
    let r = 0;
    let mul = 1;
    for (;;) {
      if (p.i >= end) throw bad('truncated varint');
      const b = bytes[p.i++];
      r += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return r;
      mul *= 128;
      if (mul > 2 ** 63) throw bad('varint too long');
    }
  };
  const skip = (p: { i: number }, wire: number, end: number): void => {
    if (wire === 0) varint(p, end);
    else if (wire === 1) p.i += 8;
    else if (wire === 2) { const n = varint(p, end); p.i += n; }
    else if (wire === 5) p.i += 4;
    else throw bad(`wire type ${wire}`);
    if (p.i > end) throw bad('truncated field');
  };
  const pieces: SentencePiece[] = [];
  const p = { i: 0 };
  while (p.i < bytes.length) {
    const tag = varint(p, bytes.length);
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (field === 1 && wire === 2) {
      const len = varint(p, bytes.length);
      const end = p.i + len;
      if (end > bytes.length) throw bad('truncated piece');
      const sp: SentencePiece = { piece: '', score: 0, type: 1 };
      while (p.i < end) {
        const t = varint(p, end);
        const f = Math.floor(t / 8);
        const w = t & 7;
        if (f === 1 && w === 2) { const n = varint(p, end); sp.piece = dec.decode(bytes.subarray(p.i, p.i + n)); p.i += n; }
        else if (f === 2 && w === 5) { sp.score = dv.getFloat32(p.i, true); p.i += 4; }
        else if (f === 3 && w === 0) sp.type = varint(p, end);
        else skip(p, w, end);
      }
      pieces.push(sp);
    } else {
      skip(p, wire, bytes.length);
    }
  }
  if (pieces.length === 0) throw bad('no pieces');
  return pieces;
}

/** convert's `does_token_look_special`. */
export function looksSpecial(t: string): boolean {
  return ['<pad>', '<mask>', '<2mass>', '[@BOS@]'].includes(t)
    || (t.startsWith('<|') && t.endsWith('|>'))
    || (t.startsWith('<｜') && t.endsWith('｜>'))
    || (t.startsWith('<unused') && t.endsWith('>'));
}

/**
 * `_create_vocab_sentencepiece`: tokens, scores, types padded/cut to `vocabSize`.
 * `phi3`: Phi-3's own variant (`Phi3MiniModel.set_vocab`): added tokens from
 * tokenizer_config.json *and* tokenizer.json, CONTROL only when `special`, no ▁ rewriting.
 */
export function sentencePieceVocab(src: WithConfig, vocabSize: number | undefined, variant: 'default' | 'phi3' = 'default'): { tokens: string[]; scores: number[]; types: number[] } {
  if (!src.tokenizerModel) throw new MergeopsError('INTERNAL', 'no tokenizer.model', 'call sentencePieceVocab only when tokenizer.model exists');
  const pieces = parseSentencePieceModel(src.tokenizerModel);
  const n = vocabSize ?? pieces.length;
  const tokens = Array.from({ length: n }, (_, i) => `[PAD${i}]`);
  const scores = new Array<number>(n).fill(-10000.0);
  const types = new Array<number>(n).fill(TokenType.UNUSED);
  pieces.forEach((sp, id) => {
    if (id >= n) return;
    tokens[id] = sp.piece;
    scores[id] = sp.score;
    // sentencepiece USER_DEFINED pieces become NORMAL here, as in convert
    types[id] = sp.type === 2 ? TokenType.UNKNOWN : sp.type === 3 ? TokenType.CONTROL : sp.type === 5 ? TokenType.UNUSED
      : sp.type === 6 ? TokenType.BYTE : TokenType.NORMAL;
  });
  for (const [text, id] of Object.entries(src.addedTokensJson ?? {})) {
    if (id >= n) continue;
    tokens[id] = text;
    scores[id] = -1000.0;
    types[id] = TokenType.USER_DEFINED;
  }
  if (variant === 'phi3') {
    const overlay = (id: number, data: Json): void => {
      if (!(id < n)) return;
      tokens[id] = String(data['content']);
      scores[id] = -1000.0;
      types[id] = data['special'] === true ? TokenType.CONTROL : TokenType.USER_DEFINED;
    };
    const dec = src.tokenizerConfig?.['added_tokens_decoder'];
    if (dec && typeof dec === 'object') for (const [id, d] of Object.entries(dec as Record<string, Json>)) overlay(Number(id), d);
    for (const d of (src.tokenizerJson?.['added_tokens'] ?? []) as Json[]) overlay(Number(d['id']), d);
    return { tokens, scores, types };
  }
  const decoder = src.tokenizerConfig?.['added_tokens_decoder'];
  if (decoder && typeof decoder === 'object') {
    for (const [idStr, data] of Object.entries(decoder as Record<string, Json>)) {
      const id = Number(idStr);
      if (!(id < n)) continue;
      let token = String(data['content']);
      if (data['special'] === true || looksSpecial(token)) types[id] = TokenType.CONTROL;
      else {
        token = token.replaceAll('\u2581', ' ');
        types[id] = TokenType.USER_DEFINED;
      }
      scores[id] = -1000.0;
      tokens[id] = token;
    }
  }
  return { tokens, scores, types };
}

// ---------------------------------------------------------------------------------------------
// Byte-level BPE
// ---------------------------------------------------------------------------------------------

/** llama.cpp's fingerprint of a tokenizer: sha256 of Python's `str(list_of_ids)` for CHK_TXT. */
export function preTokenizerHash(tokenizerJson: Json, tokenizerConfig: Json | undefined): string {
  const tok = new Tokenizer(tokenizerJson as never, (tokenizerConfig ?? {}) as never);
  const ids = tok.encode(CHK_TXT).ids;
  return createHash('sha256').update(`[${ids.join(', ')}]`).digest('hex');
}

/** The `tokenizer.ggml.pre` name for a hash (last matching row wins, as in convert), or undefined. */
export function preTokenizerName(hash: string): string | undefined {
  let name: string | undefined;
  for (const [h, n] of PRE_TOKENIZER_HASHES) if (h === hash) name = n;
  return name;
}

export interface BpeVocabOptions {
  /** `tokenizer.ggml.pre` to write when the fingerprint is unknown (a deliberate choice by the user) */
  preOverride?: string;
}

/** `get_vocab_base`: tokens and types by id, `[PAD{i}]` for holes. */
export function bpeVocab(src: WithConfig, vocabSize: number | undefined, o: BpeVocabOptions = {}): { tokens: string[]; types: number[]; pre: string } {
  const tj = src.tokenizerJson;
  if (!tj) {
    throw new MergeopsError('IO', 'the model has no tokenizer.json', 'byte-level BPE tokenizers are read from tokenizer.json; add it to the model folder');
  }
  const model = (tj['model'] ?? {}) as Json;
  const vocab = (model['vocab'] ?? {}) as Record<string, number>;
  const byId = new Map<number, string>();
  for (const [t, id] of Object.entries(vocab)) byId.set(id, t);
  const added = new Map<number, Json>();
  for (const a of (tj['added_tokens'] ?? []) as Json[]) {
    const id = Number(a['id']);
    byId.set(id, String(a['content']));
    added.set(id, a);
  }
  let maxId = -1;
  for (const id of byId.keys()) maxId = Math.max(maxId, id);
  const n = vocabSize ?? maxId + 1;
  if (maxId >= n) {
    throw new MergeopsError('IO', `tokenizer.json has token id ${maxId}, but the model's vocab_size is ${n}`,
      'use the tokenizer that belongs to the model (its ids must be below config.json vocab_size)');
  }
  let pre: string;
  const hash = preTokenizerHash(tj, src.tokenizerConfig);
  const known = preTokenizerName(hash);
  if (known !== undefined) pre = known;
  else if (o.preOverride !== undefined) pre = o.preOverride;
  else {
    throw new MergeopsError('USAGE',
      `unknown BPE pre-tokenizer: llama.cpp has no entry for this tokenizer's fingerprint ${hash}`,
      'llama.cpp would refuse it too (convert_hf_to_gguf raises NotImplementedError). If you know which pre-tokenizer it uses '
      + '(e.g. the base model\'s, such as llama-bpe, qwen2, gpt-2), pass --tokenizer-pre NAME; a wrong name tokenizes text wrongly');
  }
  const tokens: string[] = [];
  const types: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = byId.get(i);
    if (t === undefined) { tokens.push(`[PAD${i}]`); types.push(TokenType.UNUSED); continue; }
    const a = added.get(i);
    if (a) {
      // convert re-encodes non-normalized added tokens with the HF tokenizer; for the special
      // tokens of byte-level BPE models that is the identity, so the content is kept
      if (a['special'] === true || looksSpecial(t)) { tokens.push(t); types.push(TokenType.CONTROL); }
      else { tokens.push(t.replaceAll('\u2581', ' ')); types.push(TokenType.USER_DEFINED); }
    } else {
      tokens.push(t);
      types.push(TokenType.NORMAL);
    }
  }
  return { tokens, types, pre };
}

// ---------------------------------------------------------------------------------------------
// Entry points
// ---------------------------------------------------------------------------------------------

export type VocabKind = 'spm' | 'bpe';

/** `tokenizer.ggml.*` KVs for the SentencePiece path (`_set_vocab_sentencepiece`). */
export function sentencePieceKVs(src: WithConfig, vocabSize: number | undefined, variant: 'default' | 'phi3' = 'default'): GGUFKV[] {
  const v = sentencePieceVocab(src, vocabSize, variant);
  return [
    kv.str('tokenizer.ggml.model', 'llama'),
    kv.str('tokenizer.ggml.pre', 'default'),
    kv.strs('tokenizer.ggml.tokens', v.tokens),
    kv.f32s('tokenizer.ggml.scores', v.scores),
    kv.i32s('tokenizer.ggml.token_type', v.types),
    ...specialVocabKVs(src, v.tokens.length, false),
  ];
}

/** `tokenizer.ggml.*` KVs for the byte-level BPE path (`_set_vocab_gpt2`). */
export function bpeKVs(src: WithConfig, vocabSize: number | undefined, o: BpeVocabOptions = {}): GGUFKV[] {
  const v = bpeVocab(src, vocabSize, o);
  return [
    kv.str('tokenizer.ggml.model', 'gpt2'),
    kv.str('tokenizer.ggml.pre', v.pre),
    kv.strs('tokenizer.ggml.tokens', v.tokens),
    kv.i32s('tokenizer.ggml.token_type', v.types),
    ...specialVocabKVs(src, undefined, true),
  ];
}
