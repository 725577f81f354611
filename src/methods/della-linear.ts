/**
 * `della_linear`: DELLA's MagPrune and rescale, then a plain weighted sum.
 * mergekit defaults: normalize false, rescale true. Math: gta.ts, wasm/src/gta.rs.
 */
import { DENSITY, EPSILON, WEIGHT, gtaGlobalParams, gtaOptions, gtaProgram, planGta } from './gta.js';
import type { MergeMethod } from './types.js';

export const dellaLinear: MergeMethod = {
  name: 'della_linear',
  prettyName: 'Linear DELLA',
  reference: 'https://arxiv.org/abs/2406.11617',
  base: 'required',
  globalParams: gtaGlobalParams({ normalize: false, rescale: true }),
  perModelParams: [WEIGHT, DENSITY, EPSILON],
  planTensor: (ctx) => planGta(ctx, { method: 'della_linear', sparsifier: 'della', consensus: false }),
  options: gtaOptions(false),
  program: gtaProgram,
};
