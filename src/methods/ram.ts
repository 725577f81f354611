/**
 * `ram` (mergekit `ram.py`, Reinforced Agent Merging, arXiv 2601.13572): a delta element only one
 * model moves (|τ| > epsilon) is kept whole; one several models move is their average. No
 * statistics: one element-wise pass (wasm/src/ram.rs).
 */
import type { ProgramShape, TensorProgram } from './program.js';
import { STAT_BLOCK } from './program.js';
import type { ProgramParams } from '../model/tensor.js';
import type { MergeMethod } from './types.js';

export const ram: MergeMethod = {
  name: 'ram',
  prettyName: 'Reinforced Agent Merging',
  reference: 'https://arxiv.org/abs/2601.13572',
  base: 'required',
  // RAM's epsilon is global and is the activity threshold, unlike DELLA's.
  globalParams: [{ name: 'epsilon', default: 1e-5 }],
  perModelParams: [],
  planTensor({ inputs, global }) {
    if (inputs.every((i) => i.isBase)) return { op: { kind: 'copy' } };
    return { op: { kind: 'program', method: 'ram', params: { epsilon: global.epsilon ?? 1e-5 } } };
  },
  program: ramProgram,
};

export function ramProgram(raw: ProgramParams, shape: ProgramShape): TensorProgram {
  const m = shape.k - 1;
  return {
    quantum: STAT_BLOCK,
    passes: [],
    apply: () => ({ fn: 'ram_apply', params: [m, raw.epsilon as number, ...Array.from({ length: m }, () => 1)] }),
  };
}
