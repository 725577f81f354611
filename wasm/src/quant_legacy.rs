//! GGUF quantizers with 32-element blocks (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1) and the
//! element-wise GGUF types (F16, BF16), bit for bit as llama.cpp's `llama-quantize`
//! writes them without an importance matrix: ggml's `quantize_row_<t>_ref`,
//! `ggml_fp32_to_fp16_row` and `ggml_fp32_to_bf16_row_ref` (see
//! /work/shared/reference/llamacpp.md §2.1–2.4).
//!
//! Each type has a scalar reference (`*_ref`, a line-by-line port of ggml) and a fast path
//! that must give the same bytes; native tests compare them.
//!
//! Exports (`quantize_<t>(src, dst, nrows, n_per_row)`), common memory contract:
//! - `src` is the address of `nrows * n_per_row` f32 (4-byte aligned), rows consecutive;
//! - `dst` receives `nrows * n_per_row / block * bytes_per_block` bytes (any alignment),
//!   laid out exactly as ggml's row data (blocks never straddle rows, so this is also the
//!   byte image of the whole tensor);
//! - `n_per_row` must be a multiple of the type's block size (32; 1 for F16/BF16), `src`
//!   4-byte aligned and `nrows * n_per_row < 2^30`, otherwise the call traps; `src` and `dst`
//!   must not overlap;
//! - results do not depend on how a tensor's rows are split into calls (blocks are
//!   independent), so workers may quantize row ranges of one tensor in parallel;
//! - nothing else is read or written; no scratch memory beyond the shadow stack.

use crate::quant_common::{check, cvtt, fabsf, fp16_to_fp32, fp32_to_fp16, put_u16, V4};

pub const QK: usize = 32;
pub const Q8_0_BYTES: usize = 34;
pub const Q4_0_BYTES: usize = 18;
pub const Q4_1_BYTES: usize = 20;
pub const Q5_0_BYTES: usize = 22;
pub const Q5_1_BYTES: usize = 24;

/// C's `MIN(hi, (int8_t)v)` stored into a `uint8_t`, as ggml's 4/5-bit quantizers do.
#[inline(always)]
fn min_i8(hi: i32, v: f32) -> u8 {
    let t = cvtt(v) as i8 as i32;
    (if hi < t { hi } else { t }) as u8
}

/// `roundf` (half away from zero) followed by C's `(int8_t)` cast.
#[inline(always)]
fn roundf_i8(v: f32) -> u8 {
    let t = cvtt(v); // truncation; MIN for NaN / out of range
    if t == i32::MIN {
        // NaN, out of range, or exactly -2^31 (an integer): roundf changes nothing
        return 0;
    }
    let frac = v - t as f32; // exact: |v| < 2^31 and t is v truncated
    let r = if frac >= 0.5 {
        t + 1
    } else if frac <= -0.5 {
        t - 1
    } else {
        t
    };
    r as i8 as u8
}

// ---------------------------------------------------------------------------
// Scalar references (one block).
// ---------------------------------------------------------------------------

pub fn q8_0_block_ref(x: &[f32], y: &mut [u8]) {
    let mut amax = 0.0f32;
    for &v in &x[..QK] {
        let a = fabsf(v);
        amax = if amax > a { amax } else { a }; // MAX(amax, fabsf(v))
    }
    let d = amax / 127.0;
    let id = if d != 0.0 { 1.0 / d } else { 0.0 };
    put_u16(y, 0, fp32_to_fp16(d));
    for j in 0..QK {
        y[2 + j] = roundf_i8(x[j] * id);
    }
}

pub fn q4_0_block_ref(x: &[f32], y: &mut [u8]) {
    let mut amax = 0.0f32;
    let mut max = 0.0f32;
    for &v in &x[..QK] {
        if amax < fabsf(v) {
            amax = fabsf(v);
            max = v;
        }
    }
    let d = max / -8.0;
    let id = if d != 0.0 { 1.0 / d } else { 0.0 };
    put_u16(y, 0, fp32_to_fp16(d));
    for j in 0..QK / 2 {
        let x0 = x[j] * id;
        let x1 = x[QK / 2 + j] * id;
        let xi0 = min_i8(15, x0 + 8.5);
        let xi1 = min_i8(15, x1 + 8.5);
        y[2 + j] = xi0 | (xi1 << 4);
    }
}

