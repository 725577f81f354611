//! GGUF K-quants (256-element super-blocks): Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, bit for bit as
//! llama.cpp's `llama-quantize` writes them without an importance matrix, i.e. ggml's
//! `quantize_row_<t>_ref` with its helpers `make_qx_quants`, `make_q3_quants`,
//! `make_qkx2_quants` and `nearest_int` (llamacpp.md §2.5–2.6).
//!
//! Every type has a scalar reference (`*_ref`: ggml line by line, every f32 operation in
//! source order) and a fast path: the searches run 4 sub-blocks at once in the 4 lanes of
//! a `V4`, each lane doing exactly the scalar sequence of its sub-block (sums stay
//! sequential inside a lane, so the bits are the same); the packing passes are shared.
//! Super-blocks holding a NaN or ±Inf take the reference. Native tests compare the two.
//!
//! Exports: `quantize_<t>(src, dst, nrows, n_per_row)` with the memory contract of
//! `quant_legacy.rs` and block size 256 (`n_per_row % 256 == 0`, else trap).

use crate::quant_common::{all_finite, fabsf, fp16_to_fp32, fp32_to_fp16, nearest_int, put_u16, sqrtf, NearestK, V4};
use crate::quant_legacy::{io, run_blocks};

pub const QK_K: usize = 256;
pub const Q2_K_BYTES: usize = 84;
pub const Q3_K_BYTES: usize = 110;
pub const Q4_K_BYTES: usize = 144;
pub const Q5_K_BYTES: usize = 176;
pub const Q6_K_BYTES: usize = 210;

const GROUP_MAX_EPS: f32 = 1e-15;

#[inline(always)]
fn imax(a: i32, b: i32) -> i32 {
    if a > b {
        a
    } else {
        b
    }
}
#[inline(always)]
fn imin(a: i32, b: i32) -> i32 {
    if a < b {
        a
    } else {
        b
    }
}

// ---------------------------------------------------------------------------
// ggml's helpers (scalar references).
// ---------------------------------------------------------------------------

/// `make_qx_quants` with `rmse_type = 1` and no weights (`w = x*x`), as Q6_K uses it.
/// Writes `L[i]` in `0..2*nmax` (or all 0 for an all-zero group) and returns the scale.
pub fn make_qx_quants(n: usize, nmax: i32, x: &[f32], l_out: &mut [i8]) -> f32 {
    let mut max = 0.0f32;
    let mut amax = 0.0f32;
    for i in 0..n {
        let ax = fabsf(x[i]);
        if ax > amax {
            amax = ax;
            max = x[i];
        }
    }
    if amax < GROUP_MAX_EPS {
        for l in l_out.iter_mut().take(n) {
            *l = 0;
        }
        return 0.0;
    }
    let mut iscale = -(nmax as f32) / max;
    let mut sumlx = 0.0f32;
    let mut suml2 = 0.0f32;
    for i in 0..n {
        let l = imax(-nmax, imin(nmax - 1, nearest_int(iscale * x[i])));
        l_out[i] = (l + nmax) as i8;
        let w = x[i] * x[i];
        let lf = l as f32;
        sumlx += w * x[i] * lf;
        suml2 += w * lf * lf;
    }
    let mut scale = if suml2 != 0.0 { sumlx / suml2 } else { 0.0 };
    let mut best = scale * sumlx;
    for is in -9i32..=9 {
        if is == 0 {
            continue;
        }
        iscale = -(nmax as f32 + 0.1f32 * is as f32) / max;
        sumlx = 0.0;
        suml2 = 0.0;
        for i in 0..n {
            let l = imax(-nmax, imin(nmax - 1, nearest_int(iscale * x[i])));
            let w = x[i] * x[i];
            let lf = l as f32;
            sumlx += w * x[i] * lf;
            suml2 += w * lf * lf;
        }
        if suml2 > 0.0 && sumlx * sumlx > best * suml2 {
            for i in 0..n {
                let l = nearest_int(iscale * x[i]);
                l_out[i] = (nmax + imax(-nmax, imin(nmax - 1, l))) as i8;
            }
            scale = sumlx / suml2;
            best = scale * sumlx;
        }
    }
    scale
}

/// `make_q3_quants` with `do_rmse = true` (Q3_K).
pub fn make_q3_quants(n: usize, nmax: i32, x: &[f32], l_out: &mut [i8]) -> f32 {
    let mut max = 0.0f32;
    let mut amax = 0.0f32;
    for i in 0..n {
        let ax = fabsf(x[i]);
        if ax > amax {
            amax = ax;
            max = x[i];
        }
    }
    if amax < GROUP_MAX_EPS {
        for l in l_out.iter_mut().take(n) {
            *l = 0;
        }
        return 0.0;
    }
    let iscale = -(nmax as f32) / max;
    let mut sumlx = 0.0f32;
    let mut suml2 = 0.0f32;
    for i in 0..n {
        let l = imax(-nmax, imin(nmax - 1, nearest_int(iscale * x[i])));
        l_out[i] = l as i8;
        let w = x[i] * x[i];
        let lf = l as f32;
        sumlx += w * x[i] * lf;
        suml2 += w * lf * lf;
    }
    for _itry in 0..5 {
        let mut n_changed = 0;
        for i in 0..n {
            let w = x[i] * x[i];
            let li = l_out[i] as f32;
            let mut slx = sumlx - w * x[i] * li;
            if slx > 0.0 {
                let mut sl2 = suml2 - w * li * li;
                let new_l = imax(-nmax, imin(nmax - 1, nearest_int(x[i] * sl2 / slx)));
                if new_l != l_out[i] as i32 {
                    let nf = new_l as f32;
                    slx += w * x[i] * nf;
                    sl2 += w * nf * nf;
                    if sl2 > 0.0 && slx * slx * suml2 > sumlx * sumlx * sl2 {
                        l_out[i] = new_l as i8;
                        sumlx = slx;
                        suml2 = sl2;
                        n_changed += 1;
                    }
                }
            }
        }
        if n_changed == 0 {
            break;
        }
    }
    for l in l_out.iter_mut().take(n) {
        *l += nmax as i8;
    }
    if suml2 > 0.0 {
        sumlx / suml2
    } else {
        0.0
    }
}

/// `make_qkx2_quants`. Returns `(scale, the_min)`; writes `L[i]` in `0..=nmax`.
/// Note `min` changes inside the search and later steps use the new value.
#[allow(clippy::too_many_arguments)]
pub fn make_qkx2_quants(
    n: usize,
    nmax: i32,
    x: &[f32],
    weights: &[f32],
    l_out: &mut [u8],
    laux: &mut [u8],
    rmin: f32,
    rdelta: f32,
    nstep: i32,
    use_mad: bool,
) -> (f32, f32) {
    let mut min = x[0];
    let mut max = x[0];
    let mut sum_w = weights[0];
    let mut sum_x = sum_w * x[0];
    for i in 1..n {
        if x[i] < min {
            min = x[i];
        }
        if x[i] > max {
            max = x[i];
        }
        let w = weights[i];
        sum_w += w;
        sum_x += w * x[i];
    }
    if min > 0.0 {
        min = 0.0;
    }
    if max == min {
        for l in l_out.iter_mut().take(n) {
            *l = 0;
        }
        return (0.0, -min);
    }
    let mut iscale = nmax as f32 / (max - min);
    let mut scale = 1.0 / iscale;
    let mut best_error = 0.0f32;
    for i in 0..n {
        let l = nearest_int(iscale * (x[i] - min));
        let l = imax(0, imin(nmax, l));
        l_out[i] = l as u8;
        let mut diff = scale * l as f32 + min - x[i];
        diff = if use_mad { fabsf(diff) } else { diff * diff };
        best_error += weights[i] * diff;
    }
    if nstep < 1 {
        return (scale, -min);
    }
    for is in 0..=nstep {
        iscale = (rmin + rdelta * is as f32 + nmax as f32) / (max - min);
        let mut sum_l = 0.0f32;
        let mut sum_l2 = 0.0f32;
        let mut sum_xl = 0.0f32;
        for i in 0..n {
            let l = imax(0, imin(nmax, nearest_int(iscale * (x[i] - min))));
            laux[i] = l as u8;
            let w = weights[i];
            let lf = l as f32;
            sum_l += w * lf;
            sum_l2 += w * lf * lf;
            sum_xl += w * lf * x[i];
        }
        let d = sum_w * sum_l2 - sum_l * sum_l;
        if d > 0.0 {
            let mut this_scale = (sum_w * sum_xl - sum_x * sum_l) / d;
            let mut this_min = (sum_l2 * sum_x - sum_l * sum_xl) / d;
            if this_min > 0.0 {
                this_min = 0.0;
                this_scale = sum_xl / sum_l2;
            }
            let mut cur_error = 0.0f32;
            for i in 0..n {
                let mut diff = this_scale * laux[i] as f32 + this_min - x[i];
                diff = if use_mad { fabsf(diff) } else { diff * diff };
                cur_error += weights[i] * diff;
            }
            if cur_error < best_error {
                l_out[..n].copy_from_slice(&laux[..n]);
                best_error = cur_error;
                scale = this_scale;
                min = this_min;
            }
        }
    }
    (scale, -min)
}

