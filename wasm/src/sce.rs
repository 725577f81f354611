//! SCE (mergekit `sce.py`, arXiv 2408.07990): Select (top `select_topk` fraction of positions by
//! the variance of the task vectors across models), Calculate (per-model weights from the mean
//! squared selected deltas), Erase (TIES sign election, unweighted), then merge.
//!
//! In f32, model order, one rounding per operation: `τⱼ = xⱼ − b`; the selection key is the
//! population variance `μ = (Σ τⱼ)/m`, `v = (Σ (τⱼ − μ)²)/m`; positions are ranked by decreasing
//! `v` bits, ties by lowest index, exactly `k = ⌊count(v ≠ 0)·select_topk⌋` kept (a top-K slot as
//! in `gta.rs`). `τ'ⱼ = τⱼ` at kept positions, else 0. Vote `S = Σ τ'ⱼ`, `+` iff `S >= 0`; model
//! j agrees iff `τ'ⱼ` is nonzero with that sign. `mixed = Σ_agree τ'ⱼ·wⱼ`,
//! `div = Σ_agree wⱼ` (0 → 1, as mergekit's code), `out = b + mixed / div` (NaN canonical).
//!
//! Params (f64): `[m, select (0: keep all, 1: slot), thr, cb, rem, w_0 .. w_{m-1}]`; in the
//! histogram passes `thr` is the bucket (`sce_hist_lo`) or the tie value (`sce_ties`), −1 = none.

use crate::gta::{abs_bits, canonical, in_top, inputs_of, segments, Slot, BLOCK, HI_BUCKETS, LO_BUCKETS, MAX_MODELS, NONE_THR};
use crate::program::Ctx;

/// The variance key of element `i` (bits of a non-negative f32).
#[inline(always)]
pub fn var_bits(inputs: &[&[f32]], i: usize) -> u32 {
    let m = inputs.len() - 1;
    let b = inputs[0][i];
    let mut sum = 0f32;
    let mut j = 1;
    while j <= m {
        sum = sum + (inputs[j][i] - b);
        j += 1;
    }
    let mean = sum / m as f32;
    let mut v = 0f32;
    let mut j = 1;
    while j <= m {
        let d = (inputs[j][i] - b) - mean;
        v = v + d * d;
        j += 1;
    }
    abs_bits(v / m as f32)
}

pub struct Sce {
    pub m: usize,
    pub select: bool,
    pub slot: Slot,
    pub raw: i64,
    pub w: [f32; MAX_MODELS],
}

impl Sce {
    pub fn parse(p: &[f64]) -> Option<Sce> {
        if p.len() < 5 {
            return None;
        }
        let m = p[0] as usize;
        if m == 0 || m > MAX_MODELS || p.len() < 5 + m {
            return None;
        }
        let mut w = [0f32; MAX_MODELS];
        let mut j = 0;
        while j < m {
            w[j] = p[5 + j] as f32;
            j += 1;
        }
        Some(Sce {
            m,
            select: p[1] != 0.0,
            slot: Slot {
                thr: if p[2] < 0.0 { NONE_THR } else { p[2] as u64 },
                cb: if p[3] >= 9.0e18 { i64::MAX } else { p[3] as i64 },
                rem: if p[4] > 0.0 { p[4] as u64 } else { 0 },
            },
            raw: if p[2] < 0.0 { -1 } else { p[2] as i64 },
            w,
        })
    }
}

/// Pass 1: `out[0..32768]` high-16-bit histogram of the variance bits, `out[32768]` the count
/// of zero variances.
pub fn hist_hi(inputs: &[&[f32]], out: &mut [f64]) {
    let n = inputs[0].len();
    let mut i = 0;
    while i < n {
        let v = var_bits(inputs, i);
        out[(v >> 16) as usize] += 1.0;
        if v == 0 {
            out[HI_BUCKETS] += 1.0;
        }
        i += 1;
    }
}

/// Pass 2: low-16-bit histogram of the variances in bucket `bucket`.
pub fn hist_lo(inputs: &[&[f32]], bucket: u32, out: &mut [f64]) {
    let n = inputs[0].len();
    let mut i = 0;
    while i < n {
        let v = var_bits(inputs, i);
        if v >> 16 == bucket {
            out[(v & 0xffff) as usize] += 1.0;
        }
        i += 1;
    }
}

/// Pass 3: per 4096-block count of variances equal to `thr`.
pub fn ties(inputs: &[&[f32]], first: u64, thr: u32, out: &mut [f64]) {
    let n = inputs[0].len();
    let mut bi = 0;
    segments(first, n, BLOCK, |s, e, _| {
        let mut c = 0u32;
        let mut i = s;
        while i < e {
            c += (var_bits(inputs, i) == thr) as u32;
            i += 1;
        }
        out[bi] = c as f64;
        bi += 1;
    });
}

/// Is element `i` selected? Call for every element of a block in order (tie counter `cnt`).
#[inline(always)]
fn selected(s: &Sce, inputs: &[&[f32]], i: usize, blk: i64, cnt: &mut u64) -> bool {
    !s.select || in_top(var_bits(inputs, i), &s.slot, blk, cnt)
}

