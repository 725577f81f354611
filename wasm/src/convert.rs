//! Dtype conversion: scalar bit-level conversions, the element codecs every kernel
//! family uses (`Dt`), and the `convert` / `scale_convert` kernels.
//!
//! Dtype codes (shared with `src/formats/dtype.ts` `KERNEL_DTYPE_CODE`):
//! 0 = F32, 1 = F16 (IEEE binary16), 2 = BF16.
//!
//! Rounding rules, identical in the scalar `_ref` code, the SIMD code and
//! `src/kernels/js-reference.ts`:
//! - widening (F16/BF16 → F32) is exact, NaN payload and sign included;
//! - F32 → BF16 and F32 → F16 round to nearest, ties to even; F16 overflow → ±Inf;
//!   F16 subnormals are rounded correctly (no flush to zero);
//! - a NaN stays NaN: BF16 `(bits >> 16) | 0x0040`, F16 `sign | 0x7e00 | (mant >> 13 & 0x3ff)`;
//! - kernels that do arithmetic (`scale_convert`, and the ones in `combine.rs`) first
//!   replace any NaN result by the canonical quiet NaN `0x7fc0_0000` (then BF16 `0x7fc0`,
//!   F16 `0x7e00`). WebAssembly leaves the sign and payload of an arithmetic NaN
//!   unspecified (x86 and ARM hosts differ), so this is what keeps outputs bit-identical
//!   on every runner. Pure conversion never does arithmetic and keeps the NaN's sign.

pub const F32: u32 = 0;
pub const F16: u32 = 1;
pub const BF16: u32 = 2;

/// The quiet NaN that arithmetic kernels write for every NaN result.
pub const CANONICAL_NAN: u32 = 0x7fc0_0000;

/// Element size in bytes of a dtype code (codes are validated by the exports).
#[inline(always)]
pub fn dtype_size(code: u32) -> usize {
    if code == F32 {
        4
    } else {
        2
    }
}

#[inline(always)]
pub fn is_valid_dtype(code: u32) -> bool {
    code <= BF16
}

// ---------------------------------------------------------------------------
// Scalar bit-level conversions (the references).
// ---------------------------------------------------------------------------

/// BF16 → F32 bits. Exact.
#[inline(always)]
pub fn bf16_to_f32_bits(h: u16) -> u32 {
    (h as u32) << 16
}

/// F32 bits → BF16, round to nearest even; NaN keeps its sign and gets the quiet bit.
#[inline(always)]
pub fn f32_bits_to_bf16(b: u32) -> u16 {
    if b & 0x7fff_ffff > 0x7f80_0000 {
        return ((b >> 16) | 0x0040) as u16;
    }
    // No overflow: the largest non-NaN pattern is 0xff80_0000.
    ((b + 0x7fff + ((b >> 16) & 1)) >> 16) as u16
}

/// F16 → F32 bits. Exact (subnormals normalised, Inf/NaN payload kept).
#[inline(always)]
pub fn f16_to_f32_bits(h: u16) -> u32 {
    let h = h as u32;
    let sign = (h & 0x8000) << 16;
    let e = (h >> 10) & 0x1f;
    let m = h & 0x3ff;
    let mag = if e == 0x1f {
        0x7f80_0000 | (m << 13)
    } else if e != 0 {
        ((e + 112) << 23) | (m << 13)
    } else if m == 0 {
        0
    } else {
        // m * 2^-24 with the top set bit of m at position p (0..=9).
        let p = 31 - m.leading_zeros();
        ((p + 103) << 23) | ((m << (23 - p)) & 0x7f_ffff)
    };
    sign | mag
}

/// F32 bits → F16, round to nearest even; overflow → ±Inf; NaN → `sign|0x7e00|mant>>13`.
/// Same results as `f32ToF16` in `src/formats/dtype.ts`.
#[inline(always)]
pub fn f32_bits_to_f16(b: u32) -> u16 {
    let sign = (b >> 16) & 0x8000;
    let a = b & 0x7fff_ffff;
    if a > 0x7f80_0000 {
        return (sign | 0x7e00 | ((a >> 13) & 0x3ff)) as u16;
    }
    if a >= 0x477f_f000 {
        // |x| >= 65520 rounds to Inf
        return (sign | 0x7c00) as u16;
    }
    if a < 0x3880_0000 {
        // |x| < 2^-14: a half subnormal (or zero). Value = m * 2^(e' - 150), in half
        // subnormal units (2^-24) that is m >> (126 - e'), rounded to nearest even.
        let e = a >> 23;
        let (m, e) = if e == 0 { (a & 0x7f_ffff, 1) } else { ((a & 0x7f_ffff) | 0x80_0000, e) };
        let s = 126 - e; // >= 14
        if s > 24 {
            return sign as u16; // m < 2^24, so the value is below half a unit
        }
        let r = m >> s;
        let rem = m & ((1 << s) - 1);
        let half = 1 << (s - 1);
        let r = if rem > half || (rem == half && r & 1 == 1) { r + 1 } else { r };
        return (sign | r) as u16;
    }
    let mut h = (((a >> 23) - 112) << 10) | ((a >> 13) & 0x3ff);
    let rest = a & 0x1fff;
    if rest > 0x1000 || (rest == 0x1000 && h & 1 == 1) {
        h += 1; // a carry into the exponent is the correct result
    }
    (sign | h) as u16
}