/// `get_scale_min_k4`.
#[inline(always)]
fn get_scale_min_k4(j: usize, q: &[u8]) -> (u8, u8) {
    if j < 4 {
        (q[j] & 63, q[j + 4] & 63)
    } else {
        ((q[j + 4] & 0xf) | ((q[j - 4] >> 6) << 4), (q[j + 4] >> 4) | ((q[j] >> 6) << 4))
    }
}

/// 2-bit packing shared by Q2_K and Q3_K: `qs[32h + l] = L[128h+l] | L[..+32]<<2 | ...`.
#[inline(always)]
fn pack_2bit(l: &[u8; QK_K], qs: &mut [u8]) {
    for h in 0..2 {
        let j = 128 * h;
        for k in 0..32 {
            qs[32 * h + k] = l[j + k] | (l[j + k + 32] << 2) | (l[j + k + 64] << 4) | (l[j + k + 96] << 6);
        }
    }
}

// ---------------------------------------------------------------------------
// Scalar references, one super-block each.
// ---------------------------------------------------------------------------

pub fn q2_k_block_ref(x: &[f32], y: &mut [u8]) {
    let mut l = [0u8; QK_K];
    let mut laux = [0u8; 16];
    let mut weights = [0f32; 16];
    let mut mins = [0f32; 16];
    let mut scales = [0f32; 16];
    let mut max_scale = 0.0f32;
    let mut max_min = 0.0f32;
    for j in 0..16 {
        for k in 0..16 {
            weights[k] = fabsf(x[16 * j + k]);
        }
        let (s, m) = make_qkx2_quants(16, 3, &x[16 * j..], &weights, &mut l[16 * j..], &mut laux, -0.5, 0.1, 15, true);
        scales[j] = s;
        mins[j] = m;
        if s > max_scale {
            max_scale = s;
        }
        if m > max_min {
            max_min = m;
        }
    }
    q2_k_finish(x, y, &mut l, &scales, &mins, max_scale, max_min, |_, _| {});
}

/// Q2_K after the searches: scales, d/dmin, requantisation, packing.
/// Layout: scales[16] @0, qs[64] @16, d @80, dmin @82.
/// A sub-block whose 4-bit scale is 0 keeps the search's `L`: `search_l(j, l)` provides it.
#[allow(clippy::too_many_arguments)]
fn q2_k_finish(
    x: &[f32],
    y: &mut [u8],
    l: &mut [u8; QK_K],
    scales: &[f32; 16],
    mins: &[f32; 16],
    max_scale: f32,
    max_min: f32,
    search_l: impl Fn(usize, &mut [u8; QK_K]),
) {
    let q4scale = 15.0f32;
    let d16;
    if max_scale > 0.0 {
        let iscale = q4scale / max_scale;
        for j in 0..16 {
            y[j] = nearest_int(iscale * scales[j]) as u8;
        }
        d16 = fp32_to_fp16(max_scale / q4scale);
    } else {
        for b in y.iter_mut().take(16) {
            *b = 0;
        }
        d16 = fp32_to_fp16(0.0);
    }
    let dmin16;
    if max_min > 0.0 {
        let iscale = q4scale / max_min;
        for j in 0..16 {
            let lm = nearest_int(iscale * mins[j]);
            y[j] |= (lm << 4) as u8;
        }
        dmin16 = fp32_to_fp16(max_min / q4scale);
    } else {
        dmin16 = fp32_to_fp16(0.0);
    }
    put_u16(y, 80, d16);
    put_u16(y, 82, dmin16);
    let dall = fp16_to_fp32(d16);
    let dminall = fp16_to_fp32(dmin16);
    for j in 0..16 {
        let d = dall * (y[j] & 0xf) as f32;
        if d == 0.0 {
            search_l(j, l);
            continue;
        }
        let dm = dminall * (y[j] >> 4) as f32;
        for ii in 0..16 {
            let q = nearest_int((x[16 * j + ii] + dm) / d);
            l[16 * j + ii] = imax(0, imin(3, q)) as u8;
        }
    }
    pack_2bit(l, &mut y[16..80]);
}

pub fn q3_k_block_ref(x: &[f32], y: &mut [u8]) {
    let mut l = [0i8; QK_K];
    let mut scales = [0f32; 16];
    let mut max_scale = 0.0f32;
    let mut amax = 0.0f32;
    for j in 0..16 {
        scales[j] = make_q3_quants(16, 4, &x[16 * j..], &mut l[16 * j..]);
        let scale = fabsf(scales[j]);
        if scale > amax {
            amax = scale;
            max_scale = scales[j];
        }
    }
    q3_k_finish(x, y, &mut l, &scales, max_scale, |_, _| {});
}

/// Q3_K after the searches. Layout: hmask[32] @0, qs[64] @32, scales[12] @96, d @108.
/// A sub-block whose 6-bit scale is 0 keeps the search's `L`: `search_l(j, l)` provides it.
fn q3_k_finish(x: &[f32], y: &mut [u8], l: &mut [i8; QK_K], scales: &[f32; 16], max_scale: f32, search_l: impl Fn(usize, &mut [i8; QK_K])) {
    let sc = 96;
    for b in &mut y[sc..sc + 12] {
        *b = 0;
    }
    let d16;
    if max_scale != 0.0 {
        let iscale = -32.0f32 / max_scale;
        for j in 0..16 {
            let mut lj = nearest_int(iscale * scales[j]) as i8 as i32; // int8_t l = nearest_int(..)
            lj = (imax(-32, imin(31, lj)) + 32) as i8 as i32;
            if j < 8 {
                y[sc + j] = (lj & 0xf) as u8;
            } else {
                y[sc + j - 8] |= ((lj & 0xf) << 4) as u8;
            }
            lj >>= 4;
            y[sc + j % 4 + 8] |= (lj << (2 * (j / 4))) as u8;
        }
        d16 = fp32_to_fp16(1.0 / iscale);
    } else {
        d16 = fp32_to_fp16(0.0);
    }
    put_u16(y, 108, d16);
    let dall = fp16_to_fp32(d16);
    for j in 0..16 {
        let lo = if j < 8 { y[sc + j] & 0xf } else { y[sc + j - 8] >> 4 } as i32;
        let s = ((lo | ((((y[sc + 8 + j % 4] >> (2 * (j / 4))) & 3) as i32) << 4)) - 32) as i8;
        let d = dall * s as f32;
        if d == 0.0 {
            search_l(j, l);
            continue;
        }
        for ii in 0..16 {
            let q = nearest_int(x[16 * j + ii] / d);
            l[16 * j + ii] = (imax(-4, imin(3, q)) + 4) as i8;
        }
    }
    for b in &mut y[0..32] {
        *b = 0;
    }
    let mut lu = [0u8; QK_K];
    let mut m = 0;
    let mut hm: u8 = 1;
    for j in 0..QK_K {
        let mut v = l[j];
        if v > 3 {
            y[m] |= hm;
            v -= 4;
        }
        lu[j] = v as u8;
        m += 1;
        if m == QK_K / 8 {
            m = 0;
            hm = hm.wrapping_shl(1);
        }
    }
    pack_2bit(&lu, &mut y[32..96]);
}