pub fn q4_1_block_ref(x: &[f32], y: &mut [u8]) {
    let mut min = f32::MAX;
    let mut max = -f32::MAX;
    for &v in &x[..QK] {
        if v < min {
            min = v;
        }
        if v > max {
            max = v;
        }
    }
    let d = (max - min) / 15.0;
    let id = if d != 0.0 { 1.0 / d } else { 0.0 };
    put_u16(y, 0, fp32_to_fp16(d));
    put_u16(y, 2, fp32_to_fp16(min));
    for j in 0..QK / 2 {
        let x0 = (x[j] - min) * id;
        let x1 = (x[QK / 2 + j] - min) * id;
        let xi0 = min_i8(15, x0 + 0.5);
        let xi1 = min_i8(15, x1 + 0.5);
        y[4 + j] = xi0 | (xi1 << 4);
    }
}

pub fn q5_0_block_ref(x: &[f32], y: &mut [u8]) {
    let mut amax = 0.0f32;
    let mut max = 0.0f32;
    for &v in &x[..QK] {
        if amax < fabsf(v) {
            amax = fabsf(v);
            max = v;
        }
    }
    let d = max / -16.0;
    let id = if d != 0.0 { 1.0 / d } else { 0.0 };
    put_u16(y, 0, fp32_to_fp16(d));
    let mut qh: u32 = 0;
    for j in 0..QK / 2 {
        let x0 = x[j] * id;
        let x1 = x[QK / 2 + j] * id;
        let xi0 = min_i8(31, x0 + 16.5) as u32;
        let xi1 = min_i8(31, x1 + 16.5) as u32;
        y[6 + j] = ((xi0 & 0x0f) | ((xi1 & 0x0f) << 4)) as u8;
        qh |= ((xi0 & 0x10) >> 4) << j;
        qh |= ((xi1 & 0x10) >> 4) << (j + QK / 2);
    }
    y[2..6].copy_from_slice(&qh.to_le_bytes());
}

pub fn q5_1_block_ref(x: &[f32], y: &mut [u8]) {
    let mut min = f32::MAX;
    let mut max = -f32::MAX;
    for &v in &x[..QK] {
        if v < min {
            min = v;
        }
        if v > max {
            max = v;
        }
    }
    let d = (max - min) / 31.0;
    let id = if d != 0.0 { 1.0 / d } else { 0.0 };
    put_u16(y, 0, fp32_to_fp16(d));
    put_u16(y, 2, fp32_to_fp16(min));
    let mut qh: u32 = 0;
    for j in 0..QK / 2 {
        let x0 = (x[j] - min) * id;
        let x1 = (x[QK / 2 + j] - min) * id;
        let xi0 = cvtt(x0 + 0.5) as u8 as u32; // (uint8_t) cast, no clamp
        let xi1 = cvtt(x1 + 0.5) as u8 as u32;
        y[8 + j] = ((xi0 & 0x0f) | ((xi1 & 0x0f) << 4)) as u8;
        qh |= ((xi0 & 0x10) >> 4) << j;
        qh |= ((xi1 & 0x10) >> 4) << (j + QK / 2);
    }
    y[4..8].copy_from_slice(&qh.to_le_bytes());
}

/// Runs a block function over all blocks of `x` (length a multiple of `block`), in calls of
/// `per_call` blocks to a separate (non-inlined) function: the engine switches to optimized
/// code between calls, so a single export call covering a whole tensor still gets it early.
#[inline(always)]
pub(crate) fn run_blocks<F: Fn(&[f32], &mut [u8])>(x: &[f32], y: &mut [u8], block: usize, bytes: usize, per_call: usize, f: F) {
    let nb = x.len() / block;
    check(x.len() == nb * block && y.len() == nb * bytes);
    let mut i = 0;
    while i < nb {
        let e = if nb - i < per_call { nb } else { i + per_call };
        run_chunk(&x[i * block..e * block], &mut y[i * bytes..e * bytes], block, bytes, &f);
        i = e;
    }
}