/// The canonical-NaN rule of the arithmetic kernels.
#[inline(always)]
pub fn canonical_bits(v: f32) -> u32 {
    if v != v {
        CANONICAL_NAN
    } else {
        v.to_bits()
    }
}

// ---------------------------------------------------------------------------
// Element codecs.
// ---------------------------------------------------------------------------

#[cfg(target_arch = "wasm32")]
pub(crate) use simd::Consts;
#[cfg(target_arch = "wasm32")]
use core::arch::wasm32::*;

/// One element type: scalar load/store of f32 bits and (on wasm32) 8-lane SIMD
/// load/store as two `f32x4` vectors.
///
/// SIMD lane layout, chosen per kernel instantiation by `eo` (always a compile-time
/// constant after inlining):
/// - `eo = false` (natural): the vectors hold elements 0..4 and 4..8;
/// - `eo = true` (even/odd): they hold elements 0,2,4,6 and 1,3,5,7. For 16-bit types
///   this is what a 32-bit lane view of the data gives for free (one shift or one mask
///   instead of unpack shuffles), so kernels whose operands are all 16-bit use it.
/// Element-wise arithmetic does not care which layout is used, as long as every operand
/// of one loop uses the same one (`eo(&[sizes])`).
pub(crate) trait Dt {
    const SIZE: usize;
    /// Reads the element at `p` and widens it to f32 bits (exact).
    unsafe fn load_bits(p: *const u8) -> u32;
    /// Narrows f32 bits and writes the element at `p` (NaN sign kept).
    unsafe fn store_bits(p: *mut u8, bits: u32);

    #[inline(always)]
    unsafe fn load(p: *const u8) -> f32 {
        f32::from_bits(Self::load_bits(p))
    }
    /// Stores an arithmetic result: NaN becomes the canonical NaN first.
    #[inline(always)]
    unsafe fn store_canonical(p: *mut u8, v: f32) {
        Self::store_bits(p, canonical_bits(v))
    }

    /// Loads 8 elements at `p` (unaligned-safe) as f32 lanes (exact), in layout `eo`.
    #[cfg(target_arch = "wasm32")]
    unsafe fn load8(p: *const u8, eo: bool, k: &Consts) -> (v128, v128);
    /// Rounds two f32x4 vectors (layout `eo`) and stores 8 elements at `p`. With
    /// `CANON`, NaN lanes are written as the canonical NaN, otherwise with their sign
    /// (as `store_bits`).
    #[cfg(target_arch = "wasm32")]
    unsafe fn store8<const CANON: bool>(p: *mut u8, a: v128, b: v128, eo: bool, k: &Consts);
}

/// The lane layout for a loop over these element sizes: even/odd when all are 16-bit.
#[cfg(target_arch = "wasm32")]
#[inline(always)]
pub(crate) const fn eo(sizes: &[usize]) -> bool {
    let mut i = 0;
    while i < sizes.len() {
        if sizes[i] != 2 {
            return false;
        }
        i += 1;
    }
    true
}

pub(crate) struct F32T;
pub(crate) struct F16T;
pub(crate) struct Bf16T;

#[inline(always)]
unsafe fn rd16(p: *const u8) -> u16 {
    u16::from_le(core::ptr::read_unaligned(p as *const u16))
}
#[inline(always)]
unsafe fn wr16(p: *mut u8, v: u16) {
    core::ptr::write_unaligned(p as *mut u16, v.to_le())
}

impl Dt for F32T {
    const SIZE: usize = 4;
    #[inline(always)]
    unsafe fn load_bits(p: *const u8) -> u32 {
        u32::from_le(core::ptr::read_unaligned(p as *const u32))
    }
    #[inline(always)]
    unsafe fn store_bits(p: *mut u8, bits: u32) {
        core::ptr::write_unaligned(p as *mut u32, bits.to_le())
    }
    #[cfg(target_arch = "wasm32")]
    #[inline(always)]
    unsafe fn load8(p: *const u8, eo: bool, _k: &Consts) -> (v128, v128) {
        let (a, b) = (simd::ld(p), simd::ld(p.add(16)));
        if eo {
            (i32x4_shuffle::<0, 2, 4, 6>(a, b), i32x4_shuffle::<1, 3, 5, 7>(a, b))
        } else {
            (a, b)
        }
    }
    #[cfg(target_arch = "wasm32")]
    #[inline(always)]
    unsafe fn store8<const CANON: bool>(p: *mut u8, a: v128, b: v128, eo: bool, k: &Consts) {
        let (a, b) = if CANON {
            (v128_bitselect(k.canon, a, f32x4_ne(a, a)), v128_bitselect(k.canon, b, f32x4_ne(b, b)))
        } else {
            (a, b)
        };
        let (a, b) = if eo { (i32x4_shuffle::<0, 4, 1, 5>(a, b), i32x4_shuffle::<2, 6, 3, 7>(a, b)) } else { (a, b) };
        simd::st(p, a);
        simd::st(p.add(16), b);
    }
}

