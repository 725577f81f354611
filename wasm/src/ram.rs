//! RAM and RAM+ tensor-local (mergekit `ram.py`, arXiv 2601.13572): task vectors that only one
//! model moves are kept whole (RAM+: scaled by λⱼ), positions several models move are averaged
//! over those models.
//!
//! In f32, model order: `τⱼ = xⱼ − b`, active iff `|τⱼ| > ε`; `c` = number of active models.
//! `c == 1`: the active model's `λⱼ·τⱼ`; `c > 1`: `Σ_active τⱼ / c` (each term divided, then
//! summed); `out = b + merged` (NaN canonical). RAM has `λⱼ = 1`.
//!
//! Params (f64): `[m, ε, λ_0 .. λ_{m-1}]`.

use crate::gta::{canonical, inputs_of, MAX_MODELS};
use crate::program::Ctx;

/// Apply: the merged f32 output.
pub fn apply(m: usize, eps: f32, lambda: &[f32], inputs: &[&[f32]], out: &mut [f32]) {
    let n = inputs[0].len();
    let mut i = 0;
    while i < n {
        let b = inputs[0][i];
        let mut t = [0f32; MAX_MODELS];
        let mut c = 0u32;
        let mut j = 0;
        while j < m {
            let d = inputs[1 + j][i] - b;
            if f32::from_bits(d.to_bits() & 0x7fff_ffff) > eps {
                t[j] = d;
                c += 1;
            }
            j += 1;
        }
        let mut merged = 0f32;
        let mut j = 0;
        while j < m {
            if t[j] != 0.0 {
                merged = merged + if c == 1 { lambda[j] * t[j] } else { t[j] / c as f32 };
            }
            j += 1;
        }
        out[i] = canonical(b + merged);
        i += 1;
    }
}

/// RAM+ statistics: per model `[shared, unique]`, the number of positions where the model is
/// active together with another model, and alone.
pub fn counts(m: usize, eps: f32, inputs: &[&[f32]], out: &mut [f64]) {
    let n = inputs[0].len();
    let mut i = 0;
    while i < n {
        let b = inputs[0][i];
        let mut act = [false; MAX_MODELS];
        let mut c = 0u32;
        let mut j = 0;
        while j < m {
            let d = inputs[1 + j][i] - b;
            act[j] = f32::from_bits(d.to_bits() & 0x7fff_ffff) > eps;
            c += act[j] as u32;
            j += 1;
        }
        let mut j = 0;
        while j < m {
            if act[j] {
                out[2 * j + if c > 1 { 0 } else { 1 }] += 1.0;
            }
            j += 1;
        }
        i += 1;
    }
}

unsafe fn parse(c: &Ctx) -> (usize, f32, [f32; MAX_MODELS]) {
    let p = c.params();
    crate::check(p.len() >= 2);
    let m = p[0] as usize;
    crate::check(m <= MAX_MODELS && p.len() >= 2 + m && c.k as usize == m + 1);
    let mut l = [1f32; MAX_MODELS];
    let mut j = 0;
    while j < m {
        l[j] = p[2 + j] as f32;
        j += 1;
    }
    (m, p[1] as f32, l)
}

/// RAM+ statistics pass: `2m` words (`[shared, unique]` counts per model).
///
/// # Safety
/// `ctx` must follow the program ABI.
#[no_mangle]
pub unsafe extern "C" fn ram_counts(ctx: u32) {
    let c = Ctx::read(ctx);
    let (m, eps, _) = parse(&c);
    crate::check(c.out_words as usize >= 2 * m);
    let (a, k) = inputs_of(&c, 1);
    counts(m, eps, &a[..k], c.stats_out());
}

/// RAM / RAM+ apply: writes `f32[n]`.
///
/// # Safety
/// `ctx` must follow the program ABI.
#[no_mangle]
pub unsafe extern "C" fn ram_apply(ctx: u32) {
    let c = Ctx::read(ctx);
    let (m, eps, l) = parse(&c);
    let (a, k) = inputs_of(&c, 1);
    apply(m, eps, &l[..m], &a[..k], c.apply_out());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_kept_shared_averaged() {
        let b = [0f32, 0.0, 0.0];
        let x = [1f32, 2.0, 0.0];
        let y = [0f32, 4.0, 0.0];
        let mut out = [0f32; 3];
        apply(2, 1e-5, &[1.5, 1.0], &[&b, &x, &y], &mut out);
        assert_eq!(out, [1.5, 3.0, 0.0]);
        let mut c = [0f64; 4];
        counts(2, 1e-5, &[&b, &x, &y], &mut c);
        assert_eq!(c, [1.0, 1.0, 1.0, 0.0]);
    }
}
