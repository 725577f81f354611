//! Tensor health: the sums behind an output tensor's L2 norm and its cosine to each input
//! (`Σo²`, `Σxⱼ²`, `Σo·xⱼ`), and counts of NaN and infinite elements.
//!
//! The sums are one SIMD pass over the output and the inputs of a chunk, run by the worker
//! right after the merge kernel wrote the output, over the bytes already in kernel memory
//! (no second read of any file). It goes piece by piece (`PIECE` elements): the output
//! piece is widened to f32 once (with its Σo²) into a block on the stack, then each input
//! piece is streamed against it.
//!
//! (Running the sums interleaved with the merge kernels, a piece of each in turn while the
//! piece is in the L1/L2 cache, was measured slower than two streaming passes on this
//! machine's EPYC: 4.5–9 ms against 4.5 ms for linear of 3 × 4 Mi bf16 elements.)
//!
//! Precision: every product of two f32 values is formed in f32 (exact when both are
//! 16-bit values widened, as stored bf16/f16 tensors are: their significands have at most
//! 11 bits), summed in f32 over `PARTIAL` products per lane, and those partial sums are
//! accumulated in f64. A partial of `PARTIAL` terms has a relative error of at most
//! `(PARTIAL-1)·2⁻²⁴ ≈ 9·10⁻⁷` of the sum of the terms' magnitudes (a bound on the
//! difference to an exact, float64 computation; rounding errors of different partials
//! have random signs, so the total is usually far closer). Products beyond f32's range
//! (`|x| > 1.8·10¹⁹`) make a sum infinite although the elements are finite: the caller
//! then recomputes the piece with `sums_exact` (f64 products, scalar).
//!
//! Non-finite elements make the sums NaN or infinite; `count_nonfinite` then counts them
//! (a rare path, scalar).

use crate::combine::rec;
use crate::convert::{dtype_size, with_dt, Dt};
#[cfg(target_arch = "wasm32")]
use crate::convert::Consts;
#[cfg(target_arch = "wasm32")]
use core::arch::wasm32::*;

/// f64 words of a sums record for `k` inputs: `[Σo², Σx₀², Σo·x₀, Σx₁², Σo·x₁, ...]`.
pub const fn words(k: usize) -> usize {
    1 + 2 * k
}

/// Elements per piece: the output piece, widened to f32, stays in the L1 cache while the
/// inputs stream past it.
pub const PIECE: usize = 2048;

/// Products summed in f32 per lane before the partial sum goes to the f64 accumulator.
pub const PARTIAL: usize = 16;

/// An array in linear memory: `n` elements of `dtype` at `ptr`.
#[derive(Clone, Copy)]
pub struct Arr {
    pub ptr: *const u8,
    pub dtype: u32,
}

#[inline(always)]
unsafe fn load_any(dtype: u32, p: *const u8, i: usize) -> f32 {
    with_dt!(dtype, T => T::load(p.add(i * T::SIZE)))
}

/// Scalar, exact-product version of the sums over elements `start..end`: each product
/// in f64 (exact for f32 operands), summed in f64 in index order, added to `stats`.
/// `input(j)` gives input `j` of `k`.
pub unsafe fn sums_exact(out: Arr, k: usize, input: impl Fn(usize) -> Arr, start: usize, end: usize, stats: &mut [f64]) {
    let mut i = start;
    while i < end {
        let o = load_any(out.dtype, out.ptr, i) as f64;
        stats[0] += o * o;
        let mut j = 0;
        while j < k {
            let x = input(j);
            let x = load_any(x.dtype, x.ptr, i) as f64;
            stats[1 + 2 * j] += x * x;
            stats[2 + 2 * j] += o * x;
            j += 1;
        }
        i += 1;
    }
}

/// Adds the NaN and ±Inf counts of `n` elements of `a` to `counts[0]` and `counts[1]`.
pub unsafe fn count_nonfinite(a: Arr, n: usize, counts: &mut [f64]) {
    let (mut nan, mut inf) = (0u64, 0u64);
    let mut i = 0;
    while i < n {
        let v = load_any(a.dtype, a.ptr, i);
        nan += v.is_nan() as u64;
        inf += v.is_infinite() as u64;
        i += 1;
    }
    counts[0] += nan as f64;
    counts[1] += inf as f64;
}

// ---------------------------------------------------------------------------
// SIMD (wasm32).
// ---------------------------------------------------------------------------

/// Products per f32 lane per flush: 4 iterations of 16 elements, each lane of the four
/// accumulators (two per 8 elements) taking one product per iteration, summed at the flush.
#[cfg(target_arch = "wasm32")]
const FLUSH_ITERS: usize = PARTIAL / 4;

