//! Program kernels of the geometric merge methods: SLERP, NuSLERP, Multi-SLERP, Karcher,
//! Model Stock (statistics: Gram matrices; apply: a linear combination), NearSwap (element-wise)
//! and Arcee Fusion (per-row KL divergence, exact quantiles by histogram select, masked select).
//!
//! The TypeScript side (`src/methods/gram.ts` and the method files) does all O(k²) scalar math
//! on the reduced statistics; these kernels only do per-element work.
//!
//! Every kernel is a safe function over slices (tested natively against a plain scalar
//! reference) plus a thin `fn(ctx: u32)` export reading [`Ctx`]. The SIMD paths are written
//! against a 4-lane vector type `v::F4` (and its 2 × f64 halves `v::D2`): on wasm32 it is
//! `v128` with `simd128`; natively it is an array with the same lane semantics, so the native
//! tests exercise the exact order of operations of the wasm SIMD path.
//!
//! Determinism: Gram sums are per segment (a statistics block or a row, starting at a global
//! multiple of the segment length), summed in a fixed lane order defined below; products of
//! f32 values are exact in f64. Nothing depends on where a chunk starts.

use crate::program::{all_bf16, for_tiles, Ctx, Raw};

/// Largest number of inputs of a geometric program kernel.
pub const MAX_K: usize = 16;

// ---------------------------------------------------------------------------------------------
// Portable 4 × f32 / 2 × f64 lanes.
// ---------------------------------------------------------------------------------------------