#[inline(never)]
fn run_chunk<F: Fn(&[f32], &mut [u8])>(x: &[f32], y: &mut [u8], block: usize, bytes: usize, f: &F) {
    let nb = x.len() / block;
    for i in 0..nb {
        f(&x[i * block..(i + 1) * block], &mut y[i * bytes..(i + 1) * bytes]);
    }
}

#[inline(always)]
fn blocks(x: &[f32], y: &mut [u8], bytes: usize, f: impl Fn(&[f32], &mut [u8])) {
    run_blocks(x, y, QK, bytes, 128, f)
}

pub fn q8_0_ref(x: &[f32], y: &mut [u8]) {
    blocks(x, y, Q8_0_BYTES, q8_0_block_ref)
}
pub fn q4_0_ref(x: &[f32], y: &mut [u8]) {
    blocks(x, y, Q4_0_BYTES, q4_0_block_ref)
}
pub fn q4_1_ref(x: &[f32], y: &mut [u8]) {
    blocks(x, y, Q4_1_BYTES, q4_1_block_ref)
}
pub fn q5_0_ref(x: &[f32], y: &mut [u8]) {
    blocks(x, y, Q5_0_BYTES, q5_0_block_ref)
}
pub fn q5_1_ref(x: &[f32], y: &mut [u8]) {
    blocks(x, y, Q5_1_BYTES, q5_1_block_ref)
}

/// `ggml_fp32_to_fp16_row`.
pub fn f16_ref(x: &[f32], y: &mut [u8]) {
    check(y.len() == 2 * x.len());
    for (i, &v) in x.iter().enumerate() {
        put_u16(y, 2 * i, fp32_to_fp16(v));
    }
}

// ---------------------------------------------------------------------------
// Fast paths (4 lanes).
// ---------------------------------------------------------------------------

/// Q8_0, one block, 4 lanes. The absolute maximum is order-independent for finite
/// values and `roundf` is `trunc(v + copysign(0.5 - 2^-25, v))` for |v| < 2^23
/// (llama.cpp's and the toolchain study's exhaustive check). Blocks with a NaN/Inf, or
/// so small that `1/d` could overflow, go to the reference.
#[inline(always)]
fn q8_0_block_fast(x: &[f32], y: &mut [u8]) {
    let v = [
        V4::load(x, 0),
        V4::load(x, 4),
        V4::load(x, 8),
        V4::load(x, 12),
        V4::load(x, 16),
        V4::load(x, 20),
        V4::load(x, 24),
        V4::load(x, 28),
    ];
    let finite_max = V4::splat_i(0x7f7f_ffff);
    let mut m = v[0].abs();
    let mut bad = m.gt_i(finite_max);
    for k in 1..8 {
        let a = v[k].abs();
        bad = bad.or(a.gt_i(finite_max));
        m = m.max_if_greater(a);
    }
    let amax = hmax(m);
    // 1e-30 keeps 1/d far from overflow (d = amax/127 ≥ 7.8e-33)
    if bad.any() || (amax < 1e-30 && amax != 0.0) {
        q8_0_block_ref(x, y);
        return;
    }
    let d = amax / 127.0;
    let id = if d != 0.0 { 1.0 / d } else { 0.0 };
    put_u16(y, 0, fp32_to_fp16(d));
    let idv = V4::splat(id);
    let sign = V4::splat_i(i32::MIN);
    let half = V4::splat(f32::from_bits(0x3eff_ffff)); // 0.5 - 2^-25
    // For an integral |r| < 2^22, `bits(r + 1.5·2^23) - bits(1.5·2^23)` is r as an i32
    // (cheaper than a saturating conversion, which needs fix-ups on x86).
    let magic = V4::splat(12582912.0);
    let magic_bits = V4::splat_i(0x4b40_0000);
    let q = |k: usize| {
        let t = v[k].mul(idv);
        t.add(t.and(sign).or(half)).trunc().add(magic).sub_i(magic_bits)
    };
    V4::store_i8(q(0), q(1), q(2), q(3), y, 2);
    V4::store_i8(q(4), q(5), q(6), q(7), y, 18);
}

pub fn q8_0(x: &[f32], y: &mut [u8]) {
    blocks(x, y, Q8_0_BYTES, q8_0_block_fast)
}

