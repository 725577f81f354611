/**
 * Generalized task arithmetic (mergekit `generalized_task_arithmetic.py` + `sparsify.py`): the
 * shared planning and tensor program of ties, dare_ties, dare_linear, breadcrumbs,
 * breadcrumbs_ties, della and della_linear. Each method's file declares its parameters and
 * calls `planGta`; the math per element is documented in wasm/src/gta.rs.
 *
 * Per output tensor: δⱼ = xⱼ − base; each δⱼ is sparsified (magnitude top-k over the whole
 * tensor, breadcrumbs' outlier window, DARE's Bernoulli mask, DELLA's per-row rank-dependent
 * Bernoulli mask); with `rescale` the kept deltas are scaled to match the norm of δⱼ over the
 * whole tensor (mergekit: L1); weighted, sign consensus (TIES-style methods), normalized by the
 * agreeing weights, times λ, added to the base.
 *
 * Ours, beyond mergekit: `mergeops.consensus_method: count`, `mergeops.rescale_norm: l2 | linf |
 * inverse_density` (the papers' 1/p), exact top-k with ties broken by lowest index, and fixes:
 * TIES with k = 0 keeps nothing instead of crashing; breadcrumbs with γ·n < 1 drops no outliers
 * instead of zeroing the delta; DELLA on one-element rows keeps with p = density instead of NaN.
 */
import type { ChunkStats, KernelCall, ProgramParams, ProgramShape, StatPass, TensorProgram } from './program.js';
import { SKIPPED, STAT_BLOCK } from './program.js';
import { tensorRngKey } from './rng.js';
import {
  blocksOf, concatParts, EMPTY_SLOT, findBucket, findInBucket, FULL_SLOT, HI_BUCKETS, LO_BUCKETS, sumParts, tieCutoff,
  type TopSlot, ALL_BLOCKS,
} from './select.js';
import type { ParamDef, PlanResult, TensorContext } from './types.js';

/** Most high-bit buckets a band spans (`BAND` in wasm/src/gta_band.rs). */
export const BAND = 1024;

export type Sparsifier = 'none' | 'magnitude' | 'outliers' | 'random' | 'della';

const SPARSE_CODE: Record<Sparsifier, number> = { none: 0, magnitude: 1, outliers: 1, random: 2, della: 3 };
const RESCALE_CODE = { l1: 1, l2: 2, linf: 3, inverse_density: 4 } as const;
const CONSENSUS_CODE = { none: 0, sum: 1, count: 2 } as const;

/** The global parameters every GTA method declares (mergekit's names and defaults). */
export function gtaGlobalParams(defaults: { normalize: boolean; rescale: boolean }): ParamDef[] {
  return [
    // Accepted for compatibility: only changes the mask dtype in mergekit, never the result.
    { name: 'int8_mask', default: 0 },
    { name: 'normalize', default: defaults.normalize ? 1 : 0 },
    { name: 'rescale', default: defaults.rescale ? 1 : 0 },
    { name: 'lambda', default: 1 },
  ];
}

export const WEIGHT: ParamDef = { name: 'weight', required: true };
export const DENSITY: ParamDef = {
  name: 'density', default: 1,
  validate: (v) => (v >= 0 ? undefined : `density must be ≥ 0 (the fraction of each delta kept), got ${v}`),
};
export const GAMMA: ParamDef = {
  name: 'gamma', default: 0.01,
  validate: (v) => (v >= 0 && v <= 1 ? undefined : `gamma must be in [0, 1] (the fraction of largest deltas dropped), got ${v}`),
};
export const EPSILON: ParamDef = {
  name: 'epsilon', default: 0.15,
  validate: (v) => (v >= 0 ? undefined : `epsilon must be ≥ 0 (the spread of DELLA's keep probabilities), got ${v}`),
};

export interface GtaSpec {
  method: string;
  sparsifier: Sparsifier;
  /** TIES-style sign consensus (sum by default, `mergeops.consensus_method` may say count). */
  consensus: boolean;
}

/** The program params of a GTA tensor (JSON). */
interface GtaParams {
  sparsifier: Sparsifier;
  consensus: number;
  normalize: number;
  lambda: number;
  rescale: number;
  key: readonly number[];
  weights: readonly number[];
  densities: readonly number[];
  epsilons: readonly number[];
  gammas: readonly number[];
}