#[cfg(target_arch = "wasm32")]
mod v {
    use core::arch::wasm32::*;
    #[derive(Clone, Copy)]
    pub struct F4(v128);
    #[derive(Clone, Copy)]
    pub struct D2(v128);
    /// # Safety
    /// `p .. p + 4` must be readable.
    #[inline(always)]
    pub unsafe fn load(p: *const f32) -> F4 {
        F4(v128_load(p as *const v128))
    }
    /// # Safety
    /// `p .. p + 4` must be writable.
    #[inline(always)]
    pub unsafe fn store(p: *mut f32, x: F4) {
        v128_store(p as *mut v128, x.0)
    }
    /// Constants of [`store_bf16`], loaded once per loop.
    pub type Rnd = crate::convert::simd::Consts;
    /// # Safety
    /// Reads the module's constant table.
    #[inline(always)]
    pub unsafe fn rnd() -> Rnd {
        Rnd::load()
    }
    /// Four BF16 elements at `p`, widened (exact).
    /// # Safety
    /// `p .. p + 8` must be readable.
    #[inline(always)]
    pub unsafe fn load_bf16(p: *const u8) -> F4 {
        F4(crate::program::bf16x4::load(p, 0))
    }
    /// Four lanes rounded to BF16 as `convert` rounds, stored at `p`.
    /// # Safety
    /// `p .. p + 8` must be writable.
    #[inline(always)]
    pub unsafe fn store_bf16(p: *mut u8, x: F4, k: &Rnd) {
        crate::program::bf16x4::store(p, 0, x.0, k)
    }
    #[inline(always)]
    pub fn splat(x: f32) -> F4 {
        F4(f32x4_splat(x))
    }
    #[inline(always)]
    pub fn add(a: F4, b: F4) -> F4 {
        F4(f32x4_add(a.0, b.0))
    }
    #[inline(always)]
    pub fn sub(a: F4, b: F4) -> F4 {
        F4(f32x4_sub(a.0, b.0))
    }
    #[inline(always)]
    pub fn mul(a: F4, b: F4) -> F4 {
        F4(f32x4_mul(a.0, b.0))
    }
    #[inline(always)]
    pub fn div(a: F4, b: F4) -> F4 {
        F4(f32x4_div(a.0, b.0))
    }
    #[inline(always)]
    pub fn abs(a: F4) -> F4 {
        F4(f32x4_abs(a.0))
    }
    /// `if a < b { b } else { a }` per lane.
    #[inline(always)]
    pub fn pmax(a: F4, b: F4) -> F4 {
        F4(f32x4_pmax(a.0, b.0))
    }
    /// `if b < a { b } else { a }` per lane.
    #[inline(always)]
    pub fn pmin(a: F4, b: F4) -> F4 {
        F4(f32x4_pmin(a.0, b.0))
    }
    /// Lanes 0, 1 as f64.
    #[inline(always)]
    pub fn lo(a: F4) -> D2 {
        D2(f64x2_promote_low_f32x4(a.0))
    }
    /// Lanes 2, 3 as f64.
    #[inline(always)]
    pub fn hi(a: F4) -> D2 {
        D2(f64x2_promote_low_f32x4(i32x4_shuffle::<2, 3, 2, 3>(a.0, a.0)))
    }
    #[inline(always)]
    pub fn dzero() -> D2 {
        D2(f64x2_splat(0.0))
    }
    #[inline(always)]
    pub fn dadd(a: D2, b: D2) -> D2 {
        D2(f64x2_add(a.0, b.0))
    }
    #[inline(always)]
    pub fn dmul(a: D2, b: D2) -> D2 {
        D2(f64x2_mul(a.0, b.0))
    }
    #[inline(always)]
    pub fn dlanes(a: D2) -> (f64, f64) {
        (f64x2_extract_lane::<0>(a.0), f64x2_extract_lane::<1>(a.0))
    }
    /// # Safety
    /// `p .. p + 2` must be readable.
    #[inline(always)]
    pub unsafe fn dload(p: *const f64) -> D2 {
        D2(v128_load(p as *const v128))
    }
    /// # Safety
    /// `p .. p + 2` must be writable.
    #[inline(always)]
    pub unsafe fn dstore(p: *mut f64, x: D2) {
        v128_store(p as *mut v128, x.0)
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod v {
    #[derive(Clone, Copy)]
    pub struct F4([f32; 4]);
    #[derive(Clone, Copy)]
    pub struct D2([f64; 2]);
    fn map2(a: F4, b: F4, f: impl Fn(f32, f32) -> f32) -> F4 {
        F4([f(a.0[0], b.0[0]), f(a.0[1], b.0[1]), f(a.0[2], b.0[2]), f(a.0[3], b.0[3])])
    }
    /// # Safety
    /// `p .. p + 4` must be readable.
    pub unsafe fn load(p: *const f32) -> F4 {
        F4(core::ptr::read_unaligned(p as *const [f32; 4]))
    }
    /// # Safety
    /// `p .. p + 4` must be writable.
    pub unsafe fn store(p: *mut f32, x: F4) {
        core::ptr::write_unaligned(p as *mut [f32; 4], x.0)
    }
    pub type Rnd = ();
    /// # Safety
    /// Nothing to read natively.
    pub unsafe fn rnd() -> Rnd {}
    /// # Safety
    /// `p .. p + 8` must be readable.
    pub unsafe fn load_bf16(p: *const u8) -> F4 {
        let h = core::ptr::read_unaligned(p as *const [u16; 4]);
        F4(h.map(|x| f32::from_bits(crate::convert::bf16_to_f32_bits(u16::from_le(x)))))
    }
    /// # Safety
    /// `p .. p + 8` must be writable.
    pub unsafe fn store_bf16(p: *mut u8, x: F4, _k: &Rnd) {
        core::ptr::write_unaligned(p as *mut [u16; 4], x.0.map(|v| crate::convert::f32_bits_to_bf16(v.to_bits()).to_le()))
    }
    pub fn splat(x: f32) -> F4 {
        F4([x; 4])
    }
    pub fn add(a: F4, b: F4) -> F4 {
        map2(a, b, |x, y| x + y)
    }
    pub fn sub(a: F4, b: F4) -> F4 {
        map2(a, b, |x, y| x - y)
    }
    pub fn mul(a: F4, b: F4) -> F4 {
        map2(a, b, |x, y| x * y)
    }
    pub fn div(a: F4, b: F4) -> F4 {
        map2(a, b, |x, y| x / y)
    }
    pub fn abs(a: F4) -> F4 {
        map2(a, a, |x, _| f32::from_bits(x.to_bits() & 0x7fff_ffff))
    }
    pub fn pmax(a: F4, b: F4) -> F4 {
        map2(a, b, |x, y| if x < y { y } else { x })
    }
    pub fn pmin(a: F4, b: F4) -> F4 {
        map2(a, b, |x, y| if y < x { y } else { x })
    }
    pub fn lo(a: F4) -> D2 {
        D2([a.0[0] as f64, a.0[1] as f64])
    }
    pub fn hi(a: F4) -> D2 {
        D2([a.0[2] as f64, a.0[3] as f64])
    }
    pub fn dzero() -> D2 {
        D2([0.0; 2])
    }
    pub fn dadd(a: D2, b: D2) -> D2 {
        D2([a.0[0] + b.0[0], a.0[1] + b.0[1]])
    }
    pub fn dmul(a: D2, b: D2) -> D2 {
        D2([a.0[0] * b.0[0], a.0[1] * b.0[1]])
    }
    pub fn dlanes(a: D2) -> (f64, f64) {
        (a.0[0], a.0[1])
    }
    /// # Safety
    /// `p .. p + 2` must be readable.
    pub unsafe fn dload(p: *const f64) -> D2 {
        D2(core::ptr::read_unaligned(p as *const [f64; 2]))
    }
    /// # Safety
    /// `p .. p + 2` must be writable.
    pub unsafe fn dstore(p: *mut f64, x: D2) {
        core::ptr::write_unaligned(p as *mut [f64; 2], x.0)
    }
}

#[inline(always)]
fn fabs32(x: f32) -> f32 {
    f32::from_bits(x.to_bits() & 0x7fff_ffff)
}

// ---------------------------------------------------------------------------------------------
// Gram matrices.
// ---------------------------------------------------------------------------------------------

/// The `m` vectors of a Gram/combine kernel: the inputs themselves (`rel == false`, `m = k`), or
/// the differences `x_i − x_0` for `i ≥ 1` computed in f32 (`rel == true`, `m = k − 1`).
#[inline(always)]
fn vec_count(k: usize, rel: bool) -> usize {
    if rel {
        k - 1
    } else {
        k
    }
}

/// Number of pairs `i ≤ j` of `m` vectors.
pub fn pairs(m: usize) -> usize {
    m * (m + 1) / 2
}

/// Scalar reference of one segment's dot product `Σ_e a[e]·b[e]` of two vectors (each an input,
/// or an input minus `base`), in this exact order: lane `j ∈ 0..4` sums, in f64 and in index
/// order, the products of elements `e ≡ j (mod 4)` among the first `4⌊len/4⌋`; then
/// `s = (L0 + L2) + (L1 + L3)`; then the remaining `len mod 4` products are added to `s` one by one.
pub fn dot_ref(a: &[f32], b: &[f32], base: Option<&[f32]>) -> f64 {
    let n = a.len();
    let val = |x: &[f32], e: usize| -> f64 {
        match base {
            Some(bs) => (x[e] - bs[e]) as f64,
            None => x[e] as f64,
        }
    };
    let mut lanes = [0f64; 4];
    let n4 = n / 4 * 4;
    let mut e = 0;
    while e < n4 {
        for (j, l) in lanes.iter_mut().enumerate() {
            *l += val(a, e + j) * val(b, e + j);
        }
        e += 4;
    }
    let mut s = (lanes[0] + lanes[2]) + (lanes[1] + lanes[3]);
    while e < n {
        s += val(a, e) * val(b, e);
        e += 1;
    }
    s
}

/// SIMD version of [`dot_ref`] (same result, bit for bit).
pub fn dot(a: &[f32], b: &[f32], base: Option<&[f32]>) -> f64 {
    let n = a.len();
    assert!(b.len() == n && base.map_or(true, |x| x.len() == n));
    let n4 = n / 4 * 4;
    let (mut acc_lo, mut acc_hi) = (v::dzero(), v::dzero());
    let (pa, pb) = (a.as_ptr(), b.as_ptr());
    let mut e = 0;
    // Safety: e + 4 <= n for every load.
    unsafe {
        match base {
            Some(bs) => {
                let pc = bs.as_ptr();
                while e < n4 {
                    let c = v::load(pc.add(e));
                    let x = v::sub(v::load(pa.add(e)), c);
                    let y = v::sub(v::load(pb.add(e)), c);
                    acc_lo = v::dadd(acc_lo, v::dmul(v::lo(x), v::lo(y)));
                    acc_hi = v::dadd(acc_hi, v::dmul(v::hi(x), v::hi(y)));
                    e += 4;
                }
            }
            None => {
                while e < n4 {
                    let x = v::load(pa.add(e));
                    let y = v::load(pb.add(e));
                    acc_lo = v::dadd(acc_lo, v::dmul(v::lo(x), v::lo(y)));
                    acc_hi = v::dadd(acc_hi, v::dmul(v::hi(x), v::hi(y)));
                    e += 4;
                }
            }
        }
    }
    let (l0, l1) = v::dlanes(acc_lo);
    let (l2, l3) = v::dlanes(acc_hi);
    let mut s = (l0 + l2) + (l1 + l3);
    while e < n {
        let (x, y) = match base {
            Some(bs) => ((a[e] - bs[e]) as f64, (b[e] - bs[e]) as f64),
            None => (a[e] as f64, b[e] as f64),
        };
        s += x * y;
        e += 1;
    }
    s
}

/// SIMD Gram matrix of two vectors in one pass over the segment: `[a·a, a·b, b·b]`, each sum in
/// exactly [`dot_ref`]'s order (so equal, bit for bit, to three [`dot`] calls).
pub fn dot3(a: &[f32], b: &[f32], base: Option<&[f32]>) -> [f64; 3] {
    let n = a.len();
    assert!(b.len() == n && base.map_or(true, |x| x.len() == n));
    let n4 = n / 4 * 4;
    let z = v::dzero();
    let (mut aa_lo, mut aa_hi, mut ab_lo, mut ab_hi, mut bb_lo, mut bb_hi) = (z, z, z, z, z, z);
    let (pa, pb) = (a.as_ptr(), b.as_ptr());
    let pc = base.map(|x| x.as_ptr());
    let mut e = 0;
    // Safety: e + 4 <= n for every load.
    unsafe {
        while e < n4 {
            let (mut x, mut y) = (v::load(pa.add(e)), v::load(pb.add(e)));
            if let Some(pc) = pc {
                let c = v::load(pc.add(e));
                x = v::sub(x, c);
                y = v::sub(y, c);
            }
            let (xl, xh, yl, yh) = (v::lo(x), v::hi(x), v::lo(y), v::hi(y));
            aa_lo = v::dadd(aa_lo, v::dmul(xl, xl));
            aa_hi = v::dadd(aa_hi, v::dmul(xh, xh));
            ab_lo = v::dadd(ab_lo, v::dmul(xl, yl));
            ab_hi = v::dadd(ab_hi, v::dmul(xh, yh));
            bb_lo = v::dadd(bb_lo, v::dmul(yl, yl));
            bb_hi = v::dadd(bb_hi, v::dmul(yh, yh));
            e += 4;
        }
    }
    let fold = |lo: v::D2, hi: v::D2| {
        let (l0, l1) = v::dlanes(lo);
        let (l2, l3) = v::dlanes(hi);
        (l0 + l2) + (l1 + l3)
    };
    let mut out = [fold(aa_lo, aa_hi), fold(ab_lo, ab_hi), fold(bb_lo, bb_hi)];
    while e < n {
        let (x, y) = match base {
            Some(bs) => ((a[e] - bs[e]) as f64, (b[e] - bs[e]) as f64),
            None => (a[e] as f64, b[e] as f64),
        };
        out[0] += x * x;
        out[1] += x * y;
        out[2] += y * y;
        e += 1;
    }
    out
}

/// Per-segment Gram matrices of a chunk. The chunk starts at a segment boundary; segment `s`
/// covers elements `s·seg .. min(n, (s+1)·seg)`. For each segment and each pair `i ≤ j` of the
/// `m` vectors (row-major upper triangle), `out[s·P + p] = dot(v_i, v_j)` over the segment, with
/// `P = m(m+1)/2`. `simd` picks [`dot`] or [`dot_ref`] (identical results).
pub fn gram(inputs: &[&[f32]], rel: bool, seg: usize, out: &mut [f64], simd: bool) {
    let k = inputs.len();
    let m = vec_count(k, rel);
    let n = inputs[0].len();
    let pp = pairs(m);
    let mut s = 0;
    let mut start = 0;
    while start < n {
        let end = core::cmp::min(n, start + seg);
        let base = if rel { Some(&inputs[0][start..end]) } else { None };
        let off = usize::from(rel);
        if simd && m == 2 {
            // two vectors (slerp, nuslerp, …): one fused pass instead of three
            let g = dot3(&inputs[off][start..end], &inputs[off + 1][start..end], base);
            out[s * pp..s * pp + 3].copy_from_slice(&g);
            start = end;
            s += 1;
            continue;
        }
        let mut p = 0;
        for i in 0..m {
            for j in i..m {
                let (a, b) = (&inputs[i + off][start..end], &inputs[j + off][start..end]);
                out[s * pp + p] = if simd { dot(a, b, base) } else { dot_ref(a, b, base) };
                p += 1;
            }
        }
        start = end;
        s += 1;
    }
}

/// Segments in a chunk of `n` elements.
pub fn segments(n: usize, seg: usize) -> usize {
    (n + seg - 1) / seg
}

/// Statistics pass. Params: `[seg, rel]`. Writes [`gram`] of the chunk (`rel != 0`: of
/// `x_i − x_0`). Requirements: `2 ≤ k ≤ 16` (`1 ≤ k` when `rel == 0`), `seg ≥ 1`, `first` a
/// multiple of `seg`, `out_words ≥ segments(n, seg)·P`. Reads the inputs and params; writes
/// `out[..segments·P]`. Accepts mixed dtypes (`tile` a multiple of `seg`; uses `stage`).
///
/// # Safety
/// `ctx` must point to a valid [`Ctx`] following the memory contract of `program.rs`.
#[no_mangle]
pub unsafe extern "C" fn geo_gram(ctx: u32) {
    let c = Ctx::read(ctx);
    let k = c.k as usize;
    let seg = c.param(0, 0.0) as usize;
    let rel = c.param(1, 0.0) != 0.0;
    crate::check(k >= 1 + usize::from(rel) && k <= MAX_K && seg >= 1 && c.first() % seg as u64 == 0);
    let pp = pairs(vec_count(k, rel));
    crate::check(c.out_words as usize >= segments(c.n as usize, seg) * pp);
    if c.mixed() {
        crate::check(c.tile as usize % seg == 0);
        let mut raw = [Raw { dtype: 0, bytes: &[] }; MAX_K];
        for (j, slot) in raw.iter_mut().enumerate().take(k) {
            *slot = c.raw_input(j);
        }
        gram_tiled(&raw[..k], rel, seg, c.tile as usize, c.stats_out(), c.stage_area());
        return;
    }
    let mut ins: [&[f32]; MAX_K] = [&[]; MAX_K];
    for (j, slot) in ins.iter_mut().enumerate().take(k) {
        *slot = c.input(j);
    }
    gram(&ins[..k], rel, seg, c.stats_out(), true);
}

/// [`gram`] of inputs stored in any dtype, tile by tile (`tile` a multiple of `seg`): each tile's
/// segments are whole segments of the chunk, so the result is [`gram`] of the widened inputs.
/// `stage`: `(k + 1)·stride(tile)` f32 of scratch.
pub fn gram_tiled(ins: &[Raw], rel: bool, seg: usize, tile: usize, out: &mut [f64], stage: &mut [f32]) {
    assert!(tile % seg == 0);
    let n = ins[0].bytes.len() / crate::convert::dtype_size(ins[0].dtype);
    let pp = pairs(vec_count(ins.len(), rel));
    if !rel && ins.len() == 2 && all_bf16(ins) {
        // two stored BF16 vectors (slerp): straight from memory, no staging
        let mut start = 0;
        let mut s = 0;
        while start < n {
            let end = core::cmp::min(n, start + seg);
            out[s * 3..s * 3 + 3].copy_from_slice(&dot3_bf16(&ins[0].bytes[2 * start..2 * end], &ins[1].bytes[2 * start..2 * end]));
            start = end;
            s += 1;
        }
        return;
    }
    for_tiles(ins, n, tile, stage, None, |v, start, _| gram(v, rel, seg, &mut out[start / seg * pp..], true));
}

/// [`dot3`] (no base) of two BF16 vectors given as stored bytes: the same sums, bit for bit,
/// as [`dot3`] of the widened vectors.
pub fn dot3_bf16(a: &[u8], b: &[u8]) -> [f64; 3] {
    let n = a.len() / 2;
    assert!(b.len() == a.len());
    let n4 = n / 4 * 4;
    let z = v::dzero();
    let (mut aa_lo, mut aa_hi, mut ab_lo, mut ab_hi, mut bb_lo, mut bb_hi) = (z, z, z, z, z, z);
    let (pa, pb) = (a.as_ptr(), b.as_ptr());
    let mut e = 0;
    // Safety: e + 4 <= n for every load.
    unsafe {
        while e < n4 {
            let (x, y) = (v::load_bf16(pa.add(2 * e)), v::load_bf16(pb.add(2 * e)));
            let (xl, xh, yl, yh) = (v::lo(x), v::hi(x), v::lo(y), v::hi(y));
            aa_lo = v::dadd(aa_lo, v::dmul(xl, xl));
            aa_hi = v::dadd(aa_hi, v::dmul(xh, xh));
            ab_lo = v::dadd(ab_lo, v::dmul(xl, yl));
            ab_hi = v::dadd(ab_hi, v::dmul(xh, yh));
            bb_lo = v::dadd(bb_lo, v::dmul(yl, yl));
            bb_hi = v::dadd(bb_hi, v::dmul(yh, yh));
            e += 4;
        }
    }
    let fold = |lo: v::D2, hi: v::D2| {
        let (l0, l1) = v::dlanes(lo);
        let (l2, l3) = v::dlanes(hi);
        (l0 + l2) + (l1 + l3)
    };
    let mut out = [fold(aa_lo, aa_hi), fold(ab_lo, ab_hi), fold(bb_lo, bb_hi)];
    let wide = |p: &[u8], e: usize| f32::from_bits(crate::convert::bf16_to_f32_bits(u16::from_le_bytes([p[2 * e], p[2 * e + 1]]))) as f64;
    while e < n {
        let (x, y) = (wide(a, e), wide(b, e));
        out[0] += x * x;
        out[1] += x * y;
        out[2] += y * y;
        e += 1;
    }
    out
}

/// [`combine`] of two stored BF16 inputs (`rel == false`) into a BF16 output: each element is
/// `c0·x0 + c1·x1` as [`combine_one`] computes it, rounded as `convert` rounds.
pub fn combine2_bf16(ins: &[Raw], coeffs: &[f64], mode: CoeffMode, row_len: usize, first: u64, out: &mut [u8]) {
    assert!(ins.len() == 2 && all_bf16(ins));
    let n = out.len() / 2;
    assert!(ins[0].bytes.len() >= 2 * n && ins[1].bytes.len() >= 2 * n);
    let mut e = 0;
    while e < n {
        let (set, end) = match mode {
            CoeffMode::Global => (0, n),
            CoeffMode::PerRow => {
                let g = first as usize + e;
                (g / row_len, core::cmp::min(n, e + (g / row_len + 1) * row_len - g))
            }
        };
        combine2_range(ins, [coeffs[2 * set] as f32, coeffs[2 * set + 1] as f32], e, end, out);
        e = end;
    }
}

fn combine2_range(ins: &[Raw], co: [f32; 2], start: usize, end: usize, out: &mut [u8]) {
    let (p0, p1, po) = (ins[0].bytes.as_ptr(), ins[1].bytes.as_ptr(), out.as_mut_ptr());
    let (c0, c1) = (v::splat(co[0]), v::splat(co[1]));
    let mut e = start;
    // Safety: e + 4 <= end <= every buffer's element count (checked by the caller).
    unsafe {
        let k = v::rnd();
        while e + 4 <= end {
            let a = v::mul(c0, v::load_bf16(p0.add(2 * e)));
            let r = v::add(a, v::mul(c1, v::load_bf16(p1.add(2 * e))));
            v::store_bf16(po.add(2 * e), r, &k);
            e += 4;
        }
    }
    let wide = |r: Raw, e: usize| f32::from_bits(crate::convert::bf16_to_f32_bits(u16::from_le_bytes([r.bytes[2 * e], r.bytes[2 * e + 1]])));
    while e < end {
        let acc = co[0] * wide(ins[0], e);
        let acc = acc + co[1] * wide(ins[1], e);
        out[2 * e..2 * e + 2].copy_from_slice(&crate::convert::f32_bits_to_bf16(acc.to_bits()).to_le_bytes());
        e += 1;
    }
}

// ---------------------------------------------------------------------------------------------
// Linear combinations.
// ---------------------------------------------------------------------------------------------

/// Scalar reference of one combined element, f32, every operation rounded, no fusing:
/// `rel == false`: `acc = c0·x0; acc = acc + c1·x1; …` → `acc`;
/// `rel == true`:  `acc = c0·(x1−x0); acc = acc + c1·(x2−x0); …` → `x0 + acc`.
#[inline(always)]
fn combine_one(inputs: &[&[f32]], rel: bool, co: &[f32], e: usize) -> f32 {
    if rel {
        let b = inputs[0][e];
        let mut acc = co[0] * (inputs[1][e] - b);
        for i in 1..co.len() {
            acc = acc + co[i] * (inputs[i + 1][e] - b);
        }
        b + acc
    } else {
        let mut acc = co[0] * inputs[0][e];
        for i in 1..co.len() {
            acc = acc + co[i] * inputs[i][e];
        }
        acc
    }
}

/// Where the coefficients of an element come from.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum CoeffMode {
    /// One set of `m` coefficients for the whole tensor.
    Global,
    /// Set `⌊g / row_len⌋` for global element index `g` (one set per row).
    PerRow,
}

/// `out[e] = combine_one(.., coeffs of element first+e, e)`. `coeffs` holds the sets as f64
/// (`m` values each), rounded to f32 when used. `simd` picks the SIMD path (identical results).
#[allow(clippy::too_many_arguments)]
pub fn combine(
    inputs: &[&[f32]],
    rel: bool,
    coeffs: &[f64],
    mode: CoeffMode,
    row_len: usize,
    first: u64,
    out: &mut [f32],
    simd: bool,
) {
    let m = vec_count(inputs.len(), rel);
    let n = out.len();
    let mut co = [0f32; MAX_K];
    let set_of = |set: usize, co: &mut [f32; MAX_K]| {
        for i in 0..m {
            co[i] = coeffs[set * m + i] as f32;
        }
    };
    match mode {
        CoeffMode::Global => {
            set_of(0, &mut co);
            combine_range(inputs, rel, &co[..m], 0, n, out, simd);
        }
        CoeffMode::PerRow => {
            let mut e = 0;
            while e < n {
                let g = first as usize + e;
                let row = g / row_len;
                let end = core::cmp::min(n, e + (row + 1) * row_len - g);
                set_of(row, &mut co);
                combine_range(inputs, rel, &co[..m], e, end, out, simd);
                e = end;
            }
        }
    }
}

fn combine_range(inputs: &[&[f32]], rel: bool, co: &[f32], start: usize, end: usize, out: &mut [f32], simd: bool) {
    let mut e = start;
    if simd {
        let k = inputs.len();
        let mut ptrs = [core::ptr::null::<f32>(); MAX_K];
        for (i, p) in ptrs.iter_mut().enumerate().take(k) {
            *p = inputs[i].as_ptr();
        }
        let po = out.as_mut_ptr();
        let m = co.len();
        let mut cv = [v::splat(0.0); MAX_K];
        for i in 0..m {
            cv[i] = v::splat(co[i]);
        }
        // Safety: e + 4 <= end <= every input's length and out's length.
        unsafe {
            if !rel && k == 2 {
                let (c0, c1) = (cv[0], cv[1]);
                while e + 4 <= end {
                    let a = v::mul(c0, v::load(ptrs[0].add(e)));
                    let r = v::add(a, v::mul(c1, v::load(ptrs[1].add(e))));
                    v::store(po.add(e), r);
                    e += 4;
                }
            } else if rel {
                while e + 4 <= end {
                    let b = v::load(ptrs[0].add(e));
                    let mut acc = v::mul(cv[0], v::sub(v::load(ptrs[1].add(e)), b));
                    for i in 1..m {
                        acc = v::add(acc, v::mul(cv[i], v::sub(v::load(ptrs[i + 1].add(e)), b)));
                    }
                    v::store(po.add(e), v::add(b, acc));
                    e += 4;
                }
            } else {
                while e + 4 <= end {
                    let mut acc = v::mul(cv[0], v::load(ptrs[0].add(e)));
                    for i in 1..m {
                        acc = v::add(acc, v::mul(cv[i], v::load(ptrs[i].add(e))));
                    }
                    v::store(po.add(e), acc);
                    e += 4;
                }
            }
        }
    }
    while e < end {
        out[e] = combine_one(inputs, rel, co, e);
        e += 1;
    }
}

/// Apply pass. Params: `[mode, rel, c…]`: `mode` 0 = one set of `m` coefficients, 1 = one set
/// per row (`rows·m` values, row = global index / `row_len`); `rel` as in [`geo_gram`].
/// Writes `f32[n]` at `out` (see [`combine`] for the formula). Requirements: `1 ≤ k ≤ 16`
/// (`2 ≤ k` with `rel`), enough coefficients for every row of the chunk. Accepts mixed dtypes
/// (writes `out_dtype`, rounded once; uses `stage`).
///
/// # Safety
/// `ctx` must point to a valid [`Ctx`] following the memory contract of `program.rs`.
#[no_mangle]
pub unsafe extern "C" fn geo_combine(ctx: u32) {
    let c = Ctx::read(ctx);
    let k = c.k as usize;
    let p = c.params();
    crate::check(p.len() >= 2);
    let mode = if p[0] == 1.0 { CoeffMode::PerRow } else { CoeffMode::Global };
    let rel = p[1] != 0.0;
    crate::check(k >= 1 + usize::from(rel) && k <= MAX_K && c.row_len >= 1);
    let m = vec_count(k, rel);
    let n = c.n as usize;
    let sets = match mode {
        CoeffMode::Global => 1,
        CoeffMode::PerRow if n == 0 => 0,
        CoeffMode::PerRow => (c.first() as usize + n - 1) / c.row_len as usize + 1,
    };
    crate::check(p.len() - 2 >= sets * m);
    if c.mixed() {
        let mut raw = [Raw { dtype: 0, bytes: &[] }; MAX_K];
        for (j, slot) in raw.iter_mut().enumerate().take(k) {
            *slot = c.raw_input(j);
        }
        let (first, row_len, out) = (c.first(), c.row_len as usize, (c.out_dtype, c.apply_out_raw()));
        if !rel && k == 2 && all_bf16(&raw[..k]) && c.out_dtype == crate::convert::BF16 {
            combine2_bf16(&raw[..k], &p[2..], mode, row_len, first, out.1);
            return;
        }
        for_tiles(&raw[..k], n, c.tile as usize, c.stage_area(), Some(out), |v, start, o| {
            combine(v, rel, &p[2..], mode, row_len, first + start as u64, o, true)
        });
        return;
    }
    let mut ins: [&[f32]; MAX_K] = [&[]; MAX_K];
    for (j, slot) in ins.iter_mut().enumerate().take(k) {
        *slot = c.input(j);
    }
    combine(&ins[..k], rel, &p[2..], mode, c.row_len as usize, c.first(), c.apply_out(), true);
}

// ---------------------------------------------------------------------------------------------
// Column Gram matrices (vectors along dimension 0 of a 2-D tensor).
// ---------------------------------------------------------------------------------------------

/// Per-block column Gram matrices of a chunk of whole rows of a `[rows, c]` tensor, the chunk
/// starting at a block boundary (blocks of `block_rows` rows). For block `b`, pair `p` of the `m`
/// vectors and column `col`, `out[(b·P + p)·c + col] += Σ_r v_i[r, col]·v_j[r, col]` over the
/// block's rows, in f64, row by row in order (every column's sum is sequential, so SIMD across
/// columns gives the scalar result bit for bit). `out` must be zeroed.
pub fn col_gram(inputs: &[&[f32]], rel: bool, c: usize, block_rows: usize, out: &mut [f64], simd: bool) {
    let k = inputs.len();
    let m = vec_count(k, rel);
    let pp = pairs(m);
    let rows = inputs[0].len() / c;
    let off = usize::from(rel);
    let c4 = if simd { c / 4 * 4 } else { 0 };
    let val = |x: &[f32], e: usize| -> f64 {
        if rel {
            (x[e] - inputs[0][e]) as f64
        } else {
            x[e] as f64
        }
    };
    let mut r = 0;
    while r < rows {
        let b = r / block_rows;
        let mut p = 0;
        for i in 0..m {
            for j in i..m {
                let (x, y) = (inputs[i + off], inputs[j + off]);
                let acc = &mut out[(b * pp + p) * c..(b * pp + p + 1) * c];
                let e0 = r * c;
                // Safety: col + 4 <= c4 <= c, e0 + col + 4 <= (r + 1)·c <= input length.
                unsafe {
                    let (px, py, pa) = (x.as_ptr(), y.as_ptr(), acc.as_mut_ptr());
                    let pb = inputs[0].as_ptr();
                    let mut col = 0;
                    while col < c4 {
                        let (mut xv, mut yv) = (v::load(px.add(e0 + col)), v::load(py.add(e0 + col)));
                        if rel {
                            let bv = v::load(pb.add(e0 + col));
                            xv = v::sub(xv, bv);
                            yv = v::sub(yv, bv);
                        }
                        let lo = v::dadd(v::dload(pa.add(col)), v::dmul(v::lo(xv), v::lo(yv)));
                        let hi = v::dadd(v::dload(pa.add(col + 2)), v::dmul(v::hi(xv), v::hi(yv)));
                        v::dstore(pa.add(col), lo);
                        v::dstore(pa.add(col + 2), hi);
                        col += 4;
                    }
                }
                for col in c4..c {
                    acc[col] += val(x, e0 + col) * val(y, e0 + col);
                }
                p += 1;
            }
        }
        r += 1;
    }
}

/// Statistics pass of column-wise methods. Params: `[block_rows, rel]`. The chunk holds whole
/// rows of `row_len` columns and starts at a multiple of `block_rows` rows; `out_words ≥
/// blocks·P·row_len` (zeroed). Writes [`col_gram`]. `1 ≤ k ≤ 16` (`2 ≤ k` with `rel`).
///
/// # Safety
/// `ctx` must point to a valid [`Ctx`] following the memory contract of `program.rs`.
#[no_mangle]
pub unsafe extern "C" fn geo_col_gram(ctx: u32) {
    let c = Ctx::read(ctx);
    let k = c.k as usize;
    let br = c.param(0, 0.0) as usize;
    let rel = c.param(1, 0.0) != 0.0;
    let (n, rl) = (c.n as usize, c.row_len as usize);
    crate::check(k >= 1 + usize::from(rel) && k <= MAX_K && br >= 1 && rl >= 1 && n % rl == 0);
    crate::check(c.first() % (br * rl) as u64 == 0);
    let blocks = (n / rl + br - 1) / br;
    crate::check(c.out_words as usize >= blocks * pairs(vec_count(k, rel)) * rl);
    let mut ins: [&[f32]; MAX_K] = [&[]; MAX_K];
    for (j, slot) in ins.iter_mut().enumerate().take(k) {
        *slot = c.input(j);
    }
    col_gram(&ins[..k], rel, rl, br, c.stats_out(), true);
}

/// Per-column linear combination over a chunk of whole rows: coefficient `i` of column `col` is
/// `co[i·c + col]`; each element is [`combine_one`]'s formula with its column's coefficients.
pub fn combine_cols(inputs: &[&[f32]], rel: bool, co: &[f32], c: usize, out: &mut [f32], simd: bool) {
    let k = inputs.len();
    let m = vec_count(k, rel);
    let off = usize::from(rel);
    let rows = out.len() / c;
    let c4 = if simd { c / 4 * 4 } else { 0 };
    let mut set = [0f32; MAX_K];
    for r in 0..rows {
        let e0 = r * c;
        // Safety: col + 4 <= c4 <= c; every index < (r + 1)·c <= the slices' lengths.
        unsafe {
            let po = out.as_mut_ptr();
            let mut col = 0;
            while col < c4 {
                let b = v::load(inputs[0].as_ptr().add(e0 + col));
                let term = |i: usize| {
                    let x = v::load(inputs[i + off].as_ptr().add(e0 + col));
                    v::mul(v::load(co.as_ptr().add(i * c + col)), if rel { v::sub(x, b) } else { x })
                };
                let mut acc = term(0);
                for i in 1..m {
                    acc = v::add(acc, term(i));
                }
                v::store(po.add(e0 + col), if rel { v::add(b, acc) } else { acc });
                col += 4;
            }
        }
        for col in c4..c {
            for (i, s) in set.iter_mut().enumerate().take(m) {
                *s = co[i * c + col];
            }
            out[e0 + col] = combine_one(inputs, rel, &set[..m], e0 + col);
        }
    }
}

/// Apply pass of column-wise methods. Params: `[rel, c…]` with `m·row_len` coefficients,
/// coefficient `i` of column `col` at `1 + i·row_len + col`. The chunk holds whole rows.
/// Scratch: `4·m·row_len` bytes (the coefficients as f32). Writes `f32[n]` at `out`.
///
/// # Safety
/// `ctx` must point to a valid [`Ctx`] following the memory contract of `program.rs`.
#[no_mangle]
pub unsafe extern "C" fn geo_combine_cols(ctx: u32) {
    let c = Ctx::read(ctx);
    let k = c.k as usize;
    let p = c.params();
    crate::check(!p.is_empty());
    let rel = p[0] != 0.0;
    let (n, rl) = (c.n as usize, c.row_len as usize);
    crate::check(k >= 1 + usize::from(rel) && k <= MAX_K && rl >= 1 && n % rl == 0);
    let m = vec_count(k, rel);
    crate::check(p.len() - 1 >= m * rl && c.scratch_bytes as usize >= 4 * m * rl);
    let co = core::slice::from_raw_parts_mut(c.scratch as usize as *mut f32, m * rl);
    for (i, x) in co.iter_mut().enumerate() {
        *x = p[1 + i] as f32;
    }
    let mut ins: [&[f32]; MAX_K] = [&[]; MAX_K];
    for (j, slot) in ins.iter_mut().enumerate().take(k) {
        *slot = c.input(j);
    }
    combine_cols(&ins[..k], rel, co, rl, c.apply_out(), true);
}

// ---------------------------------------------------------------------------------------------
// NearSwap.
// ---------------------------------------------------------------------------------------------

/// Smallest |base − other| NearSwap divides by (mergekit's `clamp(min=1e-6)`).
const NEARSWAP_MIN: f32 = 1e-6;

/// Scalar reference, f32: `d = |b − x|; d = d if 1e-6 < d else 1e-6; w = t / d;
/// w = w if 0 < w else 0; w = w if w < 1 else 1; out = w·x + (1 − w)·b`.
pub fn nearswap_ref(base: &[f32], other: &[f32], t: f32, out: &mut [f32]) {
    for e in 0..out.len() {
        let (b, x) = (base[e], other[e]);
        let d = fabs32(b - x);
        let d = if NEARSWAP_MIN < d { d } else { NEARSWAP_MIN };
        let w = t / d;
        let w = if 0.0 < w { w } else { 0.0 };
        let w = if w < 1.0 { w } else { 1.0 };
        out[e] = w * x + (1.0 - w) * b;
    }
}

/// SIMD version of [`nearswap_ref`] (identical results).
pub fn nearswap(base: &[f32], other: &[f32], t: f32, out: &mut [f32]) {
    let n = out.len();
    assert!(base.len() == n && other.len() == n);
    let n4 = n / 4 * 4;
    let (tv, lo, zero, one) = (v::splat(t), v::splat(NEARSWAP_MIN), v::splat(0.0), v::splat(1.0));
    let (pb, px, po) = (base.as_ptr(), other.as_ptr(), out.as_mut_ptr());
    let mut e = 0;
    // Safety: e + 4 <= n for every access.
    unsafe {
        while e < n4 {
            let b = v::load(pb.add(e));
            let x = v::load(px.add(e));
            let d = v::pmax(lo, v::abs(v::sub(b, x)));
            let w = v::pmin(one, v::pmax(zero, v::div(tv, d)));
            v::store(po.add(e), v::add(v::mul(w, x), v::mul(v::sub(one, w), b)));
            e += 4;
        }
    }
    nearswap_ref(&base[n4..], &other[n4..], t, &mut out[n4..]);
}

/// Apply pass of `nearswap` (no statistics). `k == 2` (base, other); params `[t]`. Writes
/// `f32[n]` at `out`.
///
/// # Safety
/// `ctx` must point to a valid [`Ctx`] following the memory contract of `program.rs`.
#[no_mangle]
pub unsafe extern "C" fn geo_nearswap(ctx: u32) {
    let c = Ctx::read(ctx);
    crate::check(c.k == 2 && c.nparams >= 1);
    nearswap(c.input(0), c.input(1), c.param(0, 0.0) as f32, c.apply_out());
}

// ---------------------------------------------------------------------------------------------
// Arcee Fusion.
// ---------------------------------------------------------------------------------------------

const LN2_HI: f64 = 6.931_471_803_691_238_164_90e-01;
const LN2_LO: f64 = 1.908_214_929_270_587_700_02e-10;
const LOG2E: f64 = 1.442_695_040_888_963_387_00;

/// `1/i!` for `i ≤ 13` (each correctly rounded: the factorials are exact in f64).
const INV_FACT: [f64; 14] = [
    1.0, 1.0, 1.0 / 2.0, 1.0 / 6.0, 1.0 / 24.0, 1.0 / 120.0, 1.0 / 720.0, 1.0 / 5040.0, 1.0 / 40320.0,
    1.0 / 362880.0, 1.0 / 3628800.0, 1.0 / 39916800.0, 1.0 / 479001600.0, 1.0 / 6227020800.0,
];
/// `1/(2j+1)` for `j ≤ 11`.
const INV_ODD: [f64; 12] = [
    1.0, 1.0 / 3.0, 1.0 / 5.0, 1.0 / 7.0, 1.0 / 9.0, 1.0 / 11.0, 1.0 / 13.0, 1.0 / 15.0, 1.0 / 17.0,
    1.0 / 19.0, 1.0 / 21.0, 1.0 / 23.0,
];

/// `2^k` for `-1022 ≤ k ≤ 1023`.
fn pow2(k: i64) -> f64 {
    f64::from_bits(((k + 1023) as u64) << 52)
}

/// `e^x` in f64 (no std on wasm32): `x = k·ln2 + r`, `|r| ≤ ln2/2`, Taylor series of degree 13
/// for `e^r` (truncation < 1e-17 relative), scaled by `2^k`. Relative error ≲ 4e-16.
pub fn exp64(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    if x > 709.78 {
        return f64::INFINITY;
    }
    if x < -745.2 {
        return 0.0;
    }
    // k = round-to-nearest-even(x·log2 e) by the 1.5·2^52 trick (|k| ≤ 1075): no float→int cast
    const ROUND: f64 = 6_755_399_441_055_744.0;
    let kr = x * LOG2E + ROUND;
    let kd = kr - ROUND;
    let k = (kr.to_bits() as i64) - (ROUND.to_bits() as i64);
    let r = (x - kd * LN2_HI) - kd * LN2_LO;
    // Σ_{i≤13} r^i / i! in Estrin's scheme (short dependency chains: this runs per element)
    let c = &INV_FACT;
    let r2 = r * r;
    let r4 = r2 * r2;
    let r8 = r4 * r4;
    let (a0, a1, a2, a3) = (c[0] + c[1] * r, c[2] + c[3] * r, c[4] + c[5] * r, c[6] + c[7] * r);
    let (a4, a5, a6) = (c[8] + c[9] * r, c[10] + c[11] * r, c[12] + c[13] * r);
    let lo = (a0 + a1 * r2) + (a2 + a3 * r2) * r4;
    let hi = (a4 + a5 * r2) + a6 * r4;
    let p = lo + hi * r8;
    if k >= -1021 {
        p * pow2(k)
    } else {
        p * pow2(k + 1000) * pow2(-1000)
    }
}

/// Natural logarithm in f64 for `x > 0` (`NaN` for `x ≤ 0` or NaN, `+inf` for `+inf`):
/// `x = m·2^e` with `m ∈ [√½, √2)`, `ln m = 2·atanh(s)`, `s = (m−1)/(m+1)`, `|s| ≤ 0.172`,
/// series to `s^23`. Relative error ≲ 4e-16 (absolute near `x = 1`).
pub fn ln64(x: f64) -> f64 {
    if x.is_nan() || x <= 0.0 {
        return f64::NAN;
    }
    if x.is_infinite() {
        return x;
    }
    let mut bits = x.to_bits();
    let mut e: i64 = 0;
    if bits >> 52 == 0 {
        // subnormal: scale by 2^54
        bits = (x * pow2(54)).to_bits();
        e -= 54;
    }
    e += ((bits >> 52) & 0x7ff) as i64 - 1023;
    let mut m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | (1023u64 << 52));
    if m > core::f64::consts::SQRT_2 {
        m *= 0.5;
        e += 1;
    }
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    // Σ_{j≤11} s2^j / (2j+1) in Estrin's scheme
    let c = &INV_ODD;
    let t2 = s2 * s2;
    let t4 = t2 * t2;
    let t8 = t4 * t4;
    let (b0, b1, b2, b3) = (c[0] + c[1] * s2, c[2] + c[3] * s2, c[4] + c[5] * s2, c[6] + c[7] * s2);
    let (b4, b5) = (c[8] + c[9] * s2, c[10] + c[11] * s2);
    let series = ((b0 + b1 * t2) + (b2 + b3 * t2) * t4) + (b4 + b5 * t2) * t8;
    let ed = e as f64;
    ed * LN2_HI + (ed * LN2_LO + 2.0 * s * series)
}