/// The 8 vectors of a 32-element block, whether all are finite, and the absolute maximum.
#[inline(always)]
fn load_block(x: &[f32]) -> ([V4; 8], bool, f32) {
    let v = [
        V4::load(x, 0),
        V4::load(x, 4),
        V4::load(x, 8),
        V4::load(x, 12),
        V4::load(x, 16),
        V4::load(x, 20),
        V4::load(x, 24),
        V4::load(x, 28),
    ];
    let finite_max = V4::splat_i(0x7f7f_ffff);
    let mut m = v[0].abs();
    let mut bad = m.gt_i(finite_max);
    for k in 1..8 {
        let a = v[k].abs();
        bad = bad.or(a.gt_i(finite_max));
        m = m.max_if_greater(a);
    }
    (v, !bad.any(), hmax(m))
}

/// The largest lane, without branches (the callers' lanes are finite and the order of
/// equal values does not matter to them: see `q45_1_block_fast` for ±0).
#[inline(always)]
fn hmax(m: V4) -> f32 {
    let m = m.max_if_greater(m.swap_halves());
    m.max_if_greater(m.swap_pairs()).lane(0)
}

/// The smallest lane, as `hmax`.
#[inline(always)]
fn hmin(m: V4) -> f32 {
    let m = m.min_if_less(m.swap_halves());
    m.min_if_less(m.swap_pairs()).lane(0)
}

/// `MIN(hi, (int8_t)(v*id + off))` on 4 lanes, for lanes where `v*id + off` is in
/// `[0, 2^31)` (then truncation is the cvtt result and the int8 cast a no-op below 128),
/// or NaN: when max - min overflows, `id = 0` and `Inf * 0` gives NaN, which the saturating
/// conversion maps to 0 exactly as cvtt's `INT_MIN` becomes 0 through the int8 cast
/// (a cheaper float-bias conversion would not; the native tests cover this block).
#[inline(always)]
fn q_lanes(v: V4, id: V4, off: V4, hi: V4) -> V4 {
    v.mul(id).add(off).trunc_i().min_i(hi)
}

/// Q4_0 / Q5_0, one block, 4 lanes. The kept maximum is the first element of largest
/// magnitude (found by a scan once the magnitude is known). Blocks with NaN/Inf, or small
/// enough that `1/d` could overflow, take the reference.
#[inline(always)]
fn q45_0_block_fast<const Q5: bool>(x: &[f32], y: &mut [u8]) {
    let (v, finite, amax) = load_block(x);
    if !finite || (amax < 1e-30 && amax != 0.0) {
        return if Q5 { q5_0_block_ref(x, y) } else { q4_0_block_ref(x, y) };
    }
    let mut max = 0.0f32;
    if amax != 0.0 {
        for &e in &x[..QK] {
            if fabsf(e) == amax {
                max = e;
                break;
            }
        }
    }
    let d = max / if Q5 { -16.0 } else { -8.0 };
    let id = if d != 0.0 { 1.0 / d } else { 0.0 };
    put_u16(y, 0, fp32_to_fp16(d));
    let (idv, off, hi) = if Q5 {
        (V4::splat(id), V4::splat(16.5), V4::splat_i(31))
    } else {
        (V4::splat(id), V4::splat(8.5), V4::splat_i(15))
    };
    let mut q = [V4::splat_i(0); 8];
    for k in 0..8 {
        q[k] = q_lanes(v[k], idv, off, hi);
    }
    pack_nibbles::<Q5>(&q, y, if Q5 { 6 } else { 2 });
    if Q5 {
        put_qh(&q, y, 2);
    }
}