impl Dt for Bf16T {
    const SIZE: usize = 2;
    #[inline(always)]
    unsafe fn load_bits(p: *const u8) -> u32 {
        bf16_to_f32_bits(rd16(p))
    }
    #[inline(always)]
    unsafe fn store_bits(p: *mut u8, bits: u32) {
        wr16(p, f32_bits_to_bf16(bits))
    }
    #[cfg(target_arch = "wasm32")]
    #[inline(always)]
    unsafe fn load8(p: *const u8, eo: bool, k: &Consts) -> (v128, v128) {
        simd::hi16_pair(eo, simd::ld(p), k)
    }
    #[cfg(target_arch = "wasm32")]
    #[inline(always)]
    unsafe fn store8<const CANON: bool>(p: *mut u8, a: v128, b: v128, eo: bool, k: &Consts) {
        if CANON {
            // Round, pack, then patch NaN lanes with 0x7fc0 in 16-bit form (cheaper than
            // patching the two f32 vectors).
            let packed = simd::pack_hi16(eo, simd::bf16_rne(a, k), simd::bf16_rne(b, k));
            let nan = simd::pack_mask16(eo, f32x4_ne(a, a), f32x4_ne(b, b));
            simd::st(p, v128_bitselect(k.canon16, packed, nan));
        } else {
            let packed = simd::pack_hi16(eo, simd::bf16_rne_keep_nan(a, k), simd::bf16_rne_keep_nan(b, k));
            simd::st(p, packed);
        }
    }
}

impl Dt for F16T {
    const SIZE: usize = 2;
    #[inline(always)]
    unsafe fn load_bits(p: *const u8) -> u32 {
        f16_to_f32_bits(rd16(p))
    }
    #[inline(always)]
    unsafe fn store_bits(p: *mut u8, bits: u32) {
        wr16(p, f32_bits_to_f16(bits))
    }
    #[cfg(target_arch = "wasm32")]
    #[inline(always)]
    unsafe fn load8(p: *const u8, eo: bool, k: &Consts) -> (v128, v128) {
        let (a, b) = simd::hi16_pair(eo, simd::ld(p), k);
        (simd::f16_decode(a, k), simd::f16_decode(b, k))
    }
    #[cfg(target_arch = "wasm32")]
    #[inline(always)]
    unsafe fn store8<const CANON: bool>(p: *mut u8, a: v128, b: v128, eo: bool, k: &Consts) {
        let (ra, rb) = (simd::f16_encode::<CANON>(a, k), simd::f16_encode::<CANON>(b, k));
        simd::st(p, simd::pack_lo16(eo, ra, rb));
    }
}

/// Expands to `$body` with `$T` bound to the codec type of dtype code `$code`
/// (codes must have been validated: anything but 0 and 1 is BF16).
macro_rules! with_dt {
    ($code:expr, $T:ident => $body:expr) => {
        match $code {
            $crate::convert::F32 => {
                type $T = $crate::convert::F32T;
                $body
            }
            $crate::convert::F16 => {
                type $T = $crate::convert::F16T;
                $body
            }
            _ => {
                type $T = $crate::convert::Bf16T;
                $body
            }
        }
    };
}
pub(crate) use with_dt;

/// Address `off` in the linear memory that starts at `mem` (0 on wasm32; a test
/// buffer's address natively).
#[inline(always)]
pub(crate) fn at(mem: usize, off: u32) -> *mut u8 {
    mem.wrapping_add(off as usize) as *mut u8
}

// ---------------------------------------------------------------------------
// SIMD building blocks (wasm32 only).
// ---------------------------------------------------------------------------

#[cfg(target_arch = "wasm32")]
pub(crate) mod simd {
    use core::arch::wasm32::*;
    use core::ptr::{addr_of, read_volatile};

    #[repr(C, align(16))]
    pub struct Splat([u32; 4]);

