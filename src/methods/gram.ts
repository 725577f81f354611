/**
 * Shared pieces of the geometric methods (slerp, nuslerp, multislerp, karcher, model_stock):
 * each needs only the Gram matrix of its input vectors (all pairwise dot products, norms
 * included), so its tensor program is one statistics pass (`geo_gram`, wasm/src/geo.rs) and an
 * element-wise linear combination (`geo_combine`) whose coefficients are computed here, on k×k
 * scalars, from the reduced Gram matrix.
 *
 * Vectors are either the inputs themselves, or (`rel`) the differences `xᵢ − x₀` of the inputs
 * after the first (the base). Flattened methods sum per-block partials (blocks of STAT_BLOCK
 * elements) in index order; row-wise methods keep one Gram matrix per row. Either way the result
 * does not depend on how the executor chunks the tensor.
 */
import { STAT_BLOCK, type ChunkStats, type KernelCall, type ProgramShape, type StatPass, type TensorProgram } from './program.js';

/** Most inputs a geometric kernel takes (MAX_K in wasm/src/geo.rs). */
export const MAX_INPUTS = 16;

/** A symmetric m×m matrix stored as its row-major upper triangle (the kernel's layout). */
export class Gram {
  constructor(readonly m: number, private readonly data: Float64Array, private readonly offset = 0) {}

  at(i: number, j: number): number {
    const [a, b] = i <= j ? [i, j] : [j, i];
    return this.data[this.offset + a * this.m - (a * (a - 1)) / 2 + (b - a)];
  }

  /** xᵀ G y for coefficient vectors x, y. */
  form(x: readonly number[], y: readonly number[]): number {
    let s = 0;
    for (let i = 0; i < this.m; i++) for (let j = 0; j < this.m; j++) s += x[i] * this.at(i, j) * y[j];
    return s;
  }

  /** (G x)ᵢ */
  apply(x: readonly number[], i: number): number {
    let s = 0;
    for (let j = 0; j < this.m; j++) s += this.at(i, j) * x[j];
    return s;
  }

  /** ‖Σ xᵢ vᵢ‖ (rounding can make the form slightly negative: clamped at 0). */
  norm(x: readonly number[]): number {
    return Math.sqrt(Math.max(0, this.form(x, x)));
  }
}

/** The layout of a geometric program's vectors: flattened tensor, or one vector per row. */
export interface GeoLayout {
  /** Vectors are xᵢ − x₀ for i ≥ 1 (x₀ the base). */
  rel: boolean;
  /** One vector per row (the last dimension) instead of the flattened tensor. */
  rows: boolean;
}

const pairCount = (m: number): number => (m * (m + 1)) / 2;

/** The `geo_gram` statistics pass; reduces to one Gram matrix, or one per row. */
export function gramPass(k: number, layout: GeoLayout, shape: ProgramShape): StatPass {
  const m = layout.rel ? k - 1 : k;
  const pp = pairCount(m);
  const seg = layout.rows ? shape.rowLen : STAT_BLOCK;
  return {
    call: (): KernelCall => ({ fn: 'geo_gram', params: [seg, layout.rel ? 1 : 0] }),
    words: (n) => Math.ceil(n / seg) * pp,
    reduce(parts: readonly ChunkStats[]): Float64Array {
      if (layout.rows) {
        const out = new Float64Array((shape.numel / seg) * pp);
        for (const p of parts) out.set(p.data, (p.first / seg) * pp);
        return out;
      }
      // Block partials summed in global block order: the same sums for any chunking.
      const out = new Float64Array(pp);
      for (const p of parts) {
        for (let b = 0; b < p.data.length; b += pp) for (let q = 0; q < pp; q++) out[q] += p.data[b + q];
      }
      return out;
    },
  };
}

/** The Gram matrix of row `r` (or the whole tensor: r = 0) from a reduced `gramPass`. */
export function gramOf(stats: Float64Array, m: number, r = 0): Gram {
  return new Gram(m, stats, r * pairCount(m));
}

/** A `geo_combine` apply call: one coefficient set, or one set per row (concatenated). */
export function combineCall(layout: GeoLayout, coeffs: readonly number[]): KernelCall {
  return { fn: 'geo_combine', params: [layout.rows ? 1 : 0, layout.rel ? 1 : 0, ...coeffs] };
}

/**
 * A program of one Gram pass and a linear combination: `coefficients(G)` gives the m
 * coefficients of one vector set (the whole tensor, or one row) from its Gram matrix. With
 * `rel`, the output is x₀ + Σ cᵢ(xᵢ₊₁ − x₀); otherwise Σ cᵢxᵢ.
 */
export function gramProgram(shape: ProgramShape, layout: GeoLayout, coefficients: (g: Gram) => number[]): TensorProgram {
  const k = shape.k;
  const m = layout.rel ? k - 1 : k;
  const rows = layout.rows ? shape.numel / shape.rowLen : 1;
  return {
    quantum: layout.rows ? shape.rowLen : STAT_BLOCK,
    passes: [gramPass(k, layout, shape)],
    apply(stats) {
      const coeffs: number[] = [];
      for (let r = 0; r < rows; r++) {
        const c = coefficients(gramOf(stats[0], m, r));
        for (const x of c) coeffs.push(x);
      }
      return combineCall(layout, coeffs);
    },
    mixedDTypes: true,
  };
}

/** acos with its argument clamped to [−1, 1]: rounding can push a cosine just outside. */
export function safeAcos(x: number): number {
  return Math.acos(Math.min(1, Math.max(-1, x)));
}
