/**
 * `mergeops run --gguf` writes the same bytes whatever the chunking and thread count: the smallest
 * budgets each thread count accepts split Q/K into chunks of whole heads (heavy suite: a sweep of
 * budgets and threads; the rest of run --gguf is merge-gguf.test.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ggufPlanBytes, minMaxMemory, workerDataBudget } from '../../src/execute/budget.js';
import { runTensor } from '../../src/execute/tensor-jobs.js';
import type { KernelJob } from '../../src/kernels/jobs.js';
import { planRecipeFile } from '../../src/pipeline.js';
import { readGGUF } from '../support/gguf-read.js';
import { runCli } from '../support/cli.js';
import { expectSameAsQuantize, GGUF_RECIPE as RECIPE, ok } from '../support/merge-gguf.js';
import { tempDir, writeRecipe } from '../support/tmp.js';

describe('GGUF output of a merge, chunked and threaded', () => {
  const t = tempDir();
  afterAll(t.cleanup);

  it('writes the same bytes in small chunks (Q/K split by heads) and with 1 or 2 threads', async () => {
    const recipe = writeRecipe(t.dir, 'ta3.yml', RECIPE);
    const ref = join(t.dir, 'ref', 'merged');
    ok(runCli(['run', recipe, '--out', ref, '--gguf', 'Q4_K_M,Q8_0']));
    // The smallest budget each thread count accepts, plus room for a few thousand elements.
    let headers = 0;
    for (const type of ['Q4_K_M', 'Q8_0']) headers += Math.min(...(await readGGUF(join(ref, `merged-${type}.gguf`))).tensors.map((x) => x.offset));
    for (const threads of [1, 2]) {
      const maxMemory = minMaxMemory(threads) + threads * 60_000 + ggufPlanBytes(headers);
      const perWorker = workerDataBudget(maxMemory - ggufPlanBytes(headers), threads);
      // At this budget, attn_q [192, 192] (4 heads of 48 rows) is computed in several chunks of whole heads.
      const plan = await planRecipeFile(recipe);
      const q = plan.tensors.find((x) => x.name === 'model.layers.0.self_attn.q_proj.weight')!;
      const jobs: KernelJob[] = [];
      const target = { file: 'q.gguf', start: 0, name: 'blk.0.attn_q.weight', hfName: q.name, rows: 192, cols: 192, type: 'Q8_0' as const, permuteHeads: 4 };
      await runTensor(async (job) => { jobs.push(job); return { bytesRead: 0, bytesWritten: 0, bytesDirect: 0 }; }, q, { perWorker, whole: perWorker }, 'x', [target]);
      expect(jobs.length).toBeGreaterThan(1);
      for (const j of jobs) expect([j.first % (48 * 192), j.n % (48 * 192), j.gguf?.length]).toEqual([0, 0, 1]);

      const out = join(t.dir, `t${threads}`, 'merged');
      ok(runCli(['run', recipe, '--out', out, '--gguf', 'Q4_K_M,Q8_0', '--threads', String(threads), '--max-memory', String(maxMemory)]));
      for (const f of ['model.safetensors', 'merged-Q4_K_M.gguf', 'merged-Q8_0.gguf']) {
        expect([threads, f, readFileSync(join(out, f)).equals(readFileSync(join(ref, f)))]).toEqual([threads, f, true]);
      }
    }
    expectSameAsQuantize(ref, join(t.dir, 'ref-q'), ['Q4_K_M', 'Q8_0']);
  });
});