/// mergekit's `eps` added to both softmax distributions.
const FUSION_EPS: f64 = 1e-8;

/// KL divergence `Σ p·ln(p/q)` of one row, with `p = softmax(other) + 1e-8`,
/// `q = softmax(base) + 1e-8` (mergekit's `_compute_importance`), in f64: maxima in f32,
/// `Σ exp(x − max)` in f64 in index order, then the KL sum in index order. `scratch` holds at
/// least `2·len` f64 (the exponentials, computed once).
pub fn row_kl(base: &[f32], other: &[f32], scratch: &mut [f64]) -> f64 {
    let n = base.len();
    let max = |x: &[f32]| x.iter().fold(f32::NEG_INFINITY, |m, &v| if v > m { v } else { m }) as f64;
    let (mb, mo) = (max(base), max(other));
    let (eb, rest) = scratch.split_at_mut(n);
    let eo = &mut rest[..n];
    let (mut sb, mut so) = (0f64, 0f64);
    for e in 0..n {
        eb[e] = exp64(base[e] as f64 - mb);
        eo[e] = exp64(other[e] as f64 - mo);
        sb += eb[e];
        so += eo[e];
    }
    let mut kl = 0f64;
    for e in 0..n {
        let p = eo[e] / so + FUSION_EPS;
        let q = eb[e] / sb + FUSION_EPS;
        kl += p * ln64(p / q);
    }
    kl
}

