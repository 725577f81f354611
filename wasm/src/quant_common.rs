//! Shared pieces of the GGUF quantizers (`quant_legacy.rs`, `quant_k.rs`): ggml's scalar
//! helpers reproduced bit for bit, and `V4`, a 4-lane f32/i32 vector that is `v128` on
//! wasm32 and a plain array natively, so the lane-parallel (SIMD) paths of the quantizers
//! run, and are tested against the scalar references, under native `cargo test` too.
//!
//! Float semantics (what llama.cpp's x86-64 build of ggml-base does): every f32 operation
//! individually rounded, in source order, no FMA. Rust and WebAssembly give exactly that.
//! Float → int casts in C are x86 `cvttss2si` (NaN and out-of-range → `i32::MIN`), which
//! Rust's saturating `as` is not: see `cvtt`.

use crate::convert::f16_to_f32_bits;

/// Stops with a wasm trap (or a panic natively) on a broken memory contract.
#[inline(always)]
pub fn check(ok: bool) {
    if !ok {
        #[cfg(target_arch = "wasm32")]
        core::arch::wasm32::unreachable();
        #[cfg(not(target_arch = "wasm32"))]
        panic!("mergeops-kernels: invalid quantization arguments");
    }
}

/// ggml's `nearest_int`: add 1.5·2²³ and read the low mantissa bits. Round-half-even for
/// |f| ≤ 4194303; outside that range (and for NaN) it returns what the bit trick gives,
/// like ggml (whose range assert is compiled out in release builds).
#[inline(always)]
pub fn nearest_int(f: f32) -> i32 {
    let v = f + 12582912.0f32;
    ((v.to_bits() & 0x007f_ffff) as i32) - 0x0040_0000
}

/// C's `(int)f` as compiled for x86-64 (`cvttss2si`): truncation toward zero, and
/// `i32::MIN` for NaN and for values outside the i32 range.
#[inline(always)]
pub fn cvtt(f: f32) -> i32 {
    if f >= -2147483648.0f32 && f < 2147483648.0f32 {
        f as i32
    } else {
        i32::MIN
    }
}

/// `GGML_FP32_TO_FP16` (ggml-impl.h `ggml_compute_fp32_to_fp16`, Maratyszcza's branch-free
/// algorithm): round to nearest even, subnormals kept, overflow → ±Inf, and any NaN →
/// `sign | 0x7e00` (payload dropped; `convert.rs` keeps it, hence this separate function).
#[inline(always)]
pub fn fp32_to_fp16(f: f32) -> u16 {
    let scale_to_inf = f32::from_bits(0x7780_0000); // 2^112
    let scale_to_zero = f32::from_bits(0x0880_0000); // 2^-110
    let mut base = (fabsf(f) * scale_to_inf) * scale_to_zero;
    let w = f.to_bits();
    let shl1_w = w.wrapping_add(w);
    let sign = w & 0x8000_0000;
    let mut bias = shl1_w & 0xff00_0000;
    if bias < 0x7100_0000 {
        bias = 0x7100_0000;
    }
    base = f32::from_bits((bias >> 1).wrapping_add(0x0780_0000)) + base;
    let bits = base.to_bits();
    let exp_bits = (bits >> 13) & 0x0000_7c00;
    let mantissa_bits = bits & 0x0000_0fff;
    let nonsign = exp_bits + mantissa_bits;
    ((sign >> 16) | if shl1_w > 0xff00_0000 { 0x7e00 } else { nonsign }) as u16
}

/// `GGML_FP16_TO_FP32`: exact.
#[inline(always)]
pub fn fp16_to_fp32(h: u16) -> f32 {
    f32::from_bits(f16_to_f32_bits(h))
}

/// `fabsf` (core has no `f32::abs` on no_std Rust 1.63).
#[inline(always)]
pub fn fabsf(x: f32) -> f32 {
    f32::from_bits(x.to_bits() & 0x7fff_ffff)
}

/// `sqrtf`, correctly rounded (IEEE) on both targets.
#[inline(always)]
pub fn sqrtf(x: f32) -> f32 {
    #[cfg(target_arch = "wasm32")]
    {
        use core::arch::wasm32::*;
        f32x4_extract_lane::<0>(f32x4_sqrt(f32x4_splat(x)))
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        x.sqrt()
    }
}