    macro_rules! consts {
        ($($name:ident = $val:expr;)*) => {
            mod k {
                $(#[allow(non_upper_case_globals)] pub static $name: super::Splat = super::Splat([$val; 4]);)*
            }
            /// Loop constants. Loaded from memory with volatile reads once per kernel
            /// call, so that the engine sees locals rather than `v128.const`s inside
            /// the loop (V8 13.x re-materialises every `v128.const` in hot loops).
            pub struct Consts { $(pub $name: v128,)* }
            impl Consts {
                #[inline(always)]
                pub unsafe fn load() -> Consts {
                    Consts { $($name: read_volatile(addr_of!(k::$name) as *const v128),)* }
                }
            }
        };
    }

    consts! {
        zero = 0;
        one = 1;
        c8000 = 0x8000;
        bit16 = 0x0001_0000;
        hi_mask = 0xffff_0000;
        abs = 0x7fff_ffff;
        inf = 0x7f80_0000;
        quiet = 0x0040_0000;
        canon = 0x7fc0_0000;
        canon16 = 0x7fc0_7fc0;
        sign = 0x8000_0000;
        // f16 decode
        f16_em = 0x0fff_e000;
        f16_exp_adj = 0x3800_0000;
        f16_inf_t = 0x0f7f_ffff;
        f16_sub_t = 0x0080_0000;
        f16_sub_adj = 0x3880_0000;
        // f16 encode
        f16_maxc = 0x4780_0000;
        f16_bias = 0xc800_0fff;
        f16_sub_lim = 0x3880_0000;
        half = 0x3f00_0000;
        f16_nan_hi = 0x0000_0200;
        f16_mant = 0x0000_03ff;
    }

    #[inline(always)]
    pub unsafe fn ld(p: *const u8) -> v128 {
        core::ptr::read_unaligned(p as *const v128)
    }
    #[inline(always)]
    pub unsafe fn st(p: *mut u8, v: v128) {
        core::ptr::write_unaligned(p as *mut v128, v)
    }

    /// 8 u16 lanes → two vectors with each value in the high half of a u32 lane (low
    /// half zero): elements 0..4 / 4..8 (unpack shuffles), or with `eo` the even / odd
    /// elements (one shift, one mask).
    #[inline(always)]
    pub fn hi16_pair(eo: bool, v: v128, k: &Consts) -> (v128, v128) {
        if eo {
            (i32x4_shl(v, 16), v128_and(v, k.hi_mask))
        } else {
            (
                i16x8_shuffle::<0, 8, 1, 9, 2, 10, 3, 11>(k.zero, v),
                i16x8_shuffle::<4, 12, 5, 13, 6, 14, 7, 15>(k.zero, v),
            )
        }
    }

    /// The high halves of the u32 lanes of `a` and `b` as 8 u16 lanes, in layout `eo`.
    #[inline(always)]
    pub fn pack_hi16(eo: bool, a: v128, b: v128) -> v128 {
        if eo {
            i16x8_shuffle::<0, 9, 2, 11, 4, 13, 6, 15>(u32x4_shr(a, 16), b)
        } else {
            u16x8_narrow_i32x4(u32x4_shr(a, 16), u32x4_shr(b, 16))
        }
    }

    /// The low halves of the u32 lanes of `a` and `b` (high halves zero) as 8 u16 lanes.
    #[inline(always)]
    pub fn pack_lo16(eo: bool, a: v128, b: v128) -> v128 {
        if eo {
            i16x8_shuffle::<0, 9, 2, 11, 4, 13, 6, 15>(a, i32x4_shl(b, 16))
        } else {
            u16x8_narrow_i32x4(a, b)
        }
    }

    /// Two 32-bit lane masks (all ones / all zeros) as one 16-bit lane mask.
    #[inline(always)]
    pub fn pack_mask16(eo: bool, a: v128, b: v128) -> v128 {
        if eo {
            i16x8_shuffle::<0, 9, 2, 11, 4, 13, 6, 15>(a, b)
        } else {
            i16x8_narrow_i32x4(a, b)
        }
    }

    /// f32 bits + rounding increment for bf16 RNE (the bf16 is then the high half):
    /// `x + 0x7fff + lsb` computed as `x + 0x8000 - (lsb == 0)` (no shift needed).
    /// NaN lanes give garbage; callers patch them.
    #[inline(always)]
    pub fn bf16_rne(x: v128, k: &Consts) -> v128 {
        let even = i32x4_eq(v128_and(x, k.bit16), k.zero); // -1 where the bf16 lsb is 0
        i32x4_add(i32x4_add(x, k.c8000), even)
    }

    /// As `bf16_rne`, with NaN lanes turned into `x | 0x0040_0000` (sign kept, quiet).
    #[inline(always)]
    pub fn bf16_rne_keep_nan(x: v128, k: &Consts) -> v128 {
        let nan = i32x4_gt(v128_and(x, k.abs), k.inf);
        v128_bitselect(v128_or(x, k.quiet), bf16_rne(x, k), nan)
    }

    /// f16 bits in the high half of each u32 lane → f32 bits. Exact.
    #[inline(always)]
    pub fn f16_decode(u: v128, k: &Consts) -> v128 {
        let sign = v128_and(u, k.sign);
        let o = v128_and(u32x4_shr(u, 3), k.f16_em); // exponent+mantissa at f32 positions
        // normal: rebias the exponent; Inf/NaN: exponent all ones
        let n = i32x4_add(o, k.f16_exp_adj);
        let n = v128_or(n, v128_and(i32x4_gt(o, k.f16_inf_t), k.inf));
        // zero/subnormal: (2^-14 + m * 2^-24) - 2^-14, exact in f32
        let s = f32x4_sub(i32x4_add(o, k.f16_sub_adj), k.f16_sub_adj);
        let r = v128_bitselect(s, n, i32x4_lt(o, k.f16_sub_t));
        v128_or(r, sign)
    }

    /// f32 lanes → f16 bits in the low half of each u32 lane (high half zero).
    #[inline(always)]
    pub fn f16_encode<const CANON: bool>(x: v128, k: &Consts) -> v128 {
        let a = v128_and(x, k.abs);
        let nan = i32x4_gt(a, k.inf);
        let sign = if CANON { v128_andnot(v128_and(x, k.sign), nan) } else { v128_and(x, k.sign) };
        // normal (and overflow: clamping at 65536 yields exactly 0x7c00)
        let c = u32x4_min(a, k.f16_maxc);
        let odd = v128_and(u32x4_shr(c, 13), k.one);
        let n = u32x4_shr(i32x4_add(i32x4_add(c, k.f16_bias), odd), 13);
        // subnormal/zero: adding 0.5 rounds to a multiple of 2^-24 (nearest even)
        let s = i32x4_sub(f32x4_add(a, k.half), k.half);
        let r = v128_bitselect(s, n, i32x4_lt(a, k.f16_sub_lim));
        // NaN: r is 0x7c00 there (clamped); add the quiet bit and the payload
        let nanbits = if CANON {
            v128_and(nan, k.f16_nan_hi)
        } else {
            v128_and(nan, v128_or(v128_and(u32x4_shr(a, 13), k.f16_mant), k.f16_nan_hi))
        };
        v128_or(v128_or(r, nanbits), u32x4_shr(sign, 16))
    }
}

// ---------------------------------------------------------------------------
// Kernels.
// ---------------------------------------------------------------------------

/// Elements per inner call. The block loop lives in small functions that are called
/// many times, so the engine's tier-up (which happens between calls) kicks in early
/// even when a single kernel call covers a whole tensor.
#[cfg(target_arch = "wasm32")]
const BLOCK: usize = 4096;

/// Scalar reference of `convert`, over elements `start..end`.
pub unsafe fn convert_ref_range(in_dt: u32, src: *const u8, out_dt: u32, dst: *mut u8, start: usize, end: usize) {
    if in_dt == out_dt {
        let sz = dtype_size(in_dt);
        let mut i = start;
        while i < end {
            // a byte copy, element by element (exact aliasing is fine)
            if sz == 4 {
                F32T::store_bits(dst.add(4 * i), F32T::load_bits(src.add(4 * i)));
            } else {
                wr16(dst.add(2 * i), rd16(src.add(2 * i)));
            }
            i += 1;
        }
        return;
    }
    with_dt!(in_dt, I => with_dt!(out_dt, O => {
        let mut i = start;
        while i < end {
            O::store_bits(dst.add(i * O::SIZE), I::load_bits(src.add(i * I::SIZE)));
            i += 1;
        }
    }))
}

pub unsafe fn convert_ref(in_dt: u32, src: *const u8, out_dt: u32, dst: *mut u8, n: usize) {
    convert_ref_range(in_dt, src, out_dt, dst, 0, n)
}

/// Scalar reference of `scale_convert`, over elements `start..end`.
pub unsafe fn scale_convert_ref_range(
    in_dt: u32,
    src: *const u8,
    scale: f32,
    out_dt: u32,
    dst: *mut u8,
    start: usize,
    end: usize,
) {
    with_dt!(in_dt, I => with_dt!(out_dt, O => {
        let mut i = start;
        while i < end {
            O::store_canonical(dst.add(i * O::SIZE), I::load(src.add(i * I::SIZE)) * scale);
            i += 1;
        }
    }))
}

pub unsafe fn scale_convert_ref(in_dt: u32, src: *const u8, scale: f32, out_dt: u32, dst: *mut u8, n: usize) {
    scale_convert_ref_range(in_dt, src, scale, out_dt, dst, 0, n)
}

#[cfg(target_arch = "wasm32")]
#[inline(never)]
unsafe fn copy_block(src: *const u8, dst: *mut u8, bytes: usize) {
    let mut i = 0;
    while i + 64 <= bytes {
        let a = simd::ld(src.add(i));
        let b = simd::ld(src.add(i + 16));
        let c = simd::ld(src.add(i + 32));
        let d = simd::ld(src.add(i + 48));
        simd::st(dst.add(i), a);
        simd::st(dst.add(i + 16), b);
        simd::st(dst.add(i + 32), c);
        simd::st(dst.add(i + 48), d);
        i += 64;
    }
    while i + 16 <= bytes {
        simd::st(dst.add(i), simd::ld(src.add(i)));
        i += 16;
    }
    while i < bytes {
        *dst.add(i) = *src.add(i);
        i += 1;
    }
}

#[cfg(target_arch = "wasm32")]
#[inline(never)]
unsafe fn convert_block<I: Dt, O: Dt>(src: *const u8, dst: *mut u8, n8: usize) {
    let k = Consts::load();
    let eo = eo(&[I::SIZE, O::SIZE]);
    let mut s = src;
    let mut d = dst;
    let end = dst.add(n8 * O::SIZE);
    while d < end {
        let (a, b) = I::load8(s, eo, &k);
        O::store8::<false>(d, a, b, eo, &k);
        s = s.add(8 * I::SIZE);
        d = d.add(8 * O::SIZE);
    }
}

#[cfg(target_arch = "wasm32")]
#[inline(never)]
unsafe fn scale_convert_block<I: Dt, O: Dt>(src: *const u8, scale: f32, dst: *mut u8, n8: usize) {
    let k = Consts::load();
    let eo = eo(&[I::SIZE, O::SIZE]);
    let sv = f32x4_splat(scale);
    let mut s = src;
    let mut d = dst;
    let end = dst.add(n8 * O::SIZE);
    while d < end {
        let (a, b) = I::load8(s, eo, &k);
        O::store8::<true>(d, f32x4_mul(a, sv), f32x4_mul(b, sv), eo, &k);
        s = s.add(8 * I::SIZE);
        d = d.add(8 * O::SIZE);
    }
}

/// SIMD `convert` (scalar tail). See `lib.rs` for the memory contract.
#[cfg(target_arch = "wasm32")]
pub unsafe fn convert(in_dt: u32, src: *const u8, out_dt: u32, dst: *mut u8, n: usize) {
    if in_dt == out_dt {
        if src != dst as *const u8 {
            let bytes = n * dtype_size(in_dt);
            let mut i = 0;
            while i < bytes {
                let len = if bytes - i < 4 * BLOCK { bytes - i } else { 4 * BLOCK };
                copy_block(src.add(i), dst.add(i), len);
                i += len;
            }
        }
        return;
    }
    let n8 = n & !7;
    with_dt!(in_dt, I => with_dt!(out_dt, O => {
        let mut i = 0;
        while i < n8 {
            let len = if n8 - i < BLOCK { n8 - i } else { BLOCK };
            convert_block::<I, O>(src.add(i * I::SIZE), dst.add(i * O::SIZE), len);
            i += len;
        }
    }));
    convert_ref_range(in_dt, src, out_dt, dst, n8, n);
}

#[cfg(not(target_arch = "wasm32"))]
pub unsafe fn convert(in_dt: u32, src: *const u8, out_dt: u32, dst: *mut u8, n: usize) {
    convert_ref(in_dt, src, out_dt, dst, n)
}

/// SIMD `scale_convert` (scalar tail).
#[cfg(target_arch = "wasm32")]
pub unsafe fn scale_convert(in_dt: u32, src: *const u8, scale: f32, out_dt: u32, dst: *mut u8, n: usize) {
    let n8 = n & !7;
    with_dt!(in_dt, I => with_dt!(out_dt, O => {
        let mut i = 0;
        while i < n8 {
            let len = if n8 - i < BLOCK { n8 - i } else { BLOCK };
            scale_convert_block::<I, O>(src.add(i * I::SIZE), scale, dst.add(i * O::SIZE), len);
            i += len;
        }
    }));
    scale_convert_ref_range(in_dt, src, scale, out_dt, dst, n8, n);
}

#[cfg(not(target_arch = "wasm32"))]
pub unsafe fn scale_convert(in_dt: u32, src: *const u8, scale: f32, out_dt: u32, dst: *mut u8, n: usize) {
    scale_convert_ref(in_dt, src, scale, out_dt, dst, n)
}

// ---------------------------------------------------------------------------
// Native tests of the scalar references against independent expectations.
// ---------------------------------------------------------------------------

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// xorshift64*: deterministic test data without dependencies.
    pub struct Rng(pub u64);
    impl Rng {
        pub fn next_u64(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        pub fn next_u32(&mut self) -> u32 {
            (self.next_u64() >> 32) as u32
        }
        /// Mostly "interesting" f32 bit patterns: specials, boundaries, near-ties.
        pub fn f32_bits(&mut self) -> u32 {
            let r = self.next_u32();
            let sign = r & 0x8000_0000;
            match r % 16 {
                0 => sign | [0, 0x7f80_0000, 0x7fc0_0000, 0x7f80_0001, 0x7fbf_ffff, 0x0000_0001, 0x007f_ffff, 0x0080_0000, 0x7f7f_ffff][(r as usize >> 4) % 9],
                1 => sign | (self.next_u32() & 0x007f_ffff),                    // f32 subnormal
                2 => sign | (0x3300_0000 + (self.next_u32() % 0x0580_0000)),   // around f16 subnormals
                3 => sign | (0x4770_0000 + (self.next_u32() % 0x0020_0000)),   // around f16 max
                4 => (self.next_u32() & 0xffff_0000) | 0x8000,                // bf16 ties
                5 => (self.next_u32() & 0xffff_e000) | 0x1000,                // f16 ties (normal range)
                6 => sign | 0x7f80_0000 | (self.next_u32() & 0x7f_ffff) | 1,  // NaN payloads
                _ => sign | (0x3a00_0000 + (self.next_u32() % 0x0a00_0000)),   // typical weights
            }
        }
    }

