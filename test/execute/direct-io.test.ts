/**
 * Output writes: the page-aligned middle of long writes goes to the disk by direct I/O. The
 * bytes must be exactly those of plain buffered writes, whatever the offsets and chunking
 * (tensor sizes here are not multiples of the page size, so chunks start mid-page).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { executePlan } from '../../src/execute/execute.js';
import { planRecipeFile } from '../../src/pipeline.js';
import { generateModel } from '../support/generate-model.js';
import { tempDir, writeRecipe } from '../support/tmp.js';

const MiB = 1024 * 1024;

describe('direct I/O for output writes', () => {
  const t = tempDir();
  afterAll(t.cleanup);

  async function run(recipe: string, out: string, direct: boolean, maxMemory: number): Promise<{ bytes: Buffer; direct: number; written: number }> {
    const res = await executePlan(await planRecipeFile(recipe), { outDir: join(t.dir, out), maxMemory, threads: 2, directIO: direct });
    return { bytes: readFileSync(join(t.dir, out, 'model.safetensors')), direct: res.bytesDirect, written: res.bytesWritten };
  }

  it('writes the same bytes as buffered writes, for f32 and bf16 outputs, whole and chunked', async () => {
    // hidden 1000 / vocab 3001: no tensor is a multiple of 4 KiB, so offsets drift through every page phase.
    const shape = { hiddenSize: 1000, vocabSize: 3001, numLayers: 2, intermediateSize: 1500, numHeads: 10, numKvHeads: 5 };
    const a = join(t.dir, 'a');
    const b = join(t.dir, 'b');
    await generateModel({ arch: 'llama', dir: a, seed: 11, dtype: 'BF16', ...shape });
    await generateModel({ arch: 'llama', dir: b, seed: 12, dtype: 'BF16', baseFrom: a, ...shape });
    for (const dtype of ['float32', 'bfloat16']) {
      const recipe = writeRecipe(t.dir, `linear-${dtype}.yml`, `merge_method: linear
dtype: float32
out_dtype: ${dtype}
models:
  - model: ${a}
    parameters: {weight: 0.3}
  - model: ${b}
    parameters: {weight: 0.7}
`);
      for (const maxMemory of [512 * MiB, 160 * MiB]) { // 160 MiB: chunks of a few MiB per worker
        const buffered = await run(recipe, `buf-${dtype}-${maxMemory}`, false, maxMemory);
        const direct = await run(recipe, `dio-${dtype}-${maxMemory}`, true, maxMemory);
        expect(buffered.direct).toBe(0);
        // Most of the output went around the page cache (where the file system allows direct I/O).
        expect(direct.direct).toBeGreaterThan(direct.written / 2);
        expect(direct.bytes.equals(buffered.bytes)).toBe(true);
      }
    }
  });
});
