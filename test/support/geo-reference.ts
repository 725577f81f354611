/**
 * Independent float64 references of the geometric merge methods, written from mergekit's
 * documented formulas (reference/mergekit.md §1.4–§1.10) on whole vectors, for tests.
 */

// ---------------------------------------------------------------------------------------------
// float64 vector helpers for the references
// ---------------------------------------------------------------------------------------------

export type Vec = Float64Array;
export const f64 = (x: Float32Array): Vec => Float64Array.from(x);
export const dot = (a: Vec, b: Vec): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};
export const norm = (a: Vec): number => Math.sqrt(dot(a, a));
export const scale = (a: Vec, s: number): Vec => {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] * s;
  return out;
};
export const add = (a: Vec, b: Vec): Vec => {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] + b[i];
  return out;
};
export const sub = (a: Vec, b: Vec): Vec => {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] - b[i];
  return out;
};
export const lincomb = (cs: readonly number[], xs: readonly Vec[]): Vec => {
  const out = new Float64Array(xs[0].length);
  xs.forEach((x, j) => { for (let i = 0; i < out.length; i++) out[i] += cs[j] * x[i]; });
  return out;
};
export const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));
/** Rows of a flat vector. */
export const rowsOf = (a: Vec, rowLen: number): Vec[] => Array.from({ length: a.length / rowLen }, (_, r) => a.subarray(r * rowLen, (r + 1) * rowLen));
export const concat = (parts: readonly Vec[]): Vec => {
  const out = new Float64Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
};

// mergekit slerp.py (mergekit.md §1.4)
export function slerpRef(t: number, v0: Vec, v1: Vec): Vec {
  const normalize = (v: Vec): Vec => (norm(v) > 1e-8 ? scale(v, 1 / norm(v)) : v);
  const d = dot(normalize(v0), normalize(v1));
  if (Math.abs(d) > 0.9995) return add(scale(v0, 1 - t), scale(v1, t));
  const theta0 = Math.acos(d);
  const thetaT = theta0 * t;
  return add(scale(v0, Math.sin(theta0 - thetaT) / Math.sin(theta0)), scale(v1, Math.sin(thetaT) / Math.sin(theta0)));
}

// mergekit nuslerp.py (§1.5): one pair of vectors
export function nuslerpVec(t: number, v0: Vec, v1: Vec): Vec {
  const u0 = scale(v0, 1 / Math.max(norm(v0), 1e-7));
  const u1 = scale(v1, 1 / Math.max(norm(v1), 1e-7));
  const theta = Math.acos(clamp(dot(u0, u1), -1, 1));
  const s = Math.sin(theta);
  if (Math.abs(s) < 1e-8) return add(scale(v0, 1 - t), scale(v1, t));
  return scale(add(scale(v0, Math.sin((1 - t) * theta)), scale(v1, Math.sin(t * theta))), 1 / s);
}
/** A [rows, cols] matrix transposed. */
export function transpose(a: Vec, cols: number): Vec {
  const rows = a.length / cols;
  const out = new Float64Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c];
  return out;
}
/** `columns`: mergekit's nuslerp_row_wise without flatten on a [rows, rowLen] tensor. */
export function nuslerpRef(w: [number, number], a: Vec, b: Vec, base: Vec | undefined, rowLen: number | undefined, columns = false): Vec {
  if (columns && rowLen !== undefined) {
    const rows = a.length / rowLen;
    const r = nuslerpRef(w, transpose(a, rowLen), transpose(b, rowLen), base && transpose(base, rowLen), rows);
    return transpose(r, rows);
  }
  const t = Math.abs(w[0] + w[1]) < 1e-6 ? 0.5 : w[1] / (w[0] + w[1]);
  const [v0, v1] = base ? [sub(a, base), sub(b, base)] : [a, b];
  const r = rowLen === undefined ? nuslerpVec(t, v0, v1) : concat(rowsOf(v0, rowLen).map((r0, i) => nuslerpVec(t, r0, rowsOf(v1, rowLen)[i])));
  return base ? add(base, r) : r;
}

// mergekit multislerp.py (§1.6)
export function multislerpRef(weights: number[], xs: Vec[], base: Vec | undefined, normalizeWeights = true, eps = 1e-8): Vec {
  const X = base ? xs.map((x) => sub(x, base)) : xs;
  const w = normalizeWeights ? weights.map((v) => v / weights.reduce((a, b) => a + b, 0)) : weights;
  const norms = X.map(norm);
  const U = X.map((x, i) => scale(x, 1 / (norms[i] + eps)));
  let m = lincomb(w, U);
  const mn = norm(m);
  if (mn < eps) throw new Error('antipodal');
  m = scale(m, 1 / mn);
  const T = lincomb(w, U.map((u) => sub(u, scale(m, dot(u, m)))));
  const tau = norm(T) + eps;
  let r = add(scale(m, Math.cos(tau)), scale(T, Math.sin(tau) / tau));
  r = scale(r, w.reduce((s, wi, i) => s + wi * norms[i], 0));
  return base ? add(r, base) : r;
}