    fn f16_value(h: u16) -> f64 {
        // independent decoding, straight from the IEEE definition
        let s = if h & 0x8000 != 0 { -1.0 } else { 1.0 };
        let e = ((h >> 10) & 0x1f) as i32;
        let m = (h & 0x3ff) as f64;
        if e == 0 {
            s * m * 2f64.powi(-24)
        } else if e == 31 {
            if m == 0.0 {
                s * f64::INFINITY
            } else {
                f64::NAN
            }
        } else {
            s * (1.0 + m / 1024.0) * 2f64.powi(e - 15)
        }
    }

    #[test]
    fn f16_to_f32_all_values() {
        for h in 0..=0xffffu32 {
            let h = h as u16;
            let bits = f16_to_f32_bits(h);
            let v = f16_value(h);
            if v.is_nan() {
                assert!(f32::from_bits(bits).is_nan());
                assert_eq!(bits >> 31, (h >> 15) as u32);
                assert_eq!((bits >> 13) & 0x3ff, (h & 0x3ff) as u32, "payload {:04x}", h);
            } else {
                assert_eq!(f32::from_bits(bits) as f64, v, "h={:04x}", h);
                assert_eq!(bits >> 31, (h >> 15) as u32, "sign of {:04x}", h);
            }
            // narrowing back is the identity except for NaN quieting
            let back = f32_bits_to_f16(bits);
            if v.is_nan() {
                assert_eq!(back, h | 0x0200);
            } else {
                assert_eq!(back, h);
            }
        }
    }

