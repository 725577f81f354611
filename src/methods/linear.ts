/** `linear`: weighted average, Σ wᵢ·xᵢ / Σ wᵢ (mergekit's model soup). */
import type { MergeMethod } from './types.js';

export const linear: MergeMethod = {
  name: 'linear',
  prettyName: 'Linear',
  reference: 'https://arxiv.org/abs/2203.05482',
  base: 'input',
  globalParams: [{ name: 'normalize', default: 1 }],
  perModelParams: [{ name: 'weight', required: true }],
  planTensor({ inputs, global }) {
    const weights = inputs.map((i) => i.params.weight as number);
    let divisor = 1;
    if (global.normalize) {
      divisor = weights.reduce((a, b) => a + b, 0);
      // mergekit divides anyway and writes inf/NaN; we refuse.
      if (divisor === 0) {
        return {
          error: `the weights of linear sum to 0 (${weights.join(', ')}), so normalizing would divide by zero`,
          hint: 'change the weights, or set `normalize: false` to use the plain weighted sum',
        };
      }
    }
    return { op: { kind: 'linear', weights, divisor } };
  },
};
