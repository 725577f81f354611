/**
 * `nuslerp`: SLERP of two models with mergekit's newer conventions (`nuslerp.py`): weights
 * instead of `t` (t = w₂/(w₁+w₂), or 0.5 when |w₁+w₂| < 1e-6), an optional base model (then the
 * task vectors aᵢ − base are interpolated and added to the base), and either the whole tensor as
 * one vector (`nuslerp_flatten`, default) or one vector per row.
 *
 *   u = v/max(‖v‖, 1e-7);  θ = acos(clamp(u₀·u₁, −1, 1));  s = sin θ
 *   |s| < 1e-8 → (1−t)·v₀ + t·v₁;  else (sin((1−t)θ)·v₀ + sin(tθ)·v₁)/s
 *
 * Program: one Gram pass (per block, per row, or — `nuslerp_row_wise` without flatten — per
 * column, the vectors along dim 0 of a tensor of any rank), then a linear combination with one
 * coefficient pair for the tensor, per row or per column. Dot products are accumulated in
 * float64 (mergekit: input dtype).
 */
import { gramProgram } from './gram.js';
import type { ChunkStats, ProgramFactory, ProgramShape, TensorProgram } from './program.js';
import type { MergeMethod } from './types.js';

const NORM_MIN = 1e-7;
const COLINEAR_EPS = 1e-8;

export const nuslerp: MergeMethod = {
  name: 'nuslerp',
  prettyName: 'NuSLERP',
  base: 'optional',
  globalParams: [
    { name: 'nuslerp_row_wise', default: 0 },
    { name: 'nuslerp_flatten', default: 1 },
  ],
  perModelParams: [{ name: 'weight', required: true }],
  planTensor({ inputs, global, tensor }) {
    if (inputs.length === 1) return { op: { kind: 'copy' } };
    const base = inputs.find((i) => i.isBase);
    const others = inputs.filter((i) => !i.isBase);
    if (others.length !== 2) {
      const list = others.map((i) => `\`${i.modelKey}\``).join(', ');
      return {
        error: base && others.length === 1
          ? `nuslerp merges two models besides the base model, but ${tensor} has only ${list} besides the base \`${base.modelKey}\`; the base model cannot be one of the two models to merge`
          : `nuslerp merges exactly two models${base ? ' besides the base model' : ''}, but ${tensor} has ${others.length} (${list})`,
        hint: base ? 'list two models other than `base_model:` under `models:`, or remove `base_model:` to interpolate the two models directly' : 'list exactly two models (plus an optional `base_model:`)',
      };
    }
    const flatten = Boolean(global.nuslerp_flatten);
    const [w0, w1] = others.map((i) => i.params.weight as number);
    const sum = w0 + w1;
    const t = Math.abs(sum) < 1e-6 ? 0.5 : w1 / sum;
    const params = { t, rel: base !== undefined, flatten };
    return { op: { kind: 'program', method: 'nuslerp', params: !flatten && global.nuslerp_row_wise ? { ...params, columns: true } : params } };
  },
  // a function: nuslerpProgram is defined below this object
  program: (params, shape) => nuslerpProgram(params, shape),
};

/** The two coefficients of v₀, v₁ from ‖v₀‖², v₀·v₁, ‖v₁‖². */
export function nuslerpCoefficients(t: number, g00: number, g01: number, g11: number): [number, number] {
  const n0 = Math.max(Math.sqrt(g00), NORM_MIN);
  const n1 = Math.max(Math.sqrt(g11), NORM_MIN);
  const theta = Math.acos(Math.min(1, Math.max(-1, g01 / (n0 * n1))));
  const s = Math.sin(theta);
  if (!(Math.abs(s) >= COLINEAR_EPS)) return [1 - t, t];
  return [Math.sin((1 - t) * theta) / s, Math.sin(t * theta) / s];
}

/** Rows per statistics block of the column Gram matrices (chunks are multiples of it). */
const COL_BLOCK_ROWS = 64;

/**
 * Column-wise NuSLERP: the vectors run along dim 0 (mergekit transposes dims 0 and −1), so an
 * N-D tensor is viewed as [d0, numel/d0] and each of its numel/d0 columns is one vector.
 * Per-block column Gram matrices, then per-column pairs.
 */
function columnProgram(t: number, rel: boolean, shape: ProgramShape): TensorProgram {
  const c = shape.numel / shape.shape[0];
  const blockRows = Math.min(COL_BLOCK_ROWS, shape.numel / c);
  const words = 3 * c; // (v₀·v₀, v₀·v₁, v₁·v₁) per column
  return {
    quantum: blockRows * c,
    passes: [{
      call: () => ({ fn: 'geo_col_gram', params: [blockRows, rel ? 1 : 0] }),
      words: (n) => Math.ceil(n / c / blockRows) * words,
      reduce(parts: readonly ChunkStats[]): Float64Array {
        // Block partials summed in global block order: the same sums for any chunking.
        const out = new Float64Array(words);
        for (const p of parts) for (let b = 0; b < p.data.length; b += words) for (let q = 0; q < words; q++) out[q] += p.data[b + q];
        return out;
      },
    }],
    apply(stats) {
      const g = stats[0];
      const c0: number[] = [];
      const c1: number[] = [];
      for (let col = 0; col < c; col++) {
        const [a, b] = nuslerpCoefficients(t, g[col], g[c + col], g[2 * c + col]);
        c0.push(a);
        c1.push(b);
      }
      return { fn: 'geo_combine_cols', params: [rel ? 1 : 0, ...c0, ...c1] };
    },
    scratchBytes: () => 4 * 2 * c,
    rowLen: c,
  };
}

export const nuslerpProgram: ProgramFactory = (params, shape) => {
  const t = params.t as number;
  const rel = Boolean(params.rel);
  // mergekit transposes dims 0 and −1: for a 1-D tensor that is the tensor itself (one row).
  if (params.columns && shape.shape.length >= 2) return columnProgram(t, rel, shape);
  return gramProgram(shape, { rel, rows: !params.flatten }, (g) => nuslerpCoefficients(t, g.at(0, 0), g.at(0, 1), g.at(1, 1)));
};
