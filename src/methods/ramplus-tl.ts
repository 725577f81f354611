/**
 * `ramplus_tl` (mergekit `ram.py`, RAM+ tensor-local): RAM, with each model's unique deltas
 * scaled by λⱼ = 1 + r·clamp(ρⱼ, 0, alpha), where ρⱼ = (positions model j shares with another
 * model) / max(positions only model j moves, epsilon), counted over the whole tensor in one
 * statistics pass (exact counts).
 */
import type { ProgramShape, TensorProgram } from './program.js';
import { STAT_BLOCK } from './program.js';
import { sumParts } from './select.js';
import type { MergeMethod } from './types.js';
import type { ProgramParams } from '../model/tensor.js';

export const ramplusTl: MergeMethod = {
  name: 'ramplus_tl',
  prettyName: 'Reinforced Agent Merging Plus (Tensor-Local)',
  reference: 'https://arxiv.org/abs/2601.13572',
  base: 'required',
  globalParams: [{ name: 'r', default: 0.1 }, { name: 'alpha', default: 0.2 }, { name: 'epsilon', default: 1e-5 }],
  perModelParams: [],
  planTensor({ inputs, global }) {
    if (inputs.every((i) => i.isBase)) return { op: { kind: 'copy' } };
    return { op: { kind: 'program', method: 'ramplus_tl', params: { r: global.r ?? 0.1, alpha: global.alpha ?? 0.2, epsilon: global.epsilon ?? 1e-5 } } };
  },
  program: ramplusTlProgram,
};

export function ramplusTlProgram(raw: ProgramParams, shape: ProgramShape): TensorProgram {
  const m = shape.k - 1;
  const eps = raw.epsilon as number, r = raw.r as number, alpha = raw.alpha as number;
  return {
    quantum: STAT_BLOCK,
    passes: [{ call: () => ({ fn: 'ram_counts', params: [m, eps, ...Array.from({ length: m }, () => 1)] }), words: () => 2 * m, reduce: sumParts }],
    apply: ([counts]) => {
      const lambda = Array.from({ length: m }, (_, j) => {
        const rho = counts[2 * j] / Math.max(counts[2 * j + 1], eps);
        return 1 + r * Math.min(Math.max(rho, 0), alpha);
      });
      return { fn: 'ram_apply', params: [m, eps, ...lambda] };
    },
  };
}
