//! Weighted combinations of tensors: `linear` and `task_arithmetic`.
//!
//! Both read their inputs from a table of 12-byte records `{ptr: u32, dtype: u32,
//! weight: f32}` (little endian) and compute in f32, one rounding per operation, no
//! fused multiply-add, in record order:
//!
//! - linear:          `acc = w0*x0; acc = acc + w1*x1; ...; out = acc / divisor`
//! - task_arithmetic: `m = w0*(x0-b); m = m + w1*(x1-b); ...; m = m / divisor;
//!                     m = m * lambda; out = b + m`
//!
//! then round once to the output dtype, NaN results written as the canonical NaN.
//!
//! The SIMD versions work in blocks of `BLOCK` elements with an f32 accumulator
//! block on the stack: one pass per input record (so the input's dtype is dispatched
//! once per block, not per element), the last record's pass fused with the division
//! and the output rounding. Division by a power of two is done as a multiplication by
//! its reciprocal, which is exact and gives the same bits.

use crate::convert::{at, Dt};
#[cfg(target_arch = "wasm32")]
use crate::convert::{eo, with_dt, Consts};
#[cfg(target_arch = "wasm32")]
use core::arch::wasm32::*;

/// One input record, decoded.
#[derive(Clone, Copy)]
pub struct Rec {
    pub ptr: *const u8,
    pub dtype: u32,
    pub weight: f32,
}

/// Reads record `i` of the table at `srcs` (linear memory based at `mem`).
#[inline(always)]
pub unsafe fn rec(mem: usize, srcs: u32, i: usize) -> Rec {
    let p = at(mem, srcs).add(12 * i);
    let w = |o: usize| u32::from_le(core::ptr::read_unaligned(p.add(o) as *const u32));
    Rec { ptr: at(mem, w(0)), dtype: w(4), weight: f32::from_bits(w(8)) }
}

// ---------------------------------------------------------------------------
// Scalar references.
// ---------------------------------------------------------------------------

#[inline(always)]
unsafe fn load_any(dtype: u32, p: *const u8, i: usize) -> f32 {
    crate::convert::with_dt!(dtype, T => T::load(p.add(i * T::SIZE)))
}

#[inline(always)]
unsafe fn store_any(dtype: u32, p: *mut u8, i: usize, v: f32) {
    crate::convert::with_dt!(dtype, T => T::store_canonical(p.add(i * T::SIZE), v))
}

/// Scalar reference of `linear` over elements `start..end`. `k >= 1`.
pub unsafe fn linear_ref_range(
    mem: usize,
    srcs: u32,
    k: usize,
    divisor: f32,
    out_dt: u32,
    dst: *mut u8,
    start: usize,
    end: usize,
) {
    let mut i = start;
    while i < end {
        let r0 = rec(mem, srcs, 0);
        let mut acc = r0.weight * load_any(r0.dtype, r0.ptr, i);
        let mut j = 1;
        while j < k {
            let r = rec(mem, srcs, j);
            acc = acc + r.weight * load_any(r.dtype, r.ptr, i);
            j += 1;
        }
        store_any(out_dt, dst, i, acc / divisor);
        i += 1;
    }
}

pub unsafe fn linear_ref(mem: usize, srcs: u32, k: usize, divisor: f32, out_dt: u32, dst: *mut u8, n: usize) {
    linear_ref_range(mem, srcs, k, divisor, out_dt, dst, 0, n)
}

/// Scalar reference of `task_arithmetic` over elements `start..end`. `k >= 1`
/// (`k == 0` is a plain conversion, handled by the caller).
#[allow(clippy::too_many_arguments)]
pub unsafe fn task_arithmetic_ref_range(
    mem: usize,
    base: *const u8,
    base_dt: u32,
    srcs: u32,
    k: usize,
    divisor: f32,
    lambda: f32,
    out_dt: u32,
    dst: *mut u8,
    start: usize,
    end: usize,
) {
    let mut i = start;
    while i < end {
        let b = load_any(base_dt, base, i);
        let r0 = rec(mem, srcs, 0);
        let mut m = r0.weight * (load_any(r0.dtype, r0.ptr, i) - b);
        let mut j = 1;
        while j < k {
            let r = rec(mem, srcs, j);
            m = m + r.weight * (load_any(r.dtype, r.ptr, i) - b);
            j += 1;
        }
        m = m / divisor;
        m = m * lambda;
        store_any(out_dt, dst, i, b + m);
        i += 1;
    }
}

#[allow(clippy::too_many_arguments)]
pub unsafe fn task_arithmetic_ref(
    mem: usize,
    base: *const u8,
    base_dt: u32,
    srcs: u32,
    k: usize,
    divisor: f32,
    lambda: f32,
    out_dt: u32,
    dst: *mut u8,
    n: usize,
) {
    if k == 0 {
        crate::convert::convert_ref(base_dt, base, out_dt, dst, n);
        return;
    }
    task_arithmetic_ref_range(mem, base, base_dt, srcs, k, divisor, lambda, out_dt, dst, 0, n)
}

