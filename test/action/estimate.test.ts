/** The review's resource estimate: what fits a standard runner, and the warnings when it does not. */
import { estimateResources, ggufBytesEstimate, STANDARD_RUNNER } from '../../src/action/estimate.js';
import type { Plan } from '../../src/plan/types.js';

/** A plan of a 7B-like model: 2-D weights of `rows × 4096` bf16 elements, `n` times, plus norms. */
function plan(n: number, rows: number): Plan {
  const tensors = [
    ...Array.from({ length: n }, (_, i) => ({ name: `w${i}`, shape: [rows, 4096] })),
    ...Array.from({ length: n }, (_, i) => ({ name: `norm${i}`, shape: [4096] })),
  ];
  const elements = tensors.reduce((a, t) => a + t.shape.reduce((x, y) => x * y, 1), 0);
  return {
    tensors, estimates: { inputBytes: 3 * 2 * elements, outputBytes: 2 * elements, largestTensorBytes: 2 * rows * 4096, diskBytes: 2 * elements },
  } as unknown as Plan;
}

describe('resource estimate', () => {
  it('sizes GGUF files by the type\'s block layout (1-D tensors stay F32)', () => {
    const p = plan(2, 256);
    // Q8_0: 34 bytes per 32 elements; norms 4 bytes each; + 1 MB metadata.
    expect(ggufBytesEstimate(p, 'Q8_0')).toBe(Math.round(2 * 256 * 4096 * 34 / 32 + 2 * 4096 * 4 + 1e6));
    expect(ggufBytesEstimate(p, 'Q4_K_M')).toBe(Math.round(2 * 256 * 4096 * 144 / 256 + 2 * 4096 * 4 + 1e6));
  });

  it('a small merge fits without warnings', () => {
    const e = estimateResources(plan(4, 1024), ['Q4_K_M']);
    expect(e.warnings).toEqual([]);
    expect(e.mergeMemoryBytes).toBe(8e9);
    expect(e.diskBytes).toBeLessThan(STANDARD_RUNNER.diskBytes);
  });

  it('an output that does not fit the disk points to --low-disk or the matrix', () => {
    // ≈ 14.5 GB of bf16 output + GGUF files.
    const e = estimateResources(plan(140, 12_800), ['Q8_0', 'Q4_K_M']);
    expect(e.diskBytes).toBeGreaterThan(STANDARD_RUNNER.diskBytes);
    expect(e.warnings.join('\n')).toMatch(/more than the 14\.0 GB of a standard runner: build with `low-disk: true`.*`shard: i\/N`/);
    expect(e.evalMemoryBytes).toBeGreaterThan(0);
  });
});