#[inline(always)]
pub fn put_u16(dst: &mut [u8], at: usize, v: u16) {
    dst[at] = v as u8;
    dst[at + 1] = (v >> 8) as u8;
}

/// True when every element is finite (no NaN, no ±Inf). The lane-parallel paths take
/// only finite blocks; anything else goes through the scalar reference.
#[inline(always)]
pub fn all_finite(x: &[f32]) -> bool {
    // |v| > f32::MAX as integers ⇔ exponent all ones ⇔ Inf or NaN
    let n4 = x.len() & !3;
    let finite_max = V4::splat_i(0x7f7f_ffff);
    let mut bad = V4::splat_i(0);
    let mut i = 0;
    while i < n4 {
        bad = bad.or(V4::load(x, i).abs().gt_i(finite_max));
        i += 4;
    }
    let mut tail = 0u32;
    for v in &x[n4..] {
        tail |= ((v.to_bits() & 0x7f80_0000) == 0x7f80_0000) as u32;
    }
    !bad.any() && tail == 0
}

// ---------------------------------------------------------------------------
// V4: four f32 (or i32) lanes. Every operation is lane-wise and has exactly the
// semantics of the corresponding scalar operation on each lane.
// ---------------------------------------------------------------------------

#[cfg(target_arch = "wasm32")]
pub use wasm_v4::V4;
#[cfg(not(target_arch = "wasm32"))]
pub use native_v4::V4;

#[cfg(target_arch = "wasm32")]
mod wasm_v4 {
    use core::arch::wasm32::*;

    #[derive(Clone, Copy)]
    pub struct V4(pub v128);

