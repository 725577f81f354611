/**
 * Independent float64 references of SCE and RAM / RAM+ (mergekit.md §1.11, §1.12 and mergekit's
 * sce.py / ram.py), written from the documented formulas. Which positions SCE selects and which
 * deltas RAM counts as active are decided on the float32 values our kernels document (variance
 * of f32 deltas, |f32(x − b)| > ε), ties by lowest index.
 */

/** `alt`: the outcome of the other sign where the vote is within rounding of 0 (NaN elsewhere). */
export interface RefResult { out: Float64Array; scale: Float64Array; alt?: Float64Array }

function f32Variance(base: Float32Array, xs: Float32Array[], i: number): number {
  const f = Math.fround;
  const m = xs.length;
  let sum = 0;
  for (const x of xs) sum = f(sum + f(x[i] - base[i]));
  const mean = f(sum / m);
  let v = 0;
  for (const x of xs) {
    const d = f(f(x[i] - base[i]) - mean);
    v = f(v + f(d * d));
  }
  return f(v / m);
}

export function sceReference(base: Float32Array, xs: Float32Array[], selectTopk: number): RefResult {
  const n = base.length, m = xs.length;
  const tau = xs.map((x) => Float64Array.from(x, (v, i) => v - base[i]));
  if (selectTopk < 1) {
    const v = Array.from({ length: n }, (_, i) => f32Variance(base, xs, i));
    const nonzero = v.filter((x) => x !== 0).length;
    const k = Math.trunc(Math.abs(selectTopk) * nonzero);
    const keep = new Uint8Array(n);
    Array.from({ length: n }, (_, i) => i).sort((a, b) => v[b] - v[a] || a - b).slice(0, k).forEach((i) => { keep[i] = 1; });
    for (const t of tau) for (let i = 0; i < n; i++) if (!keep[i]) t[i] = 0;
  }
  let w = tau.map((t) => t.reduce((a, x) => a + x * x, 0) / n);
  const total = w.reduce((a, b) => a + b, 0);
  w = total === 0 ? w.map(() => 1 / m) : w.map((x) => x / total);
  const out = new Float64Array(n), scale = new Float64Array(n), alt = new Float64Array(n).fill(NaN);
  for (let i = 0; i < n; i++) {
    const vote = tau.reduce((a, t) => a + t[i], 0);
    const elect = (sign: number): [number, number, number] => {
      let mixed = 0, div = 0, mag = 0;
      tau.forEach((t, j) => {
        if (Math.sign(t[i]) === sign) { mixed += t[i] * w[j]; div += w[j]; mag += Math.abs(t[i] * w[j]); }
      });
      return [mixed, div === 0 ? 1 : div, mag];
    };
    const [mixed, div, mag] = elect(vote >= 0 ? 1 : -1);
    out[i] = base[i] + mixed / div;
    scale[i] = Math.abs(base[i]) + mag / div;
    if (Math.abs(vote) <= 1e-6 * tau.reduce((a, t) => a + Math.abs(t[i]), 0)) {
      const [m2, d2] = elect(vote >= 0 ? -1 : 1);
      alt[i] = base[i] + m2 / d2;
    }
  }
  return { out, scale, alt };
}

export function ramReference(base: Float32Array, xs: Float32Array[], o: { epsilon: number; plus?: { r: number; alpha: number } }): RefResult {
  const n = base.length;
  const active = xs.map((x) => Array.from(x, (v, i) => Math.abs(Math.fround(v - base[i])) > Math.fround(o.epsilon)));
  const count = Array.from({ length: n }, (_, i) => active.reduce((a, act) => a + (act[i] ? 1 : 0), 0));
  const lambda = xs.map((_, j) => {
    if (!o.plus) return 1;
    let shared = 0, unique = 0;
    for (let i = 0; i < n; i++) if (active[j][i]) { if (count[i] > 1) shared++; else unique++; }
    const rho = shared / Math.max(unique, o.epsilon);
    return 1 + o.plus.r * Math.min(Math.max(rho, 0), o.plus.alpha);
  });
  const out = new Float64Array(n), scale = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let merged = 0, mag = 0;
    xs.forEach((x, j) => {
      if (!active[j][i]) return;
      const tv = x[i] - base[i];
      const term = count[i] === 1 ? lambda[j] * tv : tv / count[i];
      merged += term;
      mag += Math.abs(term);
    });
    out[i] = base[i] + merged;
    scale[i] = Math.abs(base[i]) + mag;
  }
  return { out, scale };
}
