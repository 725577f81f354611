/**
 * `nearswap`: take the other model's value where it is near the base's, keep the base's where
 * they differ (mergekit's `nearswap.py`), element by element:
 *
 *   w = clamp(t / max(|base − other|, 1e-6), 0, 1);  out = w·other + (1 − w)·base
 *
 * No statistics: the program is the apply pass alone (`geo_nearswap`, float32).
 */
import type { ProgramFactory } from './program.js';
import type { MergeMethod } from './types.js';

export const nearswap: MergeMethod = {
  name: 'nearswap',
  prettyName: 'NearSwap',
  reference: 'https://huggingface.co/alchemonaut/QuartetAnemoi-70B-t0.0001',
  base: 'required',
  globalParams: [{ name: 't', required: true }],
  perModelParams: [],
  planTensor({ inputs, global, tensor }) {
    // A tensor only one model has is returned as it is (mergekit returns the base's).
    if (inputs.length === 1) return { op: { kind: 'copy' } };
    const others = inputs.filter((i) => !i.isBase);
    if (others.length !== 1 || !inputs[0].isBase) {
      return {
        error: `nearswap merges the base model with exactly one other model, but ${tensor} has ${others.length} besides the base (${others.map((i) => `\`${i.modelKey}\``).join(', ')})`,
        hint: 'list exactly one model besides `base_model:`',
      };
    }
    return { op: { kind: 'program', method: 'nearswap', params: { t: global.t as number } } };
  },
  // a function: nearswapProgram is defined below this object
  program: (params, shape) => nearswapProgram(params, shape),
};

export const nearswapProgram: ProgramFactory = (params) => ({
  quantum: 1,
  passes: [],
  apply: () => ({ fn: 'geo_nearswap', params: [params.t as number] }),
});
