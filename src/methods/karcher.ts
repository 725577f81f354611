/**
 * `karcher`: the Karcher (Riemannian) mean of the models' directions on the unit sphere, scaled
 * by their mean norm (mergekit's `karcher.py`). Every model, the base included if one is given,
 * has weight 1/N; tensors are flattened.
 *
 *   nᵢ = ‖xᵢ‖, uᵢ = xᵢ/nᵢ; only nᵢ > tol take part (weights renormalized over them)
 *   u = normalize(Σ αᵢuᵢ) (or the first valid uᵢ if that is < tol)
 *   max_iter times: T = Σ αᵢ(θᵢ/sin θᵢ)(uᵢ − cos θᵢ·u), cos θᵢ = clamp(u·uᵢ), skipping θᵢ < tol;
 *     stop if ‖T‖ < tol; u = cos‖T‖·u + sin‖T‖·T/‖T‖; u = u/‖u‖ (if ‖u‖ > tol)
 *   out = (Σᵢ nᵢ/N)·u
 *
 * The iterate stays in the span of the inputs, so the iteration runs on coefficient vectors and
 * the Gram matrix (float64), and the apply pass is Σ cᵢxᵢ.
 */
import { MAX_INPUTS, gramProgram, safeAcos, type Gram } from './gram.js';
import type { ProgramFactory } from './program.js';
import type { MergeMethod } from './types.js';

export const karcher: MergeMethod = {
  name: 'karcher',
  prettyName: 'Karcher Mean',
  reference: 'https://en.wikipedia.org/wiki/Karcher_mean',
  base: 'input',
  globalParams: [
    { name: 'max_iter', default: 10 },
    { name: 'tol', default: 1e-5 },
  ],
  perModelParams: [],
  planTensor({ inputs, global, tensor }) {
    if (inputs.length === 1) return { op: { kind: 'copy' } };
    if (inputs.length > MAX_INPUTS) {
      return { error: `karcher merges at most ${MAX_INPUTS} models, but ${tensor} has ${inputs.length}`, hint: 'merge fewer models per stage (a multi-stage recipe can merge the results)' };
    }
    return { op: { kind: 'program', method: 'karcher', params: { max_iter: global.max_iter ?? 10, tol: global.tol ?? 1e-5 } } };
  },
  // a function: karcherProgram is defined below this object
  program: (params, shape) => karcherProgram(params, shape),
};

/** Coefficients c with out = Σ cᵢxᵢ, from the Gram matrix of the xᵢ. */
export function karcherCoefficients(g: Gram, maxIter: number, tol: number): number[] {
  const n = g.m;
  const alphas = new Array<number>(n).fill(1 / n);
  const norms = alphas.map((_, i) => Math.sqrt(Math.max(0, g.at(i, i))));
  const valid = norms.map((_, i) => i).filter((i) => norms[i] > tol);
  const zero = new Array<number>(n).fill(0);
  if (valid.length === 0) return zero;
  const alphaSum = valid.reduce((a, i) => a + alphas[i], 0);
  const a = alphas.map((x) => x / alphaSum);
  // uᵢ as a coefficient vector: eᵢ/nᵢ.
  const unit = (i: number): number[] => zero.map((_, j) => (j === i ? 1 / norms[i] : 0));
  let u = zero.slice();
  for (const i of valid) u[i] += a[i] / norms[i];
  const un = g.norm(u);
  u = un < tol ? unit(valid[0]) : u.map((x) => x / un);
  for (let it = 0; it < maxIter; it++) {
    const tangent = zero.slice();
    for (const i of valid) {
      const dot = Math.min(1, Math.max(-1, g.apply(u, i) / norms[i]));
      const theta = safeAcos(dot);
      if (theta < tol) continue;
      const f = (a[i] * theta) / Math.sin(theta);
      for (let j = 0; j < n; j++) tangent[j] += f * ((j === i ? 1 / norms[i] : 0) - dot * u[j]);
    }
    const tn = g.norm(tangent);
    if (tn < tol) break;
    u = u.map((x, j) => Math.cos(tn) * x + (Math.sin(tn) * tangent[j]) / tn);
    const nn = g.norm(u);
    if (nn > tol) u = u.map((x) => x / nn);
  }
  const scale = alphas.reduce((s, al, i) => s + al * norms[i], 0);
  return u.map((x) => x * scale);
}

export const karcherProgram: ProgramFactory = (params, shape) =>
  gramProgram(shape, { rel: false, rows: false }, (g) => karcherCoefficients(g, params.max_iter as number, params.tol as number));
