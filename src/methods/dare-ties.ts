/**
 * `dare_ties`: DARE's random drop (keep each delta element with probability `density`, drawn
 * from the counter-based generator), rescaled (mergekit: to the delta's L1 norm), then TIES' sign
 * election.
 * mergekit defaults: normalize false, rescale true. Math: gta.ts, wasm/src/gta.rs.
 */
import { DENSITY, WEIGHT, gtaGlobalParams, gtaOptions, gtaProgram, planGta } from './gta.js';
import type { MergeMethod } from './types.js';

export const dareTies: MergeMethod = {
  name: 'dare_ties',
  prettyName: 'DARE TIES',
  reference: 'https://arxiv.org/abs/2311.03099',
  base: 'required',
  globalParams: gtaGlobalParams({ normalize: false, rescale: true }),
  perModelParams: [WEIGHT, DENSITY],
  planTensor: (ctx) => planGta(ctx, { method: 'dare_ties', sparsifier: 'random', consensus: true }),
  options: gtaOptions(true),
  program: gtaProgram,
};