/// Per-row KL of a chunk of whole rows: `out[r] = row_kl(row r of base, row r of other)`.
pub fn fusion_kl(base: &[f32], other: &[f32], row_len: usize, scratch: &mut [f64], out: &mut [f64]) {
    let mut r = 0;
    let mut s = 0;
    while s < base.len() {
        let e = core::cmp::min(base.len(), s + row_len);
        out[r] = row_kl(&base[s..e], &other[s..e], scratch);
        s = e;
        r += 1;
    }
}

/// Statistics pass 1 of `arcee_fusion`: per-row KL ([`fusion_kl`]). `k == 2` (base, other),
/// chunks of whole rows, `out_words ≥ rows in the chunk`, scratch (8-byte aligned) of at least
/// `16·row_len` bytes. No params.
///
/// # Safety
/// `ctx` must point to a valid [`Ctx`] following the memory contract of `program.rs`.
#[no_mangle]
pub unsafe extern "C" fn geo_fusion_kl(ctx: u32) {
    let c = Ctx::read(ctx);
    let (n, rl) = (c.n as usize, c.row_len as usize);
    crate::check(c.k == 2 && rl >= 1 && c.first() % rl as u64 == 0 && c.out_words as usize >= (n + rl - 1) / rl);
    crate::check(c.scratch_bytes as usize >= 16 * rl && c.scratch % 8 == 0);
    let scratch = core::slice::from_raw_parts_mut(c.scratch as usize as *mut f64, 2 * rl);
    fusion_kl(c.input(0), c.input(1), rl, scratch, c.stats_out());
}

