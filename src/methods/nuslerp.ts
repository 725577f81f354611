/**
 * `nuslerp`: SLERP of two models with mergekit's newer conventions (`nuslerp.py`): weights
 * instead of `t` (t = w₂/(w₁+w₂), or 0.5 when |w₁+w₂| < 1e-6), an optional base model (then the
 * task vectors aᵢ − base are interpolated and added to the base), and either the whole tensor as
 * one vector (`nuslerp_flatten`, default) or one vector per row.
 *
 *   u = v/max(‖v‖, 1e-7);  θ = acos(clamp(u₀·u₁, −1, 1));  s = sin θ
 *   |s| < 1e-8 → (1−t)·v₀ + t·v₁;  else (sin((1−t)θ)·v₀ + sin(tθ)·v₁)/s
 *
 * Program: one Gram pass (per block, or per row), then a linear combination with one coefficient
 * pair for the tensor or per row. Dot products are accumulated in float64 (mergekit: input dtype).
 * `nuslerp_row_wise: true` with `nuslerp_flatten: false` (vectors along dim 0, i.e. columns)
 * is not supported yet and is reported at plan time.
 */
import { gramProgram } from './gram.js';
import type { ProgramFactory } from './program.js';
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
    if (!flatten && global.nuslerp_row_wise) {
      return {
        error: 'nuslerp with `nuslerp_row_wise: true` and `nuslerp_flatten: false` (interpolating columns) is not supported yet',
        hint: 'use `nuslerp_flatten: true` (the default) or `nuslerp_row_wise: false` (one vector per row)',
      };
    }
    const [w0, w1] = others.map((i) => i.params.weight as number);
    const sum = w0 + w1;
    const t = Math.abs(sum) < 1e-6 ? 0.5 : w1 / sum;
    return { op: { kind: 'program', method: 'nuslerp', params: { t, rel: base !== undefined, flatten } } };
  },
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

export const nuslerpProgram: ProgramFactory = (params, shape) =>
  gramProgram(shape, { rel: Boolean(params.rel), rows: !params.flatten }, (g) =>
    nuslerpCoefficients(params.t as number, g.at(0, 0), g.at(0, 1), g.at(1, 1)));
