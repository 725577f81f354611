/** The review's resource estimate: what fits a standard runner, and the warnings when it does not. */
import { estimateResources, ggufSizes, STANDARD_RUNNER } from '../../src/action/estimate.js';
import { evalTokenBound, type EvalData } from '../../src/eval/data.js';
import { planRecipeFile } from '../../src/pipeline.js';
import type { Plan } from '../../src/plan/types.js';
import { GGUF_RECIPE } from '../support/merge-gguf.js';
import { tempDir, writeRecipe } from '../support/tmp.js';

/**
 * A plan of a 7B-like model: 2-D weights of `rows × 4096` bf16 elements, `n` times, plus norms,
 * with GGUF files of the given sizes (as buildPlan plans them: in `plan.gguf` and in the disk estimate).
 */
function plan(n: number, rows: number, gguf: Record<string, number> = {}): Plan {
  const tensors = [
    ...Array.from({ length: n }, (_, i) => ({ name: `w${i}`, shape: [rows, 4096] })),
    ...Array.from({ length: n }, (_, i) => ({ name: `norm${i}`, shape: [4096] })),
  ];
  const elements = tensors.reduce((a, t) => a + t.shape.reduce((x, y) => x * y, 1), 0);
  const ggufBytes = Object.values(gguf).reduce((a, b) => a + b, 0);
  return {
    tensors,
    gguf: { plans: Object.entries(gguf).map(([fileType, bytes]) => ({ fileType, files: [{ layout: { fileSize: bytes } }] })) },
    estimates: {
      inputBytes: 3 * 2 * elements, outputBytes: 2 * elements, largestTensorBytes: 2 * rows * 4096, diskBytes: 2 * elements + ggufBytes, ggufBytes,
    },
  } as unknown as Plan;
}

describe('resource estimate', () => {
  it('takes the GGUF files and their sizes from the plan (every part of a split set counted)', async () => {
    const t = tempDir();
    try {
      const p = await planRecipeFile(writeRecipe(t.dir, 'ta.yml', GGUF_RECIPE), { gguf: ['Q4_K_M', 'Q8_0'], ggufSplit: { maxTensors: 20 } });
      const sizes = ggufSizes(p);
      expect(sizes.map((g) => g.type)).toEqual(['Q4_K_M', 'Q8_0']);
      for (const i of sizes.keys()) expect(p.gguf!.plans[i].files.length).toBeGreaterThan(1);
      // Every part counted: the types' sizes add up to the GGUF bytes the plan's estimate counts on its own.
      expect(sizes[0].bytes + sizes[1].bytes).toBe(p.estimates.ggufBytes);
      expect(sizes[0].bytes).toBeLessThan(sizes[1].bytes);
      const e = estimateResources(p);
      // The plan's disk estimate holds the GGUF files once.
      expect(e.diskBytes).toBe(p.estimates.outputBytes + sizes[0].bytes + sizes[1].bytes);
      expect(estimateResources(await planRecipeFile(writeRecipe(t.dir, 'none.yml', GGUF_RECIPE), { gguf: [] })).gguf).toEqual([]);
    } finally {
      t.cleanup();
    }
  });

  it("the eval's forward passes: 2 FLOP per parameter per token, for the merge and each compared input", () => {
    const p = plan(4, 1024);
    const params = 4 * 1024 * 4096 + 4 * 4096;
    const none = estimateResources(p);
    expect(none.evalSeconds).toBe(0);
    const one = estimateResources(p, undefined, { tokens: 1000, models: 1 });
    expect(one.evalSeconds).toBeCloseTo((1000 * 2 * params) / 100e9, 9);
    expect(one.seconds - none.seconds).toBeCloseTo(one.evalSeconds, 9);
    expect(estimateResources(p, undefined, { tokens: 1000, models: 4 }).evalSeconds).toBeCloseTo(4 * one.evalSeconds, 9);
  });

  it("the eval's token bound: each item's bytes + BOS + new tokens (+ a chat template's), whole perplexity chunks", () => {
    const data = {
      options: { prompts: [{ prompt: '12+34=', chat: false, maxTokens: 8 }, { prompt: 'hé', chat: true, maxTokens: 4 }], perplexity: { context: 64 } },
      tasks: [{ spec: { chat: false, maxTokens: 8 }, items: [{ prompt: 'rev abc=', answer: 'cba' }, { prompt: '1+1=', answer: '2' }] }],
      perplexityText: 'x'.repeat(200),
    } as unknown as EvalData;
    // 6+1+8, 3+1+64+4, 8+1+8, 4+1+8; 201 bytes → 3 chunks of 64.
    expect(evalTokenBound(data)).toBe(15 + 72 + 17 + 13 + 192);
  });

  it('a small merge fits without warnings', () => {
    const e = estimateResources(plan(4, 1024, { Q4_K_M: 3e7 }));
    expect(e.warnings).toEqual([]);
    expect(e.mergeMemoryBytes).toBe(8e9);
    expect(e.diskBytes).toBeLessThan(STANDARD_RUNNER.diskBytes);
  });

  it('an output that does not fit the disk points to --low-disk or the matrix', () => {
    // ≈ 14.5 GB of bf16 output + GGUF files.
    const e = estimateResources(plan(140, 12_800, { Q8_0: 7.7e9, Q4_K_M: 4.1e9 }));
    expect(e.diskBytes).toBeGreaterThan(STANDARD_RUNNER.diskBytes);
    expect(e.warnings.join('\n')).toMatch(/more than the 14\.0 GB of a standard runner: build with `low-disk: true`.*`shard: i\/N`/);
    expect(e.evalMemoryBytes).toBe(7.7e9 + 0.3e9);
  });
});