/// `Some(1/d)` when `x / d == x * (1/d)` for every x: `d` is a normal power of two
/// (its reciprocal, possibly subnormal, is then exact, and both operations round the
/// same real number).
#[inline(always)]
pub fn exact_reciprocal(d: f32) -> Option<f32> {
    let b = d.to_bits();
    let e = (b >> 23) & 0xff;
    if b & 0x7f_ffff == 0 && e != 0 && e != 0xff {
        Some(1.0 / d)
    } else {
        None
    }
}

// ---------------------------------------------------------------------------
// SIMD (wasm32).
//
// Fast paths, one loop over the inputs with no intermediate block, 16 elements per
// iteration: `linear` with k = 1, or k = 2 inputs of one dtype; `task_arithmetic` with
// k = 1 or 2 and base and inputs of one dtype. Everything else takes the general
// blocked path. All paths compute exactly the same per-element formula.
// ---------------------------------------------------------------------------

/// How the divisor is applied. `One`: x / 1 == x, skipped. `Mul(r)`: a power of two,
/// applied as the exact reciprocal (same bits as dividing). `Div(d)`: divided.
#[derive(Clone, Copy)]
pub enum DivMode {
    One,
    Mul(f32),
    Div(f32),
}

pub fn div_mode(d: f32) -> DivMode {
    if d.to_bits() == 1.0f32.to_bits() {
        DivMode::One
    } else {
        match exact_reciprocal(d) {
            Some(r) => DivMode::Mul(r),
            None => DivMode::Div(d),
        }
    }
}

#[cfg(target_arch = "wasm32")]
const DM_ONE: u8 = 0;
#[cfg(target_arch = "wasm32")]
const DM_MUL: u8 = 1;
#[cfg(target_arch = "wasm32")]
const DM_DIV: u8 = 2;

/// Elements per call of a fast-path loop function (a multiple of 16). Loops live in
/// functions called once per block so the engine's tier-up, which takes effect between
/// calls, applies early even when one kernel call covers a whole tensor.
#[cfg(target_arch = "wasm32")]
const FAST_BLOCK: usize = 4096;
/// Elements per block of the general path (f32 blocks of 4 KiB on the stack).
#[cfg(target_arch = "wasm32")]
const BLOCK: usize = 1024;
#[cfg(target_arch = "wasm32")]
const BLOCK_V: usize = BLOCK / 4;

#[cfg(target_arch = "wasm32")]
#[inline(always)]
fn divide<const DM: u8>(a: v128, d: v128) -> v128 {
    match DM {
        DM_ONE => a,
        DM_MUL => f32x4_mul(a, d),
        _ => f32x4_div(a, d),
    }
}

/// Binds `$DM` (a const) and `$d` (the f32 to divide or multiply by) for a DivMode.
#[cfg(target_arch = "wasm32")]
macro_rules! with_dm {
    ($mode:expr, $DM:ident, $d:ident => $body:expr) => {
        match $mode {
            DivMode::One => {
                const $DM: u8 = DM_ONE;
                let $d = 1.0f32;
                $body
            }
            DivMode::Mul(r) => {
                const $DM: u8 = DM_MUL;
                let $d = r;
                $body
            }
            DivMode::Div(v) => {
                const $DM: u8 = DM_DIV;
                let $d = v;
                $body
            }
        }
    };
}

/// Runs `$call(offset_in_elements, len)` over `0..n` in pieces of at most `$block`.
#[cfg(target_arch = "wasm32")]
macro_rules! blocks {
    ($n:expr, $block:expr, |$i:ident, $len:ident| $body:expr) => {{
        let n = $n;
        let mut $i = 0usize;
        while $i < n {
            let $len = if n - $i < $block { n - $i } else { $block };
            $body;
            $i += $len;
        }
    }};
}

// ----- fast paths -----

#[cfg(target_arch = "wasm32")]
#[inline(never)]
unsafe fn lin1<I: Dt, O: Dt, const DM: u8>(x: *const u8, w: f32, d: f32, out: *mut u8, n16: usize) {
    let k = Consts::load();
    let eo = eo(&[I::SIZE, O::SIZE]);
    let (wv, dv) = (f32x4_splat(w), f32x4_splat(d));
    let (mut xp, mut op) = (x, out);
    let end = out.add(n16 * O::SIZE);
    while op < end {
        let mut u = 0;
        while u < 2 {
            let (a, b) = I::load8(xp, eo, &k);
            let pa = divide::<DM>(f32x4_mul(wv, a), dv);
            let pb = divide::<DM>(f32x4_mul(wv, b), dv);
            O::store8::<true>(op, pa, pb, eo, &k);
            xp = xp.add(8 * I::SIZE);
            op = op.add(8 * O::SIZE);
            u += 1;
        }
    }
}

