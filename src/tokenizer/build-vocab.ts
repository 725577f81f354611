/**
 * The output vocabulary, as mergekit's `build_tokenizer` makes it (§3.2): `base` keeps the
 * base model's ids (tokens past its embedding rows stripped), `<model>` takes that model's
 * tokenizer as is, `union` keeps the base ids and appends every other model's new tokens, then
 * their new added tokens with their flags. Tokens named under `tokens:` become ordinary added
 * tokens (transformers' `add_tokens`, as mergekit does): appended when missing, at their id otherwise.
 */
import { MergeopsError } from '../errors.js';
import type { AddedToken, OutputVocab, TokenizerModel, Vocab } from './types.js';

export type VocabSource = { kind: 'union' } | { kind: 'base' } | { kind: 'model'; key: string };

export interface BuildVocabInput {
  source: VocabSource;
  /** Every model of the merge, the tokenizer base (base_model or first model) first. */
  models: TokenizerModel[];
  /** Token texts listed under `tokens:`. */
  extraTokens: string[];
  padToMultipleOf?: number;
}

/** transformers' `add_tokens("text")`: a normalized, non-special added token. */
export function plainAddedToken(content: string): AddedToken {
  return { content, single_word: false, lstrip: false, rstrip: false, normalized: true, special: false };
}

function needVocab(m: TokenizerModel, why: string): Vocab {
  if (m.vocab) return m.vocab;
  throw new MergeopsError('USAGE', `model \`${m.key}\` has no tokenizer.json, which ${why} needs`,
    'save the model\'s tokenizer as a fast tokenizer (AutoTokenizer.from_pretrained(...).save_pretrained(dir) writes tokenizer.json)');
}

function sameFlags(a: AddedToken, b: AddedToken): boolean {
  return a.special === b.special && a.lstrip === b.lstrip && a.rstrip === b.rstrip
    && a.normalized === b.normalized && a.single_word === b.single_word;
}

/** The base vocabulary without the tokens whose id is past the model's embedding rows. */
function stripped(m: TokenizerModel, v: Vocab): { ids: Map<string, number>; added: Map<number, AddedToken>; dropped: string[] } {
  const ids = new Map<string, number>();
  const dropped: string[] = [];
  for (const [t, id] of v.ids) (id < m.vocabSize ? ids.set(t, id) : dropped.push(t));
  if (dropped.length > 0 && v.modelType !== 'BPE') {
    throw new MergeopsError('USAGE',
      `the tokenizer of \`${m.key}\` has ${dropped.length} token(s) past its ${m.vocabSize} embedding rows, and only BPE tokenizers can be stripped of them (this one is ${v.modelType})`,
      'use `tokenizer_source: union` or another model\'s tokenizer, or fix the model\'s vocab_size');
  }
  const added = new Map([...v.added].filter(([id]) => id < m.vocabSize));
  return { ids, added, dropped };
}

export function buildOutputVocab(input: BuildVocabInput): { vocab: OutputVocab; warnings: string[] } {
  const warnings: string[] = [];
  const base = input.models[0];
  let donor = base;
  let ids: Map<string, number>;
  let added: Map<number, AddedToken>;
  let dropped: string[] = [];
  const appended: { id: number; token: AddedToken }[] = [];
  let next = 0;
  const append = (token: AddedToken): void => {
    if (ids.has(token.content)) return;
    ids.set(token.content, next);
    added.set(next, token);
    appended.push({ id: next, token });
    next++;
  };

  if (input.source.kind === 'model') {
    const key = input.source.key;
    donor = input.models.find((m) => m.key === key) ?? base;
    const v = needVocab(donor, 'a tokenizer source');
    ids = new Map(v.ids);
    added = new Map(v.added);
  } else {
    const s = stripped(base, needVocab(base, `\`tokenizer_source: ${input.source.kind}\``));
    ids = s.ids;
    added = s.added;
    dropped = s.dropped;
    if (dropped.length > 0) warnings.push(`${dropped.length} token(s) of \`${base.key}\` past its ${base.vocabSize} embedding rows were removed from the tokenizer`);
  }
  next = Math.max(-1, ...ids.values()) + 1;

  if (input.source.kind === 'union') {
    // Ordered set of every model's ordinary tokens, and of their added tokens (first definition wins).
    const normal: string[] = [];
    const seen = new Set<string>();
    const addedUnion = new Map<string, AddedToken>();
    for (const m of input.models) {
      if (!m.vocab) {
        warnings.push(`model \`${m.key}\` has no tokenizer.json: its vocabulary is assumed to be the base model's`);
        continue;
      }
      const addedTexts = new Set([...m.vocab.added.values()].map((a) => a.content));
      let past = 0;
      // By id: mergekit walks get_vocab(), a dict built from a hash map, so its order is arbitrary;
      // id order is the deterministic choice (and matches it whenever each model adds one run).
      for (const [t, id] of [...m.vocab.ids].sort((x, y) => x[1] - y[1])) {
        if (id >= m.vocabSize) {
          past++;
          continue;
        }
        if (addedTexts.has(t) || seen.has(t)) continue;
        seen.add(t);
        normal.push(t);
      }
      if (past > 0) warnings.push(`${past} token(s) of \`${m.key}\` have ids past its ${m.vocabSize} embedding rows: left out of the union`);
      for (const [id, a] of [...m.vocab.added].sort((x, y) => x[0] - y[0])) {
        if (id >= m.vocabSize) continue;
        const prev = addedUnion.get(a.content);
        if (!prev) addedUnion.set(a.content, a);
        else if (!sameFlags(prev, a)) warnings.push(`added token ${JSON.stringify(a.content)} has different flags in \`${m.key}\`; the first model's are kept`);
      }
    }
    for (const t of normal) if (!addedUnion.has(t)) append(plainAddedToken(t));
    for (const a of addedUnion.values()) {
      const id = ids.get(a.content);
      // An added token the base already has keeps its id (and the base's flags).
      if (id === undefined) append(a);
    }
  }
  for (const t of input.extraTokens) {
    const id = ids.get(t);
    // mergekit calls add_tokens(t) for every token named under `tokens:`: one the vocabulary has
    // becomes an added token at its id (matched before the model's own splitting, as transformers does).
    if (id !== undefined) {
      if (!added.has(id)) added.set(id, plainAddedToken(t));
    } else {
      append(plainAddedToken(t));
    }
  }

  const tokens: (string | undefined)[] = new Array<string | undefined>(next).fill(undefined);
  for (const [t, id] of ids) tokens[id] = t;
  const pad = input.padToMultipleOf ?? 1;
  const paddedSize = Math.ceil(tokens.length / pad) * pad;
  return { vocab: { tokens, ids, added, paddedSize, donorKey: donor.key, appended, stripped: dropped }, warnings };
}