/// Q4_1 / Q5_1, one block, 4 lanes. Blocks whose minimum or maximum is a zero fall back
/// too: the reference keeps the first zero it meets and ±0 give different bytes.
#[inline(always)]
fn q45_1_block_fast<const Q5: bool>(x: &[f32], y: &mut [u8]) {
    let (v, finite, _) = load_block(x);
    let mut mn = v[0];
    let mut mx = v[0];
    for k in 1..8 {
        mn = mn.min_if_less(v[k]);
        mx = mx.max_if_greater(v[k]);
    }
    let (min, max) = (hmin(mn), hmax(mx));
    let range = max - min;
    if !finite || min == 0.0 || max == 0.0 || (range < 1e-30 && range != 0.0) {
        return if Q5 { q5_1_block_ref(x, y) } else { q4_1_block_ref(x, y) };
    }
    let d = range / if Q5 { 31.0 } else { 15.0 };
    let id = if d != 0.0 { 1.0 / d } else { 0.0 };
    put_u16(y, 0, fp32_to_fp16(d));
    put_u16(y, 2, fp32_to_fp16(min));
    let (idv, off, minv) = (V4::splat(id), V4::splat(0.5), V4::splat(min));
    let hi = V4::splat_i(if Q5 { 255 } else { 15 }); // Q5_1 has no clamp; values stay ≤ 31
    let mut q = [V4::splat_i(0); 8];
    for k in 0..8 {
        q[k] = q_lanes(v[k].sub(minv), idv, off, hi);
    }
    pack_nibbles::<Q5>(&q, y, if Q5 { 8 } else { 4 });
    if Q5 {
        put_qh(&q, y, 4);
    }
}

/// `qs[j] = (q[j] & 15) | (q[j + 16] & 15) << 4` for the 32 quants in `q` (4 per vector).
#[inline(always)]
fn pack_nibbles<const MASK: bool>(q: &[V4; 8], y: &mut [u8], at: usize) {
    let m = V4::splat_i(15);
    let lo = |k: usize| if MASK { q[k].and(m) } else { q[k] };
    let b = |k: usize| lo(k).or(lo(k + 4).shl::<4>());
    V4::store_u8(b(0), b(1), b(2), b(3), y, at);
}

/// `qh`: bit j = bit 4 of quant j.
#[inline(always)]
fn put_qh(q: &[V4; 8], y: &mut [u8], at: usize) {
    let mut qh = 0u32;
    for k in 0..8 {
        qh |= q[k].shl::<27>().bitmask() << (4 * k);
    }
    y[at..at + 4].copy_from_slice(&qh.to_le_bytes());
}

pub fn q4_0(x: &[f32], y: &mut [u8]) {
    blocks(x, y, Q4_0_BYTES, q45_0_block_fast::<false>)
}
pub fn q5_0(x: &[f32], y: &mut [u8]) {
    blocks(x, y, Q5_0_BYTES, q45_0_block_fast::<true>)
}
pub fn q4_1(x: &[f32], y: &mut [u8]) {
    blocks(x, y, Q4_1_BYTES, q45_1_block_fast::<false>)
}
pub fn q5_1(x: &[f32], y: &mut [u8]) {
    blocks(x, y, Q5_1_BYTES, q45_1_block_fast::<true>)
}

/// F16, 4 lanes: `fp32_to_fp16` on each lane (the same integer and float steps).
pub fn f16(x: &[f32], y: &mut [u8]) {
    check(y.len() == 2 * x.len());
    let n8 = x.len() & !7;
    let to_inf = V4::splat(f32::from_bits(0x7780_0000));
    let to_zero = V4::splat(f32::from_bits(0x0880_0000));
    let exp_top = V4::splat_i(0xff00_0000u32 as i32);
    let bias_min = V4::splat_i(0x7100_0000);
    let bias_add = V4::splat_i(0x0780_0000);
    let exp_mask = V4::splat_i(0x7c00);
    let mant_mask = V4::splat_i(0x0fff);
    let sign_mask = V4::splat_i(i32::MIN);
    let nan16 = V4::splat_i(0x7e00);
    let one = |f: V4| {
        let base = f.abs().mul(to_inf).mul(to_zero);
        let shl1 = f.add_i(f);
        let sign = f.and(sign_mask).shr_u::<16>();
        let bias = shl1.and(exp_top).max_u(bias_min);
        let base = bias.shr_u::<1>().add_i(bias_add).add(base);
        let nonsign = base.shr_u::<13>().and(exp_mask).add_i(base.and(mant_mask));
        sign.or(V4::select(shl1.gt_u(exp_top), nan16, nonsign))
    };
    let mut i = 0;
    while i < n8 {
        V4::store_u16(one(V4::load(x, i)), one(V4::load(x, i + 4)), y, 2 * i);
        i += 8;
    }
    f16_ref(&x[n8..], &mut y[2 * n8..]);
}