#[cfg(target_arch = "wasm32")]
#[inline(never)]
#[allow(clippy::too_many_arguments)]
unsafe fn lin2<I: Dt, O: Dt, const DM: u8>(
    x0: *const u8,
    w0: f32,
    x1: *const u8,
    w1: f32,
    d: f32,
    out: *mut u8,
    n16: usize,
) {
    let k = Consts::load();
    let eo = eo(&[I::SIZE, O::SIZE]);
    let (w0v, w1v, dv) = (f32x4_splat(w0), f32x4_splat(w1), f32x4_splat(d));
    let (mut x0p, mut x1p, mut op) = (x0, x1, out);
    let end = out.add(n16 * O::SIZE);
    while op < end {
        let mut u = 0;
        while u < 2 {
            let (a0, b0) = I::load8(x0p, eo, &k);
            let (a1, b1) = I::load8(x1p, eo, &k);
            let pa = f32x4_add(f32x4_mul(w0v, a0), f32x4_mul(w1v, a1));
            let pb = f32x4_add(f32x4_mul(w0v, b0), f32x4_mul(w1v, b1));
            O::store8::<true>(op, divide::<DM>(pa, dv), divide::<DM>(pb, dv), eo, &k);
            x0p = x0p.add(8 * I::SIZE);
            x1p = x1p.add(8 * I::SIZE);
            op = op.add(8 * O::SIZE);
            u += 1;
        }
    }
}

#[cfg(target_arch = "wasm32")]
#[inline(never)]
#[allow(clippy::too_many_arguments)]
unsafe fn ta1<I: Dt, O: Dt, const DM: u8>(
    base: *const u8,
    x: *const u8,
    w: f32,
    d: f32,
    lambda: f32,
    out: *mut u8,
    n16: usize,
) {
    let k = Consts::load();
    let eo = eo(&[I::SIZE, O::SIZE]);
    let (wv, dv, lv) = (f32x4_splat(w), f32x4_splat(d), f32x4_splat(lambda));
    let (mut bp, mut xp, mut op) = (base, x, out);
    let end = out.add(n16 * O::SIZE);
    while op < end {
        let mut u = 0;
        while u < 2 {
            let (ba, bb) = I::load8(bp, eo, &k);
            let (a, b) = I::load8(xp, eo, &k);
            let ma = f32x4_mul(divide::<DM>(f32x4_mul(wv, f32x4_sub(a, ba)), dv), lv);
            let mb = f32x4_mul(divide::<DM>(f32x4_mul(wv, f32x4_sub(b, bb)), dv), lv);
            O::store8::<true>(op, f32x4_add(ba, ma), f32x4_add(bb, mb), eo, &k);
            bp = bp.add(8 * I::SIZE);
            xp = xp.add(8 * I::SIZE);
            op = op.add(8 * O::SIZE);
            u += 1;
        }
    }
}

#[cfg(target_arch = "wasm32")]
#[inline(never)]
#[allow(clippy::too_many_arguments)]
unsafe fn ta2<I: Dt, O: Dt, const DM: u8>(
    base: *const u8,
    x0: *const u8,
    w0: f32,
    x1: *const u8,
    w1: f32,
    d: f32,
    lambda: f32,
    out: *mut u8,
    n16: usize,
) {
    let k = Consts::load();
    let eo = eo(&[I::SIZE, O::SIZE]);
    let (w0v, w1v, dv, lv) = (f32x4_splat(w0), f32x4_splat(w1), f32x4_splat(d), f32x4_splat(lambda));
    let (mut bp, mut x0p, mut x1p, mut op) = (base, x0, x1, out);
    let end = out.add(n16 * O::SIZE);
    while op < end {
        let mut u = 0;
        while u < 2 {
            let (ba, bb) = I::load8(bp, eo, &k);
            let (a0, b0) = I::load8(x0p, eo, &k);
            let (a1, b1) = I::load8(x1p, eo, &k);
            let ma = f32x4_add(f32x4_mul(w0v, f32x4_sub(a0, ba)), f32x4_mul(w1v, f32x4_sub(a1, ba)));
            let mb = f32x4_add(f32x4_mul(w0v, f32x4_sub(b0, bb)), f32x4_mul(w1v, f32x4_sub(b1, bb)));
            let ma = f32x4_mul(divide::<DM>(ma, dv), lv);
            let mb = f32x4_mul(divide::<DM>(mb, dv), lv);
            O::store8::<true>(op, f32x4_add(ba, ma), f32x4_add(bb, mb), eo, &k);
            bp = bp.add(8 * I::SIZE);
            x0p = x0p.add(8 * I::SIZE);
            x1p = x1p.add(8 * I::SIZE);
            op = op.add(8 * O::SIZE);
            u += 1;
        }
    }
}

