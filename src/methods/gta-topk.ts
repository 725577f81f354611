/**
 * Exact top-k selection of the GTA methods (ties, breadcrumbs, breadcrumbs_ties): the statistics
 * passes that find, for each model and slot, the K-th largest |δ| over the whole tensor and where
 * its kept ties end, so that the apply pass keeps exactly K elements (ties by lowest index).
 * Kernels: wasm/src/gta_band.rs (sample, band), wasm/src/gta.rs (full histograms, tie counts).
 */
import type { KernelCall, StatPass } from './program.js';
import { SKIPPED } from './program.js';
import {
  ALL_BLOCKS, blocksOf, concatParts, findBucket, findInBucket, HI_BUCKETS, LO_BUCKETS, sumParts, tieCutoff, type TopSlot,
} from './select.js';

/** Most high-bit buckets a band spans (`BAND` in wasm/src/gta_band.rs). */
export const BAND = 1024;

/** One model's record fields a selection kernel reads (the rest are the program's). */
export interface TopkRecord {
  slots?: readonly TopSlot[];
  /** The model takes part (histogram passes). */
  act?: boolean;
  /** Per-slot raw values: a bucket, a threshold or a band's lowest bucket (−1: none). */
  raw?: readonly number[];
}

export interface TopkSpec {
  n: number;
  m: number;
  /** 1, or 2 for a window of kept ranks (breadcrumbs). */
  nslots: number;
  /** Per model, the set sizes of its slots. */
  K: readonly (readonly number[])[];
  needSel(j: number, s: number): boolean;
  /** A call of a selection kernel with each model's record fields. */
  call(fn: string, rec: (j: number) => TopkRecord): KernelCall;
}

/**
 * The selection passes. Pass S histograms |δ| bits over a sample of blocks; a band of high-bit
 * buckets around the sample's K-th key goes to pass B, which counts every key above the band,
 * histograms those inside, and counts per block the keys equal to the bottom value of the
 * sample's K-th bucket (the candidate). If some K-th key falls outside
 * its band (an unrepresentative sample), passes H (full high-bits histogram) and T (bottom-value
 * ties per block) find it instead; T also runs when the K-th bucket is not the candidate.
 * Either way the K-th key's bucket and rank there are exact; when the bucket's other keys are
 * fewer than that rank the K-th key is the bottom value (the usual case with half-precision
 * inputs: the difference of two bf16 values has few significant bits), else passes L (low-bits
 * histogram inside the bucket) and R (ties of the refined key).
 */
