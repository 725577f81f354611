/**
 * `arcee_fusion`: keep the base, except where the other model's change is important
 * (mergekit's `arcee_fusion.py`):
 *
 *   importance = |other − base| · KL(softmax(other) + 1e-8 ‖ softmax(base) + 1e-8)   (KL per row)
 *   threshold = median + 1.5·(q₃ − q₁) of the importance over the whole tensor
 *   out = other where importance ≥ threshold, else base
 *
 * Program: (1) per-row KL (float64, `geo_fusion_kl`); (2) a histogram of the importance's
 * order-preserving float bits by their high 16 bits; (3) for the three bins holding the
 * quartiles, histograms of the low 16 bits; then the exact order statistics
 * sorted[⌊q·(n−1)⌋] (mergekit's index rule); (4) the masked select.
 *
 * The KL is computed in float64 and rounded to float32; importance = |other − base| ⊗ KL and the
 * threshold fl(median + fl(1.5·fl(q₃ − q₁))) are float32 operations, as torch computes them on
 * float32 tensors: an element exactly at the threshold is kept exactly when mergekit keeps it
 * (norm tensors, whose importances repeat, often have one there).
 *
 * Differences from mergekit: the quantiles are exact and deterministic over every element
 * (mergekit sorts a random sample of 10⁶ elements when the tensor is larger, so its threshold
 * changes from run to run; for tensors of at most 10⁶ elements the rules agree); arithmetic is
 * float32 (mergekit: the input dtype, often bfloat16); selected elements are the other model's
 * values exactly (mergekit: base + (other − base)·1 in the input dtype).
 */
import type { ChunkStats, ProgramFactory, StatPass } from './program.js';
import type { MergeMethod } from './types.js';

const BINS = 65536;
const QUANTILES = [0.25, 0.5, 0.75] as const;

export const arceeFusion: MergeMethod = {
  name: 'arcee_fusion',
  prettyName: 'Arcee Fusion',
  reference: 'https://arcee.ai',
  base: 'required',
  globalParams: [],
  perModelParams: [],
  planTensor({ inputs, tensor }) {
    if (inputs.length === 1) return { op: { kind: 'copy' } };
    if (inputs.length !== 2 || !inputs[0].isBase) {
      return {
        error: `arcee_fusion merges exactly two models, the base model and one other, but ${tensor} has ${inputs.length} (${inputs.map((i) => `\`${i.modelKey}\``).join(', ')})`,
        hint: 'list exactly one model besides `base_model:`',
      };
    }
    return { op: { kind: 'program', method: 'arcee_fusion', params: {} } };
  },
  // a function: arceeFusionProgram is defined below this object
  program: (params, shape) => arceeFusionProgram(params, shape),
};

function sumParts(parts: readonly ChunkStats[], words: number): Float64Array {
  const out = new Float64Array(words);
  for (const p of parts) for (let i = 0; i < words; i++) out[i] += p.data[i];
  return out;
}

/** Inverse of the kernel's `order_key`. */
function keyToFloat(key: number): number {
  const bits = key >= 0x80000000 ? key - 0x80000000 : ~key >>> 0;
  return new Float32Array(new Uint32Array([bits]).buffer)[0];
}

/** Ranks ⌊q·(n−1)⌋ of the quartiles. */
export function quartileRanks(n: number): number[] {
  return QUANTILES.map((q) => Math.floor(q * (n - 1)));
}

/** For each rank: its high-16-bit bin and its rank within that bin. */
function locate(hist: Float64Array, ranks: readonly number[]): { bin: number; rank: number }[] {
  return ranks.map((r) => {
    let below = 0;
    for (let b = 0; b < hist.length; b++) {
      if (below + hist[b] > r) return { bin: b, rank: r - below };
      below += hist[b];
    }
    throw new Error(`arcee_fusion: rank ${r} is beyond the histogram's ${below} elements`);
  });
}

/** mergekit's `median + 1.5 * (q3 - q1)` in float32 arithmetic, as torch evaluates it on float32 quantiles. */
export function fusionThreshold(q1: number, median: number, q3: number): number {
  const f = Math.fround;
  return f(f(median) + f(1.5 * f(f(q3) - f(q1))));
}

export const arceeFusionProgram: ProgramFactory = (_params, shape) => {
  const { rowLen, numel } = shape;
  const ranks = quartileRanks(numel);
  const kl: StatPass = {
    call: () => ({ fn: 'geo_fusion_kl', params: [] }),
    words: (n) => Math.ceil(n / rowLen),
    reduce(parts) {
      const out = new Float64Array(numel / rowLen);
      for (const p of parts) out.set(p.data, p.first / rowLen);
      // torch's KL is a float32 tensor: the kernels' |d|·KL in float64 (exact: 24 × 24 bits)
      // rounded to float32 is then torch's float32 product.
      for (let i = 0; i < out.length; i++) out[i] = Math.fround(out[i]);
      return out;
    },
  };
  const coarse: StatPass = {
    call: (prev) => ({ fn: 'geo_fusion_hist', params: [0, 0, ...prev[0]] }),
    words: () => BINS,
    reduce: (parts) => sumParts(parts, BINS),
  };
  const fine: StatPass = {
    call: (prev) => ({ fn: 'geo_fusion_hist', params: [1, ranks.length, ...locate(prev[1], ranks).map((l) => l.bin), ...prev[0]] }),
    words: () => ranks.length * BINS,
    reduce: (parts) => sumParts(parts, ranks.length * BINS),
  };
  return {
    quantum: rowLen,
    passes: [kl, coarse, fine],
    scratchBytes: () => 16 * rowLen, // the KL pass's exponentials of a row (2 × f64)
    apply(stats) {
      const where = locate(stats[1], ranks);
      const values = where.map(({ bin, rank }, q) => {
        const h = stats[2].subarray(q * BINS, (q + 1) * BINS);
        const [low] = locate(h, [rank]);
        return keyToFloat(bin * BINS + low.bin);
      });
      const [q1, median, q3] = values;
      const threshold = fusionThreshold(q1, median, q3);
      return { fn: 'geo_fusion_apply', params: [threshold, ...stats[0]] };
    },
  };
};
