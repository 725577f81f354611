/**
 * `dare_linear`: DARE's random drop and rescale, then a plain weighted sum of the deltas.
 * mergekit defaults: normalize false, rescale true. Math: gta.ts, wasm/src/gta.rs.
 */
import { DENSITY, WEIGHT, gtaGlobalParams, gtaOptions, gtaProgram, planGta } from './gta.js';
import type { MergeMethod } from './types.js';

export const dareLinear: MergeMethod = {
  name: 'dare_linear',
  prettyName: 'Linear DARE',
  reference: 'https://arxiv.org/abs/2311.03099',
  base: 'required',
  globalParams: gtaGlobalParams({ normalize: false, rescale: true }),
  perModelParams: [WEIGHT, DENSITY],
  planTensor: (ctx) => planGta(ctx, { method: 'dare_linear', sparsifier: 'random', consensus: false }),
  options: gtaOptions(false),
  program: gtaProgram,
};