export function topkSelection(spec: TopkSpec): { passes: StatPass[]; slotsOf(stats: readonly Float64Array[]): (TopSlot | undefined)[][] } {
  const { n, m, nslots, K, needSel } = spec;
  const q = m * nslots;
  const slot = (j: number, s: number): number => j * nslots + s;
  const S = 0, B = 1, H = 2, T = 3, L = 4, R = 5;
  /** The K-th key's bucket, its rank there, the bucket's size and its bottom value's per-block counts. */
  type Base = { bucket: number; need: number; count: number; total?: number; blocks?: { ties: Float64Array; at: number } };
  type Band = { lo: number; hi: number; cand: number };
  /** A resolved K-th key: its bits, how many keys equal it, how many of those are kept. */
  type Sel = { thr: number; ties: number; keep: number };
  const HEAD = 1 + 2 * BAND; // per band: [above, hist[BAND], bottoms[BAND]]
  const bottomOf = (ties: Float64Array, at: number): { total: number; blocks: { ties: Float64Array; at: number } } => {
    let total = 0;
    for (let i = at; i < ties.length; i += q) total += ties[i];
    return { total, blocks: { ties, at } };
  };
  /**
   * The bands from the summed sample histograms, as pass S's reduced statistics: `[lo, hi, cand]`
   * per slot (−1: no band). Only these words are kept, not the histograms (2¹⁵ words a model).
   */
  const chooseBands = (sample: Float64Array): Float64Array => {
    const out = new Float64Array(3 * q).fill(-1);
    K.forEach((ks, j) => [0, 1].forEach((s) => {
      if (!needSel(j, s)) return;
      let ns = 0;
      for (let b = 0; b < HI_BUCKETS; b++) ns += sample[j * HI_BUCKETS + b];
      if (ns === 0) return;
      const pr = ks[s] / n;
      // The sample's rank of the K-th key, ± four standard deviations and 0.1 % (blocks are
      // sampled whole, so neighbouring keys are correlated); a sample of everything is exact.
      const r = pr * ns;
      const margin = ns === n ? 0 : 4 * Math.sqrt(ns * pr * (1 - pr)) + 0.001 * ns + 2;
      const rank = (x: number): number => findBucket(sample, j * HI_BUCKETS, Math.max(1, Math.min(ns, x))).bucket;
      const hi = rank(Math.floor(r - margin)), lo = rank(Math.ceil(r + margin));
      if (hi - lo < BAND) out.set([lo, hi, rank(Math.round(r))], 3 * slot(j, s));
    }));
    return out;
  };
  const bandsOf = (chosen: Float64Array): (Band | undefined)[][] => K.map((_, j) => [0, 1].map((s) => {
    const at = 3 * slot(j, s);
    return s < nslots && chosen[at] >= 0 ? { lo: chosen[at], hi: chosen[at + 1], cand: chosen[at + 2] } : undefined;
  }));
  /** From the band pass, or `undefined` where a band is missing or missed its K-th key. */
  const bandResult = (chosen: Float64Array, band: Float64Array): (Base | undefined)[][] | undefined => {
    const bands = bandsOf(chosen);
    const head = q * HEAD;
    const out = K.map((_, j) => [0, 1].map((s): Base | undefined => {
      const bd = bands[j][s];
      if (!bd) return undefined;
      const at = slot(j, s) * HEAD;
      let above = band[at];
      if (above >= K[j][s]) return undefined;
      for (let t = bd.hi - bd.lo; t >= 0; t--) {
        const c = band[at + 1 + t];
        if (above + c >= K[j][s]) {
          const bucket = bd.lo + t;
          const total = band[at + 1 + BAND + t];
          return { bucket, need: K[j][s] - above, count: c, total, ...(bucket === bd.cand ? bottomOf(band.subarray(head), slot(j, s)) : {}) };
        }
        above += c;
      }
      return undefined;
    }));
    return K.every((_, j) => [0, 1].every((s) => !needSel(j, s) || out[j][s])) ? out : undefined;
  };
  let bandMemo: { band: Float64Array; val: (Base | undefined)[][] | undefined } | undefined;
  const bandBases = (stats: readonly Float64Array[]): (Base | undefined)[][] | undefined => {
    if (stats.length <= B || stats[B] === SKIPPED) return undefined;
    if (bandMemo?.band !== stats[B]) bandMemo = { band: stats[B], val: bandResult(stats[S], stats[B]) };
    return bandMemo.val;
  };
  let memo: { key: readonly Float64Array[]; bases: (Base | undefined)[][] } | undefined;
  /** The K-th keys' buckets: from the band pass, else from the full pass H; bottom ties from B or T. */
  const basesOf = (stats: readonly Float64Array[]): (Base | undefined)[][] => {
    if (memo && memo.key.length === Math.min(stats.length, T + 1) && memo.key.every((x, i) => x === stats[i])) return memo.bases;
    const key = stats.slice(0, T + 1);
    const bases = (bandBases(stats) ?? K.map((ks, j) => [0, 1].map((s): Base | undefined => {
      if (!needSel(j, s) || stats.length <= H) return undefined;
      const { bucket, need } = findBucket(stats[H], j * HI_BUCKETS, ks[s]);
      return { bucket, need, count: stats[H][j * HI_BUCKETS + bucket] };
    }))).map((row, j) => row.map((b, s) => (b && !b.blocks && stats.length > T && stats[T] !== SKIPPED ? { ...b, ...bottomOf(stats[T], slot(j, s)) } : b)));
    memo = { key, bases };
    return bases;
  };
  /** A base settled by its bottom value: the threshold, its ties and how many are kept. */
  const settled = (b: Base): Sel | undefined => {
    const bottom = b.total ?? 0;
    const above = b.count - bottom;
    return b.need > above ? { thr: b.bucket * 65536, ties: bottom, keep: b.need - above } : undefined;
  };
  const unsettled = (stats: readonly Float64Array[]): boolean => basesOf(stats).some((row) => row.some((b) => b !== undefined && !settled(b)));
  /** Thresholds of the unsettled slots, from the low-bits histogram. */
  const refinedOf = (stats: readonly Float64Array[]): (Sel | undefined)[][] => basesOf(stats).map((row, j) => row.map((b, s) =>
    (b && !settled(b) ? findInBucket(stats[L], slot(j, s) * LO_BUCKETS, b.bucket, b.need) : undefined)));
  /** The top-K set of every selected slot (`undefined` for the others), from all the passes' statistics. */
  const slotsOf = (stats: readonly Float64Array[]): (TopSlot | undefined)[][] => {
    const bases = basesOf(stats);
    const fine = unsettled(stats) ? refinedOf(stats) : undefined;
    return K.map((_, j) => [0, 1].map((s) => {
      const b = bases[j][s];
      if (!b) return undefined;
      const bot = settled(b);
      const t = bot ?? fine?.[j][s];
      if (!t) throw new Error(`internal: top-k slot ${j}/${s} unresolved`);
      if (t.keep === t.ties) return { thr: t.thr, cb: ALL_BLOCKS, rem: 0 };
      return bot && b.blocks ? { thr: t.thr, ...tieCutoff(b.blocks.ties, q, b.blocks.at, t.keep) } : { thr: t.thr, ...tieCutoff(stats[R], q, slot(j, s), t.keep) };
    }));
  };

  const passes: StatPass[] = [];
  const selecting = (j: number): boolean => needSel(j, 0) || needSel(j, 1);
  passes.push({ // S
    call: () => spec.call('gta_hist_sample', (j) => ({ act: selecting(j) })),
    words: () => m * HI_BUCKETS,
    reduce: (parts) => chooseBands(sumParts(parts)),
  });
  passes.push({ // B
    skip: ([chosen]) => bandsOf(chosen).every((row) => row.every((b) => !b)),
    call: ([chosen]) => {
      const bands = bandsOf(chosen);
      const sl = (b: Band | undefined): TopSlot => ({ thr: 0, cb: b ? b.hi : -1, rem: b ? b.cand + 1 : 0 });
      return spec.call('gta_band', (j) => ({ slots: [sl(bands[j][0]), sl(bands[j][1])], raw: [bands[j][0]?.lo ?? -1, bands[j][1]?.lo ?? -1] }));
    },
    words: (cn, first) => q * HEAD + blocksOf(cn, first) * q,
    reduce: (parts) => {
      const head = q * HEAD;
      const out = new Float64Array(parts.reduce((a, pt) => a + pt.data.length - head, head));
      let o = head;
      for (const pt of parts) {
        for (let i = 0; i < head; i++) out[i] += pt.data[i];
        out.set(pt.data.subarray(head), o);
        o += pt.data.length - head;
      }
      return out;
    },
  });
  const banded = (stats: readonly Float64Array[]): boolean => bandBases(stats) !== undefined;
  passes.push({ // H
    skip: banded,
    call: () => spec.call('gta_hist_hi', (j) => ({ act: selecting(j) })),
    words: () => m * HI_BUCKETS,
    reduce: sumParts,
  });
  passes.push({ // T
    // Needed for per-block counts of a bottom value that settles its K-th key (not the candidate).
    skip: (prev) => { const b = bandBases(prev); return b !== undefined && b.every((row) => row.every((x) => !x || x.blocks || !settled(x))); },
    call: (prev) => {
      const bases = basesOf(prev);
      const bottom = (j: number, s: number): number => { const b = bases[j][s]; return b && !b.blocks ? b.bucket * 65536 : -1; };
      return spec.call('gta_ties', (j) => ({ raw: [bottom(j, 0), bottom(j, 1)] }));
    },
    words: (cn, first) => blocksOf(cn, first) * q,
    reduce: concatParts,
  });
  passes.push({ // L
    skip: (prev) => !unsettled(prev),
    call: (prev) => {
      const b = basesOf(prev).map((row) => row.map((x) => (x && !settled(x) ? x.bucket : -1)));
      return spec.call('gta_hist_lo', (j) => ({ raw: [b[j][0], b[j][1]] }));
    },
    words: () => q * LO_BUCKETS,
    reduce: sumParts,
  });
  passes.push({ // R
    skip: (prev) => !unsettled(prev) || refinedOf(prev).every((row) => row.every((x) => !x || x.keep === x.ties)),
    call: (prev) => {
      const t = refinedOf(prev);
      const raw = (x: Sel | undefined): number => (x && x.keep < x.ties ? x.thr : -1);
      return spec.call('gta_ties', (j) => ({ raw: [raw(t[j][0]), raw(t[j][1])] }));
    },
    words: (cn, first) => blocksOf(cn, first) * q,
    reduce: concatParts,
  });
  return { passes, slotsOf };
}