// mergekit karcher.py (§1.7)
export function karcherRef(xs: Vec[], maxIter = 10, tol = 1e-5): Vec {
  const alphas = xs.map(() => 1 / xs.length);
  const norms = xs.map(norm);
  const units = xs.map((x, i) => (norms[i] === 0 ? x.map(() => 0) : scale(x, 1 / norms[i])));
  const valid = xs.map((_, i) => i).filter((i) => norms[i] > tol);
  const aSum = valid.reduce((s, i) => s + alphas[i], 0);
  const a = valid.map((i) => alphas[i] / aSum);
  const vu = valid.map((i) => units[i]);
  let mean = lincomb(a, vu);
  const mnorm = norm(mean);
  mean = mnorm < tol ? vu[0] : scale(mean, 1 / mnorm);
  for (let it = 0; it < maxIter; it++) {
    let tangent: Vec = new Float64Array(mean.length);
    vu.forEach((u, i) => {
      const d = clamp(dot(mean, u), -1, 1);
      const theta = Math.acos(d);
      if (theta < tol) return;
      tangent = add(tangent, scale(sub(u, scale(mean, d)), (a[i] * theta) / Math.sin(theta)));
    });
    const tn = norm(tangent);
    if (tn < tol) break;
    mean = add(scale(mean, Math.cos(tn)), scale(tangent, Math.sin(tn) / tn));
    const un = norm(mean);
    if (un > tol) mean = scale(mean, 1 / un);
  }
  return scale(mean, alphas.reduce((s, al, i) => s + al * norms[i], 0));
}

// mergekit model_stock.py (§1.8); `clamp`: t clamped to [0, 1] (mergeops.model_stock_clamp; a no-op for cos ≥ 0)
export function modelStockVec(w0: Vec, ws: Vec[], clampT = false): { out: Vec; cos: number } {
  const offsets = ws.map((w) => sub(w, w0));
  const cs: number[] = [];
  for (let i = 0; i < offsets.length; i++) {
    for (let j = i + 1; j < offsets.length; j++) {
      cs.push(clamp(dot(offsets[i], offsets[j]) / Math.max(norm(offsets[i]) * norm(offsets[j]), 1e-6), -1, 1));
    }
  }
  const cos = cs.reduce((s, c) => s + c, 0) / cs.length;
  const N = ws.length;
  const raw = (N * cos) / (1 + (N - 1) * cos);
  const t = clampT ? clamp(raw, 0, 1) : raw;
  const avg = scale(ws.reduce((s, w) => add(s, w), new Float64Array(w0.length)), 1 / N);
  return { out: add(scale(avg, t), scale(w0, 1 - t)), cos };
}
export function modelStockRef(w0: Vec, ws: Vec[], rowLen: number | undefined): Vec {
  if (rowLen === undefined) return modelStockVec(w0, ws).out;
  return concat(rowsOf(w0, rowLen).map((r0, r) => modelStockVec(r0, ws.map((w) => rowsOf(w, rowLen)[r])).out));
}

// mergekit nearswap.py (§1.9)
export function nearswapRef(t: number, base: Vec, other: Vec): Vec {
  return base.map((b, i) => {
    const w = clamp(t / Math.max(Math.abs(b - other[i]), 1e-6), 0, 1);
    return w * other[i] + (1 - w) * b;
  });
}

// mergekit arcee_fusion.py (§1.10), with exact quantiles over every element
export function fusionRef(base: Vec, other: Vec, rowLen: number): { out: Vec; importance: Vec; threshold: number; kl: number[] } {
  const softmax = (x: Vec): Vec => {
    let m = -Infinity;
    for (const v of x) m = Math.max(m, v);
    const e = x.map((v) => Math.exp(v - m));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / s + 1e-8);
  };
  const kl = rowsOf(base, rowLen).map((rb, r) => {
    const p = softmax(rowsOf(other, rowLen)[r]);
    const q = softmax(rb);
    return p.reduce((s, pv, i) => s + pv * Math.log(pv / q[i]), 0);
  });
  const importance = base.map((b, i) => Math.abs(other[i] - b) * kl[Math.floor(i / rowLen)]);
  const sorted = Float64Array.from(importance).sort();
  const qv = [0.25, 0.5, 0.75].map((q) => sorted[Math.floor(q * (sorted.length - 1))]);
  const threshold = qv[1] + 1.5 * (qv[2] - qv[0]);
  return { out: base.map((b, i) => (importance[i] >= threshold ? other[i] : b)), importance, threshold, kl };
}

