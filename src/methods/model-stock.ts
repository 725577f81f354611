/**
 * `model_stock`: interpolate between the base and the average of the fine-tunes by a ratio
 * derived from the angle between their task vectors (Model Stock, mergekit's `model_stock.py`):
 *
 *   δᵢ = wᵢ − w₀ (N ≥ 2 fine-tunes);  cos = mean over pairs i<j of clamp(δᵢ·δⱼ/max(‖δᵢ‖‖δⱼ‖, 1e-6), −1, 1)
 *   t = N·cos/(1 + (N−1)·cos);  out = t·mean(wᵢ) + (1−t)·w₀ = w₀ + (t/N)·Σ δᵢ
 *
 * Over the flattened tensor, or per row with `filter_wise` (1-D tensors are one row).
 * Program: one Gram pass over the δᵢ, then w₀ + Σ cᵢδᵢ.
 * As mergekit, t is not clamped: for cos < 0 (fine-tunes pulling in opposite directions) t is
 * negative or above 1, and the run warns naming the tensors. `mergeops.model_stock_clamp: true`
 * clamps t to [0, 1] (for cos ≥ 0 it is already there). At cos = −1/(N−1) mergekit divides by
 * zero (an infinite t, NaN weights); there t is 0 (the base) either way.
 */
import { MAX_INPUTS, gramOf, gramProgram, type Gram } from './gram.js';
import type { ProgramFactory } from './program.js';
import type { MergeMethod } from './types.js';

export const modelStock: MergeMethod = {
  name: 'model_stock',
  prettyName: 'Model Stock',
  reference: 'https://arxiv.org/abs/2403.19522',
  base: 'required',
  globalParams: [{ name: 'filter_wise', default: 0 }],
  perModelParams: [],
  options: [{
    key: 'model_stock_clamp', kind: 'boolean', default: false,
    doc: 'write `model_stock_clamp: true` to clamp model_stock\'s ratio t to [0, 1] (mergekit does not)',
  }],
  planTensor({ inputs, global, tensor, options }) {
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
    const params = { filter_wise: Boolean(global.filter_wise) };
    return { op: { kind: 'program', method: 'model_stock', params: options?.values['model_stock_clamp'] === true ? { ...params, clamp: true } : params } };
  },
  // a function: modelStockProgram is defined below this object
  program: (params, shape) => modelStockProgram(params, shape),
};

/** Mean pairwise cosine of the task vectors, and the interpolation ratio t (clamped to [0, 1] with `clamp`). */
export function modelStockRatio(g: Gram, clamp = false): { cos: number; t: number } {
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
  if (!Number.isFinite(t)) return { cos, t: 0 };
  return { cos, t: clamp ? (cos <= 0 ? 0 : Math.min(1, t)) : t };
}

export const modelStockProgram: ProgramFactory = (params, shape) => {
  const clamp = Boolean(params.clamp);
  const rows = params.filter_wise ? shape.numel / shape.rowLen : 1;
  const prog = gramProgram(shape, { rel: true, rows: Boolean(params.filter_wise) }, (g) => {
    const { t } = modelStockRatio(g, clamp);
    return new Array<number>(g.m).fill(t / g.m);
  });
  return {
    ...prog,
    notes(stats) {
      const m = shape.k - 1;
      let apart = 0;
      let worst = { cos: Infinity, t: 0 };
      for (let r = 0; r < rows; r++) {
        const g = gramOf(stats[0], m, r);
        const x = modelStockRatio(g, clamp);
        if (x.cos < 0) apart++;
        if (x.cos < worst.cos) worst = x;
      }
      if (apart === 0) return [];
      const where = rows > 1 ? ` in ${apart} of ${rows} rows (lowest mean cosine ${worst.cos.toFixed(3)})` : ` (mean cosine ${worst.cos.toFixed(3)})`;
      const what = clamp ? `t clamped to ${worst.t.toFixed(3)}` : `t = ${worst.t.toFixed(3)} by mergekit's formula, outside [0, 1]`;
      return [`model_stock: the task vectors of ${shape.tensor} point apart${where}: ${what}`
        + (clamp ? '' : '; `mergeops: {model_stock_clamp: true}` clamps t to [0, 1]')];
    },
  };
};