// ----- general blocked path -----

/// `acc = w * x` (or `acc = acc + w * x` with `ADD`) over `n16` elements.
#[cfg(target_arch = "wasm32")]
#[inline(never)]
unsafe fn lin_pass<I: Dt, const ADD: bool>(x: *const u8, w: f32, acc: *mut v128, n16: usize) {
    let k = Consts::load();
    let eo = false;
    let wv = f32x4_splat(w);
    let mut xp = x;
    let mut ap = acc;
    let end = acc.add(n16 / 4);
    while ap < end {
        let (a, b) = I::load8(xp, eo, &k);
        let (mut pa, mut pb) = (f32x4_mul(wv, a), f32x4_mul(wv, b));
        if ADD {
            pa = f32x4_add(*ap, pa);
            pb = f32x4_add(*ap.add(1), pb);
        }
        *ap = pa;
        *ap.add(1) = pb;
        xp = xp.add(8 * I::SIZE);
        ap = ap.add(2);
    }
}

/// Last record of `linear` (k >= 2): `out = round((acc + w * x) / d)`.
#[cfg(target_arch = "wasm32")]
#[inline(never)]
unsafe fn lin_last<I: Dt, O: Dt, const DM: u8>(x: *const u8, w: f32, acc: *const v128, d: f32, out: *mut u8, n16: usize) {
    let k = Consts::load();
    let eo = false;
    let (wv, dv) = (f32x4_splat(w), f32x4_splat(d));
    let mut xp = x;
    let mut ap = acc;
    let mut op = out;
    let end = out.add(n16 * O::SIZE);
    while op < end {
        let (a, b) = I::load8(xp, eo, &k);
        let pa = f32x4_add(*ap, f32x4_mul(wv, a));
        let pb = f32x4_add(*ap.add(1), f32x4_mul(wv, b));
        O::store8::<true>(op, divide::<DM>(pa, dv), divide::<DM>(pb, dv), eo, &k);
        xp = xp.add(8 * I::SIZE);
        ap = ap.add(2);
        op = op.add(8 * O::SIZE);
    }
}

/// Widens `n16` elements of the base into the f32 block `bb`.
#[cfg(target_arch = "wasm32")]
#[inline(never)]
unsafe fn load_block<B: Dt>(x: *const u8, bb: *mut v128, n16: usize) {
    let k = Consts::load();
    let eo = false;
    let mut xp = x;
    let mut bp = bb;
    let end = bb.add(n16 / 4);
    while bp < end {
        let (a, b) = B::load8(xp, eo, &k);
        *bp = a;
        *bp.add(1) = b;
        xp = xp.add(8 * B::SIZE);
        bp = bp.add(2);
    }
}

/// `m = w * (x - b)` (or `m = m + w * (x - b)` with `ADD`).
#[cfg(target_arch = "wasm32")]
#[inline(never)]
unsafe fn ta_pass<I: Dt, const ADD: bool>(x: *const u8, w: f32, bb: *const v128, acc: *mut v128, n16: usize) {
    let k = Consts::load();
    let eo = false;
    let wv = f32x4_splat(w);
    let mut xp = x;
    let mut bp = bb;
    let mut ap = acc;
    let end = acc.add(n16 / 4);
    while ap < end {
        let (a, b) = I::load8(xp, eo, &k);
        let mut pa = f32x4_mul(wv, f32x4_sub(a, *bp));
        let mut pb = f32x4_mul(wv, f32x4_sub(b, *bp.add(1)));
        if ADD {
            pa = f32x4_add(*ap, pa);
            pb = f32x4_add(*ap.add(1), pb);
        }
        *ap = pa;
        *ap.add(1) = pb;
        xp = xp.add(8 * I::SIZE);
        bp = bp.add(2);
        ap = ap.add(2);
    }
}

