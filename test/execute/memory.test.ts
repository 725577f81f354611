/**
 * The memory bound: a merge whose embedding alone is twice --max-memory stays under it
 * (peak resident set of the whole process, measured by /usr/bin/time -v).
 */
import { join } from 'node:path';
import { readLocalModel } from '../../src/hub/local.js';
import { generateModel } from '../support/generate-model.js';
import { runCliMeasured } from '../support/cli.js';
import { tempDir, writeRecipe } from '../support/tmp.js';

const MiB = 1024 * 1024;

describe('bounded memory', () => {
  const t = tempDir();
  afterAll(t.cleanup);

  it('merges a model whose embedding is 2× the budget within the budget', async () => {
    const budget = 200 * MiB;
    const shape = { hiddenSize: 2048, vocabSize: 102_400, numLayers: 1, intermediateSize: 256, numHeads: 16, numKvHeads: 16 };
    const a = join(t.dir, 'a');
    const b = join(t.dir, 'b');
    await generateModel({ arch: 'llama', dir: a, seed: 3, dtype: 'BF16', tieEmbeddings: true, ...shape });
    await generateModel({ arch: 'llama', dir: b, seed: 4, dtype: 'BF16', tieEmbeddings: true, baseFrom: a, ...shape });
    const embed = (await readLocalModel(a)).tensors.get('model.embed_tokens.weight')!;
    expect(embed.end - embed.start).toBeGreaterThanOrEqual(2 * budget);

    const recipe = writeRecipe(t.dir, 'linear.yml', `merge_method: linear
models:
  - model: ${a}
    parameters: {weight: 0.5}
  - model: ${b}
    parameters: {weight: 0.5}
`);
    const r = runCliMeasured(['run', recipe, '--out', join(t.dir, 'out'), '--max-memory', String(budget)]);
    expect(r.status).toBe(0);
    console.log(`peak RSS ${(r.maxRssBytes / MiB).toFixed(1)} MiB with --max-memory ${budget / MiB} MiB `
      + `(embedding ${((embed.end - embed.start) / MiB).toFixed(0)} MiB per model)`);
    expect(r.maxRssBytes).toBeLessThan(budget);
    const out = await readLocalModel(join(t.dir, 'out'));
    expect(out.tensors.get('model.embed_tokens.weight')!.shape).toEqual([102_400, 2048]);
  });
});
