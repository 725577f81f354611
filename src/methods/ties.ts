/**
 * `ties`: TIES-merging. Each delta keeps its `density` fraction of largest magnitudes (exactly
 * k = ⌊density·n⌋ over the whole tensor, ties by lowest index), then a per-element sign election
 * (sum of weighted deltas) keeps the agreeing deltas, averaged by their weights (normalize).
 * mergekit defaults: normalize true, rescale false. Math: gta.ts, wasm/src/gta.rs.
 */
import { DENSITY, WEIGHT, gtaGlobalParams, gtaOptions, gtaProgram, planGta } from './gta.js';
import type { MergeMethod } from './types.js';

export const ties: MergeMethod = {
  name: 'ties',
  prettyName: 'TIES',
  reference: 'https://arxiv.org/abs/2306.01708',
  base: 'required',
  globalParams: gtaGlobalParams({ normalize: true, rescale: false }),
  perModelParams: [WEIGHT, DENSITY],
  planTensor: (ctx) => planGta(ctx, { method: 'ties', sparsifier: 'magnitude', consensus: true }),
  options: gtaOptions(true),
  program: gtaProgram,
};
