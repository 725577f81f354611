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
import type { ChunkStats, KernelCall, ProgramShape, StatPass, TensorProgram } from './program.js';
import { STAT_BLOCK } from './program.js';
import { topkSelection } from './gta-topk.js';
import { tensorRngKey } from './rng.js';
import { blocksOf, EMPTY_SLOT, FULL_SLOT, HI_BUCKETS, type TopSlot } from './select.js';
import type { OptionDef, ParamDef, PlanResult, TensorContext } from './types.js';
import type { ProgramParams } from '../model/tensor.js';

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
  validate: (v) => (v < 0 ? `density must be ≥ 0 (the fraction of each delta kept), got ${v}`
    : v > 1 ? `density must be ≤ 1 (the fraction of each delta kept; 1 keeps them all), got ${v}` : undefined),
};
export const GAMMA: ParamDef = {
  name: 'gamma', default: 0.01,
  validate: (v) => (v >= 0 && v <= 1 ? undefined : `gamma must be in [0, 1] (the fraction of largest deltas dropped), got ${v}`),
};
export const EPSILON: ParamDef = {
  name: 'epsilon', default: 0.15,
  validate: (v) => (v >= 0 ? undefined : `epsilon must be ≥ 0 (the spread of DELLA's keep probabilities), got ${v}`),
};

const CONSENSUS_OPTION: OptionDef = {
  key: 'consensus_method', kind: 'enum', values: ['sum', 'count'], default: 'sum',
  doc: 'sign election of the TIES-style methods: `sum` of weighted deltas (mergekit) or `count` of signs',
};
const RESCALE_NORM_OPTION: OptionDef = {
  key: 'rescale_norm', kind: 'enum', values: ['l1', 'l2', 'linf', 'inverse_density'], default: 'l1',
  doc: 'the norm `rescale: true` matches: `l1` (mergekit), `l2`, `linf`, or `inverse_density` (the papers\' 1/p)',
};

/** The `mergeops:` options of a GTA method: `rescale_norm`, and `consensus_method` with sign consensus. */
export function gtaOptions(consensus: boolean): OptionDef[] {
  return consensus ? [CONSENSUS_OPTION, RESCALE_NORM_OPTION] : [RESCALE_NORM_OPTION];
}

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
  const opts = ctx.options ?? { seed: 0, values: {} };
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
    consensus: spec.consensus ? CONSENSUS_CODE[(opts.values['consensus_method'] ?? 'sum') as 'sum' | 'count'] : 0,
    normalize: ctx.global.normalize ? 1 : 0,
    lambda: num(ctx.global.lambda, 1),
    rescale: ctx.global.rescale && spec.sparsifier !== 'none' ? RESCALE_CODE[(opts.values['rescale_norm'] ?? 'l1') as keyof typeof RESCALE_CODE] : 0,
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

  const sel = anySel ? topkSelection({
    n, m, nslots, K, needSel,
    call: (fn, rec) => call(fn, K.map((_, j) => { const r = rec(j); return record(j, r.slots ?? [], 1, r.act ?? false, r.raw); })),
  }) : undefined;
  const slotsOf = (stats: readonly Float64Array[]): TopSlot[][] => {
    const sets = sel?.slotsOf(stats);
    return K.map((ks, j) => [0, 1].map((s) => {
      const t = sets?.[j][s];
      if (t) return t;
      if (!topk || !active[j]) return s === 0 ? FULL_SLOT : EMPTY_SLOT;
      return ks[s] >= n ? FULL_SLOT : EMPTY_SLOT;
    }));
  };
  const passes: StatPass[] = [...(sel?.passes ?? [])];
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
