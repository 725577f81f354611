/**
 * `mergeops run --gguf`: the merge writes GGUF files beside the safetensors, identical to
 * quantizing the merged output on its own, that llama.cpp loads; the inputs are read once.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { executePlan } from '../../src/execute/execute.js';
import { planRecipeFile } from '../../src/pipeline.js';
import { loadGGUF } from '../support/llama-cpp.js';
import { runCli } from '../support/cli.js';
import { EXAMPLE_MODELS, tempDir, writeRecipe } from '../support/tmp.js';

const RECIPE = `merge_method: task_arithmetic
base_model: ${join(EXAMPLE_MODELS, 'base')}
models:
  - model: ${join(EXAMPLE_MODELS, 'add')}
    parameters: {weight: 1.0}
  - model: ${join(EXAMPLE_MODELS, 'rev')}
    parameters: {weight: 1.0}
mergeops:
  quantize: [Q8_0]
`;

describe('GGUF output of a merge', () => {
  const t = tempDir();
  afterAll(t.cleanup);

  it('--gguf writes the same bytes as quantizing the merged folder, and llama.cpp runs it', async () => {
    const recipe = writeRecipe(t.dir, 'ta.yml', RECIPE);
    const out = join(t.dir, 'merged');
    const r = runCli(['run', recipe, '--out', out, '--gguf', 'Q4_K_M,Q8_0']);
    if (r.status !== 0) throw new Error(r.stderr);
    expect(readdirSync(out).filter((f) => f.endsWith('.gguf')).sort()).toEqual(['merged-Q4_K_M.gguf', 'merged-Q8_0.gguf']);
    const q = join(t.dir, 'q');
    for (const type of ['Q4_K_M', 'Q8_0']) {
      const s = runCli(['quantize', out, '--type', type, '--out', q]);
      if (s.status !== 0) throw new Error(s.stderr);
      expect(readFileSync(join(out, `merged-${type}.gguf`)).equals(readFileSync(join(q, `merged-${type}.gguf`)))).toBe(true);
    }
    const m = await loadGGUF(join(out, 'merged-Q8_0.gguf'));
    try {
      const text = m.detokenize(await m.greedy([1, 271, 277, 285, 48, 272, 273, 276], 8, 2));
      expect(text.length).toBeGreaterThan(0);
    } finally {
      await m.dispose();
    }
  });

  it('takes the types from mergeops.quantize and reads every input byte once', async () => {
    const recipe = writeRecipe(t.dir, 'ta2.yml', RECIPE);
    const plan = await planRecipeFile(recipe);
    const res = await executePlan(plan, { outDir: join(t.dir, 'm2') });
    expect(res.files.map((f) => f.name)).toContain('m2-Q8_0.gguf');
    expect(res.bytesRead).toBe(plan.estimates.inputBytes);
  });
});