// ---------------------------------------------------------------------------
// Exports.
// ---------------------------------------------------------------------------

/// The f32 input and the output bytes of an export, after checking the contract.
///
/// # Safety
/// The caller guarantees the memory contract of the module docs.
#[inline(always)]
pub(crate) unsafe fn io<'a>(src: u32, dst: u32, nrows: u32, n_per_row: u32, block: usize, bytes: usize) -> (&'a [f32], &'a mut [u8]) {
    // n f32 must fit in a 4 GiB memory: n < 2^30 (also keeps n*4 from wrapping on wasm32)
    check(n_per_row as usize % block == 0 && src % 4 == 0 && (nrows as u64) * (n_per_row as u64) < 1 << 30);
    let n = nrows as usize * n_per_row as usize;
    let x = core::slice::from_raw_parts(src as usize as *const f32, n);
    let y = core::slice::from_raw_parts_mut(dst as usize as *mut u8, n / block * bytes);
    (x, y)
}

/// Q8_0 (34-byte blocks: f16 d, 32 × i8). Memory contract: module docs.
#[no_mangle]
pub unsafe extern "C" fn quantize_q8_0(src: u32, dst: u32, nrows: u32, n_per_row: u32) {
    let (x, y) = io(src, dst, nrows, n_per_row, QK, Q8_0_BYTES);
    q8_0(x, y)
}

/// Q4_0 (18-byte blocks: f16 d, 16 nibble pairs). Memory contract: module docs.
#[no_mangle]
pub unsafe extern "C" fn quantize_q4_0(src: u32, dst: u32, nrows: u32, n_per_row: u32) {
    let (x, y) = io(src, dst, nrows, n_per_row, QK, Q4_0_BYTES);
    q4_0(x, y)
}

/// Q4_1 (20-byte blocks: f16 d, f16 m, 16 nibble pairs). Memory contract: module docs.
#[no_mangle]
pub unsafe extern "C" fn quantize_q4_1(src: u32, dst: u32, nrows: u32, n_per_row: u32) {
    let (x, y) = io(src, dst, nrows, n_per_row, QK, Q4_1_BYTES);
    q4_1(x, y)
}

/// Q5_0 (22-byte blocks: f16 d, u32 high bits, 16 nibble pairs). Memory contract: module docs.
#[no_mangle]
pub unsafe extern "C" fn quantize_q5_0(src: u32, dst: u32, nrows: u32, n_per_row: u32) {
    let (x, y) = io(src, dst, nrows, n_per_row, QK, Q5_0_BYTES);
    q5_0(x, y)
}

/// Q5_1 (24-byte blocks: f16 d, f16 m, u32 high bits, 16 nibble pairs). Memory contract: module docs.
#[no_mangle]
pub unsafe extern "C" fn quantize_q5_1(src: u32, dst: u32, nrows: u32, n_per_row: u32) {
    let (x, y) = io(src, dst, nrows, n_per_row, QK, Q5_1_BYTES);
    q5_1(x, y)
}

/// F16 as ggml writes it (nearest even; any NaN → sign | 0x7e00). `dst` gets 2 bytes per
/// element. Memory contract: module docs (block size 1).
#[no_mangle]
pub unsafe extern "C" fn quantize_f16(src: u32, dst: u32, nrows: u32, n_per_row: u32) {
    let (x, y) = io(src, dst, nrows, n_per_row, 1, 2);
    f16(x, y)
}

/// BF16 as ggml writes it (`ggml_compute_fp32_to_bf16`: nearest even, NaN → quiet with
/// sign and top payload kept), which is exactly the `convert` kernel's F32 → BF16.
/// Memory contract: module docs (block size 1).
#[no_mangle]
pub unsafe extern "C" fn quantize_bf16(src: u32, dst: u32, nrows: u32, n_per_row: u32) {
    let (x, y) = io(src, dst, nrows, n_per_row, 1, 2);
    crate::convert::convert(crate::convert::F32, x.as_ptr() as *const u8, crate::convert::BF16, y.as_mut_ptr(), x.len())
}