/// The f32 lanes of `v` summed pairwise into f64 lanes: `[v0 + v2, v1 + v3]`, each exact
/// in f64 before its one rounding.
#[cfg(target_arch = "wasm32")]
#[inline(always)]
fn widen_sum(v: v128) -> v128 {
    f64x2_add(f64x2_promote_low_f32x4(v), f64x2_promote_low_f32x4(i64x2_shuffle::<1, 1>(v, v)))
}

/// Four f32 partial sums into the f64x2 accumulator.
#[cfg(target_arch = "wasm32")]
#[inline(always)]
fn flush(acc: v128, s: [v128; 4]) -> v128 {
    f64x2_add(acc, widen_sum(f32x4_add(f32x4_add(s[0], s[1]), f32x4_add(s[2], s[3]))))
}

/// Widens `n16` elements at `p` into the f32 block `ob` (layout `EO`) and adds their Σo²
/// to the f64x2 accumulator `acc`.
#[cfg(target_arch = "wasm32")]
#[inline(never)]
unsafe fn widen_sq<O: Dt, const EO: bool>(p: *const u8, ob: *mut v128, n16: usize, acc: &mut v128) {
    let k = Consts::load();
    let iters = n16 / 16;
    let (mut xp, mut bp) = (p, ob);
    let mut it = 0;
    let mut a = *acc;
    while it < iters {
        let m = core::cmp::min(FLUSH_ITERS, iters - it);
        let mut s = [f32x4_splat(0.0); 4];
        let mut u = 0;
        while u < m {
            let (x0, x1) = O::load8(xp, EO, &k);
            let (x2, x3) = O::load8(xp.add(8 * O::SIZE), EO, &k);
            *bp = x0;
            *bp.add(1) = x1;
            *bp.add(2) = x2;
            *bp.add(3) = x3;
            s[0] = f32x4_add(s[0], f32x4_mul(x0, x0));
            s[1] = f32x4_add(s[1], f32x4_mul(x1, x1));
            s[2] = f32x4_add(s[2], f32x4_mul(x2, x2));
            s[3] = f32x4_add(s[3], f32x4_mul(x3, x3));
            xp = xp.add(16 * O::SIZE);
            bp = bp.add(4);
            u += 1;
        }
        a = flush(a, s);
        it += m;
    }
    *acc = a;
}

/// Σx² and Σo·x of one input over `n16` elements (`ob` holds the output, layout `EO`),
/// added to the f64x2 accumulators.
#[cfg(target_arch = "wasm32")]
#[inline(never)]
unsafe fn input_block<I: Dt, const EO: bool>(x: *const u8, ob: *const v128, n16: usize, sq: &mut v128, dot: &mut v128) {
    let k = Consts::load();
    let iters = n16 / 16;
    let (mut xp, mut op) = (x, ob);
    let (mut qa, mut da) = (*sq, *dot);
    let mut it = 0;
    while it < iters {
        let m = core::cmp::min(FLUSH_ITERS, iters - it);
        let mut s = [f32x4_splat(0.0); 4];
        let mut d = [f32x4_splat(0.0); 4];
        let mut u = 0;
        while u < m {
            let (x0, x1) = I::load8(xp, EO, &k);
            let (x2, x3) = I::load8(xp.add(8 * I::SIZE), EO, &k);
            s[0] = f32x4_add(s[0], f32x4_mul(x0, x0));
            s[1] = f32x4_add(s[1], f32x4_mul(x1, x1));
            s[2] = f32x4_add(s[2], f32x4_mul(x2, x2));
            s[3] = f32x4_add(s[3], f32x4_mul(x3, x3));
            d[0] = f32x4_add(d[0], f32x4_mul(*op, x0));
            d[1] = f32x4_add(d[1], f32x4_mul(*op.add(1), x1));
            d[2] = f32x4_add(d[2], f32x4_mul(*op.add(2), x2));
            d[3] = f32x4_add(d[3], f32x4_mul(*op.add(3), x3));
            xp = xp.add(16 * I::SIZE);
            op = op.add(4);
            u += 1;
        }
        qa = flush(qa, s);
        da = flush(da, d);
        it += m;
    }
    *sq = qa;
    *dot = da;
}

#[cfg(target_arch = "wasm32")]
#[inline(always)]
fn lanes(v: v128) -> f64 {
    f64x2_extract_lane::<0>(v) + f64x2_extract_lane::<1>(v)
}