/// Q4_K/Q5_K weights of one 32-element sub-block: `av_x + |x|`, `av_x = sqrt(Σx²/32)`.
#[inline(always)]
fn qkx_weights(x: &[f32], w: &mut [f32; 32]) {
    let mut sum_x2 = 0.0f32;
    for l in 0..32 {
        sum_x2 += x[l] * x[l];
    }
    let av_x = sqrtf(sum_x2 / 32.0);
    for l in 0..32 {
        w[l] = av_x + fabsf(x[l]);
    }
}

/// The shared tail of Q4_K and Q5_K: 6-bit scales and mins, d/dmin, requantisation.
/// Writes d @0, dmin @2, scales[12] @4; returns nothing, updates `l`.
/// A sub-block whose 6-bit scale is 0 keeps the search's `L`: `search_l(j, l)` provides it.
#[allow(clippy::too_many_arguments)]
fn q45_k_scales<const FAST: bool>(
    x: &[f32],
    y: &mut [u8],
    l: &mut [u8; QK_K],
    scales: &[f32; 8],
    mins: &[f32; 8],
    max_scale: f32,
    max_min: f32,
    nmax: i32,
    search_l: impl Fn(usize, &mut [u8; QK_K]),
) {
    let inv_scale = if max_scale > 0.0 { 63.0 / max_scale } else { 0.0 };
    let inv_min = if max_min > 0.0 { 63.0 / max_min } else { 0.0 };
    let s = 4;
    for j in 0..8 {
        let ls = (nearest_int(inv_scale * scales[j]) as u8).min(63);
        let lm = (nearest_int(inv_min * mins[j]) as u8).min(63);
        if j < 4 {
            y[s + j] = ls;
            y[s + j + 4] = lm;
        } else {
            y[s + j + 4] = (ls & 0xf) | ((lm & 0xf) << 4);
            y[s + j - 4] |= (ls >> 4) << 6;
            y[s + j] |= (lm >> 4) << 6;
        }
    }
    let d16 = fp32_to_fp16(max_scale / 63.0);
    let dmin16 = fp32_to_fp16(max_min / 63.0);
    put_u16(y, 0, d16);
    put_u16(y, 2, dmin16);
    let dall = fp16_to_fp32(d16);
    let dminall = fp16_to_fp32(dmin16);
    for j in 0..8 {
        let (sc, m) = get_scale_min_k4(j, &y[s..s + 12]);
        let d = dall * sc as f32;
        if d == 0.0 {
            search_l(j, l);
            continue;
        }
        let dm = dminall * m as f32;
        if FAST {
            // the same per-element operations, 4 lanes at a time
            let nk = NearestK::new();
            let (dv, dmv, lo, hi) = (V4::splat(d), V4::splat(dm), V4::splat_i(0), V4::splat_i(nmax));
            let q = |k: usize| nk.apply(V4::load(x, 32 * j + 4 * k).add(dmv).div(dv)).max_i(lo).min_i(hi);
            V4::store_u8(q(0), q(1), q(2), q(3), l, 32 * j);
            V4::store_u8(q(4), q(5), q(6), q(7), l, 32 * j + 16);
            continue;
        }
        for ii in 0..32 {
            let q = nearest_int((x[32 * j + ii] + dm) / d);
            l[32 * j + ii] = imax(0, imin(nmax, q)) as u8;
        }
    }
}

fn q4_k_pack(l: &[u8; QK_K], y: &mut [u8]) {
    let q = 16;
    for c in 0..4 {
        for k in 0..32 {
            y[q + 32 * c + k] = l[64 * c + k] | (l[64 * c + 32 + k] << 4);
        }
    }
}

/// `q4_k_pack`, 16 bytes at a time.
fn q4_k_pack_fast(l: &[u8; QK_K], y: &mut [u8]) {
    for c in 0..4 {
        for k in [0, 16] {
            let a = V4::load_bytes(l, 64 * c + k);
            let b = V4::load_bytes(l, 64 * c + 32 + k);
            a.or(b.shl_u8::<4>()).store_bytes(y, 16 + 32 * c + k);
        }
    }
}

fn q5_k_pack(l: &[u8; QK_K], y: &mut [u8]) {
    let (qh, ql) = (16, 48);
    for b in &mut y[qh..qh + 32] {
        *b = 0;
    }
    let mut m1: u8 = 1;
    let mut m2: u8 = 2;
    for c in 0..4 {
        for j in 0..32 {
            let mut l1 = l[64 * c + j];
            if l1 > 15 {
                l1 -= 16;
                y[qh + j] |= m1;
            }
            let mut l2 = l[64 * c + j + 32];
            if l2 > 15 {
                l2 -= 16;
                y[qh + j] |= m2;
            }
            y[ql + 32 * c + j] = l1 | (l2 << 4);
        }
        m1 = m1.wrapping_shl(2);
        m2 = m2.wrapping_shl(2);
    }
}

/// Q4_K (nmax 15, rmin -1, 20 steps) or Q5_K (nmax 31, rmin -0.5, 15 steps).
fn q45_k_block_ref<const Q5: bool>(x: &[f32], y: &mut [u8]) {
    let (nmax, rmin, nstep) = if Q5 { (31, -0.5f32, 15) } else { (15, -1.0f32, 20) };
    let mut l = [0u8; QK_K];
    let mut laux = [0u8; 32];
    let mut weights = [0f32; 32];
    let mut mins = [0f32; 8];
    let mut scales = [0f32; 8];
    let mut max_scale = 0.0f32;
    let mut max_min = 0.0f32;
    for j in 0..8 {
        qkx_weights(&x[32 * j..], &mut weights);
        let (s, m) = make_qkx2_quants(32, nmax, &x[32 * j..], &weights, &mut l[32 * j..], &mut laux, rmin, 0.1, nstep, false);
        scales[j] = s;
        mins[j] = m;
        if s > max_scale {
            max_scale = s;
        }
        if m > max_min {
            max_min = m;
        }
    }
    q45_k_scales::<false>(x, y, &mut l, &scales, &mins, max_scale, max_min, nmax, |_, _| {});
    if Q5 {
        q5_k_pack(&l, y)
    } else {
        q4_k_pack(&l, y)
    }
}

pub fn q4_k_block_ref(x: &[f32], y: &mut [u8]) {
    q45_k_block_ref::<false>(x, y)
}
pub fn q5_k_block_ref(x: &[f32], y: &mut [u8]) {
    q45_k_block_ref::<true>(x, y)
}

pub fn q6_k_block_ref(x: &[f32], y: &mut [u8]) {
    let mut l = [0i8; QK_K];
    let mut scales = [0f32; 16];
    let mut max_scale = 0.0f32;
    let mut max_abs_scale = 0.0f32;
    for ib in 0..16 {
        let scale = make_qx_quants(16, 32, &x[16 * ib..], &mut l[16 * ib..]);
        scales[ib] = scale;
        let abs_scale = fabsf(scale);
        if abs_scale > max_abs_scale {
            max_abs_scale = abs_scale;
            max_scale = scale;
        }
    }
    q6_k_finish::<false>(x, y, &mut l, &scales, max_scale, max_abs_scale, |_, _| {});
}

