/**
 * Plain-JavaScript ports of ggml's `quantize_row_q8_0_ref`, `quantize_row_q4_K_ref` and
 * `quantize_row_q6_K_ref` (every f32 operation through Math.fround, sums in source order), the
 * "plain JS" contender of bench/quant.ts. A double operation on two f32 values rounded once to
 * f32 is the correctly rounded f32 result, so these are bit-exact for finite inputs; the
 * benchmark checks their bytes against the kernels'.
 */
const fr = Math.fround;
const TENTH = Math.fround(0.1); // C's 0.1f
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const i32 = new Int32Array(f32.buffer);

function nearestInt(f: number): number {
  f32[0] = f + 12582912;
  return (i32[0] & 0x007fffff) - 0x00400000;
}

/** GGML_FP32_TO_FP16 for finite values: round to nearest even (Maratyszcza's steps). */
function fp16(f: number): number {
  f32[0] = f;
  const w = u32[0];
  const shl1 = (w + w) >>> 0;
  const sign = w & 0x80000000;
  let bias = (shl1 & 0xff000000) >>> 0;
  if (bias < 0x71000000) bias = 0x71000000;
  const base0 = fr(fr(Math.abs(f) * 2 ** 112) * 2 ** -110);
  u32[0] = ((bias >>> 1) + 0x07800000) >>> 0;
  f32[0] = fr(f32[0] + base0);
  const bits = u32[0];
  const nonsign = ((bits >>> 13) & 0x7c00) + (bits & 0x0fff);
  return (sign >>> 16) | (shl1 > 0xff000000 ? 0x7e00 : nonsign);
}

function fp16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

export function quantizeQ8_0JS(x: Float32Array, y: Uint8Array): void {
  const nb = x.length / 32;
  for (let i = 0; i < nb; i++) {
    const o = 32 * i;
    let amax = 0;
    for (let j = 0; j < 32; j++) {
      const a = Math.abs(x[o + j]);
      amax = amax > a ? amax : a;
    }
    const d = fr(amax / 127);
    const id = d !== 0 ? fr(1 / d) : 0;
    const h = fp16(d);
    const p = 34 * i;
    y[p] = h & 0xff;
    y[p + 1] = h >> 8;
    for (let j = 0; j < 32; j++) {
      const v = fr(x[o + j] * id);
      y[p + 2 + j] = (Math.sign(v) * Math.floor(Math.abs(v) + 0.5)) & 0xff;
    }
  }
}

const L = new Uint8Array(256);
const Laux = new Uint8Array(32);
const W = new Float32Array(32);
const scales = new Float32Array(16);
const mins = new Float32Array(8);

/** make_qkx2_quants(32, nmax, x + o, W, L + lo, Laux, rmin, 0.1, nstep, false); returns [scale, the_min]. */
function makeQkx2(x: Float32Array, o: number, lo: number, nmax: number, rmin: number, nstep: number): [number, number] {
  const n = 32;
  let min = x[o];
  let max = x[o];
  let sumW = W[0];
  let sumX = fr(sumW * x[o]);
  for (let i = 1; i < n; i++) {
    const v = x[o + i];
    if (v < min) min = v;
    if (v > max) max = v;
    sumW = fr(sumW + W[i]);
    sumX = fr(sumX + fr(W[i] * v));
  }
  if (min > 0) min = 0;
  if (max === min) {
    L.fill(0, lo, lo + n);
    return [0, -min];
  }
  let iscale = fr(nmax / fr(max - min));
  let scale = fr(1 / iscale);
  let best = 0;
  for (let i = 0; i < n; i++) {
    let l = nearestInt(fr(iscale * fr(x[o + i] - min)));
    l = l < 0 ? 0 : l > nmax ? nmax : l;
    L[lo + i] = l;
    const diff = fr(fr(fr(scale * l) + min) - x[o + i]);
    best = fr(best + fr(W[i] * fr(diff * diff)));
  }
  for (let is = 0; is <= nstep; is++) {
    iscale = fr(fr(fr(rmin + fr(TENTH * is)) + nmax) / fr(max - min));
    let sumL = 0;
    let sumL2 = 0;
    let sumXL = 0;
    for (let i = 0; i < n; i++) {
      let l = nearestInt(fr(iscale * fr(x[o + i] - min)));
      l = l < 0 ? 0 : l > nmax ? nmax : l;
      Laux[i] = l;
      const wl = fr(W[i] * l);
      sumL = fr(sumL + wl);
      sumL2 = fr(sumL2 + fr(wl * l));
      sumXL = fr(sumXL + fr(wl * x[o + i]));
    }
    const D = fr(fr(sumW * sumL2) - fr(sumL * sumL));
    if (D > 0) {
      let thisScale = fr(fr(fr(sumW * sumXL) - fr(sumX * sumL)) / D);
      let thisMin = fr(fr(fr(sumL2 * sumX) - fr(sumL * sumXL)) / D);
      if (thisMin > 0) {
        thisMin = 0;
        thisScale = fr(sumXL / sumL2);
      }
      let cur = 0;
      for (let i = 0; i < n; i++) {
        const diff = fr(fr(fr(thisScale * Laux[i]) + thisMin) - x[o + i]);
        cur = fr(cur + fr(W[i] * fr(diff * diff)));
      }
      if (cur < best) {
        L.set(Laux, lo);
        best = cur;
        scale = thisScale;
        min = thisMin;
      }
    }
  }
  return [scale, -min];
}

