/**
 * `breadcrumbs`: drops the `gamma` fraction of largest-magnitude delta elements (outliers) and
 * enough of the smallest to keep `density`, then a weighted sum.
 * mergekit defaults: normalize false, rescale false. Math: gta.ts, wasm/src/gta.rs.
 */
import { DENSITY, GAMMA, WEIGHT, gtaGlobalParams, gtaOptions, gtaProgram, planGta } from './gta.js';
import type { MergeMethod } from './types.js';

export const breadcrumbs: MergeMethod = {
  name: 'breadcrumbs',
  prettyName: 'Model Breadcrumbs',
  reference: 'https://arxiv.org/abs/2312.06795',
  base: 'required',
  globalParams: gtaGlobalParams({ normalize: false, rescale: false }),
  perModelParams: [WEIGHT, DENSITY, GAMMA],
  planTensor: (ctx) => planGta(ctx, { method: 'breadcrumbs', sparsifier: 'outliers', consensus: false }),
  options: gtaOptions(false),
  program: gtaProgram,
};
