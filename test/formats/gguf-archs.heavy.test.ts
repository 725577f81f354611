/**
 * Every architecture mergeops converts, on random tiny models: HF → GGUF, read back with
 * @huggingface/gguf, loaded by the real llama.cpp, logits compared with an independent float64
 * forward pass of the HF model (so names, Q/K permutation, norm shifts, fused tensors and every
 * metadata key llama.cpp needs are exercised together).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { quantizeFolder } from '../../src/quantize.js';
import { generateModel, GENERATABLE_ARCHS } from '../support/generate-model.js';
import { readGGUF } from '../support/gguf-read.js';
import { loadReference } from '../support/forward.js';
import { loadGGUF, logitError } from '../support/llama-cpp.js';
import { tempDir } from '../support/tmp.js';

const { dir: TMP, cleanup } = tempDir('mergeops-gguf-archs-');
afterAll(cleanup);

const GGUF_ARCH: Record<string, string> = {
  llama: 'llama', mistral: 'llama', qwen2: 'qwen2', qwen3: 'qwen3', gemma2: 'gemma2', gemma3_text: 'gemma3', phi3: 'phi3',
};
const TOKENS = [5, 40, 100, 200, 300, 7, 77];

test('the table covers every generatable architecture', () => {
  expect(Object.keys(GGUF_ARCH).sort()).toEqual([...GENERATABLE_ARCHS].sort());
});

describe.each(GENERATABLE_ARCHS.map((a) => [a]))('%s', (arch) => {
  test.each(['F32', 'F16'] as const)('→ %s GGUF loads in llama.cpp and its logits match the HF forward pass', async (ft) => {
    // a folder name without "phi3": llama.cpp special-cases Phi-3 vocabularies by general.name
    const dir = path.join(TMP, `gen-${arch.replace('phi3', 'p-three')}-${ft}`);
    await generateModel({ arch, dir, dtype: 'F32', seed: 7, hiddenSize: 64, numLayers: 2, vocabSize: 384 });
    const r = await quantizeFolder({ modelDir: dir, outDir: dir, fileType: ft, tokenizerPre: 'gpt-2' });
    const g = await readGGUF(r.files[0].path);
    expect(g.typed['general.architecture'].value).toBe(GGUF_ARCH[arch]);
    expect(g.tensors.length).toBe(r.plan.tensors.length);
    for (const t of g.tensors) expect(t.type).toBe(t.shape.length === 1 || ft === 'F32' ? 0 : 1);
    const ref = await loadReference(dir);
    const m = await loadGGUF(r.files[0].path);
    try {
      const e = logitError(await m.logits(TOKENS), ref.logits(TOKENS));
      process.stdout.write(`${arch} ${ft}: max |Δlogit| ${e.maxAbs.toExponential(2)} (std ${e.refStd.toFixed(3)}), argmax agreement ${e.argmaxAgree}\n`);
      // random weights give logits of std ~0.16–0.3; F32 differs only by float32 arithmetic, F16 rounds weights
      expect(e.maxAbs).toBeLessThan((ft === 'F32' ? 0.01 : 0.03) * Math.max(1, e.refStd / 0.16));
      expect(e.argmaxAgree).toBeGreaterThanOrEqual(ft === 'F32' ? 1 : 0.85);
    } finally {
      await m.dispose();
    }
  });
});

test('Llama 3.1-style rope (rope_type llama3): rope_freqs.weight first, F32, and llama.cpp applies it like transformers', async () => {
  const dir = path.join(TMP, 'llama31');
  await generateModel({ arch: 'llama', dir, dtype: 'F32', seed: 5, hiddenSize: 64, numLayers: 2, vocabSize: 384, numHeads: 2, numKvHeads: 1 });
  const cfgPath = path.join(dir, 'config.json');
  const cfg = JSON.parse(readFileSync(cfgPath, 'utf8')) as Record<string, unknown>;
  // a short original context so every branch (1, factor, smoothed) occurs for head_dim 32
  cfg['rope_scaling'] = { rope_type: 'llama3', factor: 8.0, low_freq_factor: 1.0, high_freq_factor: 4.0, original_max_position_embeddings: 64 };
  cfg['rope_theta'] = 500000.0;
  writeFileSync(cfgPath, JSON.stringify(cfg));
  const r = await quantizeFolder({ modelDir: dir, outDir: dir, fileType: 'F32' });
  const g = await readGGUF(r.files[0].path);
  expect(g.tensors[0]).toMatchObject({ name: 'rope_freqs.weight', shape: [16], type: 0 });
  const freqs = r.plan.tensors[0].generated!;
  expect(freqs[0]).toBe(1);
  expect(freqs[15]).toBe(8);
  expect([...freqs].some((x) => x > 1 && x < 8)).toBe(true);
  const ref = await loadReference(dir);
  const m = await loadGGUF(r.files[0].path);
  try {
    const long = Array.from({ length: 24 }, (_, i) => (i * 37 + 11) % 384);
    const e = logitError(await m.logits(long), ref.logits(long));
    expect(e.maxAbs).toBeLessThan(0.01);
    // and the factors matter: without them the reference differs by more than that
    delete cfg['rope_scaling'];
    writeFileSync(cfgPath, JSON.stringify(cfg));
    const plain = logitError(await m.logits(long), (await loadReference(dir)).logits(long));
    expect(plain.maxAbs).toBeGreaterThan(5 * e.maxAbs);
  } finally {
    await m.dispose();
  }
});