/// Q6_K after the searches. Layout: ql[128] @0, qh[64] @128, scales[16] (i8) @192, d @208.
/// A sub-block whose int8 scale is 0 keeps the search's `L`: `search_l(j, l)` provides it.
fn q6_k_finish<const FAST: bool>(
    x: &[f32],
    y: &mut [u8],
    l: &mut [i8; QK_K],
    scales: &[f32; 16],
    max_scale: f32,
    max_abs_scale: f32,
    search_l: impl Fn(usize, &mut [i8; QK_K]),
) {
    if max_abs_scale < GROUP_MAX_EPS {
        for b in y.iter_mut().take(Q6_K_BYTES) {
            *b = 0;
        }
        put_u16(y, 208, fp32_to_fp16(0.0));
        return;
    }
    let iscale = -128.0f32 / max_scale;
    let d16 = fp32_to_fp16(1.0 / iscale);
    put_u16(y, 208, d16);
    for ib in 0..16 {
        y[192 + ib] = imin(127, nearest_int(iscale * scales[ib])) as i8 as u8;
    }
    let dall = fp16_to_fp32(d16);
    for j in 0..16 {
        let d = dall * (y[192 + j] as i8) as f32;
        if d == 0.0 {
            search_l(j, l);
            continue;
        }
        if FAST {
            let nk = NearestK::new();
            let (dv, lo, hi, off) = (V4::splat(d), V4::splat_i(-32), V4::splat_i(31), V4::splat_i(32));
            let q = |k: usize| nk.apply(V4::load(x, 16 * j + 4 * k).div(dv)).max_i(lo).min_i(hi).add_i(off);
            let mut b = [0u8; 16];
            V4::store_u8(q(0), q(1), q(2), q(3), &mut b, 0);
            for ii in 0..16 {
                l[16 * j + ii] = b[ii] as i8;
            }
            continue;
        }
        for ii in 0..16 {
            let q = nearest_int(x[16 * j + ii] / d);
            l[16 * j + ii] = (imax(-32, imin(31, q)) + 32) as i8;
        }
    }
    if FAST {
        // the same bit packing on 16 bytes at a time
        let lb: [u8; QK_K] = unsafe { core::mem::transmute(*l) };
        let lo4 = V4::splat_u8(0x0f);
        for h in 0..2 {
            for c in 0..2 {
                let j = 128 * h + 16 * c;
                let a = V4::load_bytes(&lb, j);
                let b = V4::load_bytes(&lb, j + 32);
                let cc = V4::load_bytes(&lb, j + 64);
                let d = V4::load_bytes(&lb, j + 96);
                a.and(lo4).or(cc.shl_u8::<4>()).store_bytes(y, 64 * h + 16 * c);
                b.and(lo4).or(d.shl_u8::<4>()).store_bytes(y, 64 * h + 16 * c + 32);
                let qh = a
                    .shr_u8::<4>()
                    .or(b.shr_u8::<4>().shl_u8::<2>())
                    .or(cc.shr_u8::<4>().shl_u8::<4>())
                    .or(d.shr_u8::<4>().shl_u8::<6>());
                qh.store_bytes(y, 128 + 32 * h + 16 * c);
            }
        }
        return;
    }
    for h in 0..2 {
        let j = 128 * h;
        for k in 0..32 {
            let q1 = (l[j + k] as u8) & 0xf;
            let q2 = (l[j + k + 32] as u8) & 0xf;
            let q3 = (l[j + k + 64] as u8) & 0xf;
            let q4 = (l[j + k + 96] as u8) & 0xf;
            y[64 * h + k] = q1 | (q3 << 4);
            y[64 * h + k + 32] = q2 | (q4 << 4);
            y[128 + 32 * h + k] = ((l[j + k] as u8) >> 4)
                | (((l[j + k + 32] as u8) >> 4) << 2)
                | (((l[j + k + 64] as u8) >> 4) << 4)
                | (((l[j + k + 96] as u8) >> 4) << 6);
        }
    }
}

// ---------------------------------------------------------------------------
// Row drivers.
// ---------------------------------------------------------------------------

#[inline(always)]
fn superblocks(x: &[f32], y: &mut [u8], bytes: usize, f: impl Fn(&[f32], &mut [u8])) {
    run_blocks(x, y, QK_K, bytes, 2, f)
}

pub fn q2_k_ref(x: &[f32], y: &mut [u8]) {
    superblocks(x, y, Q2_K_BYTES, q2_k_block_ref)
}
pub fn q3_k_ref(x: &[f32], y: &mut [u8]) {
    superblocks(x, y, Q3_K_BYTES, q3_k_block_ref)
}
pub fn q4_k_ref(x: &[f32], y: &mut [u8]) {
    superblocks(x, y, Q4_K_BYTES, q4_k_block_ref)
}
pub fn q5_k_ref(x: &[f32], y: &mut [u8]) {
    superblocks(x, y, Q5_K_BYTES, q5_k_block_ref)
}
pub fn q6_k_ref(x: &[f32], y: &mut [u8]) {
    superblocks(x, y, Q6_K_BYTES, q6_k_block_ref)
}

// ---------------------------------------------------------------------------
// Fast paths: the searches of 4 sub-blocks at once, one per lane.
//
// Each lane performs exactly the scalar reference's operations for its sub-block, in the
// same order; branches become per-lane selects. Instead of copying `Laux` into `L` on every
// improvement, a lane remembers the (iscale, min) that produced its best `L` and `L` is
// recomputed once at the end with the same operations.
// ---------------------------------------------------------------------------

/// One element of the sub-blocks searched together (see `make_qkx2_xg`).
#[derive(Clone, Copy)]
struct Elem<const G: usize> {
    x: [V4; G],
    w: [V4; G],
    l: [V4; G],
}

