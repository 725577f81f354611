/**
 * `model_stock`: interpolate between the base and the average of the fine-tunes by a ratio
 * derived from the angle between their task vectors (Model Stock, mergekit's `model_stock.py`):
 *
 *   δᵢ = wᵢ − w₀ (N ≥ 2 fine-tunes);  cos = mean over pairs i<j of clamp(δᵢ·δⱼ/max(‖δᵢ‖‖δⱼ‖, 1e-6), −1, 1)
 *   t = N·cos/(1 + (N−1)·cos);  out = t·mean(wᵢ) + (1−t)·w₀ = w₀ + (t/N)·Σ δᵢ
 *
 * Over the flattened tensor, or per row with `filter_wise` (1-D tensors are one row).
 * Program: one Gram pass over the δᵢ, then w₀ + Σ cᵢδᵢ.
 * Fixed: mergekit does not clamp t. For cos < 0 (fine-tunes pulling in opposite directions) its
 * t is negative, and at cos = −1/(N−1) it divides by zero; here t is clamped to [0, 1] (for
 * cos ≥ 0 it is already in [0, 1], so results are mergekit's).
 */
import { MAX_INPUTS, gramProgram, type Gram } from './gram.js';
import type { ProgramFactory } from './program.js';
import type { MergeMethod } from './types.js';

export const modelStock: MergeMethod = {
  name: 'model_stock',
  prettyName: 'Model Stock',
  reference: 'https://arxiv.org/abs/2403.19522',
  base: 'required',
  globalParams: [{ name: 'filter_wise', default: 0 }],
  perModelParams: [],
  planTensor({ inputs, global, tensor }) {
    if (inputs.length === 1 && inputs[0].isBase) return { op: { kind: 'copy' } };
    const others = inputs.filter((i) => !i.isBase);
    if (!inputs[0].isBase || others.length < 2) {
      return {
        error: `model_stock needs the base model and at least two other models, but ${tensor} has ${inputs[0].isBase ? `the base and ${others.length} other` : `no base and ${others.length}`} (${inputs.map((i) => `\`${i.modelKey}\``).join(', ')})`,
        hint: 'list at least two fine-tunes of `base_model:` under `models:`',
      };
    }
    if (inputs.length > MAX_INPUTS) {
      return { error: `model_stock merges at most ${MAX_INPUTS - 1} models besides the base, but ${tensor} has ${others.length}`, hint: 'merge fewer models per stage' };
    }
    return { op: { kind: 'program', method: 'model_stock', params: { filter_wise: Boolean(global.filter_wise) } } };
  },
};

/** Mean pairwise cosine of the task vectors, and the clamped interpolation ratio t. */
export function modelStockRatio(g: Gram): { cos: number; t: number } {
  const n = g.m;
  let sum = 0;
  let pairs = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const normProduct = Math.sqrt(Math.max(0, g.at(i, i))) * Math.sqrt(Math.max(0, g.at(j, j)));
      sum += Math.min(1, Math.max(-1, g.at(i, j) / Math.max(normProduct, 1e-6)));
      pairs++;
    }
  }
  const cos = sum / pairs;
  const t = (n * cos) / (1 + (n - 1) * cos);
  return { cos, t: cos <= 0 || !Number.isFinite(t) ? 0 : Math.min(1, t) };
}

export const modelStockProgram: ProgramFactory = (params, shape) =>
  gramProgram(shape, { rel: true, rows: Boolean(params.filter_wise) }, (g) => {
    const { t } = modelStockRatio(g);
    return new Array<number>(g.m).fill(t / g.m);
  });