export function quantizeQ4_KJS(x: Float32Array, y: Uint8Array): void {
  const nb = x.length / 256;
  for (let i = 0; i < nb; i++) {
    const xo = 256 * i;
    const p = 144 * i;
    let maxScale = 0;
    let maxMin = 0;
    for (let j = 0; j < 8; j++) {
      const o = xo + 32 * j;
      let sumX2 = 0;
      for (let l = 0; l < 32; l++) sumX2 = fr(sumX2 + fr(x[o + l] * x[o + l]));
      const avX = fr(Math.sqrt(fr(sumX2 / 32)));
      for (let l = 0; l < 32; l++) W[l] = fr(avX + Math.abs(x[o + l]));
      const [s, m] = makeQkx2(x, o, 32 * j, 15, -1, 20);
      scales[j] = s;
      mins[j] = m;
      if (s > maxScale) maxScale = s;
      if (m > maxMin) maxMin = m;
    }
    const invScale = maxScale > 0 ? fr(63 / maxScale) : 0;
    const invMin = maxMin > 0 ? fr(63 / maxMin) : 0;
    const sc = p + 4;
    for (let j = 0; j < 8; j++) {
      const ls = Math.min(63, nearestInt(fr(invScale * scales[j])) & 0xff);
      const lm = Math.min(63, nearestInt(fr(invMin * mins[j])) & 0xff);
      if (j < 4) {
        y[sc + j] = ls;
        y[sc + j + 4] = lm;
      } else {
        y[sc + j + 4] = (ls & 0xf) | ((lm & 0xf) << 4);
        y[sc + j - 4] |= (ls >> 4) << 6;
        y[sc + j] |= (lm >> 4) << 6;
      }
    }
    const d16 = fp16(fr(maxScale / 63));
    const m16 = fp16(fr(maxMin / 63));
    y[p] = d16 & 0xff;
    y[p + 1] = d16 >> 8;
    y[p + 2] = m16 & 0xff;
    y[p + 3] = m16 >> 8;
    const dAll = fp16ToF32(d16);
    const mAll = fp16ToF32(m16);
    for (let j = 0; j < 8; j++) {
      const s = j < 4 ? y[sc + j] & 63 : (y[sc + j + 4] & 0xf) | ((y[sc + j - 4] >> 6) << 4);
      const m = j < 4 ? y[sc + j + 4] & 63 : (y[sc + j + 4] >> 4) | ((y[sc + j] >> 6) << 4);
      const d = fr(dAll * s);
      if (d === 0) continue;
      const dm = fr(mAll * m);
      for (let ii = 0; ii < 32; ii++) {
        const l = nearestInt(fr(fr(x[xo + 32 * j + ii] + dm) / d));
        L[32 * j + ii] = l < 0 ? 0 : l > 15 ? 15 : l;
      }
    }
    for (let c = 0; c < 4; c++) {
      for (let l = 0; l < 32; l++) y[p + 16 + 32 * c + l] = L[64 * c + l] | (L[64 * c + 32 + l] << 4);
    }
  }
}

const L6 = new Int8Array(256);