    impl V4 {
        #[inline(always)]
        pub fn splat(v: f32) -> V4 {
            V4(f32x4_splat(v))
        }
        #[inline(always)]
        pub fn splat_i(v: i32) -> V4 {
            V4(i32x4_splat(v))
        }
        #[inline(always)]
        pub fn new(a: f32, b: f32, c: f32, d: f32) -> V4 {
            V4(f32x4(a, b, c, d))
        }
        /// Loads 4 consecutive f32 from `x[at..at + 4]`.
        #[inline(always)]
        pub fn load(x: &[f32], at: usize) -> V4 {
            let s = &x[at..at + 4];
            V4(unsafe { v128_load(s.as_ptr() as *const v128) })
        }
        #[inline(always)]
        pub fn store(self, y: &mut [f32], at: usize) {
            let s = &mut y[at..at + 4];
            unsafe { v128_store(s.as_mut_ptr() as *mut v128, self.0) }
        }
        #[inline(always)]
        pub fn lane(self, i: usize) -> f32 {
            match i {
                0 => f32x4_extract_lane::<0>(self.0),
                1 => f32x4_extract_lane::<1>(self.0),
                2 => f32x4_extract_lane::<2>(self.0),
                _ => f32x4_extract_lane::<3>(self.0),
            }
        }
        #[inline(always)]
        pub fn lane_i(self, i: usize) -> i32 {
            match i {
                0 => i32x4_extract_lane::<0>(self.0),
                1 => i32x4_extract_lane::<1>(self.0),
                2 => i32x4_extract_lane::<2>(self.0),
                _ => i32x4_extract_lane::<3>(self.0),
            }
        }
        #[inline(always)]
        pub fn add(self, o: V4) -> V4 {
            V4(f32x4_add(self.0, o.0))
        }
        #[inline(always)]
        pub fn sub(self, o: V4) -> V4 {
            V4(f32x4_sub(self.0, o.0))
        }
        #[inline(always)]
        pub fn mul(self, o: V4) -> V4 {
            V4(f32x4_mul(self.0, o.0))
        }
        #[inline(always)]
        pub fn div(self, o: V4) -> V4 {
            V4(f32x4_div(self.0, o.0))
        }
        #[inline(always)]
        pub fn sqrt(self) -> V4 {
            V4(f32x4_sqrt(self.0))
        }
        #[inline(always)]
        pub fn abs(self) -> V4 {
            V4(f32x4_abs(self.0))
        }
        /// `o < self ? o : self` (C's `if (o < m) m = o`).
        #[inline(always)]
        pub fn min_if_less(self, o: V4) -> V4 {
            V4(f32x4_pmin(self.0, o.0))
        }
        /// `o > self ? o : self` (C's `if (o > m) m = o`).
        #[inline(always)]
        pub fn max_if_greater(self, o: V4) -> V4 {
            V4(f32x4_pmax(self.0, o.0))
        }
        #[inline(always)]
        pub fn gt(self, o: V4) -> V4 {
            V4(f32x4_gt(self.0, o.0))
        }
        #[inline(always)]
        pub fn lt(self, o: V4) -> V4 {
            V4(f32x4_lt(self.0, o.0))
        }
        #[inline(always)]
        pub fn eq(self, o: V4) -> V4 {
            V4(f32x4_eq(self.0, o.0))
        }
        #[inline(always)]
        pub fn and(self, o: V4) -> V4 {
            V4(v128_and(self.0, o.0))
        }
        #[inline(always)]
        pub fn andnot(self, o: V4) -> V4 {
            V4(v128_andnot(self.0, o.0))
        }
        #[inline(always)]
        pub fn or(self, o: V4) -> V4 {
            V4(v128_or(self.0, o.0))
        }
        /// Lane-wise `mask ? a : b` (mask lanes all ones or all zeros).
        #[inline(always)]
        pub fn select(mask: V4, a: V4, b: V4) -> V4 {
            V4(v128_bitselect(a.0, b.0, mask.0))
        }
        #[inline(always)]
        pub fn any(self) -> bool {
            v128_any_true(self.0)
        }
        #[inline(always)]
        pub fn add_i(self, o: V4) -> V4 {
            V4(i32x4_add(self.0, o.0))
        }
        #[inline(always)]
        pub fn sub_i(self, o: V4) -> V4 {
            V4(i32x4_sub(self.0, o.0))
        }
        #[inline(always)]
        pub fn min_i(self, o: V4) -> V4 {
            V4(i32x4_min(self.0, o.0))
        }
        #[inline(always)]
        pub fn max_i(self, o: V4) -> V4 {
            V4(i32x4_max(self.0, o.0))
        }
        /// i32 lanes → f32 (exact for the small integers used here).
        #[inline(always)]
        pub fn to_f32(self) -> V4 {
            V4(f32x4_convert_i32x4(self.0))
        }
        /// i32 lanes: `self > o` (signed).
        #[inline(always)]
        pub fn gt_i(self, o: V4) -> V4 {
            V4(i32x4_gt(self.0, o.0))
        }
        /// u32 lanes: `self > o` (unsigned).
        #[inline(always)]
        pub fn gt_u(self, o: V4) -> V4 {
            V4(u32x4_gt(self.0, o.0))
        }
        #[inline(always)]
        pub fn max_u(self, o: V4) -> V4 {
            V4(u32x4_max(self.0, o.0))
        }
        #[inline(always)]
        pub fn shr_u<const N: u32>(self) -> V4 {
            V4(u32x4_shr(self.0, N))
        }
        /// Rounds toward zero, staying f32.
        #[inline(always)]
        pub fn trunc(self) -> V4 {
            V4(f32x4_trunc(self.0))
        }
        /// Rounds to the nearest integer, ties to even (IEEE `roundeven`), staying f32.
        #[inline(always)]
        pub fn nearest(self) -> V4 {
            V4(f32x4_nearest(self.0))
        }
        #[inline(always)]
        pub fn le(self, o: V4) -> V4 {
            V4(f32x4_le(self.0, o.0))
        }
        /// True when every lane's top bit is set (every mask lane true).
        #[inline(always)]
        pub fn all(self) -> bool {
            i32x4_all_true(self.0)
        }
        /// f32 → i32 truncating toward zero, saturating (only used where lanes are in range).
        #[inline(always)]
        pub fn trunc_i(self) -> V4 {
            V4(i32x4_trunc_sat_f32x4(self.0))
        }
        #[inline(always)]
        pub fn shl<const N: u32>(self) -> V4 {
            V4(i32x4_shl(self.0, N))
        }
        /// Bit k = top bit of lane k.
        #[inline(always)]
        pub fn bitmask(self) -> u32 {
            i32x4_bitmask(self.0) as u32
        }
        /// 16 bytes at `x[at..at + 16]`.
        #[inline(always)]
        pub fn load_bytes(x: &[u8], at: usize) -> V4 {
            let s = &x[at..at + 16];
            V4(unsafe { v128_load(s.as_ptr() as *const v128) })
        }
        #[inline(always)]
        pub fn store_bytes(self, y: &mut [u8], at: usize) {
            let s = &mut y[at..at + 16];
            unsafe { v128_store(s.as_mut_ptr() as *mut v128, self.0) }
        }
        /// Byte lanes shifted right (logical).
        #[inline(always)]
        pub fn shr_u8<const N: u32>(self) -> V4 {
            V4(u8x16_shr(self.0, N))
        }
        /// Byte lanes shifted left (bits leaving a byte are dropped).
        #[inline(always)]
        pub fn shl_u8<const N: u32>(self) -> V4 {
            V4(i8x16_shl(self.0, N))
        }
        #[inline(always)]
        pub fn splat_u8(v: u8) -> V4 {
            V4(u8x16_splat(v))
        }
        /// Stores the 16 i32 lanes of `a, b, c, d` (each in 0..=255) as bytes at `y[at..at + 16]`.
        #[inline(always)]
        pub fn store_u8(a: V4, b: V4, c: V4, d: V4, y: &mut [u8], at: usize) {
            let v = u8x16_narrow_i16x8(i16x8_narrow_i32x4(a.0, b.0), i16x8_narrow_i32x4(c.0, d.0));
            let s = &mut y[at..at + 16];
            unsafe { v128_store(s.as_mut_ptr() as *mut v128, v) }
        }
        /// Stores the 16 i32 lanes of `a, b, c, d` (each in -128..=127) as i8 at `y[at..at + 16]`.
        #[inline(always)]
        pub fn store_i8(a: V4, b: V4, c: V4, d: V4, y: &mut [u8], at: usize) {
            let v = i8x16_narrow_i16x8(i16x8_narrow_i32x4(a.0, b.0), i16x8_narrow_i32x4(c.0, d.0));
            let s = &mut y[at..at + 16];
            unsafe { v128_store(s.as_mut_ptr() as *mut v128, v) }
        }
        /// Stores the low 16 bits of the 8 lanes of `a, b` (each in 0..=0xffff) as u16 LE.
        #[inline(always)]
        pub fn store_u16(a: V4, b: V4, y: &mut [u8], at: usize) {
            let v = u16x8_narrow_i32x4(a.0, b.0);
            let s = &mut y[at..at + 16];
            unsafe { v128_store(s.as_mut_ptr() as *mut v128, v) }
        }
        /// Lanes (2, 3, 0, 1).
        #[inline(always)]
        pub fn swap_halves(self) -> V4 {
            V4(i32x4_shuffle::<2, 3, 0, 1>(self.0, self.0))
        }
        /// Lanes (1, 0, 3, 2).
        #[inline(always)]
        pub fn swap_pairs(self) -> V4 {
            V4(i32x4_shuffle::<1, 0, 3, 2>(self.0, self.0))
        }
        /// Transposes a 4×4 matrix given as rows.
        #[inline(always)]
        pub fn transpose(a: V4, b: V4, c: V4, d: V4) -> (V4, V4, V4, V4) {
            let t0 = i32x4_shuffle::<0, 4, 1, 5>(a.0, b.0);
            let t1 = i32x4_shuffle::<2, 6, 3, 7>(a.0, b.0);
            let t2 = i32x4_shuffle::<0, 4, 1, 5>(c.0, d.0);
            let t3 = i32x4_shuffle::<2, 6, 3, 7>(c.0, d.0);
            (
                V4(i64x2_shuffle::<0, 2>(t0, t2)),
                V4(i64x2_shuffle::<1, 3>(t0, t2)),
                V4(i64x2_shuffle::<0, 2>(t1, t3)),
                V4(i64x2_shuffle::<1, 3>(t1, t3)),
            )
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod native_v4 {
    /// Lane bits; floats and ints share the lanes as in a `v128`.
    #[derive(Clone, Copy, Debug)]
    pub struct V4(pub [u32; 4]);

    #[inline(always)]
    fn f(b: u32) -> f32 {
        f32::from_bits(b)
    }
    #[inline(always)]
    fn fabs(v: f32) -> f32 {
        f32::from_bits(v.to_bits() & 0x7fff_ffff)
    }
    #[inline(always)]
    fn mask(c: bool) -> u32 {
        if c {
            u32::MAX
        } else {
            0
        }
    }

    impl V4 {
        #[inline(always)]
        fn map(self, o: V4, op: impl Fn(u32, u32) -> u32) -> V4 {
            V4([op(self.0[0], o.0[0]), op(self.0[1], o.0[1]), op(self.0[2], o.0[2]), op(self.0[3], o.0[3])])
        }
        #[inline(always)]
        fn map1(self, op: impl Fn(u32) -> u32) -> V4 {
            V4([op(self.0[0]), op(self.0[1]), op(self.0[2]), op(self.0[3])])
        }
        pub fn splat(v: f32) -> V4 {
            V4([v.to_bits(); 4])
        }
        pub fn splat_i(v: i32) -> V4 {
            V4([v as u32; 4])
        }
        pub fn new(a: f32, b: f32, c: f32, d: f32) -> V4 {
            V4([a.to_bits(), b.to_bits(), c.to_bits(), d.to_bits()])
        }
        pub fn load(x: &[f32], at: usize) -> V4 {
            V4::new(x[at], x[at + 1], x[at + 2], x[at + 3])
        }
        pub fn store(self, y: &mut [f32], at: usize) {
            for i in 0..4 {
                y[at + i] = f(self.0[i]);
            }
        }
        pub fn lane(self, i: usize) -> f32 {
            f(self.0[i])
        }
        pub fn lane_i(self, i: usize) -> i32 {
            self.0[i] as i32
        }
        pub fn add(self, o: V4) -> V4 {
            self.map(o, |a, b| (f(a) + f(b)).to_bits())
        }
        pub fn sub(self, o: V4) -> V4 {
            self.map(o, |a, b| (f(a) - f(b)).to_bits())
        }
        pub fn mul(self, o: V4) -> V4 {
            self.map(o, |a, b| (f(a) * f(b)).to_bits())
        }
        pub fn div(self, o: V4) -> V4 {
            self.map(o, |a, b| (f(a) / f(b)).to_bits())
        }
        pub fn sqrt(self) -> V4 {
            self.map1(|a| f(a).sqrt().to_bits())
        }
        pub fn abs(self) -> V4 {
            self.map1(|a| a & 0x7fff_ffff)
        }
        pub fn min_if_less(self, o: V4) -> V4 {
            self.map(o, |m, x| if f(x) < f(m) { x } else { m })
        }
        pub fn max_if_greater(self, o: V4) -> V4 {
            self.map(o, |m, x| if f(x) > f(m) { x } else { m })
        }
        pub fn gt(self, o: V4) -> V4 {
            self.map(o, |a, b| mask(f(a) > f(b)))
        }
        pub fn lt(self, o: V4) -> V4 {
            self.map(o, |a, b| mask(f(a) < f(b)))
        }
        pub fn eq(self, o: V4) -> V4 {
            self.map(o, |a, b| mask(f(a) == f(b)))
        }
        pub fn and(self, o: V4) -> V4 {
            self.map(o, |a, b| a & b)
        }
        /// `self & !o`
        pub fn andnot(self, o: V4) -> V4 {
            self.map(o, |a, b| a & !b)
        }
        pub fn or(self, o: V4) -> V4 {
            self.map(o, |a, b| a | b)
        }
        pub fn select(m: V4, a: V4, b: V4) -> V4 {
            V4([
                (a.0[0] & m.0[0]) | (b.0[0] & !m.0[0]),
                (a.0[1] & m.0[1]) | (b.0[1] & !m.0[1]),
                (a.0[2] & m.0[2]) | (b.0[2] & !m.0[2]),
                (a.0[3] & m.0[3]) | (b.0[3] & !m.0[3]),
            ])
        }
        pub fn any(self) -> bool {
            self.0.iter().any(|&v| v != 0)
        }
        pub fn add_i(self, o: V4) -> V4 {
            self.map(o, |a, b| a.wrapping_add(b))
        }
        pub fn sub_i(self, o: V4) -> V4 {
            self.map(o, |a, b| a.wrapping_sub(b))
        }
        pub fn min_i(self, o: V4) -> V4 {
            self.map(o, |a, b| (a as i32).min(b as i32) as u32)
        }
        pub fn max_i(self, o: V4) -> V4 {
            self.map(o, |a, b| (a as i32).max(b as i32) as u32)
        }
        pub fn to_f32(self) -> V4 {
            self.map1(|a| (a as i32 as f32).to_bits())
        }
        pub fn gt_i(self, o: V4) -> V4 {
            self.map(o, |a, b| mask((a as i32) > (b as i32)))
        }
        pub fn gt_u(self, o: V4) -> V4 {
            self.map(o, |a, b| mask(a > b))
        }
        pub fn max_u(self, o: V4) -> V4 {
            self.map(o, |a, b| a.max(b))
        }
        pub fn shr_u<const N: u32>(self) -> V4 {
            self.map1(|a| a >> N)
        }
        pub fn trunc_i(self) -> V4 {
            self.map1(|a| f(a) as i32 as u32)
        }
        pub fn trunc(self) -> V4 {
            self.map1(|a| f(a).trunc().to_bits())
        }
        pub fn nearest(self) -> V4 {
            self.map1(|a| {
                let v = f(a);
                // |v| < 2^23: adding and removing 2^23 rounds to an integer, ties to even
                if fabs(v) < 8388608.0 {
                    let r = (fabs(v) + 8388608.0) - 8388608.0;
                    (r.to_bits() & 0x7fff_ffff) | (a & 0x8000_0000)
                } else {
                    a // integers already, or Inf/NaN
                }
            })
        }
        pub fn le(self, o: V4) -> V4 {
            self.map(o, |a, b| mask(f(a) <= f(b)))
        }
        pub fn all(self) -> bool {
            self.0.iter().all(|&v| v != 0)
        }
        pub fn shl<const N: u32>(self) -> V4 {
            self.map1(|a| a << N)
        }
        pub fn bitmask(self) -> u32 {
            (0..4).map(|k| (self.0[k] >> 31) << k).sum()
        }
        pub fn store_u8(a: V4, b: V4, c: V4, d: V4, y: &mut [u8], at: usize) {
            for (k, v) in [a, b, c, d].iter().enumerate() {
                for i in 0..4 {
                    y[at + 4 * k + i] = (v.0[i] as i32).clamp(0, 255) as u8;
                }
            }
        }
        pub fn load_bytes(x: &[u8], at: usize) -> V4 {
            let b = |k: usize| u32::from_le_bytes([x[at + 4 * k], x[at + 4 * k + 1], x[at + 4 * k + 2], x[at + 4 * k + 3]]);
            V4([b(0), b(1), b(2), b(3)])
        }
        pub fn store_bytes(self, y: &mut [u8], at: usize) {
            for k in 0..4 {
                y[at + 4 * k..at + 4 * k + 4].copy_from_slice(&self.0[k].to_le_bytes());
            }
        }
        fn bytes_map(self, op: impl Fn(u8) -> u8) -> V4 {
            self.map1(|w| u32::from_le_bytes(w.to_le_bytes().map(&op)))
        }
        pub fn shr_u8<const N: u32>(self) -> V4 {
            self.bytes_map(|b| b >> N)
        }
        pub fn shl_u8<const N: u32>(self) -> V4 {
            self.bytes_map(|b| b << N)
        }
        pub fn splat_u8(v: u8) -> V4 {
            V4([u32::from_le_bytes([v; 4]); 4])
        }
        pub fn store_i8(a: V4, b: V4, c: V4, d: V4, y: &mut [u8], at: usize) {
            for (k, v) in [a, b, c, d].iter().enumerate() {
                for i in 0..4 {
                    let x = (v.0[i] as i32).clamp(-128, 127);
                    y[at + 4 * k + i] = x as i8 as u8;
                }
            }
        }
        pub fn store_u16(a: V4, b: V4, y: &mut [u8], at: usize) {
            for (k, v) in [a, b].iter().enumerate() {
                for i in 0..4 {
                    let x = (v.0[i] as i32).clamp(0, 0xffff) as u16;
                    y[at + 8 * k + 2 * i] = x as u8;
                    y[at + 8 * k + 2 * i + 1] = (x >> 8) as u8;
                }
            }
        }
        pub fn swap_halves(self) -> V4 {
            V4([self.0[2], self.0[3], self.0[0], self.0[1]])
        }
        pub fn swap_pairs(self) -> V4 {
            V4([self.0[1], self.0[0], self.0[3], self.0[2]])
        }
        pub fn transpose(a: V4, b: V4, c: V4, d: V4) -> (V4, V4, V4, V4) {
            let r = [a.0, b.0, c.0, d.0];
            let col = |j: usize| V4([r[0][j], r[1][j], r[2][j], r[3][j]]);
            (col(0), col(1), col(2), col(3))
        }
    }
}

/// Lane-wise `nearest_int` (the same bit trick), as i32 lanes.
#[inline(always)]
pub fn nearest_int4(v: V4, magic: V4, mant: V4, half: V4) -> V4 {
    v.add(magic).and(mant).sub_i(half)
}

/// The constants `nearest_int4` needs, made once per call.
#[derive(Clone, Copy)]
pub struct NearestK {
    pub magic: V4,
    pub mant: V4,
    pub half: V4,
}

impl NearestK {
    #[inline(always)]
    pub fn new() -> NearestK {
        NearestK { magic: V4::splat(12582912.0), mant: V4::splat_i(0x007f_ffff), half: V4::splat_i(0x0040_0000) }
    }
    #[inline(always)]
    pub fn apply(&self, v: V4) -> V4 {
        nearest_int4(v, self.magic, self.mant, self.half)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::convert::f32_bits_to_f16;
    use crate::convert::tests::Rng;

    #[test]
    fn fp16_matches_rne_except_nan_payload() {
        let mut rng = Rng(0x5eed_f16);
        for _ in 0..3_000_000 {
            let b = rng.f32_bits();
            let f = f32::from_bits(b);
            let got = fp32_to_fp16(f);
            if f.is_nan() {
                assert_eq!(got, ((b >> 16) & 0x8000) as u16 | 0x7e00, "nan {:08x}", b);
            } else {
                assert_eq!(got, f32_bits_to_f16(b), "bits {:08x}", b);
            }
        }
        // every f16 neighbourhood
        for h in 0..0x7c00u32 {
            let v = f16_to_f32_bits(h as u16);
            for d in [-1i32, 0, 1] {
                for s in [0, 0x8000_0000u32] {
                    if h == 0 && d < 0 {
                        continue;
                    }
                    let b = (v as i32 + d) as u32 | s;
                    assert_eq!(fp32_to_fp16(f32::from_bits(b)), f32_bits_to_f16(b), "bits {:08x}", b);
                }
            }
        }
    }

    #[test]
    fn nearest_int_is_round_half_even_in_range() {
        let mut rng = Rng(99);
        for _ in 0..1_000_000 {
            let v = (rng.next_u32() as i32 as f32) / 512.0; // |v| < 2^22
            let r = nearest_int(v);
            let want = {
                let fl = v.floor();
                let d = v - fl;
                if d > 0.5 || (d == 0.5 && (fl as i64) % 2 != 0) {
                    fl as i64 + 1
                } else {
                    fl as i64
                }
            };
            assert_eq!(r as i64, want, "v={}", v);
        }
        assert_eq!(nearest_int(2.5), 2);
        assert_eq!(nearest_int(-2.5), -2);
        assert_eq!(nearest_int(3.5), 4);
    }

    #[test]
    fn cvtt_is_x86_truncation() {
        assert_eq!(cvtt(3.9), 3);
        assert_eq!(cvtt(-3.9), -3);
        assert_eq!(cvtt(f32::NAN), i32::MIN);
        assert_eq!(cvtt(3e9), i32::MIN);
        assert_eq!(cvtt(-3e9), i32::MIN);
        assert_eq!(cvtt(-2147483648.0), i32::MIN);
    }

    #[test]
    fn v4_nearest_matches_scalar() {
        let mut rng = Rng(5);
        let k = NearestK::new();
        for _ in 0..100_000 {
            let v: Vec<f32> = (0..4).map(|_| f32::from_bits(rng.f32_bits())).collect();
            let r = k.apply(V4::load(&v, 0));
            for i in 0..4 {
                if !v[i].is_nan() {
                    assert_eq!(r.lane_i(i), nearest_int(v[i]));
                }
            }
        }
    }
}