    #[test]
    fn bf16_roundtrip_all_values() {
        for h in 0..=0xffffu32 {
            let h = h as u16;
            let bits = bf16_to_f32_bits(h);
            let nan = f32::from_bits(bits).is_nan();
            assert_eq!(f32_bits_to_bf16(bits), if nan { h | 0x40 } else { h });
        }
    }

    /// Nearest-even in f64 among the two candidates around `x`.
    fn expect_rne(x: f64, lo: (f64, u16), hi: (f64, u16)) -> u16 {
        let dl = x - lo.0;
        let dh = hi.0 - x;
        assert!(dl >= 0.0 && dh >= 0.0);
        if dl < dh {
            lo.1
        } else if dh < dl {
            hi.1
        } else if lo.1 & 1 == 0 {
            lo.1
        } else {
            hi.1
        }
    }

    fn bf16_expected(b: u32) -> u16 {
        let x = f32::from_bits(b) as f64;
        if x.is_nan() {
            return ((b >> 16) | 0x40) as u16;
        }
        if x.is_infinite() {
            return (b >> 16) as u16;
        }
        let sign = (b >> 16) as u16 & 0x8000;
        let ax = x.abs();
        let lo = ((b & 0x7fff_ffff) >> 16) as u16;
        let lov = f32::from_bits((lo as u32) << 16) as f64;
        let hiv = if lo == 0x7f7f {
            // next bf16 up is Inf; the rounding boundary sits where 2^128 would be
            2f64.powi(128)
        } else {
            f32::from_bits(((lo + 1) as u32) << 16) as f64
        };
        sign | expect_rne(ax, (lov, lo), (hiv, lo + 1))
    }

