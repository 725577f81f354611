/**
 * `slerp`: spherical interpolation of two models, `t = 0` → the base, `t = 1` → the other
 * (mergekit's `slerp.py`). The whole tensor is one vector: its direction decides the
 * coefficients, which are applied to the original (unnormalized) tensors.
 *
 *   v̂ = v/‖v‖ if ‖v‖ > 1e-8 else v;  dot = v̂₀·v̂₁
 *   |dot| > 0.9995 → (1−t)·v₀ + t·v₁                   (nearly colinear: plain lerp)
 *   θ₀ = acos(dot), θ = t·θ₀ → sin(θ₀−θ)/sin θ₀ · v₀ + sin θ/sin θ₀ · v₁
 *
 * Program: one Gram pass (‖v₀‖², v₀·v₁, ‖v₁‖²), then Σ cᵢvᵢ. Differences from mergekit: the dot
 * product is accumulated in float64 (mergekit: numpy float32), and a non-finite dot (inputs with
 * inf/NaN) falls back to lerp instead of taking `arccos` of NaN, so only the elements that are
 * inf/NaN in an input are non-finite in the output.
 */
import { gramProgram } from './gram.js';
import type { ProgramFactory } from './program.js';
import type { MergeMethod } from './types.js';

const NORM_EPS = 1e-8;
const DOT_THRESHOLD = 0.9995;

export const slerp: MergeMethod = {
  name: 'slerp',
  prettyName: 'SLERP',
  reference: 'https://en.wikipedia.org/wiki/Slerp',
  base: 'required',
  globalParams: [{ name: 't', required: true }],
  perModelParams: [],
  planTensor({ inputs, global, tensor }) {
    // mergekit returns a tensor present in a single model as it is.
    if (inputs.length === 1) return { op: { kind: 'copy' } };
    if (inputs.length !== 2 || !inputs[0].isBase) {
      return {
        error: `slerp interpolates exactly two models, the base model and one other, but ${tensor} has ${inputs.length} (${inputs.map((i) => `\`${i.modelKey}\``).join(', ')})`,
        hint: 'list one model besides `base_model:` (or use multislerp or karcher to merge more than two)',
      };
    }
    return { op: { kind: 'program', method: 'slerp', params: { t: global.t as number } } };
  },
  // a function: slerpProgram is defined below this object
  program: (params, shape) => slerpProgram(params, shape),
};

/** The two SLERP coefficients of v₀, v₁ from ‖v₀‖², v₀·v₁, ‖v₁‖². */
export function slerpCoefficients(t: number, g00: number, g01: number, g11: number): [number, number] {
  const n0 = Math.sqrt(g00);
  const n1 = Math.sqrt(g11);
  const dot = g01 / ((n0 > NORM_EPS ? n0 : 1) * (n1 > NORM_EPS ? n1 : 1));
  if (!Number.isFinite(dot) || Math.abs(dot) > DOT_THRESHOLD) return [1 - t, t];
  const theta0 = Math.acos(dot); // |dot| ≤ 0.9995 here: always in acos's domain
  const sin0 = Math.sin(theta0);
  const thetaT = theta0 * t;
  return [Math.sin(theta0 - thetaT) / sin0, Math.sin(thetaT) / sin0];
}

export const slerpProgram: ProgramFactory = (params, shape) =>
  gramProgram(shape, { rel: false, rows: false }, (g) => slerpCoefficients(params.t as number, g.at(0, 0), g.at(0, 1), g.at(1, 1)));
