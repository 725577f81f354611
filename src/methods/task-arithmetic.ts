/** `task_arithmetic`: base + λ·Σ wᵢ·(xᵢ − base) (optionally divided by Σ wᵢ). */
import type { MergeMethod } from './types.js';

export const taskArithmetic: MergeMethod = {
  name: 'task_arithmetic',
  prettyName: 'Task Arithmetic',
  reference: 'https://arxiv.org/abs/2212.04089',
  base: 'required',
  globalParams: [
    { name: 'int8_mask', default: 0 },
    { name: 'normalize', default: 0 },
    { name: 'rescale', default: 0 },
    { name: 'lambda', default: 1 },
  ],
  perModelParams: [
    { name: 'weight', required: true },
    // Accepted for compatibility; task_arithmetic has no sparsifier, so density has no effect.
    { name: 'density', default: 1 },
  ],
  planTensor({ inputs, global }) {
    const others = inputs.filter((i) => !i.isBase);
    const weights = others.map((i) => i.params.weight as number);
    let divisor = 1;
    if (global.normalize) {
      const s = weights.reduce((a, b) => a + b, 0);
      divisor = Math.abs(s) < 1e-8 ? 1 : s; // as mergekit: near-zero sums divide by 1
    }
    return { op: { kind: 'task_arithmetic', weights, divisor, lambda: global.lambda ?? 1 } };
  },
};