/// `make_qkx2_quants` on `4*G` sub-blocks of `N` (16 or 32; `G` vectors of 4 lanes,
/// interleaved so the sequential sums of one group overlap with the others'). `x[h][i]`,
/// `w[h][i]`: element `i` of the sub-blocks of group `h`. Returns `(scale, the_min)` per lane
/// and the `(iscale, min, degenerate)` lanes the winning `L` comes from (`qkx2_l` makes it:
/// the callers need `L` of few sub-blocks only).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn make_qkx2_xg<const N: usize, const G: usize>(
    x: &[[V4; N]; G],
    w: &[[V4; N]; G],
    nmax: i32,
    rmin: f32,
    rdelta: f32,
    nstep: i32,
    use_mad: bool,
    nk: &NearestK,
) -> ([V4; G], [V4; G], [V4; G], [V4; G], [V4; G]) {
    let zero = V4::splat(0.0);
    let mut min = [zero; G];
    let mut max = [zero; G];
    let mut sum_w = [zero; G];
    let mut sum_x = [zero; G];
    for h in 0..G {
        min[h] = x[h][0];
        max[h] = x[h][0];
        sum_w[h] = w[h][0];
        sum_x[h] = sum_w[h].mul(x[h][0]);
        for i in 1..N {
            min[h] = min[h].min_if_less(x[h][i]);
            max[h] = max[h].max_if_greater(x[h][i]);
            sum_w[h] = sum_w[h].add(w[h][i]);
            sum_x[h] = sum_x[h].add(w[h][i].mul(x[h][i]));
        }
        min[h] = V4::select(min[h].gt(zero), zero, min[h]);
    }
    let min0 = min;
    let lo = V4::splat_i(0);
    let hi = V4::splat_i(nmax);
    // ggml's quantisation, `clamp(nearest_int(iscale*(x - min)), 0, nmax)`, as f32.
    let quant = |iscale: V4, min: V4, xi: V4| nk.apply(iscale.mul(xi.sub(min))).max_i(lo).min_i(hi).to_f32();
    let err = |d: V4| if use_mad { d.abs() } else { d.mul(d) };
    // In the search, with `t = iscale*(x - min)`, `clamp(nearest_int(t), 0, nmax)` equals
    // `roundeven(clamp(t, 0, nmax))` (rounding is monotone, 0 and nmax are integers) whenever
    // `nearest_int`'s bit trick is exact, i.e. |t| < 2^22. Rounding is monotone too, so every
    // `t` of a lane lies between `iscale*(min0 - min)` and `iscale*(max - min)` (x is in
    // [min0, max]): when both ends are within ±4e6 (and not NaN) for every lane, the cheaper
    // form is used, else ggml's. Degenerate lanes (max == min0) are overwritten at the end,
    // whatever they compute. The clamp works on the bits as i32 (one instruction each, where
    // wasm's f32 min/max are several): negative floats are negative integers, and
    // non-negative floats compare like their bits.
    let nmaxf = V4::splat(nmax as f32);
    let lim = V4::splat(4.0e6);
    let mut degenerate = [zero; G];
    for h in 0..G {
        degenerate[h] = max[h].eq(min0[h]);
    }
    // Per element: x, w and Laux side by side (one pointer with constant offsets reaches all).
    let mut e = [Elem { x: [zero; G], w: [zero; G], l: [zero; G] }; N];
    for i in 0..N {
        for h in 0..G {
            e[i].x[h] = x[h][i];
            e[i].w[h] = w[h][i];
        }
    }
    // The first estimate (t in [0, ~nmax] unless max - min overflowed)
    let mut iscale = [zero; G];
    let mut scale = [zero; G];
    let mut best = [zero; G];
    let mut in_range = true;
    for h in 0..G {
        iscale[h] = V4::splat(nmax as f32).div(max[h].sub(min[h]));
        scale[h] = V4::splat(1.0).div(iscale[h]);
        in_range &= iscale[h].mul(max[h].sub(min[h])).abs().le(lim).or(degenerate[h]).all();
    }
    if in_range {
        for ei in e.iter() {
            for h in 0..G {
                let l = iscale[h].mul(ei.x[h].sub(min[h])).max_i(lo).min_i(nmaxf).nearest();
                best[h] = best[h].add(ei.w[h].mul(err(scale[h].mul(l).add(min[h]).sub(ei.x[h]))));
            }
        }
    } else {
        for h in 0..G {
            for i in 0..N {
                let l = quant(iscale[h], min[h], x[h][i]);
                best[h] = best[h].add(w[h][i].mul(err(scale[h].mul(l).add(min[h]).sub(x[h][i]))));
            }
        }
    }
    let mut l_iscale = iscale;
    let mut l_min = min;
    for is in 0..=nstep {
        let num = V4::splat(rmin + rdelta * is as f32 + nmax as f32);
        let mut sum_l = [zero; G];
        let mut sum_l2 = [zero; G];
        let mut sum_xl = [zero; G];
        let mut in_range = true;
        for h in 0..G {
            let range = max[h].sub(min[h]);
            iscale[h] = num.div(range);
            let a = iscale[h].mul(min0[h].sub(min[h])).abs().le(lim);
            let b = iscale[h].mul(range).abs().le(lim);
            in_range &= a.and(b).or(degenerate[h]).all();
        }
        if in_range {
            for ei in e.iter_mut() {
                for h in 0..G {
                    let l = iscale[h].mul(ei.x[h].sub(min[h])).max_i(lo).min_i(nmaxf).nearest();
                    ei.l[h] = l;
                    let wl = ei.w[h].mul(l);
                    sum_l[h] = sum_l[h].add(wl);
                    sum_l2[h] = sum_l2[h].add(wl.mul(l));
                    sum_xl[h] = sum_xl[h].add(wl.mul(ei.x[h]));
                }
            }
        } else {
            for i in 0..N {
                for h in 0..G {
                    let l = quant(iscale[h], min[h], x[h][i]);
                    e[i].l[h] = l;
                    let wl = w[h][i].mul(l);
                    sum_l[h] = sum_l[h].add(wl);
                    sum_l2[h] = sum_l2[h].add(wl.mul(l));
                    sum_xl[h] = sum_xl[h].add(wl.mul(x[h][i]));
                }
            }
        }
        let mut this_scale = [zero; G];
        let mut this_min = [zero; G];
        let mut dpos = [zero; G];
        let mut any = false;
        for h in 0..G {
            let d = sum_w[h].mul(sum_l2[h]).sub(sum_l[h].mul(sum_l[h]));
            dpos[h] = d.gt(zero);
            any |= dpos[h].any();
            let ts = sum_w[h].mul(sum_xl[h]).sub(sum_x[h].mul(sum_l[h])).div(d);
            let tm = sum_l2[h].mul(sum_x[h]).sub(sum_l[h].mul(sum_xl[h])).div(d);
            let mpos = tm.gt(zero);
            this_scale[h] = V4::select(mpos, sum_xl[h].div(sum_l2[h]), ts);
            this_min[h] = V4::select(mpos, zero, tm);
        }
        if !any {
            continue;
        }
        let mut cur = [zero; G];
        for ei in e.iter() {
            for h in 0..G {
                cur[h] = cur[h].add(ei.w[h].mul(err(this_scale[h].mul(ei.l[h]).add(this_min[h]).sub(ei.x[h]))));
            }
        }
        for h in 0..G {
            let upd = dpos[h].and(cur[h].lt(best[h]));
            l_iscale[h] = V4::select(upd, iscale[h], l_iscale[h]);
            l_min[h] = V4::select(upd, min[h], l_min[h]);
            best[h] = V4::select(upd, cur[h], best[h]);
            scale[h] = V4::select(upd, this_scale[h], scale[h]);
            min[h] = V4::select(upd, this_min[h], min[h]);
        }
    }
    let mut the_min = [zero; G];
    for h in 0..G {
        scale[h] = V4::select(degenerate[h], zero, scale[h]);
        the_min[h] = zero.sub(V4::select(degenerate[h], min0[h], min[h]));
    }
    (scale, the_min, l_iscale, l_min, degenerate)
}

/// `L` of one sub-block from the `(iscale, min, degenerate)` lane `make_qkx2_xg` returned:
/// the same operations as its lanes, one element at a time.
fn qkx2_l(x: &[f32], l: &mut [u8], nmax: i32, iscale: f32, min: f32, degenerate: bool) {
    for (li, &xi) in l.iter_mut().zip(x) {
        *li = if degenerate { 0 } else { imax(0, imin(nmax, nearest_int(iscale * (xi - min)))) as u8 };
    }
}

/// Element `i` of sub-blocks `first..first + 4` (each `len` long) of `x`, for `i < N`.
#[inline(always)]
fn transpose_group<const N: usize>(x: &[f32], first: usize, len: usize) -> [V4; N] {
    let mut t = [V4::splat(0.0); N];
    let mut i = 0;
    while i < N {
        let (a, b, c, d) = V4::transpose(
            V4::load(x, len * first + i),
            V4::load(x, len * (first + 1) + i),
            V4::load(x, len * (first + 2) + i),
            V4::load(x, len * (first + 3) + i),
        );
        t[i] = a;
        t[i + 1] = b;
        t[i + 2] = c;
        t[i + 3] = d;
        i += 4;
    }
    t
}

