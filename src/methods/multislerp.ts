/**
 * `multislerp`: barycentric interpolation of any number of models on the hypersphere
 * (mergekit's `multislerp.py`), each tensor flattened to one vector, optionally around a base:
 *
 *   Xᵢ = xᵢ (− base);  w ← w/Σw if normalize_weights;  Uᵢ = Xᵢ/(‖Xᵢ‖ + eps)
 *   m = Σ wᵢUᵢ;  ‖m‖ < eps → two models: w₀X₀ + w₁X₁, more: error (antipodal inputs)
 *   m̂ = m/‖m‖;  Tᵢ = Uᵢ − (Uᵢ·m̂)m̂;  T = Σ wᵢTᵢ;  τ = ‖T‖ + eps
 *   r = m̂·cos τ + T·sin τ/τ;  out = r·Σ wᵢ‖Xᵢ‖ (+ base)
 *
 * Every vector above lies in the span of the Xᵢ, so the whole computation runs on coefficient
 * vectors and the Gram matrix of the Xᵢ (float64); the apply pass is out = Σ cᵢXᵢ (+ base).
 * Fixed: normalizing weights that sum to 0 (mergekit divides by zero) is a plan-time error.
 */
import { MergeopsError } from '../errors.js';
import { MAX_INPUTS, gramProgram, type Gram } from './gram.js';
import type { ProgramFactory } from './program.js';
import type { MergeMethod } from './types.js';

export const multislerp: MergeMethod = {
  name: 'multislerp',
  prettyName: 'Multi-SLERP',
  reference: 'https://goddard.blog/posts/multislerp-wow-what-a-cool-idea',
  base: 'optional',
  globalParams: [
    { name: 'normalize_weights', default: 1 },
    { name: 'eps', default: 1e-8 },
  ],
  perModelParams: [{ name: 'weight', required: true }],
  planTensor({ inputs, global, tensor }) {
    const base = inputs.find((i) => i.isBase);
    const others = inputs.filter((i) => !i.isBase);
    if (others.length === 0) return { op: { kind: 'copy' } };
    // A single model is returned as it is, even with a base (as mergekit does).
    if (others.length === 1) return { op: base ? { kind: 'linear', weights: [0, 1], divisor: 1 } : { kind: 'copy' } };
    if (others.length > MAX_INPUTS - 1) {
      return { error: `multislerp merges at most ${MAX_INPUTS - 1} models, but ${tensor} has ${others.length}`, hint: 'merge fewer models per stage (a multi-stage recipe can merge the results)' };
    }
    const weights = others.map((i) => i.params.weight as number);
    const sum = weights.reduce((a, b) => a + b, 0);
    if (global.normalize_weights && sum === 0) {
      return {
        error: `the weights of multislerp sum to 0 (${weights.join(', ')}), so normalizing them would divide by zero`,
        hint: 'change the weights, or set `normalize_weights: false`',
      };
    }
    const w = global.normalize_weights ? weights.map((x) => x / sum) : weights;
    return { op: { kind: 'program', method: 'multislerp', params: { weights: w, eps: global.eps ?? 1e-8, rel: base !== undefined } } };
  },
  // a function: multislerpProgram is defined below this object
  program: (params, shape) => multislerpProgram(params, shape),
};

/** Coefficients c with out = Σ cᵢXᵢ, from the Gram matrix of the Xᵢ. */
export function multislerpCoefficients(w: readonly number[], eps: number, g: Gram, tensor = 'tensor'): number[] {
  const n = w.length;
  const norms = w.map((_, i) => Math.sqrt(Math.max(0, g.at(i, i))));
  const inv = norms.map((x) => 1 / (x + eps)); // Uᵢ = inv[i]·Xᵢ
  const m = w.map((wi, i) => wi * inv[i]);
  const mNorm = g.norm(m);
  if (!(mNorm >= eps)) {
    if (n === 2) return [w[0], w[1]];
    throw new MergeopsError('RECIPE',
      `multislerp: the weighted mean of the directions of ${tensor} is zero (antipodal inputs whose weights cancel out)`,
      'change the weights of the models, or merge these models with another method');
  }
  const mHat = m.map((x) => x / mNorm);
  // Uᵢ·m̂ and T = Σ wᵢ(Uᵢ − (Uᵢ·m̂)m̂), as coefficient vectors.
  const dots = w.map((_, i) => inv[i] * g.apply(mHat, i));
  const s = w.reduce((a, wi, i) => a + wi * dots[i], 0);
  const tangent = w.map((wi, j) => wi * inv[j] - s * mHat[j]);
  const tau = g.norm(tangent) + eps;
  const avgNorm = w.reduce((a, wi, i) => a + wi * norms[i], 0);
  const cosT = Math.cos(tau);
  const sinc = Math.sin(tau) / tau;
  return mHat.map((x, j) => (x * cosT + tangent[j] * sinc) * avgNorm);
}

export const multislerpProgram: ProgramFactory = (params, shape) =>
  gramProgram(shape, { rel: Boolean(params.rel), rows: false }, (g) =>
    multislerpCoefficients(params.weights as readonly number[], params.eps as number, g, shape.tensor));
