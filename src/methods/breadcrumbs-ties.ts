/**
 * `breadcrumbs_ties`: breadcrumbs' outlier window, then TIES' sign election.
 * mergekit defaults: normalize false, rescale false. Math: gta.ts, wasm/src/gta.rs.
 */
import { DENSITY, GAMMA, WEIGHT, gtaGlobalParams, gtaOptions, gtaProgram, planGta } from './gta.js';
import type { MergeMethod } from './types.js';

export const breadcrumbsTies: MergeMethod = {
  name: 'breadcrumbs_ties',
  prettyName: 'Model Breadcrumbs with TIES',
  reference: 'https://arxiv.org/abs/2312.06795',
  base: 'required',
  globalParams: gtaGlobalParams({ normalize: false, rescale: false }),
  perModelParams: [WEIGHT, DENSITY, GAMMA],
  planTensor: (ctx) => planGta(ctx, { method: 'breadcrumbs_ties', sparsifier: 'outliers', consensus: true }),
  options: gtaOptions(true),
  program: gtaProgram,
};