/// Last record of `task_arithmetic`: `out = round(b + ((m +) w * (x - b)) / d * lambda)`.
/// `MUL` false means divide by `d`; true means multiply by `d` (a reciprocal, or 1).
#[cfg(target_arch = "wasm32")]
#[inline(never)]
#[allow(clippy::too_many_arguments)]
unsafe fn ta_last<I: Dt, O: Dt, const ADD: bool, const MUL: bool>(
    x: *const u8,
    w: f32,
    bb: *const v128,
    acc: *const v128,
    d: f32,
    lambda: f32,
    out: *mut u8,
    n16: usize,
) {
    let k = Consts::load();
    let eo = false;
    let (wv, dv, lv) = (f32x4_splat(w), f32x4_splat(d), f32x4_splat(lambda));
    let mut xp = x;
    let mut bp = bb;
    let mut ap = acc;
    let mut op = out;
    let end = out.add(n16 * O::SIZE);
    while op < end {
        let (a, b) = I::load8(xp, eo, &k);
        let (ba, bb2) = (*bp, *bp.add(1));
        let mut pa = f32x4_mul(wv, f32x4_sub(a, ba));
        let mut pb = f32x4_mul(wv, f32x4_sub(b, bb2));
        if ADD {
            pa = f32x4_add(*ap, pa);
            pb = f32x4_add(*ap.add(1), pb);
        }
        let (ma, mb) = if MUL {
            (f32x4_mul(f32x4_mul(pa, dv), lv), f32x4_mul(f32x4_mul(pb, dv), lv))
        } else {
            (f32x4_mul(f32x4_div(pa, dv), lv), f32x4_mul(f32x4_div(pb, dv), lv))
        };
        O::store8::<true>(op, f32x4_add(ba, ma), f32x4_add(bb2, mb), eo, &k);
        xp = xp.add(8 * I::SIZE);
        bp = bp.add(2);
        ap = ap.add(2);
        op = op.add(8 * O::SIZE);
    }
}

#[cfg(target_arch = "wasm32")]
#[inline(always)]
unsafe fn elem(p: *const u8, dtype: u32, i: usize) -> *const u8 {
    p.add(i * crate::convert::dtype_size(dtype))
}

/// SIMD `linear` (scalar tail). `k >= 1`. See `lib.rs` for the memory contract.
#[cfg(target_arch = "wasm32")]
pub unsafe fn linear(mem: usize, srcs: u32, k: usize, divisor: f32, out_dt: u32, dst: *mut u8, n: usize) {
    let n16 = n & !15;
    let dm = div_mode(divisor);
    let r0 = rec(mem, srcs, 0);
    let o = |i: usize| dst.add(i * crate::convert::dtype_size(out_dt));
    if k == 1 {
        with_dt!(r0.dtype, I => with_dt!(out_dt, O => with_dm!(dm, DM, d => blocks!(n16, FAST_BLOCK, |i, len| {
            lin1::<I, O, DM>(elem(r0.ptr, r0.dtype, i), r0.weight, d, o(i), len)
        }))));
    } else if k == 2 && rec(mem, srcs, 1).dtype == r0.dtype {
        let r1 = rec(mem, srcs, 1);
        with_dt!(r0.dtype, I => with_dt!(out_dt, O => with_dm!(dm, DM, d => blocks!(n16, FAST_BLOCK, |i, len| {
            lin2::<I, O, DM>(elem(r0.ptr, r0.dtype, i), r0.weight, elem(r1.ptr, r1.dtype, i), r1.weight, d, o(i), len)
        }))));
    } else {
        let mut acc = [f32x4_splat(0.0); BLOCK_V];
        let accp = acc.as_mut_ptr();
        blocks!(n16, BLOCK, |i, len| {
            let mut j = 0;
            while j + 1 < k {
                let r = rec(mem, srcs, j);
                let x = elem(r.ptr, r.dtype, i);
                with_dt!(r.dtype, I => if j == 0 {
                    lin_pass::<I, false>(x, r.weight, accp, len)
                } else {
                    lin_pass::<I, true>(x, r.weight, accp, len)
                });
                j += 1;
            }
            let r = rec(mem, srcs, k - 1);
            with_dt!(r.dtype, I => with_dt!(out_dt, O => with_dm!(dm, DM, d => {
                lin_last::<I, O, DM>(elem(r.ptr, r.dtype, i), r.weight, accp, d, o(i), len)
            })))
        });
    }
    linear_ref_range(mem, srcs, k, divisor, out_dt, dst, n16, n);
}

#[cfg(not(target_arch = "wasm32"))]
pub unsafe fn linear(mem: usize, srcs: u32, k: usize, divisor: f32, out_dt: u32, dst: *mut u8, n: usize) {
    linear_ref(mem, srcs, k, divisor, out_dt, dst, n)
}

