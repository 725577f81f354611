/**
 * `sce` (mergekit `sce.py`, arXiv 2408.07990): Select the `select_topk` fraction of positions
 * whose task vectors vary most across models (population variance; exactly
 * k = ⌊count(var ≠ 0)·select_topk⌋, ties by lowest index), Calculate each model's weight as its
 * mean squared selected delta (normalized to sum 1; all zero → uniform), Erase deltas against the
 * sign of their sum (TIES election, unweighted), and merge: base + Σ_agree wⱼτⱼ / Σ_agree wⱼ.
 * No user weights, no λ. Per-element math: wasm/src/sce.rs.
 */
import type { ProgramShape, TensorProgram } from './program.js';
import { STAT_BLOCK } from './program.js';
import { blocksOf, concatParts, EMPTY_SLOT, findBucket, findInBucket, FULL_SLOT, HI_BUCKETS, LO_BUCKETS, sumParts, tieCutoff, ALL_BLOCKS, type TopSlot } from './select.js';
import type { MergeMethod } from './types.js';
import type { ProgramParams } from '../model/tensor.js';

export const sce: MergeMethod = {
  name: 'sce',
  prettyName: 'SCE',
  reference: 'https://arxiv.org/abs/2408.07990',
  base: 'required',
  globalParams: [
    // Accepted for compatibility: only changes the mask dtype in mergekit, never the result.
    { name: 'int8_mask', default: 0 },
    { name: 'select_topk', default: 1 },
  ],
  perModelParams: [],
  planTensor({ inputs, global }) {
    if (inputs.every((i) => i.isBase)) return { op: { kind: 'copy' } };
    return { op: { kind: 'program', method: 'sce', params: { selectTopk: global.select_topk ?? 1 } } };
  },
  program: sceProgram,
};

/** SCE's tensor program: [variance top-k: 3 passes], squared-delta sums, apply. */
export function sceProgram(raw: ProgramParams, shape: ProgramShape): TensorProgram {
  const topk = Math.abs(raw.selectTopk as number); // mergekit: int(abs(density) · nonzero)
  const m = shape.k - 1;
  const n = shape.numel;
  const select = (raw.selectTopk as number) < 1;
  const header = (slot: TopSlot, sel: boolean, w: readonly number[] = []): number[] => [m, sel ? 1 : 0, slot.thr, slot.cb, slot.rem, ...Array.from({ length: m }, (_, j) => w[j] ?? 0)];
  const kOf = (hi: Float64Array): number => Math.trunc((n - hi[HI_BUCKETS]) * topk);
  const sel = (hi: Float64Array, lo?: Float64Array) => {
    const K = kOf(hi);
    if (K <= 0 || K >= n) return { K, b: undefined, t: undefined };
    const b = findBucket(hi, 0, K);
    return { K, b, t: lo ? findInBucket(lo, 0, b.bucket, b.need) : undefined };
  };
  const slotOf = (stats: readonly Float64Array[]): TopSlot => {
    if (!select) return FULL_SLOT;
    const { K, t } = sel(stats[0], stats[1]);
    if (K <= 0) return EMPTY_SLOT;
    if (!t) return FULL_SLOT;
    return t.keep === t.ties ? { thr: t.thr, cb: ALL_BLOCKS, rem: 0 } : { thr: t.thr, ...tieCutoff(stats[2], 1, 0, t.keep) };
  };
  const passes: TensorProgram['passes'][number][] = [];
  if (select) {
    passes.push({ call: () => ({ fn: 'sce_hist_hi', params: header(EMPTY_SLOT, true) }), words: () => HI_BUCKETS + 1, reduce: sumParts });
    passes.push({
      call: ([hi]) => ({ fn: 'sce_hist_lo', params: header({ thr: sel(hi).b?.bucket ?? -1, cb: 0, rem: 0 }, true) }),
      words: () => LO_BUCKETS,
      reduce: sumParts,
    });
    passes.push({
      call: ([hi, lo]) => {
        const t = sel(hi, lo).t;
        return { fn: 'sce_ties', params: header({ thr: t && t.keep < t.ties ? t.thr : -1, cb: 0, rem: 0 }, true) };
      },
      words: (cn, first) => blocksOf(cn, first),
      reduce: concatParts,
    });
  }
  const sumsAt = passes.length;
  passes.push({
    call: (prev) => ({ fn: 'sce_sums', params: header(slotOf(prev), select) }),
    words: (cn, first) => blocksOf(cn, first) * m,
    reduce: (parts) => {
      const out = new Float64Array(m);
      for (const p of parts) for (let i = 0; i < p.data.length; i++) out[i % m] += p.data[i];
      return out;
    },
  });
  return {
    quantum: STAT_BLOCK,
    passes,
    apply: (stats) => {
      // mergekit: wⱼ = Σ τ'ⱼ² / numel, normalized; all zero → uniform.
      const w = Array.from(stats[sumsAt], (s) => s / n);
      const total = w.reduce((a, b) => a + b, 0);
      return { fn: 'sce_apply', params: header(slotOf(stats), select, total === 0 ? w.map(() => 1 / m) : w.map((x) => x / total)) };
    },
  };
}
