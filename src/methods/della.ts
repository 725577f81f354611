/**
 * `della`: DELLA's MagPrune: per row, a delta element of magnitude rank r (1 = smallest) is kept
 * with probability density − ε + 2ε·(r−1)/(L−1); rescaled (mergekit: to the L1 norm), then TIES'
 * sign election.
 * mergekit defaults: normalize true, rescale true. Math: gta.ts, wasm/src/gta.rs.
 */
import { DENSITY, EPSILON, WEIGHT, gtaGlobalParams, gtaOptions, gtaProgram, planGta } from './gta.js';
import type { MergeMethod } from './types.js';

export const della: MergeMethod = {
  name: 'della',
  prettyName: 'DELLA',
  reference: 'https://arxiv.org/abs/2406.11617',
  base: 'required',
  globalParams: gtaGlobalParams({ normalize: true, rescale: true }),
  perModelParams: [WEIGHT, DENSITY, EPSILON],
  planTensor: (ctx) => planGta(ctx, { method: 'della', sparsifier: 'della', consensus: true }),
  options: gtaOptions(true),
  program: gtaProgram,
};