/// Most inputs of the one-loop path.
#[cfg(target_arch = "wasm32")]
const JOINT_MAX: usize = 4;

/// All the sums in one loop over `n16` elements of 16-bit arrays, the output loaded once per 8
/// elements for every input (no f32 block): `K` inputs of one dtype `I`. `acc` holds the f64x2
/// accumulators in record order (`[Σo², Σx₀², Σo·x₀, ...]`). Each f32 lane takes two
/// products per iteration, so a flush every `PARTIAL / 2` iterations keeps `PARTIAL` products
/// per partial sum, as the block path does.
#[cfg(target_arch = "wasm32")]
#[inline(never)]
unsafe fn joint<O: Dt, I: Dt, const K: usize>(o: *const u8, xs: [*const u8; K], n16: usize, acc: &mut [v128; 1 + 2 * JOINT_MAX]) {
    let k = Consts::load();
    let iters = n16 / 8;
    let mut op = o;
    let mut xp = xs;
    let mut it = 0;
    while it < iters {
        let m = core::cmp::min(PARTIAL / 2, iters - it);
        let mut s = [f32x4_splat(0.0); 1 + 2 * JOINT_MAX];
        let mut u = 0;
        while u < m {
            let (oa, ob) = O::load8(op, true, &k);
            s[0] = f32x4_add(s[0], f32x4_add(f32x4_mul(oa, oa), f32x4_mul(ob, ob)));
            let mut j = 0;
            while j < K {
                let (a, b) = I::load8(xp[j], true, &k);
                s[1 + 2 * j] = f32x4_add(s[1 + 2 * j], f32x4_add(f32x4_mul(a, a), f32x4_mul(b, b)));
                s[2 + 2 * j] = f32x4_add(s[2 + 2 * j], f32x4_add(f32x4_mul(oa, a), f32x4_mul(ob, b)));
                xp[j] = xp[j].add(8 * I::SIZE);
                j += 1;
            }
            op = op.add(8 * O::SIZE);
            u += 1;
        }
        let mut q = 0;
        while q < 1 + 2 * K {
            acc[q] = f64x2_add(acc[q], widen_sum(s[q]));
            q += 1;
        }
        it += m;
    }
}

/// The one-loop path when it applies (16-bit output, up to `JOINT_MAX` inputs of one 16-bit
/// dtype); false otherwise.
#[cfg(target_arch = "wasm32")]
unsafe fn piece_joint(out: Arr, k: usize, input: &impl Fn(usize) -> Arr, len: usize, stats: &mut [f64]) -> bool {
    if k == 0 || k > JOINT_MAX || dtype_size(out.dtype) != 2 {
        return false;
    }
    let dt = input(0).dtype;
    let mut j = 0;
    while j < k {
        if input(j).dtype != dt {
            return false;
        }
        j += 1;
    }
    if dtype_size(dt) != 2 {
        return false;
    }
    let mut acc = [f64x2_splat(0.0); 1 + 2 * JOINT_MAX];
    let p = |j: usize| input(core::cmp::min(j, k - 1)).ptr;
    with_dt!(out.dtype, O => with_dt!(dt, I => match k {
        1 => joint::<O, I, 1>(out.ptr, [p(0)], len, &mut acc),
        2 => joint::<O, I, 2>(out.ptr, [p(0), p(1)], len, &mut acc),
        3 => joint::<O, I, 3>(out.ptr, [p(0), p(1), p(2)], len, &mut acc),
        _ => joint::<O, I, 4>(out.ptr, [p(0), p(1), p(2), p(3)], len, &mut acc),
    }));
    let mut q = 0;
    while q < 1 + 2 * k {
        stats[q] += lanes(acc[q]);
        q += 1;
    }
    true
}

/// Sums of the first `len` (a multiple of 16) elements in layout `EO`.
#[cfg(target_arch = "wasm32")]
#[inline(always)]
unsafe fn piece_simd<const EO: bool>(out: Arr, k: usize, input: &impl Fn(usize) -> Arr, len: usize, stats: &mut [f64]) {
    // Written by `widen_sq` before it is read.
    let mut ob = core::mem::MaybeUninit::<[v128; PIECE / 4]>::uninit();
    let obp = ob.as_mut_ptr() as *mut v128;
    let mut acc = f64x2_splat(0.0);
    with_dt!(out.dtype, O => widen_sq::<O, EO>(out.ptr, obp, len, &mut acc));
    stats[0] += lanes(acc);
    let mut j = 0;
    while j < k {
        let x = input(j);
        let (mut sq, mut dot) = (f64x2_splat(0.0), f64x2_splat(0.0));
        with_dt!(x.dtype, I => input_block::<I, EO>(x.ptr, obp, len, &mut sq, &mut dot));
        stats[1 + 2 * j] += lanes(sq);
        stats[2 + 2 * j] += lanes(dot);
        j += 1;
    }
}