/** Plans one tensor of a GTA method: a program op, or a copy of the base when nothing merges in. */
export function planGta(ctx: TensorContext, spec: GtaSpec): PlanResult {
  const others = ctx.inputs.filter((i) => !i.isBase);
  if (others.length === ctx.inputs.length) {
    return { error: `${spec.method} needs the base model's ${ctx.tensor}`, hint: 'set `base_model:` to the model the others were fine-tuned from' };
  }
  if (others.length === 0) return { op: { kind: 'copy' } };
  const opts = ctx.options ?? { seed: 0 };
  const num = (v: number | undefined, d: number): number => v ?? d;
  const densities = others.map((i) => num(i.params.density, 1));
  const epsilons = others.map((i) => num(i.params.epsilon, 0.15));
  if (spec.sparsifier === 'della') {
    for (let j = 0; j < others.length; j++) {
      const d = densities[j], e = epsilons[j];
      if (d > 0 && d < 1 && !(d - e > 0 && d + e < 1)) {
        return {
          error: `${spec.method}: model \`${others[j].modelKey}\` has density ${d} and epsilon ${e}, but DELLA's keep probabilities density ± epsilon must lie strictly between 0 and 1 (tensor ${ctx.tensor})`,
          hint: `use an epsilon below ${Math.min(d, 1 - d)} for this density (the default is 0.15, so density must be in (0.15, 0.85)), or change the density`,
        };
      }
    }
  }
  const random = spec.sparsifier === 'random' || spec.sparsifier === 'della';
  const params: GtaParams = {
    sparsifier: spec.sparsifier,
    consensus: spec.consensus ? CONSENSUS_CODE[opts.consensusMethod ?? 'sum'] : 0,
    normalize: ctx.global.normalize ? 1 : 0,
    lambda: num(ctx.global.lambda, 1),
    rescale: ctx.global.rescale && spec.sparsifier !== 'none' ? RESCALE_CODE[opts.rescaleNorm ?? 'l1'] : 0,
    key: random ? tensorRngKey(opts.seed, ctx.tensor) : [0, 0],
    weights: others.map((i) => i.params.weight as number),
    densities,
    epsilons,
    gammas: others.map((i) => num(i.params.gamma, 0.01)),
  };
  return { op: { kind: 'program', method: spec.method, params: params as unknown as ProgramParams } };
}

/** Sizes of the top sets of one model: [K_hi, K_lo] (keep ranks K_lo ≤ r < K_hi). */
function windowOf(sp: Sparsifier, density: number, gamma: number, n: number): [number, number] {
  const target = Math.trunc(density * n);
  if (sp === 'magnitude') return [target, 0];
  // mergekit magnitude_outliers: drop the n_top largest and the n_bot smallest.
  let nTop = Math.trunc(gamma * n);
  let nBot = n - target - nTop;
  if (nBot < 0) {
    nTop += nBot;
    nBot = 0;
  }
  return [n - nBot, nTop];
}