/// Q4_K/Q5_K, one super-block: the 8 sub-block searches as 2 passes of 4 lanes (with 32
/// elements per sub-block one group already has enough independent work; interleaving two
/// measured no faster).
fn q45_k_block_fast<const Q5: bool>(x: &[f32], y: &mut [u8]) {
    if !all_finite(&x[..QK_K]) {
        return q45_k_block_ref::<Q5>(x, y);
    }
    let (nmax, rmin, nstep) = if Q5 { (31, -0.5f32, 15) } else { (15, -1.0f32, 20) };
    let nk = NearestK::new();
    let mut l = [0u8; QK_K];
    let mut scales = [0f32; 8];
    let mut mins = [0f32; 8];
    let xt: [[V4; 32]; 2] = [transpose_group(x, 0, 32), transpose_group(x, 4, 32)];
    let mut w = [[V4::splat(0.0); 32]; 2];
    for h in 0..2 {
        let mut sum_x2 = V4::splat(0.0);
        for v in &xt[h] {
            sum_x2 = sum_x2.add(v.mul(*v));
        }
        let av_x = sum_x2.div(V4::splat(32.0)).sqrt();
        for i in 0..32 {
            w[h][i] = av_x.add(xt[h][i].abs());
        }
    }
    // L is only needed where a sub-block's 6-bit scale rounds to 0 (rare): made there
    let (s, m, lis, lmin, degen) = make_qkx2_xg(&xt, &w, nmax, rmin, 0.1, nstep, false, &nk);
    let mut l_is = [0f32; 8];
    let mut l_min = [0f32; 8];
    let mut l_degen = [false; 8];
    for h in 0..2 {
        for k in 0..4 {
            scales[4 * h + k] = s[h].lane(k);
            mins[4 * h + k] = m[h].lane(k);
            l_is[4 * h + k] = lis[h].lane(k);
            l_min[4 * h + k] = lmin[h].lane(k);
            l_degen[4 * h + k] = degen[h].lane_i(k) != 0;
        }
    }
    let mut max_scale = 0.0f32;
    let mut max_min = 0.0f32;
    for j in 0..8 {
        if scales[j] > max_scale {
            max_scale = scales[j];
        }
        if mins[j] > max_min {
            max_min = mins[j];
        }
    }
    q45_k_scales::<true>(x, y, &mut l, &scales, &mins, max_scale, max_min, nmax, |j, l| {
        qkx2_l(&x[32 * j..32 * j + 32], &mut l[32 * j..32 * j + 32], nmax, l_is[j], l_min[j], l_degen[j])
    });
    if Q5 {
        q5_k_pack(&l, y)
    } else {
        q4_k_pack_fast(&l, y)
    }
}

/// Q2_K, one super-block: the 16 sub-block searches as 2 × (2 × 4 lanes).
fn q2_k_block_fast(x: &[f32], y: &mut [u8]) {
    if !all_finite(&x[..QK_K]) {
        return q2_k_block_ref(x, y);
    }
    let nk = NearestK::new();
    let mut l = [0u8; QK_K];
    let mut scales = [0f32; 16];
    let mut mins = [0f32; 16];
    // L is only needed where a sub-block's 4-bit scale is 0 (rare): made there
    let mut l_is = [0f32; 16];
    let mut l_min = [0f32; 16];
    let mut l_degen = [false; 16];
    for g in 0..2 {
        let xt: [[V4; 16]; 2] = [transpose_group(x, 8 * g, 16), transpose_group(x, 8 * g + 4, 16)];
        let mut w = [[V4::splat(0.0); 16]; 2];
        for h in 0..2 {
            for i in 0..16 {
                w[h][i] = xt[h][i].abs();
            }
        }
        let (s, m, lis, lmin, degen) = make_qkx2_xg(&xt, &w, 3, -0.5, 0.1, 15, true, &nk);
        for h in 0..2 {
            for k in 0..4 {
                let j = 8 * g + 4 * h + k;
                scales[j] = s[h].lane(k);
                mins[j] = m[h].lane(k);
                l_is[j] = lis[h].lane(k);
                l_min[j] = lmin[h].lane(k);
                l_degen[j] = degen[h].lane_i(k) != 0;
            }
        }
    }
    let mut max_scale = 0.0f32;
    let mut max_min = 0.0f32;
    for j in 0..16 {
        if scales[j] > max_scale {
            max_scale = scales[j];
        }
        if mins[j] > max_min {
            max_min = mins[j];
        }
    }
    q2_k_finish(x, y, &mut l, &scales, &mins, max_scale, max_min, |j, l| {
        qkx2_l(&x[16 * j..16 * j + 16], &mut l[16 * j..16 * j + 16], 3, l_is[j], l_min[j], l_degen[j])
    });
}

/// `make_qx_quants(16, 32, x, L, 1, NULL)` on `4*G` sub-blocks (`G` vectors of 4 lanes,
/// interleaved so the sequential sums of one group overlap with the others'). Returns the
/// scales and, per lane, the `iscale` whose `L` won and whether the sub-block is all zero
/// (`qx_l` makes `L` from them).
#[inline(always)]
fn make_qx_xg<const G: usize>(x: &[[V4; 16]; G]) -> ([V4; G], [V4; G], [V4; G]) {
    const NMAX: i32 = 32;
    let zero = V4::splat(0.0);
    let mut max = [zero; G];
    let mut amax = [zero; G];
    let mut w = [[zero; 16]; G];
    let mut wx = [[zero; 16]; G];
    for i in 0..16 {
        for h in 0..G {
            let ax = x[h][i].abs();
            let gt = ax.gt(amax[h]);
            amax[h] = V4::select(gt, ax, amax[h]);
            max[h] = V4::select(gt, x[h][i], max[h]);
            w[h][i] = x[h][i].mul(x[h][i]);
            wx[h][i] = w[h][i].mul(x[h][i]);
        }
    }
    // In the searches `t = iscale*x` has |t| <= ~33 (|x| <= amax = |max|, amax >= 1e-15), so
    // `v = t + 1.5*2^23` lies in [2^23, 2^24) where its bits are an integer plus round(t):
    // clamping those bits as i32 and subtracting 1.5*2^23 again (exact) gives ggml's
    // `clamp(nearest_int(t), -32, 31)` as f32 in four instructions instead of six. Lanes of
    // an all-zero sub-block (t NaN) are overwritten at the end.
    let magic = V4::splat(12582912.0);
    let lo_b = V4::splat(12582912.0 - NMAX as f32);
    let hi_b = V4::splat(12582912.0 + (NMAX - 1) as f32);
    let quant_fast = |iscale: V4, xi: V4| iscale.mul(xi).add(magic).max_i(lo_b).min_i(hi_b).sub(magic);
    let sums = |iscale: &[V4; G]| {
        let mut sumlx = [zero; G];
        let mut suml2 = [zero; G];
        for i in 0..16 {
            for h in 0..G {
                let l = quant_fast(iscale[h], x[h][i]);
                sumlx[h] = sumlx[h].add(wx[h][i].mul(l));
                suml2[h] = suml2[h].add(w[h][i].mul(l).mul(l));
            }
        }
        (sumlx, suml2)
    };
    let mut iscale = [zero; G];
    for h in 0..G {
        iscale[h] = V4::splat(-(NMAX as f32)).div(max[h]);
    }
    let (sumlx, suml2) = sums(&iscale);
    let mut scale = [zero; G];
    let mut best = [zero; G];
    for h in 0..G {
        scale[h] = V4::select(suml2[h].eq(zero), zero, sumlx[h].div(suml2[h]));
        best[h] = scale[h].mul(sumlx[h]);
    }
    let mut l_iscale = iscale;
    for is in -9i32..=9 {
        if is == 0 {
            continue;
        }
        let num = V4::splat(-(NMAX as f32 + 0.1f32 * is as f32));
        for h in 0..G {
            iscale[h] = num.div(max[h]);
        }
        let (sumlx, suml2) = sums(&iscale);
        for h in 0..G {
            // branch-free: whether a lane improves is data-dependent (mispredicted often)
            let upd = suml2[h].gt(zero).and(sumlx[h].mul(sumlx[h]).gt(best[h].mul(suml2[h])));
            let ns = sumlx[h].div(suml2[h]);
            l_iscale[h] = V4::select(upd, iscale[h], l_iscale[h]);
            scale[h] = V4::select(upd, ns, scale[h]);
            best[h] = V4::select(upd, ns.mul(sumlx[h]), best[h]);
        }
    }
    let eps = V4::splat(GROUP_MAX_EPS);
    let mut all_zero = [zero; G];
    for h in 0..G {
        all_zero[h] = amax[h].lt(eps);
        scale[h] = V4::select(all_zero[h], zero, scale[h]);
    }
    (scale, l_iscale, all_zero)
}