/// Importance of one element: `|other − base|` (f32) times the row's KL, rounded to f32.
#[inline(always)]
pub fn importance(base: f32, other: f32, kl: f64) -> f32 {
    (fabs32(other - base) as f64 * kl) as f32
}

/// Order-preserving map of f32 bits to u32 (negative values below positive ones; NaNs last
/// or first by sign, like a total order).
#[inline(always)]
pub fn order_key(x: f32) -> u32 {
    let b = x.to_bits();
    if b & 0x8000_0000 != 0 {
        !b
    } else {
        b | 0x8000_0000
    }
}

/// Histogram of importance keys (see [`order_key`]). `level == 0`: `out[key >> 16] += 1`
/// (65536 bins). `level == 1`: for each `q < prefixes.len()` with `key >> 16 == prefixes[q]`,
/// `out[q·65536 + (key & 0xffff)] += 1`. `kl[r]` is the KL of global row `r`.
pub fn fusion_hist(base: &[f32], other: &[f32], kl: &[f64], row_len: usize, first: u64, level: u32, prefixes: &[u32], out: &mut [f64]) {
    for e in 0..base.len() {
        let row = (first as usize + e) / row_len;
        let key = order_key(importance(base[e], other[e], kl[row]));
        if level == 0 {
            out[(key >> 16) as usize] += 1.0;
        } else {
            for (q, &p) in prefixes.iter().enumerate() {
                if key >> 16 == p {
                    out[q * 65536 + (key & 0xffff) as usize] += 1.0;
                }
            }
        }
    }
}