    fn f16_expected(b: u32) -> u16 {
        let x = f32::from_bits(b) as f64;
        let sign = ((b >> 16) & 0x8000) as u16;
        if x.is_nan() {
            return sign | 0x7e00 | ((b >> 13) & 0x3ff) as u16;
        }
        let ax = x.abs();
        if ax >= 65520.0 {
            return sign | 0x7c00;
        }
        // candidates: the largest half <= ax, and the next
        let mut lo: u16 = 0;
        let mut step: u16 = 0x4000;
        while step > 0 {
            if lo + step <= 0x7bff && f16_value(lo + step) <= ax {
                lo += step;
            }
            step >>= 1;
        }
        let hiv = if lo == 0x7bff { 65536.0 } else { f16_value(lo + 1) };
        sign | expect_rne(ax, (f16_value(lo), lo), (hiv, lo + 1))
    }

    #[test]
    fn f32_to_bf16_matches_f64_nearest_even() {
        let mut rng = Rng(0x1234_5678_9abc_def1);
        for _ in 0..2_000_000 {
            let b = rng.f32_bits();
            assert_eq!(f32_bits_to_bf16(b), bf16_expected(b), "bits {:08x}", b);
        }
        for b in [0u32, 0x8000_0000, 0x7f7f_ffff, 0x7f7f_8000, 0x7f7f_7fff, 0xff7f_8000, 0x7f80_0000, 0x0000_8000, 0x0001_8000] {
            assert_eq!(f32_bits_to_bf16(b), bf16_expected(b), "bits {:08x}", b);
        }
    }