/// `L` of one sub-block from the `(iscale, all_zero)` lane `make_qx_xg` returned: the same
/// operations as its lanes, one element at a time.
fn qx_l(x: &[f32], l: &mut [i8], iscale: f32, all_zero: bool) {
    for (li, &xi) in l.iter_mut().zip(x) {
        *li = if all_zero { 0 } else { (32 + imax(-32, imin(31, nearest_int(iscale * xi)))) as i8 };
    }
}

/// Q6_K, one super-block: the 16 sub-block searches as 2 × 8 lanes.
fn q6_k_block_fast(x: &[f32], y: &mut [u8]) {
    if !all_finite(&x[..QK_K]) {
        return q6_k_block_ref(x, y);
    }
    let mut l = [0i8; QK_K];
    let mut scales = [0f32; 16];
    // L is only needed where a sub-block's int8 scale is 0 (rare): made there
    let mut l_is = [0f32; 16];
    let mut l_zero = [false; 16];
    for g in 0..2 {
        let xt: [[V4; 16]; 2] = [transpose_group(x, 8 * g, 16), transpose_group(x, 8 * g + 4, 16)];
        let (s, lis, zero) = make_qx_xg(&xt);
        for h in 0..2 {
            for k in 0..4 {
                scales[8 * g + 4 * h + k] = s[h].lane(k);
                l_is[8 * g + 4 * h + k] = lis[h].lane(k);
                l_zero[8 * g + 4 * h + k] = zero[h].lane_i(k) != 0;
            }
        }
    }
    let mut max_scale = 0.0f32;
    let mut max_abs_scale = 0.0f32;
    for ib in 0..16 {
        let abs_scale = fabsf(scales[ib]);
        if abs_scale > max_abs_scale {
            max_abs_scale = abs_scale;
            max_scale = scales[ib];
        }
    }
    q6_k_finish::<true>(x, y, &mut l, &scales, max_scale, max_abs_scale, |j, l| {
        qx_l(&x[16 * j..16 * j + 16], &mut l[16 * j..16 * j + 16], l_is[j], l_zero[j])
    });
}


/// `make_q3_quants(16, 4, x, L, true)` on 4 sub-blocks (lanes); `l_out[i]` gets element `i`
/// of each lane's `L` (as f32). The per-element refinement
/// stays sequential in `i` inside each lane; a lane whose pass changed nothing would change
/// nothing in a further pass either, so running passes until no lane changes is exact.
#[inline(always)]
fn make_q3_x4(x: &[V4; 16], nk: &NearestK, l_out: &mut [V4; 16]) -> V4 {
    const NMAX: i32 = 4;
    let zero = V4::splat(0.0);
    let mut max = zero;
    let mut amax = zero;
    let mut w = [zero; 16];
    let mut wx = [zero; 16];
    for i in 0..16 {
        let ax = x[i].abs();
        let gt = ax.gt(amax);
        amax = V4::select(gt, ax, amax);
        max = V4::select(gt, x[i], max);
        w[i] = x[i].mul(x[i]);
        wx[i] = w[i].mul(x[i]);
    }
    let all_zero = amax.lt(V4::splat(GROUP_MAX_EPS));
    let lo = V4::splat_i(-NMAX);
    let hi = V4::splat_i(NMAX - 1);
    let iscale = V4::splat(-(NMAX as f32)).div(max);
    let mut l = [zero; 16];
    let mut sumlx = zero;
    let mut suml2 = zero;
    for i in 0..16 {
        l[i] = nk.apply(iscale.mul(x[i])).max_i(lo).min_i(hi).to_f32();
        sumlx = sumlx.add(wx[i].mul(l[i]));
        suml2 = suml2.add(w[i].mul(l[i]).mul(l[i]));
    }
    for _itry in 0..5 {
        let mut changed = V4::splat_i(0);
        for i in 0..16 {
            let slx = sumlx.sub(wx[i].mul(l[i]));
            let c1 = slx.gt(zero);
            let sl2 = suml2.sub(w[i].mul(l[i]).mul(l[i]));
            let new_l = nk.apply(x[i].mul(sl2).div(slx)).max_i(lo).min_i(hi).to_f32();
            let c2 = new_l.eq(l[i]);
            // lanes that may change; usually none, then nothing below changes anything
            let cand = c1.andnot(c2);
            if !cand.any() {
                continue;
            }
            let slx2 = slx.add(wx[i].mul(new_l));
            let sl22 = sl2.add(w[i].mul(new_l).mul(new_l));
            let c3 = sl22.gt(zero).and(slx2.mul(slx2).mul(suml2).gt(sumlx.mul(sumlx).mul(sl22)));
            let upd = cand.and(c3);
            l[i] = V4::select(upd, new_l, l[i]);
            sumlx = V4::select(upd, slx2, sumlx);
            suml2 = V4::select(upd, sl22, suml2);
            changed = changed.or(upd);
        }
        if !changed.any() {
            break;
        }
    }
    let off = V4::splat(NMAX as f32);
    for i in 0..16 {
        l_out[i] = V4::select(all_zero, zero, l[i].add(off));
    }
    let scale = V4::select(suml2.gt(zero), sumlx.div(suml2), zero);
    V4::select(all_zero, zero, scale)
}

/// Q3_K, one super-block, searches 4 sub-blocks of 16 at a time.
fn q3_k_block_fast(x: &[f32], y: &mut [u8]) {
    if !all_finite(&x[..QK_K]) {
        return q3_k_block_ref(x, y);
    }
    let nk = NearestK::new();
    let mut l = [0i8; QK_K];
    let mut scales = [0f32; 16];
    // L is only needed where a sub-block's 6-bit scale is 0 (rare): extracted there
    let mut ls = [[V4::splat(0.0); 16]; 4];
    for g in 0..4 {
        let xt: [V4; 16] = transpose_group(x, 4 * g, 16);
        let s = make_q3_x4(&xt, &nk, &mut ls[g]);
        for k in 0..4 {
            scales[4 * g + k] = s.lane(k);
        }
    }
    let mut max_scale = 0.0f32;
    let mut amax = 0.0f32;
    for j in 0..16 {
        let scale = fabsf(scales[j]);
        if scale > amax {
            amax = scale;
            max_scale = scales[j];
        }
    }
    q3_k_finish(x, y, &mut l, &scales, max_scale, |j, l| {
        for i in 0..16 {
            l[16 * j + i] = ls[j / 4][i].lane(j % 4) as i8;
        }
    });
}

pub fn q3_k(x: &[f32], y: &mut [u8]) {
    superblocks(x, y, Q3_K_BYTES, q3_k_block_fast)
}
pub fn q2_k(x: &[f32], y: &mut [u8]) {
    superblocks(x, y, Q2_K_BYTES, q2_k_block_fast)
}
pub fn q4_k(x: &[f32], y: &mut [u8]) {
    superblocks(x, y, Q4_K_BYTES, q45_k_block_fast::<false>)
}
pub fn q5_k(x: &[f32], y: &mut [u8]) {
    superblocks(x, y, Q5_K_BYTES, q45_k_block_fast::<true>)
}
pub fn q6_k(x: &[f32], y: &mut [u8]) {
    superblocks(x, y, Q6_K_BYTES, q6_k_block_fast)
}

// ---------------------------------------------------------------------------
// Exports.
// ---------------------------------------------------------------------------

/// Q2_K (84-byte super-blocks). Memory contract: module docs.
#[no_mangle]
pub unsafe extern "C" fn quantize_q2_k(src: u32, dst: u32, nrows: u32, n_per_row: u32) {
    let (x, y) = io(src, dst, nrows, n_per_row, QK_K, Q2_K_BYTES);
    q2_k(x, y)
}