/// SIMD `task_arithmetic` (scalar tail). `k == 0` is a conversion of the base.
#[cfg(target_arch = "wasm32")]
#[allow(clippy::too_many_arguments)]
pub unsafe fn task_arithmetic(
    mem: usize,
    base: *const u8,
    base_dt: u32,
    srcs: u32,
    k: usize,
    divisor: f32,
    lambda: f32,
    out_dt: u32,
    dst: *mut u8,
    n: usize,
) {
    if k == 0 {
        crate::convert::convert(base_dt, base, out_dt, dst, n);
        return;
    }
    let n16 = n & !15;
    let dm = div_mode(divisor);
    let o = |i: usize| dst.add(i * crate::convert::dtype_size(out_dt));
    let b = |i: usize| elem(base, base_dt, i);
    let r0 = rec(mem, srcs, 0);
    if k == 1 && r0.dtype == base_dt {
        with_dt!(base_dt, I => with_dt!(out_dt, O => with_dm!(dm, DM, d => blocks!(n16, FAST_BLOCK, |i, len| {
            ta1::<I, O, DM>(b(i), elem(r0.ptr, r0.dtype, i), r0.weight, d, lambda, o(i), len)
        }))));
    } else if k == 2 && r0.dtype == base_dt && rec(mem, srcs, 1).dtype == base_dt {
        let r1 = rec(mem, srcs, 1);
        with_dt!(base_dt, I => with_dt!(out_dt, O => with_dm!(dm, DM, d => blocks!(n16, FAST_BLOCK, |i, len| {
            ta2::<I, O, DM>(b(i), elem(r0.ptr, r0.dtype, i), r0.weight, elem(r1.ptr, r1.dtype, i), r1.weight, d, lambda, o(i), len)
        }))));
    } else {
        let mut acc = [f32x4_splat(0.0); BLOCK_V];
        let mut bblk = [f32x4_splat(0.0); BLOCK_V];
        let accp = acc.as_mut_ptr();
        let bbp = bblk.as_mut_ptr();
        let (mul, dq) = match dm {
            DivMode::One => (true, 1.0f32),
            DivMode::Mul(r) => (true, r),
            DivMode::Div(v) => (false, v),
        };
        blocks!(n16, BLOCK, |i, len| {
            with_dt!(base_dt, B => load_block::<B>(b(i), bbp, len));
            let mut j = 0;
            while j + 1 < k {
                let r = rec(mem, srcs, j);
                let x = elem(r.ptr, r.dtype, i);
                with_dt!(r.dtype, I => if j == 0 {
                    ta_pass::<I, false>(x, r.weight, bbp, accp, len)
                } else {
                    ta_pass::<I, true>(x, r.weight, bbp, accp, len)
                });
                j += 1;
            }
            let r = rec(mem, srcs, k - 1);
            let x = elem(r.ptr, r.dtype, i);
            with_dt!(r.dtype, I => with_dt!(out_dt, O => match (k > 1, mul) {
                (false, false) => ta_last::<I, O, false, false>(x, r.weight, bbp, accp, dq, lambda, o(i), len),
                (false, true) => ta_last::<I, O, false, true>(x, r.weight, bbp, accp, dq, lambda, o(i), len),
                (true, false) => ta_last::<I, O, true, false>(x, r.weight, bbp, accp, dq, lambda, o(i), len),
                (true, true) => ta_last::<I, O, true, true>(x, r.weight, bbp, accp, dq, lambda, o(i), len),
            }))
        });
    }
    task_arithmetic_ref_range(mem, base, base_dt, srcs, k, divisor, lambda, out_dt, dst, n16, n);
}

#[cfg(not(target_arch = "wasm32"))]
#[allow(clippy::too_many_arguments)]
pub unsafe fn task_arithmetic(
    mem: usize,
    base: *const u8,
    base_dt: u32,
    srcs: u32,
    k: usize,
    divisor: f32,
    lambda: f32,
    out_dt: u32,
    dst: *mut u8,
    n: usize,
) {
    task_arithmetic_ref(mem, base, base_dt, srcs, k, divisor, lambda, out_dt, dst, n)
}

