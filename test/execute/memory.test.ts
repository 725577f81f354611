/**
 * The memory bound: a merge whose embedding alone is twice --max-memory stays under it, also
 * while writing GGUF files (peak resident set of the whole process, measured by /usr/bin/time -v).
 */
import { cpSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readLocalModel } from '../../src/hub/local.js';
import { generateModel } from '../support/generate-model.js';
import { runCliMeasured } from '../support/cli.js';
import { EXAMPLE_MODELS, tempDir, writeRecipe } from '../support/tmp.js';

const MiB = 1024 * 1024;

describe('bounded memory', () => {
  const t = tempDir();
  afterAll(t.cleanup);
  const budget = 200 * MiB;
  const shape = { hiddenSize: 2048, vocabSize: 102_400, numLayers: 1, intermediateSize: 256, numHeads: 16, numKvHeads: 16 };
  const a = join(t.dir, 'a');
  const b = join(t.dir, 'b');
  let recipe = '';
  beforeAll(async () => {
    await generateModel({ arch: 'llama', dir: a, seed: 3, dtype: 'BF16', tieEmbeddings: true, ...shape });
    await generateModel({ arch: 'llama', dir: b, seed: 4, dtype: 'BF16', tieEmbeddings: true, baseFrom: a, ...shape });
    recipe = writeRecipe(t.dir, 'linear.yml', `merge_method: linear
models:
  - model: ${a}
    parameters: {weight: 0.5}
  - model: ${b}
    parameters: {weight: 0.5}
`);
  });

  it('merges a model whose embedding is 2× the budget within the budget', async () => {
    const embed = (await readLocalModel(a)).tensors.get('model.embed_tokens.weight')!;
    expect(embed.end - embed.start).toBeGreaterThanOrEqual(2 * budget);
    const r = runCliMeasured(['run', recipe, '--out', join(t.dir, 'out'), '--max-memory', String(budget)]);
    expect(r.status).toBe(0);
    console.log(`peak RSS ${(r.maxRssBytes / MiB).toFixed(1)} MiB with --max-memory ${budget / MiB} MiB `
      + `(embedding ${((embed.end - embed.start) / MiB).toFixed(0)} MiB per model)`);
    expect(r.maxRssBytes).toBeLessThan(budget);
    const out = await readLocalModel(join(t.dir, 'out'));
    expect(out.tensors.get('model.embed_tokens.weight')!.shape).toEqual([102_400, 2048]);
  });

  it('stays within the budget while also writing GGUF files from the merge', () => {
    // The example models' SentencePiece tokenizer (padded to the vocabulary) converts as it is.
    for (const f of ['tokenizer.model', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json']) {
      cpSync(join(EXAMPLE_MODELS, 'base', f), join(a, f));
    }
    // The bound is the merge's: llama.cpp's load check afterwards maps each GGUF file whole (README).
    const r = runCliMeasured(['run', recipe, '--out', join(t.dir, 'out-gguf'), '--max-memory', String(budget), '--gguf', 'Q4_K_M,Q8_0', '--skip-gguf-check']);
    if (r.status !== 0) throw new Error(r.stderr);
    console.log(`peak RSS ${(r.maxRssBytes / MiB).toFixed(1)} MiB with --max-memory ${budget / MiB} MiB and --gguf Q4_K_M,Q8_0`);
    expect(r.maxRssBytes).toBeLessThan(budget);
    expect(readdirSync(join(t.dir, 'out-gguf')).filter((f) => f.endsWith('.gguf')).sort()).toEqual(['out-gguf-Q4_K_M.gguf', 'out-gguf-Q8_0.gguf']);
  });
});
