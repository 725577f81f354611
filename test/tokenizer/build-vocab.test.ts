/** The output vocabulary on hand-written tokenizers: id order, added-token flags, stripping rules, Unigram vocabularies. */
import { buildOutputVocab } from '../../src/tokenizer/build-vocab.js';
import type { TokenizerModel } from '../../src/tokenizer/types.js';
import { vocabOf } from '../../src/tokenizer/vocab.js';

function model(key: string, type: string, vocab: unknown, added: { id: number; content: string; special?: boolean }[], vocabSize: number): TokenizerModel {
  const files = { tokenizerJson: { model: { type, vocab }, added_tokens: added.map((a) => ({ normalized: false, special: true, ...a })) } };
  return { key, files, vocab: vocabOf(files, key), vocabSize };
}

describe('buildOutputVocab', () => {
  it('appends new tokens in each model\'s id order (integer-like texts included), then new added tokens', () => {
    const base = model('base', 'BPE', { '<s>': 0, a: 1, '10': 2 }, [{ id: 0, content: '<s>' }], 3);
    // JSON object order would put "7" and "3" first; ids say x, 7, 3.
    const other = model('other', 'BPE', { x: 0, '7': 1, '3': 2, a: 3, '<t>': 4 }, [{ id: 4, content: '<t>', special: true }], 5);
    const { vocab } = buildOutputVocab({ source: { kind: 'union' }, models: [base, other], extraTokens: ['a', 'new'] });
    expect(vocab.tokens).toEqual(['<s>', 'a', '10', 'x', '7', '3', '<t>', 'new']);
    expect(vocab.added.get(3)).toMatchObject({ content: 'x', special: false, normalized: true });
    expect(vocab.added.get(6)).toMatchObject({ content: '<t>', special: true, normalized: false });
    expect(vocab.appended.map((a) => a.id)).toEqual([3, 4, 5, 6, 7]);
  });

  it('pads to a multiple and strips tokens past the base rows (BPE only)', () => {
    const bpe = model('m', 'BPE', { a: 0, b: 1, c: 2, d: 3 }, [], 3);
    const { vocab, warnings } = buildOutputVocab({ source: { kind: 'base' }, models: [bpe], extraTokens: [], padToMultipleOf: 8 });
    expect(vocab.tokens).toEqual(['a', 'b', 'c']);
    expect(vocab.stripped).toEqual(['d']);
    expect(vocab.paddedSize).toBe(8);
    expect(warnings.join('\n')).toContain('1 token(s) of `m` past its 3 embedding rows');
    const wl = model('w', 'WordLevel', { a: 0, b: 1, c: 2, d: 3 }, [], 3);
    expect(() => buildOutputVocab({ source: { kind: 'base' }, models: [wl], extraTokens: [] })).toThrow(/only BPE tokenizers can be stripped/);
  });

  it('reads Unigram vocabularies (a list of [piece, score]) and keeps a source model\'s tokenizer whole', () => {
    const base = model('base', 'BPE', { a: 0 }, [], 1);
    const uni = model('uni', 'Unigram', [['<unk>', 0], ['▁hi', -1.5], ['x', -2]], [], 2);
    expect([...uni.vocab!.ids]).toEqual([['<unk>', 0], ['▁hi', 1], ['x', 2]]);
    const { vocab } = buildOutputVocab({ source: { kind: 'model', key: 'uni' }, models: [base, uni], extraTokens: [] });
    expect(vocab.donorKey).toBe('uni');
    expect(vocab.tokens).toEqual(['<unk>', '▁hi', 'x']);
  });

  it('says how to get a tokenizer.json when one is missing', () => {
    const none: TokenizerModel = { key: 'slow', files: {}, vocabSize: 10 };
    expect(() => buildOutputVocab({ source: { kind: 'union' }, models: [none], extraTokens: [] })).toThrow(/has no tokenizer.json/);
  });
});