    #[test]
    fn f32_to_f16_matches_f64_nearest_even() {
        let mut rng = Rng(0x0bad_cafe_f00d_1234);
        for _ in 0..2_000_000 {
            let b = rng.f32_bits();
            assert_eq!(f32_bits_to_f16(b), f16_expected(b), "bits {:08x}", b);
        }
        // every f16 value and every midpoint between neighbours, both signs
        for h in 0..0x7c00u32 {
            let v = f16_to_f32_bits(h as u16);
            for d in [-1i32, 0, 1] {
                let b = (v as i32 + d) as u32;
                for s in [0, 0x8000_0000] {
                    assert_eq!(f32_bits_to_f16(b | s), f16_expected(b | s), "bits {:08x}", b | s);
                }
            }
            let mid = (f16_value(h as u16) + if h == 0x7bff { 65536.0 } else { f16_value(h as u16 + 1) }) / 2.0;
            let mb = (mid as f32).to_bits();
            for b in [mb - 1, mb, mb + 1] {
                assert_eq!(f32_bits_to_f16(b), f16_expected(b), "mid bits {:08x}", b);
            }
        }
    }

    /// F16C `vcvtps2ph` (round to nearest even) as an independent oracle.
    #[cfg(target_arch = "x86_64")]
    fn f16c(b: u32) -> u16 {
        let out: u32;
        unsafe {
            core::arch::asm!(
                "vmovd {x}, {i:e}",
                "vcvtps2ph {x}, {x}, 0",
                "vmovd {o:e}, {x}",
                i = in(reg) b,
                o = out(reg) out,
                x = out(xmm_reg) _,
            );
        }
        (out & 0xffff) as u16
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn f32_to_f16_matches_f16c_sampled() {
        if !std::is_x86_feature_detected!("f16c") {
            return;
        }
        let mut b: u32 = 0;
        loop {
            assert_eq!(f32_bits_to_f16(b), f16c(b), "bits {:08x}", b);
            match b.checked_add(997) {
                Some(n) => b = n,
                None => break,
            }
        }
    }

    /// All 2^32 inputs; run with `cargo test -- --ignored`.
    #[cfg(target_arch = "x86_64")]
    #[test]
    #[ignore]
    fn f32_to_f16_matches_f16c_exhaustive() {
        if !std::is_x86_feature_detected!("f16c") {
            return;
        }
        for b in 0..=u32::MAX {
            let r = f32_bits_to_f16(b);
            if r != f16c(b) {
                panic!("bits {:08x}: {:04x} vs {:04x}", b, r, f16c(b));
            }
        }
    }

    #[test]
    fn convert_ref_all_pairs() {
        let mut rng = Rng(42);
        let n = 1000;
        let src32: Vec<u32> = (0..n).map(|_| rng.f32_bits()).collect();
        let src16: Vec<u16> = (0..n).map(|_| rng.next_u32() as u16).collect();
        for in_dt in 0..3u32 {
            for out_dt in 0..3u32 {
                let src: Vec<u8> = if in_dt == F32 {
                    src32.iter().flat_map(|v| v.to_le_bytes()).collect()
                } else {
                    src16.iter().flat_map(|v| v.to_le_bytes()).collect()
                };
                let mut dst = vec![0u8; n * dtype_size(out_dt)];
                unsafe { convert_ref(in_dt, src.as_ptr(), out_dt, dst.as_mut_ptr(), n) };
                for i in 0..n {
                    let bits = match in_dt {
                        F32 => src32[i],
                        F16 => f16_to_f32_bits(src16[i]),
                        _ => bf16_to_f32_bits(src16[i]),
                    };
                    let got: u32 = if out_dt == F32 {
                        u32::from_le_bytes([dst[4 * i], dst[4 * i + 1], dst[4 * i + 2], dst[4 * i + 3]])
                    } else {
                        u16::from_le_bytes([dst[2 * i], dst[2 * i + 1]]) as u32
                    };
                    let want: u32 = if in_dt == out_dt {
                        if in_dt == F32 { src32[i] } else { src16[i] as u32 }
                    } else {
                        match out_dt {
                            F32 => bits,
                            F16 => f16_expected(bits) as u32,
                            _ => bf16_expected(bits) as u32,
                        }
                    };
                    assert_eq!(got, want, "{}->{} element {}", in_dt, out_dt, i);
                }
            }
        }
    }

    #[test]
    fn scale_convert_ref_canonical_nan_and_f64() {
        let mut rng = Rng(7);
        let n = 4000;
        let src: Vec<u32> = (0..n).map(|_| rng.f32_bits()).collect();
        let bytes: Vec<u8> = src.iter().flat_map(|v| v.to_le_bytes()).collect();
        for scale in [0.5f32, -3.25, 1.0e-30, 7.0e30, 0.0] {
            let mut out = vec![0u8; 2 * n];
            unsafe { scale_convert_ref(F32, bytes.as_ptr(), scale, BF16, out.as_mut_ptr(), n) };
            for i in 0..n {
                let x = f32::from_bits(src[i]) as f64;
                let p = ((x * scale as f64) as f32).to_bits(); // f64 product of f32s is exact
                let want = if f32::from_bits(p).is_nan() { 0x7fc0 } else { bf16_expected(p) };
                let got = u16::from_le_bytes([out[2 * i], out[2 * i + 1]]);
                assert_eq!(got, want, "x={:08x} scale={}", src[i], scale);
            }
        }
    }
}