// ---------------------------------------------------------------------------
// Native tests: references against a straightforward f64 / bit-level computation.
// ---------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use crate::convert::tests::Rng;
    use crate::convert::{bf16_to_f32_bits, f16_to_f32_bits, BF16, F16, F32};

    /// A fake linear memory: 4-byte aligned, offsets are u32 like on wasm32.
    struct Mem {
        buf: Vec<u32>,
        top: u32,
    }
    impl Mem {
        fn new(bytes: usize) -> Mem {
            Mem { buf: vec![0; bytes / 4], top: 16 }
        }
        fn base(&mut self) -> usize {
            self.buf.as_mut_ptr() as usize
        }
        fn alloc(&mut self, bytes: usize) -> u32 {
            let off = self.top;
            self.top = (self.top + bytes as u32 + 15) & !15;
            assert!(self.top as usize <= self.buf.len() * 4);
            off
        }
        fn bytes(&mut self) -> &mut [u8] {
            let len = self.buf.len() * 4;
            unsafe { core::slice::from_raw_parts_mut(self.buf.as_mut_ptr() as *mut u8, len) }
        }
        fn put_u32(&mut self, off: u32, v: u32) {
            self.bytes()[off as usize..off as usize + 4].copy_from_slice(&v.to_le_bytes());
        }
        fn put_u16(&mut self, off: u32, v: u16) {
            self.bytes()[off as usize..off as usize + 2].copy_from_slice(&v.to_le_bytes());
        }
        fn get(&mut self, dt: u32, off: u32, i: usize) -> u32 {
            let b = self.bytes();
            if dt == F32 {
                let o = off as usize + 4 * i;
                u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]])
            } else {
                let o = off as usize + 2 * i;
                u16::from_le_bytes([b[o], b[o + 1]]) as u32
            }
        }
        /// Writes random elements; returns their exact f32 values.
        fn fill(&mut self, rng: &mut Rng, dt: u32, n: usize) -> (u32, Vec<f32>) {
            let off = self.alloc(n * crate::convert::dtype_size(dt));
            let mut vals = Vec::with_capacity(n);
            for i in 0..n {
                let bits = rng.f32_bits();
                let v = match dt {
                    F32 => {
                        self.put_u32(off + 4 * i as u32, bits);
                        bits
                    }
                    F16 => {
                        let h = crate::convert::f32_bits_to_f16(bits);
                        self.put_u16(off + 2 * i as u32, h);
                        f16_to_f32_bits(h)
                    }
                    _ => {
                        let h = (bits >> 16) as u16;
                        self.put_u16(off + 2 * i as u32, h);
                        bf16_to_f32_bits(h)
                    }
                };
                vals.push(f32::from_bits(v));
            }
            (off, vals)
        }
        fn records(&mut self, recs: &[(u32, u32, f32)]) -> u32 {
            let off = self.alloc(12 * recs.len());
            for (i, r) in recs.iter().enumerate() {
                let o = off + 12 * i as u32;
                self.put_u32(o, r.0);
                self.put_u32(o + 4, r.1);
                self.put_u32(o + 8, r.2.to_bits());
            }
            off
        }
    }

    /// f32 operations spelled out in f64 with one rounding each: exact for +, -, *, /
    /// of f32 operands (double rounding through f64 is innocuous for these).
    fn r(x: f64) -> f64 {
        x as f32 as f64
    }

    /// Output rounding, from the f64 value, independently of the codecs under test.
    fn expect_out(dt: u32, v: f64) -> u32 {
        if v.is_nan() {
            return match dt {
                F32 => 0x7fc0_0000,
                F16 => 0x7e00,
                _ => 0x7fc0,
            };
        }
        let b = (v as f32).to_bits();
        match dt {
            F32 => b,
            // nearest-even by exhaustive neighbour comparison in f64
            F16 => nearest(v, |h| f16_to_f32_bits(h) as u64, 0x7c00) as u32,
            _ => nearest(v, |h| bf16_to_f32_bits(h) as u64, 0x7f80) as u32,
        }
    }

    /// Nearest 16-bit encoding of `v` (finite or infinite) with ties to even mantissa;
    /// `inf` is the encoding of +Inf; overflow uses the next power of two as boundary.
    fn nearest(v: f64, to_bits: impl Fn(u16) -> u64, inf: u16) -> u16 {
        let sign: u16 = if v.is_sign_negative() { 0x8000 } else { 0 };
        let a = v.abs();
        let val = |h: u16| -> f64 {
            if h == inf {
                // the value where rounding would reach 2^(emax+1)
                let top = f32::from_bits(to_bits(inf - 1) as u32) as f64;
                let ulp = top - f32::from_bits(to_bits(inf - 2) as u32) as f64;
                top + ulp
            } else {
                f32::from_bits(to_bits(h) as u32) as f64
            }
        };
        // the largest finite encoding has an odd mantissa, so the tie goes to Inf
        if a.is_infinite() || a >= (val(inf - 1) + val(inf)) / 2.0 {
            return sign | inf;
        }
        let (mut lo, mut hi) = (0u16, inf);
        while hi - lo > 1 {
            let mid = (lo + hi) / 2;
            if val(mid) <= a {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        let (dl, dh) = (a - val(lo), val(hi) - a);
        let pick = if dl < dh {
            lo
        } else if dh < dl {
            hi
        } else if lo & 1 == 0 {
            lo
        } else {
            hi
        };
        sign | pick
    }

    #[test]
    fn nearest_helper_sanity() {
        assert_eq!(expect_out(F16, 65519.0), 0x7bff);
        assert_eq!(expect_out(F16, 65520.0), 0x7c00);
        assert_eq!(expect_out(F16, -1.0), 0xbc00);
        assert_eq!(expect_out(F16, 2f64.powi(-25)), 0); // tie to even (zero)
        assert_eq!(expect_out(F16, 3.0 * 2f64.powi(-25)), 2);
        assert_eq!(expect_out(BF16, 1.0 + 2f64.powi(-8)), 0x3f80);
        assert_eq!(expect_out(BF16, 1.0 + 3.0 * 2f64.powi(-8)), 0x3f82);
        assert_eq!(expect_out(BF16, f32::MAX as f64), 0x7f80);
    }

    #[test]
    fn linear_ref_matches_f64() {
        let mut rng = Rng(0xfeed);
        let n = 3001;
        for &k in &[1usize, 2, 3, 5] {
            for out_dt in [F32, F16, BF16] {
                for &divisor in &[1.0f32, 3.0, 0.25, -7.5, 0.0] {
                    let mut mem = Mem::new(1 << 20);
                    let mut inputs = Vec::new();
                    let mut recs = Vec::new();
                    for j in 0..k {
                        let dt = [BF16, F16, F32][(j + out_dt as usize) % 3];
                        let (off, vals) = mem.fill(&mut rng, dt, n);
                        let w = [0.5f32, -1.25, 3.0, 1.0e-3, 0.3][j];
                        recs.push((off, dt, w));
                        inputs.push(vals);
                    }
                    let srcs = mem.records(&recs);
                    let dst = mem.alloc(4 * n);
                    let base = mem.base();
                    unsafe { linear_ref(base, srcs, k, divisor, out_dt, at(base, dst), n) };
                    for i in 0..n {
                        let mut acc = r(recs[0].2 as f64 * inputs[0][i] as f64);
                        for j in 1..k {
                            acc = r(acc + r(recs[j].2 as f64 * inputs[j][i] as f64));
                        }
                        let v = r(acc / divisor as f64);
                        assert_eq!(mem.get(out_dt, dst, i), expect_out(out_dt, v), "k={} out={} d={} i={}", k, out_dt, divisor, i);
                    }
                }
            }
        }
    }

    #[test]
    fn task_arithmetic_ref_matches_f64() {
        let mut rng = Rng(0xbeef);
        let n = 2003;
        for &k in &[0usize, 1, 2, 4] {
            for out_dt in [F32, F16, BF16] {
                for base_dt in [F32, F16, BF16] {
                    let mut mem = Mem::new(1 << 20);
                    let (boff, bvals) = mem.fill(&mut rng, base_dt, n);
                    let mut inputs = Vec::new();
                    let mut recs = Vec::new();
                    for j in 0..k {
                        let dt = [BF16, F32, F16][(j + base_dt as usize) % 3];
                        let (off, vals) = mem.fill(&mut rng, dt, n);
                        recs.push((off, dt, [1.0f32, 0.7, -0.4, 2.5][j]));
                        inputs.push(vals);
                    }
                    let srcs = mem.records(&recs);
                    let dst = mem.alloc(4 * n);
                    let (divisor, lambda) = (1.7f32, 0.9f32);
                    let base = mem.base();
                    unsafe {
                        task_arithmetic_ref(base, at(base, boff), base_dt, srcs, k, divisor, lambda, out_dt, at(base, dst), n)
                    };
                    for i in 0..n {
                        let b = bvals[i] as f64;
                        let want = if k == 0 {
                            // a plain conversion (NaN sign kept)
                            let bits = bvals[i].to_bits();
                            if out_dt == base_dt {
                                mem.get(base_dt, boff, i)
                            } else {
                                match out_dt {
                                    F32 => bits,
                                    F16 => crate::convert::f32_bits_to_f16(bits) as u32,
                                    _ => crate::convert::f32_bits_to_bf16(bits) as u32,
                                }
                            }
                        } else {
                            let mut m = r(recs[0].2 as f64 * r(inputs[0][i] as f64 - b));
                            for j in 1..k {
                                m = r(m + r(recs[j].2 as f64 * r(inputs[j][i] as f64 - b)));
                            }
                            m = r(m / divisor as f64);
                            m = r(m * lambda as f64);
                            expect_out(out_dt, r(b + m))
                        };
                        assert_eq!(mem.get(out_dt, dst, i), want, "k={} base={} out={} i={}", k, base_dt, out_dt, i);
                    }
                }
            }
        }
    }

    #[test]
    fn exact_reciprocal_only_for_powers_of_two() {
        assert_eq!(exact_reciprocal(1.0), Some(1.0));
        assert_eq!(exact_reciprocal(-0.25), Some(-4.0));
        assert_eq!(exact_reciprocal(2f32.powi(127)), Some(2f32.powi(-127)));
        assert_eq!(exact_reciprocal(3.0), None);
        assert_eq!(exact_reciprocal(0.0), None);
        assert_eq!(exact_reciprocal(f32::INFINITY), None);
        assert_eq!(exact_reciprocal(f32::from_bits(1)), None);
        // and the claim itself, on random values including subnormal results
        let mut rng = Rng(99);
        for e in -126..=127 {
            let d = 2f32.powi(e);
            let rcp = exact_reciprocal(d).unwrap();
            for _ in 0..2000 {
                let x = f32::from_bits(rng.f32_bits());
                let (a, b) = (x / d, x * rcp);
                assert!(a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()), "x={:e} d={:e}", x, d);
            }
        }
    }
}