/// Pass 4: per 4096-block and model, `Σ τ'ⱼ²` in f64 (`blocks × m` words).
pub fn sums(s: &Sce, inputs: &[&[f32]], first: u64, out: &mut [f64]) {
    let n = inputs[0].len();
    let mut bi = 0;
    segments(first, n, BLOCK, |a, e, blk| {
        let mut cnt = 0u64;
        let mut i = a;
        while i < e {
            if selected(s, inputs, i, blk, &mut cnt) {
                let mut j = 0;
                while j < s.m {
                    let d = (inputs[1 + j][i] - inputs[0][i]) as f64;
                    out[bi * s.m + j] += d * d;
                    j += 1;
                }
            }
            i += 1;
        }
        bi += 1;
    });
}

/// Apply: the merged f32 output.
pub fn apply(s: &Sce, inputs: &[&[f32]], first: u64, out: &mut [f32]) {
    let n = inputs[0].len();
    segments(first, n, BLOCK, |a, e, blk| {
        let mut cnt = 0u64;
        let mut i = a;
        while i < e {
            let b = inputs[0][i];
            let mut t = [0f32; MAX_MODELS];
            if selected(s, inputs, i, blk, &mut cnt) {
                let mut j = 0;
                while j < s.m {
                    t[j] = inputs[1 + j][i] - b;
                    j += 1;
                }
            }
            let mut vote = 0f32;
            let mut j = 0;
            while j < s.m {
                vote = vote + t[j];
                j += 1;
            }
            let pos = vote >= 0.0;
            let (mut mixed, mut div) = (0f32, 0f32);
            let mut j = 0;
            while j < s.m {
                if (pos && t[j] > 0.0) || (!pos && t[j] < 0.0) {
                    mixed = mixed + t[j] * s.w[j];
                    div = div + s.w[j];
                }
                j += 1;
            }
            if div == 0.0 {
                div = 1.0;
            }
            out[i] = canonical(b + mixed / div);
            i += 1;
        }
    });
}

unsafe fn sce_of(c: &Ctx) -> Sce {
    let s = Sce::parse(c.params());
    crate::check(s.is_some());
    let s = s.unwrap();
    crate::check(c.k as usize == s.m + 1);
    s
}

/// SCE pass 1: `32769` words (histogram of variance high bits, then the zero count).
///
/// # Safety
/// `ctx` must follow the program ABI.
#[no_mangle]
pub unsafe extern "C" fn sce_hist_hi(ctx: u32) {
    let c = Ctx::read(ctx);
    let s = sce_of(&c);
    crate::check(c.out_words as usize > HI_BUCKETS);
    let (a, k) = inputs_of(&c, 2);
    let _ = s;
    hist_hi(&a[..k], c.stats_out());
}

/// SCE pass 2: `65536` words, the low-bits histogram of bucket `thr` (params[2]).
///
/// # Safety
/// `ctx` must follow the program ABI.
#[no_mangle]
pub unsafe extern "C" fn sce_hist_lo(ctx: u32) {
    let c = Ctx::read(ctx);
    let s = sce_of(&c);
    crate::check(c.out_words as usize >= LO_BUCKETS);
    let (a, k) = inputs_of(&c, 2);
    if s.raw >= 0 {
        hist_lo(&a[..k], s.raw as u32, c.stats_out());
    }
}

/// SCE pass 3: one word per 4096-block, the count of variances equal to `thr` (params[2]).
///
/// # Safety
/// `ctx` must follow the program ABI.
#[no_mangle]
pub unsafe extern "C" fn sce_ties(ctx: u32) {
    let c = Ctx::read(ctx);
    let s = sce_of(&c);
    let (a, k) = inputs_of(&c, 2);
    if s.raw >= 0 {
        ties(&a[..k], c.first(), s.raw as u32, c.stats_out());
    }
}

/// SCE pass 4: `blocks × m` words, per block and model the sum of squared selected deltas.
///
/// # Safety
/// `ctx` must follow the program ABI.
#[no_mangle]
pub unsafe extern "C" fn sce_sums(ctx: u32) {
    let c = Ctx::read(ctx);
    let s = sce_of(&c);
    let (a, k) = inputs_of(&c, 2);
    sums(&s, &a[..k], c.first(), c.stats_out());
}

/// SCE apply: writes `f32[n]`.
///
/// # Safety
/// `ctx` must follow the program ABI.
#[no_mangle]
pub unsafe extern "C" fn sce_apply(ctx: u32) {
    let c = Ctx::read(ctx);
    let s = sce_of(&c);
    let (a, k) = inputs_of(&c, 2);
    apply(&s, &a[..k], c.first(), c.apply_out());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variance_is_population_variance() {
        let b = [0f32];
        let (x, y, z) = ([1f32], [2f32], [3f32]);
        let v = f32::from_bits(var_bits(&[&b, &x, &y, &z], 0));
        assert_eq!(v, 2.0 / 3.0);
    }

    #[test]
    fn apply_elects_signs_and_weights() {
        let b = [1f32, 1.0];
        let x = [2f32, 0.0]; // τ = +1, -1
        let y = [3f32, 1.5]; // τ = +2, +0.5
        let p = [2.0, 0.0, -1.0, 0.0, 0.0, 0.25, 0.75];
        let s = Sce::parse(&p).unwrap();
        let mut out = [0f32; 2];
        apply(&s, &[&b, &x, &y], 0, &mut out);
        assert_eq!(out[0], 1.0 + (1.0 * 0.25 + 2.0 * 0.75) / 1.0);
        // vote -0.5 → negative: only x agrees
        assert_eq!(out[1], 1.0 + (-1.0 * 0.25) / 0.25);
    }
}
