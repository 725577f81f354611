/**
 * GGUF conversion takes each architecture's tokenizer path in convert_hf_to_gguf's order: for
 * Qwen2 and Qwen3 (`Qwen2Model.set_vocab`) SentencePiece when the folder has tokenizer.model,
 * else byte-level BPE.
 */
import { copyFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { quantizeFolder } from '../../src/quantize.js';
import { generateModel } from '../support/generate-model.js';
import { readGGUF } from '../support/gguf-read.js';
import { loadGGUF } from '../support/llama-cpp.js';
import { tempDir } from '../support/tmp.js';

const { dir: TMP, cleanup } = tempDir('mergeops-gguf-vocab-path-');
afterAll(cleanup);
const DIMS = { hiddenSize: 64, numLayers: 1, vocabSize: 384, dtype: 'F32' as const };

describe.each(['qwen2', 'qwen3'])('%s', (arch) => {
  it('with a tokenizer.model: SentencePiece (tokenizer.ggml.model llama), as convert_hf_to_gguf', async () => {
    // A Qwen model whose tokenizer is SentencePiece (tokenizer.model + a byte-fallback tokenizer.json).
    const spm = path.join(TMP, `${arch}-spm-tok`);
    await generateModel({ arch: 'llama', dir: spm, seed: 1, ...DIMS });
    const dir = path.join(TMP, `${arch}-spm`);
    await generateModel({ arch, dir, seed: 2, ...DIMS });
    for (const f of ['tokenizer.model', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json']) {
      copyFileSync(path.join(spm, f), path.join(dir, f));
    }
    const r = await quantizeFolder({ modelDir: dir, outDir: dir, fileType: 'F32' });
    const g = await readGGUF(r.files[0].path);
    expect(g.typed['tokenizer.ggml.model'].value).toBe('llama');
    expect(g.typed['tokenizer.ggml.pre'].value).toBe('default');
    expect((g.typed['tokenizer.ggml.tokens'].value as string[]).length).toBe(384);
    const m = await loadGGUF(r.files[0].path);
    try {
      const hf = new Tokenizer(JSON.parse(readFileSync(path.join(dir, 'tokenizer.json'), 'utf8')), JSON.parse(readFileSync(path.join(dir, 'tokenizer_config.json'), 'utf8')));
      const text = 'Hello world, 12 + 30 = 42.';
      expect(m.tokenize(text)).toEqual(hf.encode(text, { add_special_tokens: false }).ids);
    } finally {
      await m.dispose();
    }
  });

  it('without one: byte-level BPE (tokenizer.ggml.model gpt2)', async () => {
    const dir = path.join(TMP, `${arch}-bpe`);
    await generateModel({ arch, dir, seed: 3, ...DIMS });
    const g = await readGGUF((await quantizeFolder({ modelDir: dir, outDir: dir, fileType: 'F32', tokenizerPre: 'qwen2' })).files[0].path);
    expect(g.typed['tokenizer.ggml.model'].value).toBe('gpt2');
  });
});
