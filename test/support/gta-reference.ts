/**
 * An independent float64 reference of mergekit's generalized task arithmetic
 * (docs: /work/shared/reference/mergekit.md §1.2), written from the documented formulas, not from
 * our kernels. Two documented choices of ours are mirrored because they decide *which* elements
 * are kept: deltas are ranked by their float32 value |f32(x − b)|, and equal magnitudes are
 * ordered by index (lowest first among the largest). Random masks use the same counter-based
 * draws (the TypeScript port of the generator, itself checked against the wasm one).
 */
import { rngUniform } from '../../src/methods/rng.js';

export interface GtaRefModel {
  x: Float32Array;
  weight: number;
  density: number;
  gamma?: number;
  epsilon?: number;
}

export interface GtaRefOptions {
  sparsifier: 'none' | 'magnitude' | 'outliers' | 'random' | 'della';
  consensus: 'none' | 'sum' | 'count';
  normalize: boolean;
  rescale: 'none' | 'l1' | 'l2' | 'linf' | 'inverse_density';
  lambda: number;
  key: readonly number[];
  rowLen: number;
}

const f32abs = (x: number, b: number): number => Math.abs(Math.fround(x - b));

/** Indices by decreasing |δ| (f32), ties by increasing index. */
function byMagnitudeDesc(d: Float64Array, base: Float32Array, x: Float32Array): number[] {
  const idx = Array.from({ length: d.length }, (_, i) => i);
  const a = idx.map((i) => f32abs(x[i], base[i]));
  return idx.sort((i, j) => a[j] - a[i] || i - j);
}

/**
 * The merged tensor, and per element the magnitude of the terms summed (|b| + |λ|·Σ|wⱼδⱼ|/|div|):
 * float32 rounding errors are relative to it.
 */
export function gtaReference(base: Float32Array, models: GtaRefModel[], o: GtaRefOptions): { out: Float64Array; scale: Float64Array; alt: Float64Array } {
  const n = base.length;
  const deltas: Float64Array[] = [];
  models.forEach((md, j) => {
    const d = Float64Array.from(md.x, (v, i) => v - base[i]);
    if (o.sparsifier === 'none' || md.density >= 1) {
      deltas.push(d);
      return;
    }
    const mask = new Float64Array(n);
    const inv = new Float64Array(n).fill(1 / md.density);
    if (o.sparsifier === 'magnitude') {
      const k = Math.trunc(md.density * n);
      byMagnitudeDesc(d, base, md.x).slice(0, k).forEach((i) => { mask[i] = 1; });
    } else if (o.sparsifier === 'outliers') {
      const target = Math.trunc(md.density * n);
      let nTop = Math.trunc((md.gamma ?? 0.01) * n);
      let nBot = n - target - nTop;
      if (nBot < 0) { nTop += nBot; nBot = 0; }
      byMagnitudeDesc(d, base, md.x).slice(nTop, n - nBot).forEach((i) => { mask[i] = 1; });
    } else if (o.sparsifier === 'random') {
      for (let i = 0; i < n; i++) mask[i] = rngUniform(o.key, j, i) < md.density ? 1 : 0;
    } else {
      const eps = md.epsilon ?? 0.15;
      if (md.density > 0) {
        for (let r0 = 0; r0 < n; r0 += o.rowLen) {
          const L = Math.min(o.rowLen, n - r0);
          const idx = Array.from({ length: L }, (_, i) => r0 + i);
          const a = idx.map((i) => f32abs(md.x[i], base[i]));
          const order = idx.map((_, t) => t).sort((s, t) => a[s] - a[t] || s - t);
          order.forEach((t, pos) => {
            const rankNorm = L > 1 ? pos / (L - 1) : 0.5; // rank pos+1 of 1..L
            const p = md.density - eps + rankNorm * 2 * eps;
            const i = r0 + t;
            mask[i] = rngUniform(o.key, j, i) < p ? 1 : 0;
            inv[i] = 1 / p;
          });
        }
      }
    }
    const masked = Float64Array.from(d, (v, i) => v * mask[i]);
    if (o.rescale === 'inverse_density') {
      deltas.push(Float64Array.from(masked, (v, i) => v * inv[i]));
      return;
    }
    if (o.rescale !== 'none') {
      const norm = (v: Float64Array): number => {
        if (o.rescale === 'l1') return v.reduce((s, x) => s + Math.abs(x), 0);
        if (o.rescale === 'l2') return Math.sqrt(v.reduce((s, x) => s + x * x, 0));
        return v.reduce((s, x) => Math.max(s, Math.abs(x)), 0);
      };
      const before = norm(d), after = norm(masked);
      if (!(before < 1e-7 || after < 1e-7)) {
        deltas.push(Float64Array.from(masked, (v) => v * (before / after)));
        return;
      }
    }
    deltas.push(masked);
  });

  const out = new Float64Array(n);
  const scale = new Float64Array(n);
  // Where the sign vote is within rounding of 0, float32 may elect the other sign: `alt` holds
  // that outcome (NaN elsewhere).
  const alt = new Float64Array(n).fill(NaN);
  const wsum = models.reduce((s, md) => s + md.weight, 0);
  for (let i = 0; i < n; i++) {
    const wd = models.map((md, j) => md.weight * deltas[j][i]);
    let mixed = 0, div = 0;
    if (o.consensus === 'none') {
      mixed = wd.reduce((s, v) => s + v, 0);
      div = Math.abs(wsum) < 1e-8 ? 1 : wsum;
    } else {
      const vote = o.consensus === 'sum' ? wd.reduce((s, v) => s + v, 0) : wd.reduce((s, v) => s + Math.sign(v), 0);
      const elect = (majority: number): [number, number] => {
        let mx = 0, dv = 0;
        wd.forEach((v, j) => {
          if (Math.sign(v) === majority) { mx += v; dv += models[j].weight; }
        });
        return [mx, dv === 0 ? 1 : dv];
      };
      [mixed, div] = elect(vote >= 0 ? 1 : -1);
      if (o.consensus === 'sum' && Math.abs(vote) <= 1e-6 * wd.reduce((s, v) => s + Math.abs(v), 0)) {
        const [m2, d2] = elect(vote >= 0 ? -1 : 1);
        alt[i] = base[i] + o.lambda * (o.normalize ? m2 / d2 : m2);
      }
    }
    if (o.normalize) mixed /= div;
    out[i] = base[i] + o.lambda * mixed;
    scale[i] = Math.abs(base[i]) + Math.abs(o.lambda) * wd.reduce((s, v) => s + Math.abs(v), 0) / (o.normalize ? Math.abs(div) : 1);
  }
  return { out, scale, alt };
}

/**
 * Largest |got − want| relative to the magnitude of the terms that were summed (`alt`: an equally
 * valid outcome where the reference's sign vote was within rounding of zero).
 */
export function maxScaledError(got: ArrayLike<number>, want: Float64Array, scale: Float64Array, alt?: Float64Array, rel = 0): number {
  let worst = 0;
  for (let i = 0; i < got.length; i++) {
    let e = Math.max(0, Math.abs(got[i] - want[i]) - rel * Math.abs(want[i])) / (scale[i] + 1e-30);
    if (alt && !Number.isNaN(alt[i])) e = Math.min(e, Math.max(0, Math.abs(got[i] - alt[i]) - rel * Math.abs(alt[i])) / (scale[i] + 1e-30));
    worst = Math.max(worst, e);
  }
  return worst;
}