/// Statistics passes 2 and 3 of `arcee_fusion`. `k == 2`. Params: `[level, nq, prefix_0 ..
/// prefix_{nq-1}, kl of every row…]`; `out_words ≥ 65536` (level 0) or `nq·65536` (level 1).
///
/// # Safety
/// `ctx` must point to a valid [`Ctx`] following the memory contract of `program.rs`.
#[no_mangle]
pub unsafe extern "C" fn geo_fusion_hist(ctx: u32) {
    let c = Ctx::read(ctx);
    let p = c.params();
    crate::check(c.k == 2 && p.len() >= 2 && c.row_len >= 1);
    let level = p[0] as u32;
    let nq = p[1] as usize;
    crate::check(nq <= 4 && p.len() >= 2 + nq);
    let mut prefixes = [0u32; 4];
    for q in 0..nq {
        prefixes[q] = p[2 + q] as u32;
    }
    let kl = &p[2 + nq..];
    let n = c.n as usize;
    let rows = if n == 0 { 0 } else { (c.first() as usize + n - 1) / c.row_len as usize + 1 };
    crate::check(kl.len() >= rows && c.out_words as usize >= if level == 0 { 65536 } else { nq * 65536 });
    fusion_hist(c.input(0), c.input(1), kl, c.row_len as usize, c.first(), level, &prefixes[..nq], c.stats_out());
}

