/**
 * GGUF tokenizer metadata: the SentencePiece protobuf reader, convert's vocabulary rules,
 * SpecialVocab's special-token logic, the BPE path with llama.cpp's pre-tokenizer fingerprint —
 * and llama.cpp tokenizing with what we wrote exactly as the HF tokenizer does.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { MergeopsError } from '../../src/errors.js';
import { quantizeFolder } from '../../src/quantize.js';
import { readTokenizerFiles } from '../../src/tokenizer/read-files.js';
import { specialVocabKVs } from '../../src/tokenizer/gguf-special.js';
import { CHK_TXT, PRE_TOKENIZER_HASHES } from '../../src/tokenizer/gguf-pre-hashes.js';
import { bpeVocab, parseSentencePieceModel, preTokenizerHash, preTokenizerName, sentencePieceVocab, TokenType } from '../../src/tokenizer/gguf-vocab.js';
import { generateModel } from '../support/generate-model.js';
import { loadGGUF } from '../support/llama-cpp.js';
import { EXAMPLE_MODELS, tempDir } from '../support/tmp.js';

const { dir: TMP, cleanup } = tempDir('mergeops-gguf-vocab-');
afterAll(cleanup);
const BASE = path.join(EXAMPLE_MODELS, 'base');

const kvMap = (kvs: ReturnType<typeof specialVocabKVs>) => kvs.map((e) => [e.key, e.value]);

describe('SentencePiece', () => {
  test('tokenizer.model pieces, scores and types (fixture: 3 specials, 256 bytes, 61 pieces)', () => {
    const pieces = parseSentencePieceModel(new Uint8Array(readFileSync(path.join(BASE, 'tokenizer.model'))));
    expect(pieces.length).toBe(320);
    expect(pieces.slice(0, 4).map((p) => [p.piece, p.type])).toEqual([['<unk>', 2], ['<s>', 3], ['</s>', 3], ['<0x00>', 6]]);
    expect(pieces[258].piece).toBe('<0xFF>');
    expect(pieces.slice(259, 265).map((p) => p.piece)).toEqual(['▁r', 'ev', '▁rev', 'DO', 'WN', '▁DO']);
    expect(pieces[271].piece).toBe('▁');
    expect(pieces[276].piece).toBe('=');
    // BPE scores fall with merge rank
    expect(pieces[259].score).toBeGreaterThan(pieces[260].score);
    expect(() => parseSentencePieceModel(new TextEncoder().encode('{"not": "protobuf"}'))).toThrow(MergeopsError);
  });

  test('convert\'s overlay: added_tokens.json, added_tokens_decoder (special / looks-special → CONTROL, else USER_DEFINED with ▁ → space), [PAD] fill', () => {
    const tokenizerModel = new Uint8Array(readFileSync(path.join(BASE, 'tokenizer.model')));
    const v = sentencePieceVocab({
      config: {}, tokenizerModel,
      addedTokensJson: { '<extra>': 320 },
      tokenizerConfig: { added_tokens_decoder: {
        321: { content: '<|im_end|>', special: false }, 322: { content: '▁hi', special: false }, 999: { content: 'x', special: true },
      } },
    }, 324);
    expect(v.tokens.slice(319)).toEqual([v.tokens[319], '<extra>', '<|im_end|>', ' hi', '[PAD323]']);
    expect(v.types.slice(320)).toEqual([TokenType.USER_DEFINED, TokenType.CONTROL, TokenType.USER_DEFINED, TokenType.UNUSED]);
    expect(v.scores.slice(320)).toEqual([-1000, -1000, -1000, -10000]);
    // Phi-3's variant: tokenizer.json added tokens too, CONTROL only when special, no ▁ rewriting
    const phi = sentencePieceVocab({
      config: {}, tokenizerModel,
      tokenizerConfig: { added_tokens_decoder: { 320: { content: '<|im_end|>', special: false }, 321: { content: '▁hi', special: false } } },
      tokenizerJson: { added_tokens: [{ id: 322, content: '<|end|>', special: true }] },
    }, 323, 'phi3');
    expect(phi.tokens.slice(320)).toEqual(['<|im_end|>', '▁hi', '<|end|>']);
    expect(phi.types.slice(320)).toEqual([TokenType.USER_DEFINED, TokenType.USER_DEFINED, TokenType.CONTROL]);
    // vocab_size smaller than the model: cut
    expect(sentencePieceVocab({ config: {}, tokenizerModel }, 300).tokens.length).toBe(300);
  });
});

describe('SpecialVocab', () => {
  test('Llama-3-like template: bos added, no eos, pair bos A bos B → add_sep false; chat template; ids by content', () => {
    const kvs = specialVocabKVs({
      config: { bos_token_id: 10, eos_token_id: [11, 12], pad_token_id: 13 },
      tokenizerJson: {
        added_tokens: [{ id: 10, content: '<|begin|>' }, { id: 11, content: '<|end|>' }],
        post_processor: { type: 'Sequence', processors: [{ type: 'ByteLevel' }, {
          type: 'TemplateProcessing',
          single: [{ SpecialToken: { id: '<|begin|>' } }, { Sequence: { id: 'A' } }],
          pair: [{ SpecialToken: { id: '<|begin|>' } }, { Sequence: { id: 'A' } }, { SpecialToken: { id: '<|begin|>' } }, { Sequence: { id: 'B' } }],
        }] },
        model: { merges: [['a', 'b c'], ['ab', 'c']] },
      },
      tokenizerConfig: { bos_token: '<|begin|>', eos_token: '<|end|>', chat_template: '{{ x }}' },
    }, 100, true);
    expect(kvMap(kvs)).toEqual([
      ['tokenizer.ggml.merges', ['a b\u0120c', 'ab c']],
      ['tokenizer.ggml.bos_token_id', 10], ['tokenizer.ggml.eos_token_id', 11], ['tokenizer.ggml.padding_token_id', 13],
      ['tokenizer.ggml.add_bos_token', true], ['tokenizer.ggml.add_sep_token', false],
      ['tokenizer.chat_template', '{{ x }}'],
    ]);
  });

  test('RobertaProcessing adds bos/eos/sep; a trailing eos in the template sets add_eos; out-of-range ids skipped; lowercase normalizer', () => {
    const roberta = specialVocabKVs({ config: { bos_token_id: 0, eos_token_id: 500 }, tokenizerJson: { post_processor: { type: 'RobertaProcessing' },
      normalizer: { type: 'BertNormalizer', lowercase: true } } }, 100, false);
    expect(kvMap(roberta)).toEqual([
      ['tokenizer.ggml.bos_token_id', 0],
      ['tokenizer.ggml.add_bos_token', true], ['tokenizer.ggml.add_eos_token', true], ['tokenizer.ggml.add_sep_token', true],
      ['tokenizer.ggml.normalizer.lowercase', true],
    ]);
    const eos = specialVocabKVs({ config: {}, tokenizerJson: {
      added_tokens: [{ id: 1, content: '<s>' }, { id: 2, content: '</s>' }],
      post_processor: { type: 'TemplateProcessing', single: [{ SpecialToken: { id: '<s>' } }, { Sequence: { id: 'A' } }, { SpecialToken: { id: '</s>' } }] },
    }, tokenizerConfig: { bos_token: '<s>', eos_token: '</s>', add_bos_token: false } }, 10, false);
    expect(kvMap(eos)).toEqual([
      ['tokenizer.ggml.bos_token_id', 1], ['tokenizer.ggml.eos_token_id', 2],
      ['tokenizer.ggml.add_bos_token', false], ['tokenizer.ggml.add_eos_token', true],
    ]);
  });
});

describe('byte-level BPE', () => {
  const QWEN = path.join(TMP, 'qwen');
  beforeAll(async () => {
    await generateModel({ arch: 'qwen2', dir: QWEN, dtype: 'F32', seed: 1, hiddenSize: 64, numLayers: 1, vocabSize: 600 });
  });

  test('the known-hash table is llama.cpp\'s (97 rows, later duplicates win)', () => {
    expect(PRE_TOKENIZER_HASHES.length).toBe(97);
    expect(preTokenizerName('0ef9807a4087ebef797fc749390439009c3b9eda9ad1a097abbe738f486c01e5')).toBe('llama-bpe');
    expect(preTokenizerName('e636dc30a262dcc0d8c323492e32ae2b70728f4df7dfe9737d9f920a282b8aea')).toBe('qwen2');
    expect(preTokenizerName('b6dc8df998e1cfbdc4eac8243701a65afe638679230920b50d6f17d81c098166')).toBe('olmo');
    expect(preTokenizerName('0876d13b50744004aa9aeae05e7b0647eac9d801b5ba4668afc01e709c15e19f')).toBe('jina-v2-en');
    expect(preTokenizerName('0'.repeat(64))).toBeUndefined();
    expect(CHK_TXT.startsWith('\n \n\n \n\n\n \t \t\t \t\n')).toBe(true);
    expect(CHK_TXT.endsWith("We'Ve a'lL")).toBe(true);
  });

  test('an unknown fingerprint is an error naming the hash and the way out, never a guess', async () => {
    const src = { ...readTokenizerFiles(QWEN), config: JSON.parse(readFileSync(path.join(QWEN, 'config.json'), 'utf8')) as Record<string, unknown> };
    const hash = preTokenizerHash(src.tokenizerJson!, src.tokenizerConfig);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    let err: unknown;
    try { bpeVocab(src, 600); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(MergeopsError);
    expect((err as MergeopsError).message).toContain(hash);
    expect((err as MergeopsError).hint).toMatch(/--tokenizer-pre/);
    const v = bpeVocab(src, 600, { preOverride: 'gpt-2' });
    expect(v.pre).toBe('gpt-2');
    expect(v.tokens.length).toBe(600);
    expect(v.tokens.slice(-3)).toEqual(['<|endoftext|>', '<|im_start|>', '<|im_end|>']);
    expect(v.types.slice(-4)).toEqual([TokenType.NORMAL, TokenType.CONTROL, TokenType.CONTROL, TokenType.CONTROL]);
  });

  test('llama.cpp tokenizes with our tokens + merges exactly as the HF tokenizer does', async () => {
    const r = await quantizeFolder({ modelDir: QWEN, outDir: TMP, fileType: 'F32', prefix: 'qwen', tokenizerPre: 'gpt-2' });
    const tj = JSON.parse(readFileSync(path.join(QWEN, 'tokenizer.json'), 'utf8')) as object;
    const tc = JSON.parse(readFileSync(path.join(QWEN, 'tokenizer_config.json'), 'utf8')) as object;
    const hf = new Tokenizer(tj as never, tc as never);
    const m = await loadGGUF(r.files[0].path);
    try {
      for (const text of ['Hello world', 'rev abc=cba  12+34=46', "I've been 'told he's there", 'tabs\tand\nnewlines  ', CHK_TXT]) {
        expect(m.tokenize(text)).toEqual(hf.encode(text, { add_special_tokens: false }).ids);
      }
    } finally {
      await m.dispose();
    }
  });
});