/// Sums over one piece of `len <= PIECE` elements (every array given at the piece's first
/// element): SIMD over the multiple of 16, exact products over the rest.
#[cfg(target_arch = "wasm32")]
unsafe fn piece(out: Arr, k: usize, input: &impl Fn(usize) -> Arr, len: usize, stats: &mut [f64]) {
    let l16 = len & !15;
    if l16 > 0 && !piece_joint(out, k, input, l16, stats) {
        let mut all16 = dtype_size(out.dtype) == 2;
        let mut j = 0;
        while j < k {
            all16 &= dtype_size(input(j).dtype) == 2;
            j += 1;
        }
        if all16 {
            piece_simd::<true>(out, k, input, l16, stats)
        } else {
            piece_simd::<false>(out, k, input, l16, stats)
        }
    }
    sums_exact(out, k, input, l16, len, stats);
}

/// Natively: exact products throughout (the SIMD scheme is tested against this from wasm).
#[cfg(not(target_arch = "wasm32"))]
unsafe fn piece(out: Arr, k: usize, input: &impl Fn(usize) -> Arr, len: usize, stats: &mut [f64]) {
    sums_exact(out, k, input, 0, len, stats);
}

#[inline(always)]
unsafe fn shifted(a: Arr, i: usize) -> Arr {
    Arr { ptr: a.ptr.add(i * dtype_size(a.dtype)), dtype: a.dtype }
}

/// The sums of `n` elements (see the module docs), added to `stats[..words(k)]`.
pub unsafe fn sums(out: Arr, k: usize, input: impl Fn(usize) -> Arr, n: usize, stats: &mut [f64]) {
    let mut i = 0;
    while i < n {
        let len = core::cmp::min(PIECE, n - i);
        piece(shifted(out, i), k, &|j| shifted(input(j), i), len, stats);
        i += len;
    }
}

/// Input `j` of a 12-byte record table (`combine::rec`).
#[inline(always)]
pub unsafe fn record_input(mem: usize, srcs: u32, j: usize) -> Arr {
    let r = rec(mem, srcs, j);
    Arr { ptr: r.ptr, dtype: r.dtype }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::convert::tests::Rng;
    use crate::convert::{BF16, F16, F32};
    use crate::program::tests::encode;

    fn arr(bytes: &[u8], dtype: u32) -> Arr {
        Arr { ptr: bytes.as_ptr(), dtype }
    }

    /// Weight-like values: N(0, s)-ish from a sum of uniforms.
    fn values(rng: &mut Rng, n: usize, s: f32) -> Vec<f32> {
        (0..n).map(|_| ((0..4).map(|_| (rng.next_u32() as f32 / 4294967296.0) - 0.5).sum::<f32>()) * s).collect()
    }

    #[test]
    fn sums_match_float64_within_the_partial_bound() {
        let mut rng = Rng(31);
        let n = 10_000 + 5; // not a multiple of the piece or of 16
        for (dto, dti) in [(BF16, BF16), (F16, BF16), (F32, F16), (BF16, F32)] {
            let o = encode(&values(&mut rng, n, 0.02), dto);
            let xs: Vec<Vec<u8>> = (0..3).map(|_| encode(&values(&mut rng, n, 0.02), dti)).collect();
            let input = |j: usize| arr(&xs[j], dti);
            let mut got = vec![0f64; words(3)];
            let mut want = vec![0f64; words(3)];
            unsafe {
                sums(arr(&o, dto), 3, input, n, &mut got);
                sums_exact(arr(&o, dto), 3, input, 0, n, &mut want);
            }
            for (g, w) in got.iter().zip(&want) {
                assert!((g - w).abs() <= 1e-6 * w.abs().max(1e-12), "{} vs {}", g, w);
            }
        }
    }

    #[test]
    fn counts_nan_and_inf() {
        let v = [1.0f32, f32::NAN, f32::INFINITY, -f32::INFINITY, -0.0, f32::from_bits(0xff80_0001)];
        for dt in [F32, F16, BF16] {
            let b = encode(&v, dt);
            let mut c = [0f64; 2];
            unsafe { count_nonfinite(arr(&b, dt), v.len(), &mut c) };
            assert_eq!(c, [2.0, 2.0], "dtype {}", dt);
        }
    }
}