/// Dequantizes Q8_0 (tests use it to check the layout): `y = d * q`.
pub fn q8_0_dequant(y: &[u8], out: &mut [f32]) {
    for (b, blk) in y.chunks(Q8_0_BYTES).enumerate() {
        let d = fp16_to_fp32(u16::from_le_bytes([blk[0], blk[1]]));
        for j in 0..QK {
            out[b * QK + j] = d * (blk[2 + j] as i8) as f32;
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::convert::tests::Rng;

    /// Test rows: normal-ish values, outliers, zeros, constants, huge, tiny, specials.
    pub fn test_data(seed: u64, n: usize) -> Vec<f32> {
        let mut rng = Rng(seed);
        let mut x = vec![0.0f32; n];
        let gauss = |rng: &mut Rng| {
            // sum of uniforms: good enough as "normal" weights
            let mut s = 0.0f32;
            for _ in 0..4 {
                s += (rng.next_u32() as f32 / 4294967296.0) - 0.5;
            }
            s
        };
        let mut i = 0;
        while i < n {
            let len = 32 * (1 + (rng.next_u32() as usize % 8)); // 32..256-element stretches
            let kind = rng.next_u32() % 12;
            let scale = match rng.next_u32() % 6 {
                0 => 1e-3f32,
                1 => 0.02,
                2 => 1.0,
                3 => 300.0,
                4 => 1e-20,
                _ => 0.05,
            };
            for j in i..(i + len).min(n) {
                x[j] = match kind {
                    0 => 0.0,
                    1 => 0.75 * scale,
                    2 => if rng.next_u32() % 50 == 0 { 40.0 * scale * gauss(&mut rng) } else { scale * gauss(&mut rng) },
                    3 => f32::from_bits(rng.f32_bits()), // specials, subnormals, NaN, Inf
                    4 => if rng.next_u32() % 3 == 0 { 0.0 } else { scale * gauss(&mut rng) },
                    5 => scale * gauss(&mut rng).abs(),
                    6 => -scale * gauss(&mut rng).abs(),
                    7 => 1e30 * gauss(&mut rng),
                    8 => f32::from_bits(rng.next_u32() & 0x807f_ffff), // subnormals
                    9 => ((rng.next_u32() % 9) as f32 - 4.0) * scale, // ties of all kinds
                    _ => scale * gauss(&mut rng),
                };
            }
            i += len;
        }
        x
    }

    #[test]
    fn roundf_i8_is_half_away_from_zero() {
        assert_eq!(roundf_i8(0.5), 1);
        assert_eq!(roundf_i8(-0.5) as i8, -1);
        assert_eq!(roundf_i8(1.5), 2);
        assert_eq!(roundf_i8(2.5), 3);
        assert_eq!(roundf_i8(-2.5) as i8, -3);
        assert_eq!(roundf_i8(0.49999997), 0);
        assert_eq!(roundf_i8(126.6), 127);
        assert_eq!(roundf_i8(f32::NAN), 0);
        assert_eq!(roundf_i8(f32::INFINITY), 0);
        assert_eq!(roundf_i8(300.0), 300i32 as i8 as u8);
    }

    #[test]
    fn q8_0_fast_equals_ref() {
        for seed in 1..40 {
            let x = test_data(seed, 32 * 512);
            let mut a = vec![0u8; 512 * Q8_0_BYTES];
            let mut b = vec![1u8; 512 * Q8_0_BYTES];
            q8_0_ref(&x, &mut a);
            q8_0(&x, &mut b);
            assert_eq!(a, b, "seed {}", seed);
        }
    }

    #[test]
    fn q4_q5_fast_equals_ref() {
        type Q = fn(&[f32], &mut [u8]);
        let cases: [(&str, usize, Q, Q); 4] = [
            ("Q4_0", Q4_0_BYTES, q4_0_ref, q4_0),
            ("Q4_1", Q4_1_BYTES, q4_1_ref, q4_1),
            ("Q5_0", Q5_0_BYTES, q5_0_ref, q5_0),
            ("Q5_1", Q5_1_BYTES, q5_1_ref, q5_1),
        ];
        for (name, bytes, r, f) in cases {
            for seed in 1..40 {
                let mut x = test_data(seed * 31, 32 * 512);
                if seed % 4 == 0 {
                    // signed zeros mixed with positives / negatives (min or max is a zero)
                    for (i, v) in x.iter_mut().enumerate() {
                        if i % 5 == 0 {
                            *v = if i % 3 == 0 { -0.0 } else { 0.0 };
                        } else if seed % 8 == 0 {
                            *v = fabsf(*v);
                        }
                    }
                }
                let mut a = vec![0u8; 512 * bytes];
                let mut b = vec![1u8; 512 * bytes];
                r(&x, &mut a);
                f(&x, &mut b);
                if a != b {
                    let at = a.iter().zip(&b).position(|(p, q)| p != q).unwrap();
                    panic!("{} seed {}: block {} byte {}: {:?}", name, seed, at / bytes, at % bytes, &x[at / bytes * 32..at / bytes * 32 + 32]);
                }
            }
        }
    }

    #[test]
    fn q8_0_roundtrip_is_close() {
        let x = test_data(7, 32 * 64).iter().map(|v| if v.is_finite() { v.clamp(-1e4, 1e4) } else { 0.0 }).collect::<Vec<_>>();
        let mut y = vec![0u8; 64 * Q8_0_BYTES];
        q8_0_ref(&x, &mut y);
        let mut back = vec![0f32; x.len()];
        q8_0_dequant(&y, &mut back);
        for b in 0..64 {
            let blk = &x[b * 32..b * 32 + 32];
            let amax = blk.iter().fold(0f32, |m, v| m.max(v.abs()));
            if amax < 1e-2 {
                continue; // d/127 would be an f16 subnormal or zero: coarse by design
            }
            for j in 0..32 {
                // half a step of d plus the f16 rounding of d
                assert!((back[b * 32 + j] - blk[j]).abs() <= amax / 127.0 * 0.51 + amax * 1e-3, "block {} elem {}", b, j);
            }
        }
    }

    #[test]
    fn legacy_refs_on_known_blocks() {
        // constant block 1.0: Q4_0 max=1, d=-1/8, x*id = -8 → 0.5 → 0
        let x = [1.0f32; 32];
        let mut y = [0u8; Q4_0_BYTES];
        q4_0_block_ref(&x, &mut y);
        assert_eq!(u16::from_le_bytes([y[0], y[1]]), 0xb000); // -0.125
        assert!(y[2..].iter().all(|&b| b == 0));
        // zero block: everything zero
        let z = [0.0f32; 32];
        for (f, bytes) in [
            (q4_0_block_ref as fn(&[f32], &mut [u8]), Q4_0_BYTES),
            (q4_1_block_ref, Q4_1_BYTES),
            (q5_0_block_ref, Q5_0_BYTES),
            (q5_1_block_ref, Q5_1_BYTES),
            (q8_0_block_ref, Q8_0_BYTES),
        ] {
            let mut y = vec![0xaau8; bytes];
            f(&z, &mut y);
            // Q4_0/Q5_0 with id = 0 write the offset code (8 or 16) in every slot
            let nz = y.iter().filter(|&&b| b != 0).count();
            assert!(nz == 0 || bytes == Q4_0_BYTES || bytes == Q5_0_BYTES, "bytes {}", bytes);
        }
        let mut y = [0u8; Q5_0_BYTES];
        q5_0_block_ref(&z, &mut y);
        assert_eq!(&y[2..6], &[0xff, 0xff, 0xff, 0xff]); // 16 → bit 4 set everywhere
        assert!(y[6..].iter().all(|&b| b == 0));
    }

    #[test]
    fn f16_fast_equals_ref() {
        let mut rng = Rng(77);
        for len in [0usize, 1, 7, 8, 9, 1000, 4099] {
            let x: Vec<f32> = (0..len).map(|_| f32::from_bits(rng.f32_bits())).collect();
            let mut a = vec![0u8; 2 * len];
            let mut b = vec![1u8; 2 * len];
            f16_ref(&x, &mut a);
            f16(&x, &mut b);
            assert_eq!(a, b, "len {}", len);
        }
    }
}