/// Q3_K (110-byte super-blocks). Memory contract: module docs.
#[no_mangle]
pub unsafe extern "C" fn quantize_q3_k(src: u32, dst: u32, nrows: u32, n_per_row: u32) {
    let (x, y) = io(src, dst, nrows, n_per_row, QK_K, Q3_K_BYTES);
    q3_k(x, y)
}

/// Q4_K (144-byte super-blocks). Memory contract: module docs.
#[no_mangle]
pub unsafe extern "C" fn quantize_q4_k(src: u32, dst: u32, nrows: u32, n_per_row: u32) {
    let (x, y) = io(src, dst, nrows, n_per_row, QK_K, Q4_K_BYTES);
    q4_k(x, y)
}

/// Q5_K (176-byte super-blocks). Memory contract: module docs.
#[no_mangle]
pub unsafe extern "C" fn quantize_q5_k(src: u32, dst: u32, nrows: u32, n_per_row: u32) {
    let (x, y) = io(src, dst, nrows, n_per_row, QK_K, Q5_K_BYTES);
    q5_k(x, y)
}

/// Q6_K (210-byte super-blocks). Memory contract: module docs.
#[no_mangle]
pub unsafe extern "C" fn quantize_q6_k(src: u32, dst: u32, nrows: u32, n_per_row: u32) {
    let (x, y) = io(src, dst, nrows, n_per_row, QK_K, Q6_K_BYTES);
    q6_k(x, y)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quant_legacy::tests::test_data;

    type Quant = fn(&[f32], &mut [u8]);

    fn fast_equals_ref(name: &str, bytes: usize, r: Quant, f: Quant) {
        for seed in 1..24u64 {
            let nb = 48;
            let x = test_data(seed * 7919, QK_K * nb);
            let mut a = vec![0u8; nb * bytes];
            let mut b = vec![0x55u8; nb * bytes];
            r(&x, &mut a);
            f(&x, &mut b);
            if a != b {
                let at = a.iter().zip(&b).position(|(p, q)| p != q).unwrap();
                let blk = at / bytes;
                panic!("{} seed {}: block {} differs at byte {}; block input {:?}", name, seed, blk, at % bytes, &x[blk * QK_K..blk * QK_K + 16]);
            }
        }
    }

    #[test]
    fn q2_k_fast_equals_ref() {
        fast_equals_ref("Q2_K", Q2_K_BYTES, q2_k_ref, q2_k);
    }
    #[test]
    fn q3_k_fast_equals_ref() {
        fast_equals_ref("Q3_K", Q3_K_BYTES, q3_k_ref, q3_k);
    }
    #[test]
    fn q4_k_fast_equals_ref() {
        fast_equals_ref("Q4_K", Q4_K_BYTES, q4_k_ref, q4_k);
    }
    #[test]
    fn q5_k_fast_equals_ref() {
        fast_equals_ref("Q5_K", Q5_K_BYTES, q5_k_ref, q5_k);
    }
    #[test]
    fn q6_k_fast_equals_ref() {
        fast_equals_ref("Q6_K", Q6_K_BYTES, q6_k_ref, q6_k);
    }

    /// Sub-blocks right at GROUP_MAX_EPS, at the f32 extremes, and mixing both.
    #[test]
    fn fast_equals_ref_at_extremes() {
        let mut rng = crate::convert::tests::Rng(0xe7e7);
        let scales = [1.0e-15f32, 1.01e-15, 3.0e-15, 1.0e-14, 1.0e-38, 3.0e38, 1.0e30, 1.0e-30, 1.0];
        let nb = 64;
        let mut x = vec![0f32; QK_K * nb];
        for (i, v) in x.iter_mut().enumerate() {
            let s = scales[(i / 16 + (i / 256)) % scales.len()];
            let u = (rng.next_u32() as f32 / 4294967296.0) * 2.0 - 1.0;
            *v = if rng.next_u32() % 97 == 0 { f32::from_bits(rng.next_u32() & 0x807f_ffff) } else { s * u };
        }
        type Quant = fn(&[f32], &mut [u8]);
        let cases: [(&str, usize, Quant, Quant); 5] = [
            ("Q2_K", Q2_K_BYTES, q2_k_ref, q2_k),
            ("Q3_K", Q3_K_BYTES, q3_k_ref, q3_k),
            ("Q4_K", Q4_K_BYTES, q4_k_ref, q4_k),
            ("Q5_K", Q5_K_BYTES, q5_k_ref, q5_k),
            ("Q6_K", Q6_K_BYTES, q6_k_ref, q6_k),
        ];
        for (name, bytes, r, f) in cases {
            let mut a = vec![0u8; nb * bytes];
            let mut b = vec![0x55u8; nb * bytes];
            r(&x, &mut a);
            f(&x, &mut b);
            assert!(a == b, "{} differs at byte {:?}", name, a.iter().zip(&b).position(|(p, q)| p != q));
        }
    }

    /// Sub-blocks whose 6-bit scale (or Q2_K's 4-bit scale) rounds to 0 keep the search's
    /// `L` (made lazily by the Q4_K/Q5_K fast path): tiny, tiny-and-offset and all-zero
    /// sub-blocks next to large ones.
    #[test]
    fn fast_equals_ref_with_zero_sub_block_scales() {
        let mut rng = crate::convert::tests::Rng(0x5c0);
        let nb = 96;
        let mut x = vec![0f32; QK_K * nb];
        for b in 0..nb {
            for j in 0..16 {
                let kind = (rng.next_u32() % 5) as usize;
                for i in 0..16 {
                    let u = (rng.next_u32() as f32 / 4294967296.0) * 2.0 - 1.0;
                    x[QK_K * b + 16 * j + i] = match kind {
                        0 => u * 1e-4,
                        1 => 0.0,
                        2 => 3e-5 + u * 1e-6,
                        3 => -2e-5 + u * 1e-6,
                        _ => u,
                    };
                }
            }
        }
        let cases: [(&str, usize, Quant, Quant); 5] = [
            ("Q2_K", Q2_K_BYTES, q2_k_ref, q2_k),
            ("Q3_K", Q3_K_BYTES, q3_k_ref, q3_k),
            ("Q4_K", Q4_K_BYTES, q4_k_ref, q4_k),
            ("Q5_K", Q5_K_BYTES, q5_k_ref, q5_k),
            ("Q6_K", Q6_K_BYTES, q6_k_ref, q6_k),
        ];
        for (name, bytes, r, f) in cases {
            let mut a = vec![0u8; nb * bytes];
            let mut b = vec![0x55u8; nb * bytes];
            r(&x, &mut a);
            f(&x, &mut b);
            assert!(a == b, "{} differs at byte {:?}", name, a.iter().zip(&b).position(|(p, q)| p != q));
        }
        // the case is exercised: some Q4_K sub-block has scale 0 and a non-zero L
        let mut y = vec![0u8; nb * Q4_K_BYTES];
        q4_k(&x, &mut y);
        let hit = y.chunks(Q4_K_BYTES).any(|blk| {
            (0..8).any(|j| get_scale_min_k4(j, &blk[4..16]).0 == 0 && (0..32).any(|i| {
                let q = blk[16 + 32 * (j / 2) + i];
                (if j % 2 == 0 { q & 15 } else { q >> 4 }) != 0
            }))
        });
        assert!(hit);
    }

    #[test]
    fn zero_and_constant_superblocks() {
        let z = vec![0.0f32; QK_K];
        let mut y = vec![0xaau8; Q6_K_BYTES];
        q6_k(&z, &mut y);
        assert!(y.iter().all(|&b| b == 0));
        let mut y = vec![0xaau8; Q4_K_BYTES];
        q4_k(&z, &mut y);
        assert!(y.iter().all(|&b| b == 0));
        // a constant positive block: min clamps to 0, one scale, every q = 15
        let c = vec![0.5f32; QK_K];
        q4_k(&c, &mut y);
        assert!(y[16..].iter().all(|&b| b == 0xff), "{:?}", &y[..24]);
    }
}
