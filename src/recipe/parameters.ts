/**
 * Parameter evaluation as mergekit does it (`mergekit/config.py::evaluate_setting`,
 * `ConfigReader.parameter`, `mergekit/plan.py::plan_slice`): scalars, gradients over the layers
 * of an output slice, and `{filter, value}` conditionals, resolved through precedence levels.
 */
import type { ParamMap, ParamSetting } from './types.js';

function checkT(t: number): void {
  if (!(t >= 0 && t <= 1)) throw new RangeError(`gradient position t must be in [0, 1], got ${t}`);
}

/**
 * A gradient `[v0, …, vK]` at `t ∈ [0, 1]`: piecewise-linear over evenly spaced anchors,
 * with mergekit's exact float64 operation order. A one-element gradient is that value.
 */
export function evaluateGradient(values: readonly number[], t: number): number {
  checkT(t);
  if (values.length === 0) throw new RangeError('empty gradient');
  const k = values.length - 1;
  const s = t * k;
  const i0 = Math.trunc(s);
  const i1 = Math.min(k, i0 + 1);
  const f = s - i0;
  return (1 - f) * values[i0] + f * values[i1];
}

function evaluateValue(value: number | readonly number[], t: number): number {
  return typeof value === 'number' ? value : evaluateGradient(value, t);
}

/** Does a conditional entry's filter select this tensor? (absent, `*`, or a substring of the name). */
export function filterMatches(filter: string | undefined, tensorName: string): boolean {
  // mergekit: `cond.filter is None or cond.filter == "*" or (tensor_name and cond.filter in tensor_name)`
  return filter === undefined || filter === '*' || (tensorName !== '' && tensorName.includes(filter));
}

/**
 * mergekit's `evaluate_setting`: the value of a setting for one tensor at position `t` of its
 * output slice. A conditional whose filters all miss gives `undefined` (the caller falls
 * through to the next precedence level).
 */
export function evaluateSetting(setting: ParamSetting, tensorName: string, t: number): number | undefined {
  switch (setting.kind) {
    case 'scalar':
      return setting.value;
    case 'gradient':
      return evaluateGradient(setting.values, t);
    case 'conditional':
      for (const entry of setting.entries) {
        if (filterMatches(entry.filter, tensorName)) return evaluateValue(entry.value, t);
      }
      return undefined;
  }
}

/**
 * mergekit's `ConfigReader.parameter`: walks `levels` highest precedence first — for a per-model
 * parameter: the source's parameters, the output slice's, then the top-level ones; for a global
 * parameter the same without the source level — and returns the first defined value.
 */
export function resolveParameter(name: string, levels: readonly ParamMap[], tensorName: string, t: number): number | undefined {
  for (const level of levels) {
    const setting = level.get(name);
    if (setting === undefined) continue;
    const v = evaluateSetting(setting, tensorName, t);
    if (v !== undefined) return v;
  }
  return undefined;
}

/**
 * The gradient position of layer `indexInSlice` of an output slice of `sliceLength` layers:
 * `i / (N − 1)`, or 1 when the slice has a single layer (mergekit `plan_slice`). Gradients
 * restart in every slice. Pre- and post-weights (embeddings, final norm, lm_head) are the
 * caller's business (mergekit evaluates them at t = 0).
 */
export function layerT(indexInSlice: number, sliceLength: number): number {
  if (!Number.isInteger(sliceLength) || sliceLength < 1) throw new RangeError(`slice length must be a positive integer, got ${sliceLength}`);
  if (!Number.isInteger(indexInSlice) || indexInSlice < 0 || indexInSlice >= sliceLength) {
    throw new RangeError(`layer index ${indexInSlice} outside a slice of ${sliceLength} layers`);
  }
  return sliceLength > 1 ? indexInSlice / (sliceLength - 1) : 1;
}