/// `out[e] = other[e]` where `importance ≥ threshold` (compared in f64), else `base[e]`.
pub fn fusion_apply(base: &[f32], other: &[f32], kl: &[f64], row_len: usize, first: u64, threshold: f64, out: &mut [f32]) {
    for e in 0..out.len() {
        let row = (first as usize + e) / row_len;
        let imp = importance(base[e], other[e], kl[row]) as f64;
        out[e] = if imp >= threshold { other[e] } else { base[e] };
    }
}

/// Apply pass of `arcee_fusion`. `k == 2`. Params: `[threshold, kl of every row…]`.
///
/// # Safety
/// `ctx` must point to a valid [`Ctx`] following the memory contract of `program.rs`.
#[no_mangle]
pub unsafe extern "C" fn geo_fusion_apply(ctx: u32) {
    let c = Ctx::read(ctx);
    let p = c.params();
    crate::check(c.k == 2 && !p.is_empty() && c.row_len >= 1);
    let n = c.n as usize;
    let rows = if n == 0 { 0 } else { (c.first() as usize + n - 1) / c.row_len as usize + 1 };
    crate::check(p.len() - 1 >= rows);
    fusion_apply(c.input(0), c.input(1), &p[1..], c.row_len as usize, c.first(), p[0], c.apply_out());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::convert::tests::Rng;

    fn randn(rng: &mut Rng, n: usize, scale: f32) -> Vec<f32> {
        (0..n).map(|_| ((rng.next_u32() as f64 / 4294967296.0 - 0.5) as f32) * scale).collect()
    }

    #[test]
    fn gram_tiled_of_stored_dtypes_is_gram_of_widened() {
        use crate::convert::{BF16, F16};
        use crate::program::tests::{decode, encode};
        let mut rng = crate::convert::tests::Rng(3);
        let n = 5 * 64 + 17;
        for (rel, dt) in [(false, BF16), (true, F16), (false, F16)] {
            let vals: Vec<Vec<f32>> = (0..3).map(|_| (0..n).map(|_| rng.next_u32() as f32 / 4294967296.0 - 0.5).collect()).collect();
            let bytes: Vec<Vec<u8>> = vals.iter().map(|v| encode(v, dt)).collect();
            let raw: Vec<Raw> = bytes.iter().map(|b| Raw { dtype: dt, bytes: b }).collect();
            let wide: Vec<Vec<f32>> = bytes.iter().map(|b| decode(b, dt)).collect();
            let refs: Vec<&[f32]> = wide.iter().map(|v| v.as_slice()).collect();
            let pp = pairs(vec_count(3, rel));
            let mut want = vec![0f64; segments(n, 64) * pp];
            gram(&refs, rel, 64, &mut want, false);
            let mut got = vec![0f64; segments(n, 64) * pp];
            let tile = 128;
            let mut stage = vec![0f32; 4 * crate::program::stride(tile)];
            gram_tiled(&raw, rel, 64, tile, &mut got, &mut stage);
            assert_eq!(want, got);
            if !rel {
                // the direct BF16 pair (slerp) and its combination
                let two = &raw[..2];
                let mut want = vec![0f64; segments(n, 64) * 3];
                gram(&refs[..2], false, 64, &mut want, false);
                let mut got = vec![0f64; segments(n, 64) * 3];
                gram_tiled(two, false, 64, tile, &mut got, &mut stage);
                assert_eq!(want, got);
                let coeffs: Vec<f64> = (0..2 * 8).map(|i| 0.3 + 0.1 * i as f64).collect();
                for (mode, first) in [(CoeffMode::Global, 0), (CoeffMode::PerRow, 0), (CoeffMode::PerRow, 64)] {
                    let mut f = vec![0f32; n];
                    combine(&refs[..2], false, &coeffs, mode, 64, first, &mut f, false);
                    let mut got = vec![0u8; 2 * n];
                    if dt == BF16 {
                        combine2_bf16(two, &coeffs, mode, 64, first, &mut got);
                        assert_eq!(encode(&f, BF16), got);
                    }
                }
            }
        }
    }

    #[test]
    fn dot_simd_matches_reference_bitwise() {
        let mut rng = Rng(7);
        for n in [0usize, 1, 3, 4, 5, 17, 4096, 4099] {
            let (a, b, c) = (randn(&mut rng, n, 2.0), randn(&mut rng, n, 1e3), randn(&mut rng, n, 0.01));
            for base in [None, Some(&c[..])] {
                assert_eq!(dot(&a, &b, base).to_bits(), dot_ref(&a, &b, base).to_bits(), "n={}", n);
                // and close to the plain f64 sum
                let plain: f64 = (0..n).map(|e| match base {
                    Some(bs) => ((a[e] - bs[e]) as f64) * ((b[e] - bs[e]) as f64),
                    None => a[e] as f64 * b[e] as f64,
                }).sum();
                let mag: f64 = (0..n).map(|e| (a[e] as f64 * b[e] as f64).abs() + 1.0).sum();
                assert!((dot(&a, &b, base) - plain).abs() <= 1e-13 * mag);
            }
        }
    }

    #[test]
    fn fused_two_vector_gram_matches_reference_bitwise() {
        let mut rng = Rng(23);
        for n in [0usize, 3, 4, 9, 4096, 4101] {
            let (a, b, c) = (randn(&mut rng, n, 1.0), randn(&mut rng, n, 5.0), randn(&mut rng, n, 0.5));
            for base in [None, Some(&c[..])] {
                let g = dot3(&a, &b, base);
                let want = [dot_ref(&a, &a, base), dot_ref(&a, &b, base), dot_ref(&b, &b, base)];
                assert_eq!(g.map(f64::to_bits), want.map(f64::to_bits), "n={}", n);
            }
            // through `gram`, k = 2 plain and k = 3 relative, several segments
            let ins: [&[f32]; 3] = [&c, &a, &b];
            for (k, rel) in [(2usize, false), (3, true)] {
                let segs = segments(n, 1000).max(1);
                let (mut x, mut y) = (vec![0f64; 3 * segs], vec![0f64; 3 * segs]);
                gram(&ins[..k], rel, 1000, &mut x, true);
                gram(&ins[..k], rel, 1000, &mut y, false);
                assert_eq!(x, y);
            }
        }
    }

    #[test]
    fn gram_segments_and_pairs() {
        let mut rng = Rng(11);
        let n = 10;
        let xs: Vec<Vec<f32>> = (0..3).map(|_| randn(&mut rng, n, 1.0)).collect();
        let ins: Vec<&[f32]> = xs.iter().map(|x| &x[..]).collect();
        let mut out = vec![0f64; 3 * 6];
        gram(&ins, false, 4, &mut out, true);
        let mut out_ref = vec![0f64; 3 * 6];
        gram(&ins, false, 4, &mut out_ref, false);
        assert_eq!(out, out_ref);
        // segment 2 (elements 8, 9), pair (1, 2) is index 4
        assert_eq!(out[2 * 6 + 4], xs[1][8] as f64 * xs[2][8] as f64 + xs[1][9] as f64 * xs[2][9] as f64);
        // rel: vectors x1 − x0, x2 − x0
        let mut rel = vec![0f64; 3 * 3];
        gram(&ins, true, 4, &mut rel, true);
        let d = |i: usize, e: usize| (xs[i][e] - xs[0][e]) as f64;
        assert_eq!(rel[2 * 3 + 1], d(1, 8) * d(2, 8) + d(1, 9) * d(2, 9));
    }

    #[test]
    fn combine_simd_matches_reference_bitwise() {
        let mut rng = Rng(5);
        for k in 1..=5usize {
            for rel in [false, true] {
                if rel && k < 2 {
                    continue;
                }
                let m = vec_count(k, rel);
                for (n, row_len, first) in [(37usize, 37usize, 0u64), (45, 9, 18), (4096, 4096, 4096), (13, 13, 0)] {
                    let xs: Vec<Vec<f32>> = (0..k).map(|_| randn(&mut rng, n, 3.0)).collect();
                    let ins: Vec<&[f32]> = xs.iter().map(|x| &x[..]).collect();
                    let rows = (first as usize + n) / row_len + 1;
                    let coeffs: Vec<f64> = (0..rows * m).map(|_| rng.next_u32() as f64 / 2e9 - 1.0).collect();
                    for mode in [CoeffMode::Global, CoeffMode::PerRow] {
                        let mut a = vec![0f32; n];
                        let mut b = vec![0f32; n];
                        combine(&ins, rel, &coeffs, mode, row_len, first, &mut a, true);
                        combine(&ins, rel, &coeffs, mode, row_len, first, &mut b, false);
                        assert_eq!(a.iter().map(|x| x.to_bits()).collect::<Vec<_>>(), b.iter().map(|x| x.to_bits()).collect::<Vec<_>>());
                        // spot-check the formula of the last element
                        let e = n - 1;
                        let set = if mode == CoeffMode::Global { 0 } else { (first as usize + e) / row_len };
                        let co: Vec<f32> = (0..m).map(|i| coeffs[set * m + i] as f32).collect();
                        let want = if rel {
                            let mut acc = co[0] * (xs[1][e] - xs[0][e]);
                            for i in 1..m {
                                acc = acc + co[i] * (xs[i + 1][e] - xs[0][e]);
                            }
                            xs[0][e] + acc
                        } else {
                            let mut acc = co[0] * xs[0][e];
                            for i in 1..m {
                                acc = acc + co[i] * xs[i][e];
                            }
                            acc
                        };
                        assert_eq!(a[e].to_bits(), want.to_bits());
                    }
                }
            }
        }
    }

    #[test]
    fn column_gram_and_combine_simd_match_reference() {
        let mut rng = Rng(29);
        for (rows, c, br) in [(7usize, 13usize, 3usize), (5, 8, 64), (9, 4, 2)] {
            for (k, rel) in [(2usize, false), (3, true), (3, false)] {
                let n = rows * c;
                let xs: Vec<Vec<f32>> = (0..k).map(|_| randn(&mut rng, n, 2.0)).collect();
                let ins: Vec<&[f32]> = xs.iter().map(|x| &x[..]).collect();
                let m = vec_count(k, rel);
                let blocks = (rows + br - 1) / br;
                let (mut a, mut b) = (vec![0f64; blocks * pairs(m) * c], vec![0f64; blocks * pairs(m) * c]);
                col_gram(&ins, rel, c, br, &mut a, true);
                col_gram(&ins, rel, c, br, &mut b, false);
                assert_eq!(a, b);
                // summed over blocks: the column dot products
                let v = |i: usize, e: usize| if rel { (xs[i + 1][e] - xs[0][e]) as f64 } else { xs[i][e] as f64 };
                for col in 0..c {
                    let want: f64 = (0..rows).map(|r| v(0, r * c + col) * v(1, r * c + col)).sum();
                    let got: f64 = (0..blocks).map(|bl| a[(bl * pairs(m) + 1) * c + col]).sum();
                    assert!((want - got).abs() <= 1e-12 * (1.0 + want.abs()));
                }
                let co: Vec<f32> = (0..m * c).map(|_| rng.next_u32() as f32 / 4e9 - 0.5).collect();
                let (mut o1, mut o2) = (vec![0f32; n], vec![0f32; n]);
                combine_cols(&ins, rel, &co, c, &mut o1, true);
                combine_cols(&ins, rel, &co, c, &mut o2, false);
                assert_eq!(o1, o2);
                let e = n - 1;
                let set: Vec<f32> = (0..m).map(|i| co[i * c + e % c]).collect();
                assert_eq!(o1[e].to_bits(), combine_one(&ins, rel, &set, e).to_bits());
            }
        }
    }

    #[test]
    fn nearswap_simd_matches_reference() {
        let mut rng = Rng(3);
        let n = 1031;
        let b = randn(&mut rng, n, 1.0);
        let mut x = randn(&mut rng, n, 1.0);
        x[0] = b[0]; // |d| = 0 → clamped to 1e-6
        x[1] = f32::NAN;
        for t in [0.0f32, 1e-4, 0.3, 5.0] {
            let (mut o1, mut o2) = (vec![0f32; n], vec![0f32; n]);
            nearswap(&b, &x, t, &mut o1);
            nearswap_ref(&b, &x, t, &mut o2);
            for e in 0..n {
                assert!(o1[e].to_bits() == o2[e].to_bits() || (o1[e].is_nan() && o2[e].is_nan()));
            }
            // formula check in f64
            for e in 2..n {
                let d = ((b[e] - x[e]).abs() as f64).max(1e-6);
                let w = (t as f64 / d).clamp(0.0, 1.0);
                let want = w * x[e] as f64 + (1.0 - w) * b[e] as f64;
                assert!((o1[e] as f64 - want).abs() <= 1e-6 * (b[e].abs() + x[e].abs()) as f64 + 1e-30);
            }
        }
    }

    #[test]
    fn exp_and_ln_match_std() {
        let mut rng = Rng(9);
        let mut worst_e = 0f64;
        let mut worst_l = 0f64;
        for i in 0..200_000 {
            let u = rng.next_u32() as f64 / 4294967296.0;
            let x = -745.0 * u + if i % 2 == 0 { 0.0 } else { 700.0 * u * u };
            let (a, b) = (exp64(x), x.exp());
            if b > 1e-300 {
                worst_e = worst_e.max(((a - b) / b).abs());
            }
            let y = f64::from_bits(rng.next_u64() & 0x7fef_ffff_ffff_ffff);
            if y > 0.0 {
                let (c, d) = (ln64(y), y.ln());
                worst_l = worst_l.max((c - d).abs() / d.abs().max(1.0));
            }
        }
        for &x in &[1.0f64, 1.0 + 1e-12, 0.999_999, 2.0, 0.5, 1e-8, 1e8, 5e-324] {
            assert!((ln64(x) - x.ln()).abs() <= 4e-16 * x.ln().abs().max(1e-300) + 1e-30, "ln {}", x);
        }
        assert!(worst_e < 1e-15, "exp rel err {}", worst_e);
        assert!(worst_l < 1e-15, "ln err {}", worst_l);
        assert_eq!(exp64(0.0), 1.0);
        assert_eq!(exp64(-800.0), 0.0);
        assert!(ln64(0.0).is_nan());
    }

    #[test]
    fn kl_matches_std_formula() {
        let mut rng = Rng(13);
        let row = 50;
        let a = randn(&mut rng, 3 * row, 4.0);
        let b = randn(&mut rng, 3 * row, 4.0);
        let mut out = [0f64; 3];
        let mut scratch = vec![0f64; 2 * row];
        fusion_kl(&a, &b, row, &mut scratch, &mut out);
        for r in 0..3 {
            let (ar, br) = (&a[r * row..(r + 1) * row], &b[r * row..(r + 1) * row]);
            let sm = |x: &[f32]| {
                let m = x.iter().cloned().fold(f32::NEG_INFINITY, f32::max) as f64;
                let s: f64 = x.iter().map(|&v| (v as f64 - m).exp()).sum();
                x.iter().map(|&v| (v as f64 - m).exp() / s + 1e-8).collect::<Vec<f64>>()
            };
            let (p, q) = (sm(br), sm(ar));
            let want: f64 = (0..row).map(|e| p[e] * (p[e] / q[e]).ln()).sum();
            assert!((out[r] - want).abs() <= 1e-12 * want.abs(), "{} vs {}", out[r], want);
            assert!(out[r] > 0.0);
        }
    }

    #[test]
    fn order_key_is_monotone() {
        let vals = [f32::NEG_INFINITY, -2.0, -1e-30, -0.0, 0.0, 1e-40, 1e-30, 1.0, 3.0, f32::INFINITY];
        for w in vals.windows(2) {
            assert!(order_key(w[0]) <= order_key(w[1]), "{} {}", w[0], w[1]);
        }
    }

    #[test]
    fn histograms_count_every_element() {
        let mut rng = Rng(17);
        let (rows, row) = (4, 16);
        let a = randn(&mut rng, rows * row, 1.0);
        let b = randn(&mut rng, rows * row, 1.0);
        let kl = [0.5, 1.0, 2.0, 0.25];
        let mut h0 = vec![0f64; 65536];
        // two chunks of two rows each give the same counts as one
        fusion_hist(&a[..32], &b[..32], &kl, row, 0, 0, &[], &mut h0);
        fusion_hist(&a[32..], &b[32..], &kl, row, 32, 0, &[], &mut h0);
        let mut h1 = vec![0f64; 65536];
        fusion_hist(&a, &b, &kl, row, 0, 0, &[], &mut h1);
        assert_eq!(h0, h1);
        assert_eq!(h0.iter().sum::<f64>(), (rows * row) as f64);
        let e = 37;
        let key = order_key(importance(a[e], b[e], kl[e / row]));
        let mut h2 = vec![0f64; 2 * 65536];
        fusion_hist(&a, &b, &kl, row, 0, 1, &[key >> 16, 0], &mut h2);
        assert!(h2[(key & 0xffff) as usize] >= 1.0);
        let mut out = vec![0f32; rows * row];
        let thr = importance(a[e], b[e], kl[e / row]) as f64;
        fusion_apply(&a, &b, &kl, row, 0, thr, &mut out);
        assert_eq!(out[e], b[e]);
        for i in 0..rows * row {
            let imp = importance(a[i], b[i], kl[i / row]) as f64;
            assert_eq!(out[i], if imp >= thr { b[i] } else { a[i] });
        }
    }
}