/** The tensor program of a GTA op. */
export function gtaProgram(raw: ProgramParams, shape: ProgramShape): TensorProgram {
  const p = raw as unknown as GtaParams;
  const n = shape.numel;
  const m = shape.k - 1;
  const sp = p.sparsifier;
  const topk = sp === 'magnitude' || sp === 'outliers';
  const nslots = sp === 'outliers' ? 2 : 1;
  const active = p.densities.map((d) => sp !== 'none' && d < 1);
  const segLen = sp === 'della' ? Math.max(1, shape.rowLen) : STAT_BLOCK;
  // Top-set sizes per model and slot; selection needed when 0 < K < n.
  const K = p.densities.map((d, j) => (topk && active[j] ? windowOf(sp, d, p.gammas[j], n) : [n, 0]));
  const needSel = (j: number, s: number): boolean => topk && active[j] && K[j][s] > 0 && K[j][s] < n;
  const anySel = K.some((_, j) => needSel(j, 0) || needSel(j, 1));

  const header = (): number[] => [m, p.consensus, p.normalize, p.lambda, SPARSE_CODE[sp], p.rescale, p.key[0], p.key[1], nslots, 0];
  const record = (j: number, slots: readonly TopSlot[], scale: number, act: boolean, raw?: readonly number[]): number[] => {
    const s0 = slots[0] ?? EMPTY_SLOT, s1 = slots[1] ?? EMPTY_SLOT;
    return [p.weights[j], act ? 1 : 0, p.densities[j], p.epsilons[j], scale,
      raw ? raw[0] : s0.thr, s0.cb, s0.rem, raw ? raw[1] : s1.thr, s1.cb, s1.rem, 0];
  };
  const call = (fn: string, recs: number[][]): KernelCall => ({ fn, params: [...header(), ...recs.flat()] });

  // Selection (wasm/src/gta_band.rs, gta.rs): pass S histograms |δ| bits over a sample of
  // blocks; a band of high-bit buckets around the sample's K-th key goes to pass B, which counts
  // every key above the band, histograms those inside, and counts per block the keys equal to
  // the bottom value of the sample's K-th bucket (the candidate). If some K-th key falls outside
  // its band (an unrepresentative sample), passes H (full high-bits histogram) and T (bottom-value
  // ties per block) find it instead; T also runs when the K-th bucket is not the candidate.
  // Either way the K-th key's bucket and rank there are exact; when the bucket's other keys are
  // fewer than that rank the K-th key is the bottom value (the usual case with half-precision
  // inputs: the difference of two bf16 values has few significant bits), else passes L (low-bits
  // histogram inside the bucket) and R (ties of the refined key).
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
  /** Single-entry caches: the passes' callbacks ask for the same derived values many times. */
  const cached = <A extends object, R>(f: (a: A) => R): ((a: A) => R) => {
    let key: A | undefined, val: R | undefined;
    return (a) => {
      if (key !== a) { val = f(a); key = a; }
      return val as R;
    };
  };
  const bandsOf = cached((sample: Float64Array): (Band | undefined)[][] => K.map((ks, j) => [0, 1].map((s) => {
    if (!needSel(j, s)) return undefined;
    let ns = 0;
    for (let b = 0; b < HI_BUCKETS; b++) ns += sample[j * HI_BUCKETS + b];
    if (ns === 0) return undefined;
    const pr = ks[s] / n;
    // The sample's rank of the K-th key, ± four standard deviations and 0.1 % (blocks are
    // sampled whole, so neighbouring keys are correlated); a sample of everything is exact.
    const r = pr * ns;
    const margin = ns === n ? 0 : 4 * Math.sqrt(ns * pr * (1 - pr)) + 0.001 * ns + 2;
    const rank = (x: number): number => findBucket(sample, j * HI_BUCKETS, Math.max(1, Math.min(ns, x))).bucket;
    const hi = rank(Math.floor(r - margin)), lo = rank(Math.ceil(r + margin));
    return hi - lo < BAND ? { lo, hi, cand: rank(Math.round(r)) } : undefined;
  })));
  /** From the band pass, or `undefined` where a band is missing or missed its K-th key. */
  const bandResult = (sample: Float64Array, band: Float64Array): (Base | undefined)[][] | undefined => {
    const bands = bandsOf(sample);
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
  const slotsOf = (stats: readonly Float64Array[]): TopSlot[][] => {
    const bases = anySel ? basesOf(stats) : undefined;
    const fine = anySel && unsettled(stats) ? refinedOf(stats) : undefined;
    return K.map((ks, j) => [0, 1].map((s) => {
      const b = bases?.[j][s];
      if (b) {
        const bot = settled(b);
        const t = bot ?? fine?.[j][s];
        if (!t) throw new Error(`internal: top-k slot ${j}/${s} unresolved`);
        if (t.keep === t.ties) return { thr: t.thr, cb: ALL_BLOCKS, rem: 0 };
        return bot && b.blocks ? { thr: t.thr, ...tieCutoff(b.blocks.ties, q, b.blocks.at, t.keep) } : { thr: t.thr, ...tieCutoff(stats[R], q, slot(j, s), t.keep) };
      }
      if (!topk || !active[j]) return s === 0 ? FULL_SLOT : EMPTY_SLOT;
      return ks[s] >= n ? FULL_SLOT : EMPTY_SLOT;
    }));
  };

  const passes: StatPass[] = [];
  if (anySel) {
    const selecting = (j: number): boolean => needSel(j, 0) || needSel(j, 1);
    passes.push({ // S
      call: () => call('gta_hist_sample', K.map((_, j) => record(j, [], 1, selecting(j)))),
      words: () => m * HI_BUCKETS,
      reduce: sumParts,
    });
    passes.push({ // B
      skip: ([sample]) => bandsOf(sample).every((row) => row.every((b) => !b)),
      call: ([sample]) => {
        const bands = bandsOf(sample);
        const sl = (b: Band | undefined): TopSlot => ({ thr: 0, cb: b ? b.hi : -1, rem: b ? b.cand + 1 : 0 });
        return call('gta_band', K.map((_, j) => record(j, [sl(bands[j][0]), sl(bands[j][1])], 1, false,
          [bands[j][0]?.lo ?? -1, bands[j][1]?.lo ?? -1])));
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
      call: () => call('gta_hist_hi', K.map((_, j) => record(j, [], 1, selecting(j)))),
      words: () => m * HI_BUCKETS,
      reduce: sumParts,
    });
    passes.push({ // T
      // Needed for per-block counts of a bottom value that settles its K-th key (not the candidate).
      skip: (prev) => { const b = bandBases(prev); return b !== undefined && b.every((row) => row.every((x) => !x || x.blocks || !settled(x))); },
      call: (prev) => {
        const bases = basesOf(prev);
        const bottom = (j: number, s: number): number => { const b = bases[j][s]; return b && !b.blocks ? b.bucket * 65536 : -1; };
        return call('gta_ties', K.map((_, j) => record(j, [], 1, false, [bottom(j, 0), bottom(j, 1)])));
      },
      words: (cn, first) => blocksOf(cn, first) * q,
      reduce: concatParts,
    });
    passes.push({ // L
      skip: (prev) => !unsettled(prev),
      call: (prev) => {
        const b = basesOf(prev).map((row) => row.map((x) => (x && !settled(x) ? x.bucket : -1)));
        return call('gta_hist_lo', K.map((_, j) => record(j, [], 1, false, [b[j][0], b[j][1]])));
      },
      words: () => q * LO_BUCKETS,
      reduce: sumParts,
    });
    passes.push({ // R
      skip: (prev) => !unsettled(prev) || refinedOf(prev).every((row) => row.every((x) => !x || x.keep === x.ties)),
      call: (prev) => {
        const t = refinedOf(prev);
        const raw = (x: Sel | undefined): number => (x && x.keep < x.ties ? x.thr : -1);
        return call('gta_ties', K.map((_, j) => record(j, [], 1, false, [raw(t[j][0]), raw(t[j][1])])));
      },
      words: (cn, first) => blocksOf(cn, first) * q,
      reduce: concatParts,
    });
  }
  const normPass = p.rescale >= 1 && p.rescale <= 3 && active.some((a) => a);
  const normAt = passes.length;
  const linf = p.rescale === 3;
  if (normPass) {
    passes.push({
      call: (prev) => {
        const slots = slotsOf(prev);
        return call('gta_norms', K.map((_, j) => record(j, slots[j], 1, active[j])));
      },
      words: (cn, first) => blocksOf(cn, first, segLen) * m * 2,
      reduce: (parts: readonly ChunkStats[]) => {
        const out = new Float64Array(2 * m);
        for (const part of parts) {
          for (let i = 0; i < part.data.length; i++) {
            const at = i % (2 * m);
            out[at] = linf ? Math.max(out[at], part.data[i]) : out[at] + part.data[i];
          }
        }
        return out;
      },
    });
  }

  return {
    quantum: segLen,
    passes,
    apply: (stats) => {
      const slots = slotsOf(stats);
      const scales = K.map((_, j) => {
        if (!active[j]) return 1;
        if (p.rescale === RESCALE_CODE.inverse_density) return sp === 'della' ? 1 : 1 / p.densities[j];
        if (!normPass) return 1;
        let before = stats[normAt][2 * j], after = stats[normAt][2 * j + 1];
        if (p.rescale === RESCALE_CODE.l2) {
          before = Math.sqrt(before);
          after = Math.sqrt(after);
        }
        // mergekit: no rescale when either norm is below 1e-7.
        return before < 1e-7 || after < 1e-7 ? 1 : before / after;
      });
      return call('gta_apply', K.map((_, j) => record(j, slots[j], scales[j], active[j])));
    },
    scratchBytes: () => Math.max(segLen * (4 * m + 21) + 64, 8 * HI_BUCKETS + 64),
    mixedDTypes: true,
  };
}