/** make_qx_quants(16, 32, x + o, L6 + lo, rmse_type 1, NULL). */
function makeQx(x: Float32Array, o: number, lo: number): number {
  const n = 16;
  const nmax = 32;
  let max = 0;
  let amax = 0;
  for (let i = 0; i < n; i++) {
    const ax = Math.abs(x[o + i]);
    if (ax > amax) {
      amax = ax;
      max = x[o + i];
    }
  }
  if (amax < 1e-15) {
    L6.fill(0, lo, lo + n);
    return 0;
  }
  let iscale = fr(-nmax / max);
  let sumlx = 0;
  let suml2 = 0;
  for (let i = 0; i < n; i++) {
    let l = nearestInt(fr(iscale * x[o + i]));
    l = l < -nmax ? -nmax : l > nmax - 1 ? nmax - 1 : l;
    L6[lo + i] = l + nmax;
    const w = fr(x[o + i] * x[o + i]);
    sumlx = fr(sumlx + fr(fr(w * x[o + i]) * l));
    suml2 = fr(suml2 + fr(fr(w * l) * l));
  }
  let scale = suml2 !== 0 ? fr(sumlx / suml2) : 0;
  let best = fr(scale * sumlx);
  for (let is = -9; is <= 9; is++) {
    if (is === 0) continue;
    iscale = fr(-fr(nmax + fr(TENTH * is)) / max);
    sumlx = 0;
    suml2 = 0;
    for (let i = 0; i < n; i++) {
      let l = nearestInt(fr(iscale * x[o + i]));
      l = l < -nmax ? -nmax : l > nmax - 1 ? nmax - 1 : l;
      const w = fr(x[o + i] * x[o + i]);
      sumlx = fr(sumlx + fr(fr(w * x[o + i]) * l));
      suml2 = fr(suml2 + fr(fr(w * l) * l));
    }
    if (suml2 > 0 && fr(sumlx * sumlx) > fr(best * suml2)) {
      for (let i = 0; i < n; i++) {
        const l = nearestInt(fr(iscale * x[o + i]));
        L6[lo + i] = nmax + (l < -nmax ? -nmax : l > nmax - 1 ? nmax - 1 : l);
      }
      scale = fr(sumlx / suml2);
      best = fr(scale * sumlx);
    }
  }
  return scale;
}

export function quantizeQ6_KJS(x: Float32Array, y: Uint8Array): void {
  const nb = x.length / 256;
  for (let i = 0; i < nb; i++) {
    const xo = 256 * i;
    const p = 210 * i;
    let maxScale = 0;
    let maxAbs = 0;
    for (let ib = 0; ib < 16; ib++) {
      const s = makeQx(x, xo + 16 * ib, 16 * ib);
      scales[ib] = s;
      if (Math.abs(s) > maxAbs) {
        maxAbs = Math.abs(s);
        maxScale = s;
      }
    }
    if (maxAbs < 1e-15) {
      y.fill(0, p, p + 210);
      continue;
    }
    const iscale = fr(-128 / maxScale);
    const d16 = fp16(fr(1 / iscale));
    y[p + 208] = d16 & 0xff;
    y[p + 209] = d16 >> 8;
    const dAll = fp16ToF32(d16);
    for (let ib = 0; ib < 16; ib++) y[p + 192 + ib] = Math.min(127, nearestInt(fr(iscale * scales[ib]))) & 0xff;
    for (let j = 0; j < 16; j++) {
      const d = fr(dAll * ((y[p + 192 + j] << 24) >> 24));
      if (d === 0) continue;
      for (let ii = 0; ii < 16; ii++) {
        const l = nearestInt(fr(x[xo + 16 * j + ii] / d));
        L6[16 * j + ii] = (l < -32 ? -32 : l > 31 ? 31 : l) + 32;
      }
    }
    for (let h = 0; h < 2; h++) {
      const j = 128 * h;
      for (let l = 0; l < 32; l++) {
        const a = L6[j + l] & 0xff, b = L6[j + l + 32] & 0xff, c = L6[j + l + 64] & 0xff, e = L6[j + l + 96] & 0xff;
        y[p + 64 * h + l] = (a & 0xf) | ((c & 0xf) << 4);
        y[p + 64 * h + l + 32] = (b & 0xf) | ((e & 0xf) << 4);
        y[p + 128 + 32 * h + l] = (a >> 4) | ((b >> 4) << 2) | ((c >> 4) << 4) | ((e >> 4) << 6);
      }
    }
  }
}
