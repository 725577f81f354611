//! Generalized task arithmetic: the program kernels of `ties`, `dare_ties`, `dare_linear`,
//! `breadcrumbs`, `breadcrumbs_ties`, `della`, `della_linear` (and `task_arithmetic` with our
//! extra options). See `src/methods/gta.ts` and `gta-topk.ts` for the passes each method runs.
//!
//! Inputs: `input(0)` is the base `b`, `input(1 + j)` model `j` (m = k − 1 models). Per element
//! and model, in f32: `δ = x − b`; the sparsifier keeps or drops it (`keep`), a kept delta is
//! scaled (`δ·s`, the rescale factor or 1/p) and weighted: `wd = w·(δ·s)` (0 when dropped).
//! Then, in model order, one rounding per operation, no FMA:
//! - no consensus: `mixed = Σ wd` (from +0), `div = Σ w` (from +0; `|div| < 1e-8` → 1);
//! - `sum` consensus: `S = Σ wd`; majority `+` iff `S >= 0`; `count`: `C = Σ sign(wd)`,
//!   majority `+` iff `C >= 0`; a model agrees iff `wd` is nonzero with the majority's sign;
//!   `mixed = Σ_agree wd`, `div = Σ_agree w` (`div == 0` → 1);
//! - `mixed = mixed / div` if normalize; `mixed = mixed · λ`; `out = b + mixed` (NaN canonical).
//!
//! Sparsifiers (`keep`):
//! - top-k window (TIES, breadcrumbs): with `a = |δ|` bits (sign cleared) and elements ranked by
//!   decreasing `a`, ties by increasing global index: keep iff rank in `[K_lo, K_hi)`. A slot
//!   `(thr, cb, rem)` describes the top-K set: `a > thr`, or `a == thr` and the element is one of
//!   the first ties: its 4096-block `blk < cb`, or `blk == cb` and fewer than `rem` ties precede it
//!   in the block. Slot 0 is `K_hi`, slot 1 `K_lo` (`thr = -1`: the empty set).
//! - random (DARE): keep iff `u24(key, j, g) < t(density)` (see `rng.rs`).
//! - DELLA: per row of `row_len` elements, ranks by increasing `a` (ties by index) `r = 1..L`,
//!   `p = (density − ε) + ((r−1)/(L−1))·2·ε` in f64 (`L = 1`: `p = density`), keep iff
//!   `u24 < t(p)`; `s = 1/p` (f32) under rescale mode 4.
//!
//! Params (f64): header `[m, consensus (0 none, 1 sum, 2 count), normalize, λ, sparsifier (0 none,
//! 1 top-k window, 2 random, 3 della), rescale (0 none, 1 l1, 2 l2, 3 linf, 4 inverse keep
//! probability), k0, k1, slots (1 or 2), 0]`, then per model 12 words `[w, active, density, ε,
//! scale, thr0, cb0, rem0, thr1, cb1, rem1, 0]`. An inactive model keeps every element (s = 1).
//! In the `gta_hist_lo` pass `thr_s` holds the high-16-bit bucket to refine (−1: none); in
//! `gta_ties` it holds the threshold whose ties to count (−1: none).

use crate::program::{flush_tile, for_tiles, stage_one, stage_tile, stride, Ctx, Raw, MAX_TILED};
use crate::rng::{self, Key};

/// Statistics block: `STAT_BLOCK` in `src/methods/program.ts`.
pub const BLOCK: usize = 4096;
pub const HI_BUCKETS: usize = 32768;
pub const LO_BUCKETS: usize = 65536;
pub const MAX_MODELS: usize = 64;
pub const HEADER: usize = 10;
pub const REC: usize = 12;
/// A threshold above every |f32| bit pattern: the slot's set is empty.
pub const NONE_THR: u64 = 1 << 32;

#[derive(Clone, Copy, Debug, Default)]
pub struct Slot {
    pub thr: u64,
    pub cb: i64,
    pub rem: u64,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct Model {
    pub w: f32,
    pub active: bool,
    pub density: f64,
    pub eps: f64,
    pub scale: f32,
    pub slots: [Slot; 2],
    /// The raw thr fields (bucket or threshold, −1 = none) for the histogram/tie passes.
    pub raw: [i64; 2],
    /// Bernoulli threshold of `density` (random sparsifier).
    pub t: u32,
}

#[derive(Clone, Copy, Debug)]
pub struct Gta {
    pub m: usize,
    pub consensus: u32,
    pub normalize: bool,
    pub lambda: f32,
    pub sparse: u32,
    pub rescale: u32,
    pub key: Key,
    pub nslots: usize,
    pub models: [Model; MAX_MODELS],
}

pub const SP_NONE: u32 = 0;
pub const SP_TOPK: u32 = 1;
pub const SP_RANDOM: u32 = 2;
pub const SP_DELLA: u32 = 3;
pub const RS_INVERSE: u32 = 4;

fn f2i(x: f64) -> i64 {
    if x >= 9.0e18 {
        i64::MAX
    } else {
        x as i64
    }
}

impl Gta {
    /// Decodes the params; `None` if they break the layout above.
    pub fn parse(p: &[f64]) -> Option<Gta> {
        if p.len() < HEADER {
            return None;
        }
        let m = p[0] as usize;
        if m > MAX_MODELS || p.len() < HEADER + REC * m {
            return None;
        }
        let mut g = Gta {
            m,
            consensus: p[1] as u32,
            normalize: p[2] != 0.0,
            lambda: p[3] as f32,
            sparse: p[4] as u32,
            rescale: p[5] as u32,
            key: Key([p[6] as u32, p[7] as u32]),
            nslots: if p[8] >= 2.0 { 2 } else { 1 },
            models: [Model::default(); MAX_MODELS],
        };
        let mut j = 0;
        while j < m {
            let r = &p[HEADER + REC * j..HEADER + REC * (j + 1)];
            let mut md = Model {
                w: r[0] as f32,
                active: r[1] != 0.0,
                density: r[2],
                eps: r[3],
                scale: r[4] as f32,
                ..Model::default()
            };
            let mut s = 0;
            while s < 2 {
                let thr = r[5 + 3 * s];
                md.raw[s] = if thr < 0.0 { -1 } else { thr as i64 };
                md.slots[s] = Slot {
                    thr: if thr < 0.0 { NONE_THR } else { thr as u64 },
                    cb: f2i(r[6 + 3 * s]),
                    rem: if r[7 + 3 * s] > 0.0 { r[7 + 3 * s] as u64 } else { 0 },
                };
                s += 1;
            }
            md.t = rng::keep_threshold(md.density);
            g.models[j] = md;
            j += 1;
        }
        Some(g)
    }
}

#[inline(always)]
pub fn abs_bits(d: f32) -> u32 {
    d.to_bits() & 0x7fff_ffff
}

/// Is an element with |δ| bits `a` in the slot's top-K set? `cnt` counts the ties met so far
/// in the current block (`blk`); call for every element of the block, in index order.
#[inline(always)]
pub(crate) fn in_top(a: u32, s: &Slot, blk: i64, cnt: &mut u64) -> bool {
    let a = a as u64;
    if a > s.thr {
        return true;
    }
    if a != s.thr {
        return false;
    }
    let kept = blk < s.cb || (blk == s.cb && *cnt < s.rem);
    *cnt += 1;
    kept
}

/// Calls `f(start, end, block_or_row)` for the segments of `[0, n)` that lie in one global
/// block of `len` elements (`first` = global index of element 0).
#[inline(always)]
pub(crate) fn segments(first: u64, n: usize, len: usize, mut f: impl FnMut(usize, usize, i64)) {
    let mut s = 0;
    while s < n {
        let g = first + s as u64;
        let blk = g / len as u64;
        let end_g = (blk + 1) * len as u64;
        let e = core::cmp::min(n as u64, end_g - first) as usize;
        f(s, e, blk as i64);
        s = e;
    }
}

/// Writes `keep[i]` (0/1) for model `j` over one segment (a block, or a row for DELLA).
/// `keys` is scratch of the segment's length (DELLA only). Also returns per-element keep
/// probabilities' inverse via `inv` when DELLA needs them (`inv` may be empty otherwise).
#[allow(clippy::too_many_arguments)]
fn segment_mask(g: &Gta, j: usize, b: &[f32], x: &[f32], g0: u64, blk: i64, keep: &mut [u8], inv: &mut [f32], keys: &mut [u64]) {
    let md = &g.models[j];
    let n = b.len();
    if !md.active {
        keep[..n].iter_mut().for_each(|k| *k = 1);
        return;
    }
    match g.sparse {
        SP_TOPK => {
            let (s0, s1) = (md.slots[0], md.slots[1]);
            let (mut c0, mut c1) = (0u64, 0u64);
            let mut i = 0;
            while i < n {
                let a = abs_bits(x[i] - b[i]);
                let hi = in_top(a, &s0, blk, &mut c0);
                let lo = in_top(a, &s1, blk, &mut c1);
                keep[i] = (hi && !lo) as u8;
                i += 1;
            }
        }
        SP_RANDOM => {
            // One Philox block serves four consecutive elements.
            let mut i = 0;
            while i < n {
                let gi = g0 + i as u64;
                let words = rng::group(g.key, j as u32, gi >> 2);
                let mut t = (gi & 3) as usize;
                while t < 4 && i < n {
                    keep[i] = ((words[t] >> 8) < md.t) as u8;
                    t += 1;
                    i += 1;
                }
            }
        }
        SP_DELLA => {
            if !(md.density > 0.0) {
                keep[..n].iter_mut().for_each(|k| *k = 0);
                return;
            }
            let mut i = 0;
            while i < n {
                keys[i] = (abs_bits(x[i] - b[i]) as u64) << 32 | i as u64;
                i += 1;
            }
            keys[..n].sort_unstable();
            let mut r = 0;
            while r < n {
                let i = (keys[r] & 0xffff_ffff) as usize;
                let rn = if n > 1 { r as f64 / (n - 1) as f64 } else { 0.5 };
                let p = (md.density - md.eps) + rn * 2.0 * md.eps;
                keep[i] = (rng::u24(g.key, j as u32, g0 + i as u64) < rng::keep_threshold(p)) as u8;
                if !inv.is_empty() {
                    inv[i] = (1.0 / p) as f32;
                }
                r += 1;
            }
        }
        _ => keep[..n].iter_mut().for_each(|k| *k = 1),
    }
}

/// Segment length of the sparsifier: rows for DELLA, statistics blocks otherwise.
fn seg_len(g: &Gta, row_len: usize) -> usize {
    if g.sparse == SP_DELLA {
        row_len.max(1)
    } else {
        BLOCK
    }
}

/// Scratch bytes `apply`/`norms` need for one chunk (whatever its size).
pub fn scratch_bytes(g: &Gta, row_len: usize) -> usize {
    let l = seg_len(g, row_len);
    // wd: m f32 rows, acc + div f32, keep u8, inv f32, keys u64
    core::cmp::max(l * (4 * g.m + 8 + 1 + 4 + 8) + 64, 8 * HI_BUCKETS + 64)
}

/// Per-model, per-segment `[before, after]` norm partials (rescale modes 1..3) for the chunk.
/// `out` has `segments × m × 2` words, segment-major.
pub fn norms(g: &Gta, inputs: &[&[f32]], first: u64, row_len: usize, out: &mut [f64], scratch: &mut [u8]) {
    let n = inputs[0].len();
    let l = seg_len(g, row_len);
    let (keep, rest) = scratch.split_at_mut(l);
    let keys = as_u64(rest, l);
    let mut si = 0;
    segments(first, n, l, |s, e, blk| {
        let b = &inputs[0][s..e];
        let mut j = 0;
        while j < g.m {
            let x = &inputs[1 + j][s..e];
            segment_mask(g, j, b, x, first + s as u64, blk, keep, &mut [], keys);
            let (mut before, mut after) = (0f64, 0f64);
            let mut i = 0;
            while i < e - s {
                let a = f32::from_bits(abs_bits(x[i] - b[i])) as f64;
                let k = keep[i] != 0;
                match g.rescale {
                    2 => {
                        before += a * a;
                        if k {
                            after += a * a;
                        }
                    }
                    3 => {
                        before = before.max(a);
                        if k {
                            after = after.max(a);
                        }
                    }
                    _ => {
                        before += a;
                        if k {
                            after += a;
                        }
                    }
                }
                i += 1;
            }
            out[(si * g.m + j) * 2] = before;
            out[(si * g.m + j) * 2 + 1] = after;
            j += 1;
        }
        si += 1;
    });
}

/// Number of norm segments of a chunk.
pub fn norm_segments(first: u64, n: usize, len: usize) -> usize {
    let mut c = 0;
    segments(first, n, len, |_, _, _| c += 1);
    c
}

fn as_u64(bytes: &mut [u8], n: usize) -> &mut [u64] {
    let off = bytes.as_ptr().align_offset(8);
    let b = &mut bytes[off..];
    assert!(b.len() >= 8 * n);
    unsafe { core::slice::from_raw_parts_mut(b.as_mut_ptr() as *mut u64, n) }
}

fn as_f32(bytes: &mut [u8], n: usize) -> (&mut [f32], &mut [u8]) {
    let off = bytes.as_ptr().align_offset(4);
    let (_, b) = bytes.split_at_mut(off);
    assert!(b.len() >= 4 * n);
    let (a, rest) = b.split_at_mut(4 * n);
    (unsafe { core::slice::from_raw_parts_mut(a.as_mut_ptr() as *mut f32, n) }, rest)
}

#[inline(always)]
pub(crate) fn canonical(v: f32) -> f32 {
    if v.is_nan() {
        f32::from_bits(crate::convert::CANONICAL_NAN)
    } else {
        v
    }
}

/// The `a >= bound` form of a slot's top set inside block `blk`, when no element of the block
/// needs the running tie count (`None`: `blk` is the block where the kept ties end).
#[inline(always)]
pub(crate) fn ge_bound(s: &Slot, blk: i64) -> Option<u32> {
    if s.thr >= NONE_THR {
        return Some(u32::MAX); // empty set: |δ| bits never reach it
    }
    if blk < s.cb {
        Some(s.thr as u32) // every tie kept: a >= thr
    } else if blk > s.cb {
        Some(s.thr as u32 + 1) // no tie kept: a > thr
    } else {
        None
    }
}

/// `row[i] = keep ? w·((x−b)·sc) : 0` for a top-k window with both slots in `>=` form (or the
/// whole delta with bounds `0, u32::MAX`). Branch-free, so it vectorizes.
#[inline(never)]
fn wd_window(b: &[f32], x: &[f32], w: f32, sc: f32, lo: u32, hi: u32, row: &mut [f32]) {
    for ((r, &bv), &xv) in row.iter_mut().zip(b).zip(x) {
        let d = xv - bv;
        let a = d.to_bits() & 0x7fff_ffff;
        let v = w * (d * sc);
        *r = if a >= lo && a < hi { v } else { 0.0 };
    }
}

/// `acc += row` element-wise.
#[inline(never)]
fn add_rows(acc: &mut [f32], row: &[f32]) {
    for (a, &v) in acc.iter_mut().zip(row) {
        *a = *a + v;
    }
}

/// `acc += sign(row)` element-wise.
#[inline(never)]
fn add_signs(acc: &mut [f32], row: &[f32]) {
    for (a, &v) in acc.iter_mut().zip(row) {
        *a = *a + (if v > 0.0 { 1.0 } else { 0.0 } - if v < 0.0 { 1.0 } else { 0.0 });
    }
}

/// Adds the agreeing `row` values to `mixed` and their weight `w` to `div`; `vote` >= 0 elects +.
#[inline(never)]
fn add_agreeing(mixed: &mut [f32], div: &mut [f32], vote: &[f32], row: &[f32], w: f32) {
    for (((m, d), &t), &v) in mixed.iter_mut().zip(div.iter_mut()).zip(vote).zip(row) {
        let agree = if t >= 0.0 { v > 0.0 } else { v < 0.0 };
        *m = *m + if agree { v } else { 0.0 };
        *d = *d + if agree { w } else { 0.0 };
    }
}

/// `out = canonical(b + ((mixed / div) · λ))` (without the division when not normalizing).
#[inline(never)]
fn finish(out: &mut [f32], b: &[f32], mixed: &[f32], div: &[f32], normalize: bool, lambda: f32) {
    if normalize {
        for (((o, &bv), &m), &d) in out.iter_mut().zip(b).zip(mixed).zip(div) {
            *o = canonical(bv + (m / d) * lambda);
        }
    } else {
        for ((o, &bv), &m) in out.iter_mut().zip(b).zip(mixed) {
            *o = canonical(bv + m * lambda);
        }
    }
}

/// Divisor without consensus: Σ w in model order (`|Σ| < 1e-8` → 1).
fn weight_sum(g: &Gta) -> f32 {
    let mut wsum = 0f32;
    let mut j = 0;
    while j < g.m {
        wsum = wsum + g.models[j].w;
        j += 1;
    }
    if f32::from_bits(abs_bits(wsum)) < 1e-8 {
        1.0
    } else {
        wsum
    }
}

/// Every model's keep window in `lo <= a < hi` form for the segment `blk`, when no element of it
/// needs a tie count or a random draw (`None` otherwise): each element is then independent.
fn window_bounds(g: &Gta, blk: i64) -> Option<[(u32, u32); MAX_MODELS]> {
    if g.sparse != SP_NONE && g.sparse != SP_TOPK {
        return None;
    }
    let mut bounds = [(0u32, u32::MAX); MAX_MODELS];
    let mut j = 0;
    while j < g.m {
        let md = &g.models[j];
        if md.active && g.sparse == SP_TOPK {
            bounds[j] = (ge_bound(&md.slots[0], blk)?, ge_bound(&md.slots[1], blk)?);
        }
        j += 1;
    }
    Some(bounds)
}

/// [`apply`] of BF16 inputs into a BF16 output (`n` elements at `out`): segments whose windows
/// need no tie count are computed straight from the stored data (wasm SIMD); the others, and
/// the last `< 4` elements of a segment, are widened into `stage` (rows of `stride(tile)` f32,
/// `tile >= ` the segment length) and computed by [`apply`]. Same bits as [`apply`] on the
/// widened inputs, rounded as `convert` rounds.
#[allow(clippy::too_many_arguments)]
pub fn apply_bf16(g: &Gta, ins: &[Raw], n: usize, first: u64, row_len: usize, out: &mut [u8], scratch: &mut [u8], stage: &mut [f32], tile: usize) {
    let l = seg_len(g, row_len);
    assert!(tile >= l && ins.len() == g.m + 1 && out.len() >= 2 * n && ins.iter().all(|r| r.bytes.len() >= 2 * n));
    #[cfg(target_arch = "wasm32")]
    let wsum = weight_sum(g);
    let st = stride(tile);
    segments(first, n, l, |s, e, blk| {
        #[cfg(not(target_arch = "wasm32"))]
        let _ = blk; // only the SIMD path reads the windows
        #[allow(unused_mut)]
        let mut done = s;
        #[cfg(target_arch = "wasm32")]
        {
            if let Some(bounds) = window_bounds(g, blk).filter(|_| g.m <= fused::MAX_FUSED) {
                let mut ptrs = [core::ptr::null::<u8>(); MAX_MODELS + 1];
                for (p, r) in ptrs.iter_mut().zip(ins) {
                    *p = r.bytes.as_ptr();
                }
                let n4 = (e - s) & !3;
                // Safety: s + n4 <= n and every buffer holds n BF16 elements (checked above).
                unsafe { fused::apply4::<true>(g, &ptrs[..ins.len()], s, n4, &bounds, wsum, out.as_mut_ptr()) };
                done = s + n4;
            }
        }
        if done < e {
            // A partial segment only after the fused part, where every element is independent.
            let (views, row) = stage_tile(ins, done, e - done, stage, st);
            apply(g, &views[..ins.len()], first + done as u64, row_len, row, scratch);
            flush_tile(row, crate::convert::BF16, done, out);
        }
    });
}

/// The apply pass over one chunk (fast, column-wise per segment). Same bits as [`apply_ref`].
pub fn apply(g: &Gta, inputs: &[&[f32]], first: u64, row_len: usize, out: &mut [f32], scratch: &mut [u8]) {
    let n = inputs[0].len();
    let l = seg_len(g, row_len);
    let m = g.m;
    let (wd, rest) = as_f32(scratch, l * m.max(1));
    let (acc, rest) = as_f32(rest, l);
    let (div, rest) = as_f32(rest, l);
    let (inv, rest) = as_f32(rest, if g.sparse == SP_DELLA && g.rescale == RS_INVERSE { l } else { 0 });
    let (keep, rest) = rest.split_at_mut(l);
    let keys = as_u64(rest, if g.sparse == SP_DELLA { l } else { 0 });
    let wsum = weight_sum(g);
    segments(first, n, l, |s0, e, blk| {
        let (all, bounds) = match window_bounds(g, blk) {
            Some(b) => (true, b),
            None => (false, [(0u32, u32::MAX); MAX_MODELS]),
        };
        let mut s = s0;
        #[cfg(target_arch = "wasm32")]
        {
            if all && m <= fused::MAX_FUSED {
                let n4 = (e - s0) & !3;
                let mut ptrs = [core::ptr::null::<u8>(); MAX_MODELS + 1];
                for (p, x) in ptrs.iter_mut().zip(inputs) {
                    *p = x.as_ptr() as *const u8;
                }
                unsafe { fused::apply4::<false>(g, &ptrs[..inputs.len()], s0, n4, &bounds, wsum, out.as_mut_ptr() as *mut u8) };
                s = s0 + n4;
            }
        }
        if s == e {
            return;
        }
        let len = e - s;
        let b = &inputs[0][s..e];
        let mut j = 0;
        while j < m {
            let md = &g.models[j];
            let x = &inputs[1 + j][s..e];
            let row = &mut wd[j * l..j * l + len];
            let (w, sc) = (md.w, md.scale);
            // Fast path: the whole delta, or a top-k window away from its tie cutoff blocks.
            if all || !md.active {
                let (lo, hi) = bounds[j];
                wd_window(b, x, w, sc, lo, hi, row);
            } else {
                segment_mask(g, j, b, x, first + s as u64, blk, keep, inv, keys);
                if md.active && g.sparse == SP_DELLA && g.rescale == RS_INVERSE {
                    let mut i = 0;
                    while i < len {
                        row[i] = if keep[i] != 0 { w * ((x[i] - b[i]) * inv[i]) } else { 0.0 };
                        i += 1;
                    }
                } else {
                    let mut i = 0;
                    while i < len {
                        let d = (x[i] - b[i]) * sc;
                        row[i] = if keep[i] != 0 { w * d } else { 0.0 };
                        i += 1;
                    }
                }
            }
            j += 1;
        }
        let (acc, div) = (&mut acc[..len], &mut div[..len]);
        let o = &mut out[s..e];
        if g.consensus == 0 {
            acc.iter_mut().for_each(|a| *a = 0.0);
            let mut j = 0;
            while j < m {
                add_rows(acc, &wd[j * l..j * l + len]);
                j += 1;
            }
            div.iter_mut().for_each(|d| *d = wsum);
            finish(o, b, acc, div, g.normalize, g.lambda);
        } else {
            // acc: the vote (Σ wd, or Σ sign(wd)); o: the agreeing sum; div: agreeing weights.
            acc.iter_mut().for_each(|a| *a = 0.0);
            let mut j = 0;
            while j < m {
                let row = &wd[j * l..j * l + len];
                if g.consensus == 2 {
                    add_signs(acc, row);
                } else {
                    add_rows(acc, row);
                }
                j += 1;
            }
            o.iter_mut().for_each(|v| *v = 0.0);
            div.iter_mut().for_each(|d| *d = 0.0);
            let mut j = 0;
            while j < m {
                add_agreeing(o, div, acc, &wd[j * l..j * l + len], g.models[j].w);
                j += 1;
            }
            div.iter_mut().for_each(|d| {
                if *d == 0.0 {
                    *d = 1.0
                }
            });
            acc.copy_from_slice(o);
            finish(o, b, acc, div, g.normalize, g.lambda);
        }
    });
}

/// The SIMD apply of segments whose masks need no tie count (whole deltas, or top-k windows
/// away from their tie-cutoff blocks): one pass, four elements per step, every model's weighted
/// delta kept in registers. Same operations in the same order as [`apply_ref`], so the same bits
/// (a dropped element contributes `+0.0`, which adds nothing: the sums start at `+0.0` and never
/// become `-0.0`).
#[cfg(target_arch = "wasm32")]
mod fused {
    use super::{Gta, MAX_MODELS};
    use core::arch::wasm32::*;

    pub const MAX_FUSED: usize = 8;

    /// Elements `s .. s + n4` (`n4` a multiple of 4) of the chunk: `ins[j]` and `out` point to
    /// element 0 of input `j` and of the output, F32 or (`BF`) BF16 (inputs and output alike;
    /// the output rounded as `convert` does).
    pub unsafe fn apply4<const BF: bool>(g: &Gta, ins: &[*const u8], s: usize, n4: usize, bounds: &[(u32, u32); MAX_MODELS], wsum: f32, out: *mut u8) {
        // |δ| bits are at most 0x7fff_ffff, so an upper bound above that keeps everything: only
        // breadcrumbs' windows need the two-sided test.
        let win = bounds[..g.m].iter().any(|&(_, hi)| hi <= 0x7fff_ffff);
        // A constant model count lets the compiler unroll the model loops and keep every
        // weighted delta in a register.
        match (g.m, g.consensus, win) {
            (1, 0, false) => apply4m::<1, 0, BF, false>(g, ins, s, n4, bounds, wsum, out),
            (1, 1, false) => apply4m::<1, 1, BF, false>(g, ins, s, n4, bounds, wsum, out),
            (2, 0, false) => apply4m::<2, 0, BF, false>(g, ins, s, n4, bounds, wsum, out),
            (2, 1, false) => apply4m::<2, 1, BF, false>(g, ins, s, n4, bounds, wsum, out),
            (3, 0, false) => apply4m::<3, 0, BF, false>(g, ins, s, n4, bounds, wsum, out),
            (3, 1, false) => apply4m::<3, 1, BF, false>(g, ins, s, n4, bounds, wsum, out),
            (_, 0, false) => apply4m::<0, 0, BF, false>(g, ins, s, n4, bounds, wsum, out),
            (_, 1, false) => apply4m::<0, 1, BF, false>(g, ins, s, n4, bounds, wsum, out),
            (_, _, false) => apply4m::<0, 2, BF, false>(g, ins, s, n4, bounds, wsum, out),
            (_, 0, true) => apply4m::<0, 0, BF, true>(g, ins, s, n4, bounds, wsum, out),
            (_, 1, true) => apply4m::<0, 1, BF, true>(g, ins, s, n4, bounds, wsum, out),
            _ => apply4m::<0, 2, BF, true>(g, ins, s, n4, bounds, wsum, out),
        }
    }

    /// `M`: the model count (0: read `g.m`); `C`: the consensus mode; `BF`: BF16 data; `WIN`:
    /// keep windows with upper bounds (else lower bounds only, one signed compare).
    #[inline(never)]
    unsafe fn apply4m<const M: usize, const C: u32, const BF: bool, const WIN: bool>(g: &Gta, ins: &[*const u8], s: usize, n4: usize, bounds: &[(u32, u32); MAX_MODELS], wsum: f32, out: *mut u8) {
        let m = if M > 0 { M } else { g.m };
        let bp = ins[0];
        let mut xp = [core::ptr::null::<u8>(); MAX_FUSED];
        let mut wv = [f32x4_splat(0.0); MAX_FUSED];
        let mut sv = [f32x4_splat(0.0); MAX_FUSED];
        let mut lo = [u32x4_splat(0); MAX_FUSED];
        let mut hi = [u32x4_splat(0); MAX_FUSED];
        let mut unit = true;
        let mut j = 0;
        while j < m {
            let (l, h) = bounds[j];
            xp[j] = ins[1 + j];
            wv[j] = f32x4_splat(g.models[j].w);
            sv[j] = f32x4_splat(g.models[j].scale);
            unit &= g.models[j].scale == 1.0;
            // Without WIN: keep iff a > l − 1 as i32 (l = 0 → −1: all; l > 2³¹ − 1 → none).
            lo[j] = if WIN { u32x4_splat(l) } else { i32x4_splat(if l == 0 { -1 } else { core::cmp::min(l - 1, 0x7fff_ffff) as i32 }) };
            hi[j] = u32x4_splat(h);
            j += 1;
        }
        // δ·1 and r·1 are δ and r (NaNs included), so those products are skipped.
        let (unit, one_lambda, normalize) = (unit, g.lambda == 1.0, g.normalize);
        let kc = crate::convert::simd::Consts::load();
        let zero = f32x4_splat(0.0);
        let one = f32x4_splat(1.0);
        let absmask = u32x4_splat(0x7fff_ffff);
        let sign = u32x4_splat(0x8000_0000);
        let canon = u32x4_splat(crate::convert::CANONICAL_NAN);
        let lambda = f32x4_splat(g.lambda);
        let wsumv = f32x4_splat(wsum);
        // Two loops per sub-tile of SUB elements: the sums, then the division and the output.
        // A division's latency would otherwise hold the long dependent chain of its iteration
        // in the scheduler; in a loop of its own the divisions overlap.
        const SUB: usize = 256;
        let mut mixed_t = [zero; SUB / 4];
        let mut div_t = [zero; SUB / 4];
        let mut t = s;
        while t < s + n4 {
            let tn = core::cmp::min(SUB, s + n4 - t);
            let mut q = 0;
            while q < tn {
                let i = t + q;
                let b = super::simd::ld::<BF>(bp, i);
                let mut wd = [zero; MAX_FUSED];
                let mut acc = zero;
                let mut j = 0;
                while j < m {
                    let d = f32x4_sub(super::simd::ld::<BF>(xp[j], i), b);
                    let a = v128_and(d, absmask);
                    let keep = if WIN { v128_and(u32x4_ge(a, lo[j]), u32x4_lt(a, hi[j])) } else { i32x4_gt(a, lo[j]) };
                    let ds = if unit { d } else { f32x4_mul(d, sv[j]) };
                    let v = v128_and(f32x4_mul(wv[j], ds), keep);
                    wd[j] = v;
                    acc = match C {
                        // The vote Σ sign(wd), counted in integers (exact, as the f32 sum of ±1 is).
                        2 => i32x4_add(i32x4_sub(acc, f32x4_gt(v, zero)), f32x4_lt(v, zero)),
                        _ => f32x4_add(acc, v),
                    };
                    j += 1;
                }
                let (mixed, div) = if C == 0 {
                    (acc, wsumv)
                } else {
                    // The majority's sign bit; a delta agrees iff it is nonzero with that sign:
                    // (wd ^ sign) > 0, which is false for ±0 and NaN as the comparisons are.
                    let pos = if C == 2 { i32x4_gt(acc, i32x4_splat(-1)) } else { f32x4_ge(acc, zero) };
                    let maj = v128_andnot(sign, pos);
                    let (mut mixed, mut div) = (zero, zero);
                    let mut j = 0;
                    while j < m {
                        let v = wd[j];
                        let agree = f32x4_gt(v128_xor(v, maj), zero);
                        mixed = f32x4_add(mixed, v128_and(v, agree));
                        div = f32x4_add(div, v128_and(wv[j], agree));
                        j += 1;
                    }
                    // div + 0 is div (a sum from +0 is never −0); an empty agreeing set divides by 1.
                    (mixed, f32x4_add(div, v128_and(f32x4_eq(div, zero), one)))
                };
                mixed_t[q / 4] = mixed;
                div_t[q / 4] = div;
                q += 4;
            }
            if normalize {
                let mut q = 0;
                while q < tn {
                    let r = f32x4_div(mixed_t[q / 4], div_t[q / 4]);
                    finish4::<BF>(out, t + q, r, bp, lambda, one_lambda, canon, &kc);
                    q += 4;
                }
            } else {
                let mut q = 0;
                while q < tn {
                    finish4::<BF>(out, t + q, mixed_t[q / 4], bp, lambda, one_lambda, canon, &kc);
                    q += 4;
                }
            }
            t += tn;
        }
    }

    /// Output elements `i .. i + 4`: `canonical(b + r·λ)` (`r·1` skipped), stored as F32 or BF16.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    unsafe fn finish4<const BF: bool>(out: *mut u8, i: usize, mut r: v128, bp: *const u8, lambda: v128, one_lambda: bool, canon: v128, kc: &crate::convert::simd::Consts) {
        if !one_lambda {
            r = f32x4_mul(r, lambda);
        }
        r = f32x4_add(super::simd::ld::<BF>(bp, i), r);
        r = v128_bitselect(canon, r, f32x4_ne(r, r));
        if BF {
            crate::program::bf16x4::store_canonical(out, i, r, kc);
        } else {
            v128_store(out.add(4 * i) as *mut v128, r);
        }
    }
}

/// Scalar reference of `apply`: element by element, straight from the module docs (native
/// builds only: it allocates).
#[cfg(not(target_arch = "wasm32"))]
pub fn apply_ref(g: &Gta, inputs: &[&[f32]], first: u64, row_len: usize, out: &mut [f32]) {
    let n = inputs[0].len();
    let l = seg_len(g, row_len);
    // Masks (and DELLA's 1/p) of every model, computed per segment as documented.
    let mut keep = vec![0u8; n * g.m];
    let mut inv = vec![1f32; n * g.m];
    let mut kk = vec![0u8; l];
    let mut ii = vec![0f32; l];
    let mut keys = vec![0u64; l];
    segments(first, n, l, |s, e, blk| {
        for j in 0..g.m {
            segment_mask(g, j, &inputs[0][s..e], &inputs[1 + j][s..e], first + s as u64, blk, &mut kk, &mut ii, &mut keys);
            for i in s..e {
                keep[j * n + i] = kk[i - s];
                if g.sparse == SP_DELLA && g.rescale == RS_INVERSE && g.models[j].active {
                    inv[j * n + i] = ii[i - s];
                }
            }
        }
    });
    for i in 0..n {
        let b = inputs[0][i];
        let mut wd = [0f32; MAX_MODELS];
        for j in 0..g.m {
            let md = &g.models[j];
            let s = if g.sparse == SP_DELLA && g.rescale == RS_INVERSE && md.active { inv[j * n + i] } else { md.scale };
            if keep[j * n + i] != 0 {
                wd[j] = md.w * ((inputs[1 + j][i] - b) * s);
            }
        }
        let (mut mixed, mut div) = (0f32, 0f32);
        if g.consensus == 0 {
            for j in 0..g.m {
                mixed = mixed + wd[j];
                div = div + g.models[j].w;
            }
            if f32::from_bits(abs_bits(div)) < 1e-8 {
                div = 1.0;
            }
        } else {
            let mut t = 0f32;
            for v in wd.iter().take(g.m) {
                t = if g.consensus == 2 { t + ((*v > 0.0) as i32 - (*v < 0.0) as i32) as f32 } else { t + *v };
            }
            let pos = t >= 0.0;
            for j in 0..g.m {
                if (pos && wd[j] > 0.0) || (!pos && wd[j] < 0.0) {
                    mixed = mixed + wd[j];
                    div = div + g.models[j].w;
                }
            }
            if div == 0.0 {
                div = 1.0;
            }
        }
        if g.normalize {
            mixed = mixed / div;
        }
        mixed = mixed * g.lambda;
        out[i] = canonical(b + mixed);
    }
}

/// High-16-bit histograms of |δ| for the active models: `out[j·32768 + (a >> 16)] += 1`.
/// Counts go to a u32 table in `tmp` (32768 entries; integer increments are cheaper than f64
/// ones), then are added to `out`.
pub fn hist_hi(g: &Gta, inputs: &[&[f32]], out: &mut [f64], tmp: &mut [u32]) {
    let b = inputs[0];
    // Two tables (even and odd elements) halve the store-to-load chains on repeated buckets.
    let (t0, t1) = tmp[..2 * HI_BUCKETS].split_at_mut(HI_BUCKETS);
    let mut j = 0;
    while j < g.m {
        if g.models[j].active {
            t0.iter_mut().for_each(|c| *c = 0);
            t1.iter_mut().for_each(|c| *c = 0);
            hist_hi_add(b, &inputs[1 + j][..b.len()], t0, t1);
            fold_hi(t0, t1, &mut out[j * HI_BUCKETS..(j + 1) * HI_BUCKETS]);
        }
        j += 1;
    }
}

/// Counts the high 15 bits of `|x − b|` into the tables `t0`/`t1` (32768 u32 each; which table
/// an element goes to is immaterial: [`fold_hi`] adds them).
#[cfg_attr(not(target_arch = "wasm32"), allow(unused_variables))]
pub(crate) fn hist_hi_add(b: &[f32], x: &[f32], t0: &mut [u32], t1: &mut [u32]) {
    #[allow(unused_mut)]
    let mut done = 0;
    #[cfg(target_arch = "wasm32")]
    {
        done = b.len() & !3;
        unsafe { simd::hist_hi::<false>(b.as_ptr() as *const u8, x.as_ptr() as *const u8, done, t0.as_mut_ptr(), t1.as_mut_ptr()) };
    }
    for (&xv, &bv) in x[done..].iter().zip(&b[done..]) {
        let a = abs_bits(xv - bv) >> 16;
        t0[(a & 0x7fff) as usize] += 1;
    }
}

/// `h[i] += t0[i] + t1[i]`.
pub(crate) fn fold_hi(t0: &[u32], t1: &[u32], h: &mut [f64]) {
    for ((o, &c0), &c1) in h.iter_mut().zip(t0.iter()).zip(t1.iter()) {
        *o += (c0 + c1) as f64;
    }
}

/// [`hist_hi`] of inputs stored in any dtype, widened tile by tile into `stage` (2 rows of
/// `stride(tile)` f32: the base and one model; the tables are zeroed and folded once per model).
pub fn hist_hi_tiled(g: &Gta, ins: &[Raw], n: usize, tile: usize, out: &mut [f64], tmp: &mut [u32], stage: &mut [f32]) {
    let (t0, t1) = tmp[..2 * HI_BUCKETS].split_at_mut(HI_BUCKETS);
    let st = stride(tile);
    let (rb, rx) = stage[..2 * st].split_at_mut(st);
    let bf = crate::program::all_bf16(ins);
    let mut j = 0;
    while j < g.m {
        if g.models[j].active {
            t0.iter_mut().for_each(|c| *c = 0);
            t1.iter_mut().for_each(|c| *c = 0);
            if bf {
                direct::hist_hi_add(ins[0], ins[1 + j], n, t0, t1);
                fold_hi(t0, t1, &mut out[j * HI_BUCKETS..(j + 1) * HI_BUCKETS]);
                j += 1;
                continue;
            }
            let mut start = 0;
            while start < n {
                let len = core::cmp::min(tile, n - start);
                stage_one(ins[0], start, len, rb);
                stage_one(ins[1 + j], start, len, rx);
                hist_hi_add(&rb[..len], &rx[..len], t0, t1);
                start += len;
            }
            fold_hi(t0, t1, &mut out[j * HI_BUCKETS..(j + 1) * HI_BUCKETS]);
        }
        j += 1;
    }
}

#[cfg(target_arch = "wasm32")]
pub(crate) use simd::ld as simd_ld;

/// SIMD loops of the histogram passes (exact counts, so the same as the scalar loops).
#[cfg(target_arch = "wasm32")]
mod simd {
    use core::arch::wasm32::*;

    /// Elements `i .. i + 4` of an input as f32 lanes: F32 data, or BF16 widened (`BF`).
    #[inline(always)]
    pub unsafe fn ld<const BF: bool>(p: *const u8, i: usize) -> v128 {
        if BF {
            crate::program::bf16x4::load(p, i)
        } else {
            v128_load(p.add(4 * i) as *const v128)
        }
    }

    /// High 15 bits of |x − b| for elements `0 .. n4` (a multiple of 4): even lanes into `t0`,
    /// odd lanes into `t1`. Inputs F32, or BF16 with `BF`.
    #[inline(never)]
    pub unsafe fn hist_hi<const BF: bool>(b: *const u8, x: *const u8, n4: usize, t0: *mut u32, t1: *mut u32) {
        let mask = u32x4_splat(0x7fff_ffff);
        let mut i = 0;
        while i < n4 {
            let d = f32x4_sub(ld::<BF>(x, i), ld::<BF>(b, i));
            let a = u32x4_shr(v128_and(d, mask), 16);
            *t0.add(u32x4_extract_lane::<0>(a) as usize) += 1;
            *t1.add(u32x4_extract_lane::<1>(a) as usize) += 1;
            *t0.add(u32x4_extract_lane::<2>(a) as usize) += 1;
            *t1.add(u32x4_extract_lane::<3>(a) as usize) += 1;
            i += 4;
        }
    }

    /// Low 16 bits of |x − b| for the elements of `0 .. n4` whose high bits are `bucket`.
    #[inline(never)]
    pub unsafe fn hist_lo<const BF: bool>(b: *const u8, x: *const u8, n4: usize, bucket: u32, h: *mut f64) {
        let mask = u32x4_splat(0x7fff_ffff);
        let bk = u32x4_splat(bucket);
        let mut i = 0;
        while i < n4 {
            let d = f32x4_sub(ld::<BF>(x, i), ld::<BF>(b, i));
            let a = v128_and(d, mask);
            if v128_any_true(i32x4_eq(u32x4_shr(a, 16), bk)) {
                let mut lanes = [0u32; 4];
                v128_store(lanes.as_mut_ptr() as *mut v128, a);
                for v in lanes {
                    if v >> 16 == bucket {
                        *h.add((v & 0xffff) as usize) += 1.0;
                    }
                }
            }
            i += 4;
        }
    }
}

/// BF16 inputs read directly (no staging): the loops of [`hist_hi`], [`hist_lo`] and [`ties`]
/// with each element widened as it is loaded. Same counts as those functions on the widened
/// inputs (natively: element by element, the reference the wasm SIMD loops must match).
pub mod direct {
    use super::{abs_bits, segments, Gta, BLOCK, HI_BUCKETS, LO_BUCKETS};
    use crate::program::{bf16_at, Raw};

    /// [`super::hist_hi_add`] of BF16 `b`, `x` (`n` elements).
    pub fn hist_hi_add(b: Raw, x: Raw, n: usize, t0: &mut [u32], t1: &mut [u32]) {
        assert!(b.bytes.len() >= 2 * n && x.bytes.len() >= 2 * n && t0.len() >= HI_BUCKETS && t1.len() >= HI_BUCKETS);
        #[cfg(target_arch = "wasm32")]
        let mut i = {
            let n4 = n & !3;
            // Safety: lengths checked above.
            unsafe { super::simd::hist_hi::<true>(b.bytes.as_ptr(), x.bytes.as_ptr(), n4, t0.as_mut_ptr(), t1.as_mut_ptr()) };
            n4
        };
        #[cfg(not(target_arch = "wasm32"))]
        let mut i = 0;
        while i < n {
            t0[(abs_bits(bf16_at(x, i) - bf16_at(b, i)) >> 16) as usize] += 1;
            i += 1;
        }
    }

    /// [`super::hist_lo`] of BF16 inputs (`n` elements each).
    pub fn hist_lo(g: &Gta, ins: &[Raw], n: usize, out: &mut [f64]) {
        let b = ins[0];
        for j in 0..g.m {
            for s in 0..g.nslots {
                let bucket = g.models[j].raw[s];
                if bucket < 0 {
                    continue;
                }
                let h = &mut out[(j * g.nslots + s) * LO_BUCKETS..(j * g.nslots + s + 1) * LO_BUCKETS];
                let x = ins[1 + j];
                assert!(b.bytes.len() >= 2 * n && x.bytes.len() >= 2 * n);
                let bk = bucket as u32;
                #[cfg(target_arch = "wasm32")]
                let mut i = {
                    let n4 = n & !3;
                    // Safety: lengths checked above; h has 65536 entries.
                    unsafe { super::simd::hist_lo::<true>(b.bytes.as_ptr(), x.bytes.as_ptr(), n4, bk, h.as_mut_ptr()) };
                    n4
                };
                #[cfg(not(target_arch = "wasm32"))]
                let mut i = 0;
                while i < n {
                    let a = abs_bits(bf16_at(x, i) - bf16_at(b, i));
                    if a >> 16 == bk {
                        h[(a & 0xffff) as usize] += 1.0;
                    }
                    i += 1;
                }
            }
        }
    }

    /// [`super::ties`] of BF16 inputs (`n` elements each, `first` a block boundary or not).
    pub fn ties(g: &Gta, ins: &[Raw], n: usize, first: u64, out: &mut [f64]) {
        let mut bi = 0;
        segments(first, n, BLOCK, |s, e, _| {
            for j in 0..g.m {
                for sl in 0..g.nslots {
                    let thr = g.models[j].raw[sl];
                    if thr >= 0 {
                        out[(bi * g.m + j) * g.nslots + sl] = count_eq(ins[0], ins[1 + j], s, e, thr as u32) as f64;
                    }
                }
            }
            bi += 1;
        });
    }

    /// Elements of `[s, e)` with `abs_bits(x − b) == t`.
    fn count_eq(b: Raw, x: Raw, s: usize, e: usize, t: u32) -> u32 {
        assert!(b.bytes.len() >= 2 * e && x.bytes.len() >= 2 * e);
        #[cfg(not(target_arch = "wasm32"))]
        let (mut c, mut i) = (0u32, s);
        #[cfg(target_arch = "wasm32")]
        let (mut c, mut i) = {
            use core::arch::wasm32::*;
            let mut i = s;
            let (mask, tv) = (u32x4_splat(0x7fff_ffff), u32x4_splat(t));
            let (pb, px) = (b.bytes.as_ptr(), x.bytes.as_ptr());
            let mut acc = u32x4_splat(0);
            while i + 4 <= e {
                // Safety: i + 4 <= e, lengths checked above.
                let d = unsafe { f32x4_sub(super::simd::ld::<true>(px, i), super::simd::ld::<true>(pb, i)) };
                acc = i32x4_sub(acc, i32x4_eq(v128_and(d, mask), tv));
                i += 4;
            }
            (u32x4_extract_lane::<0>(acc) + u32x4_extract_lane::<1>(acc) + u32x4_extract_lane::<2>(acc) + u32x4_extract_lane::<3>(acc), i)
        };
        while i < e {
            c += (abs_bits(bf16_at(x, i) - bf16_at(b, i)) == t) as u32;
            i += 1;
        }
        c
    }
}

/// Low-16-bit histograms inside the selected buckets: `out[(j·slots + s)·65536 + (a & 0xffff)]
/// += 1` for elements with `a >> 16 == bucket_s` (slots with bucket −1 skipped).
pub fn hist_lo(g: &Gta, inputs: &[&[f32]], out: &mut [f64]) {
    let b = inputs[0];
    let mut j = 0;
    while j < g.m {
        let mut s = 0;
        while s < g.nslots {
            let bucket = g.models[j].raw[s];
            if bucket >= 0 {
                let h = &mut out[(j * g.nslots + s) * LO_BUCKETS..(j * g.nslots + s + 1) * LO_BUCKETS];
                let x = &inputs[1 + j][..b.len()];
                let bk = bucket as u32;
                #[allow(unused_mut)]
                let mut i = 0;
                #[cfg(target_arch = "wasm32")]
                {
                    i = b.len() & !3;
                    unsafe { simd::hist_lo::<false>(b.as_ptr() as *const u8, x.as_ptr() as *const u8, i, bk, h.as_mut_ptr()) };
                }
                while i < b.len() {
                    let a = abs_bits(x[i] - b[i]);
                    if a >> 16 == bk {
                        h[(a & 0xffff) as usize] += 1.0;
                    }
                    i += 1;
                }
            }
            s += 1;
        }
        j += 1;
    }
}

/// Per-block tie counts: `out[(blk·m + j)·slots + s]` = elements of the chunk's block `blk`
/// whose |δ| bits equal threshold `s` of model `j` (thresholds −1 skipped).
pub fn ties(g: &Gta, inputs: &[&[f32]], first: u64, out: &mut [f64]) {
    let n = inputs[0].len();
    let mut bi = 0;
    segments(first, n, BLOCK, |s, e, _| {
        let b = &inputs[0][s..e];
        let mut j = 0;
        while j < g.m {
            let x = &inputs[1 + j][s..e];
            let mut sl = 0;
            while sl < g.nslots {
                let thr = g.models[j].raw[sl];
                if thr >= 0 {
                    let t = thr as u32;
                    let mut c = 0u32;
                    let mut i = 0;
                    while i < e - s {
                        c += (abs_bits(x[i] - b[i]) == t) as u32;
                        i += 1;
                    }
                    out[(bi * g.m + j) * g.nslots + sl] = c as f64;
                }
                sl += 1;
            }
            j += 1;
        }
        bi += 1;
    });
}

// ---------------------------------------------------------------------------------------------
// Exports: `fn(ctx)` program kernels (see program.rs for the memory contract).

/// Collects the chunk's inputs as slices; traps on a broken contract.
pub(crate) unsafe fn inputs_of(c: &Ctx, want: usize) -> ([&'static [f32]; MAX_MODELS + 1], usize) {
    let k = c.k as usize;
    crate::check(k >= want && k <= MAX_MODELS + 1);
    let mut a: [&'static [f32]; MAX_MODELS + 1] = [&[]; MAX_MODELS + 1];
    let mut j = 0;
    while j < k {
        a[j] = c.input(j);
        j += 1;
    }
    (a, k)
}

/// The chunk's inputs as stored (mixed-dtype calls); traps on a broken contract.
pub(crate) unsafe fn raw_inputs_of(c: &Ctx) -> ([Raw<'static>; MAX_TILED], usize) {
    let k = c.k as usize;
    crate::check(k >= 1 && k <= MAX_TILED);
    let mut a = [Raw { dtype: 0, bytes: &[] }; MAX_TILED];
    let mut j = 0;
    while j < k {
        a[j] = c.raw_input(j);
        j += 1;
    }
    (a, k)
}

pub(crate) unsafe fn gta_of(c: &Ctx) -> Gta {
    let g = Gta::parse(c.params());
    crate::check(g.is_some());
    let g = g.unwrap();
    crate::check(c.k as usize == g.m + 1);
    g
}

/// Statistics pass 1 of top-k: writes `m × 32768` words (see [`hist_hi`]). Scratch: at least
/// `8·32768 + 4` bytes.
///
/// # Safety
/// `ctx` must follow the program ABI; `out_words >= m·32768`.
#[no_mangle]
pub unsafe extern "C" fn gta_hist_hi(ctx: u32) {
    let c = Ctx::read(ctx);
    let g = gta_of(&c);
    crate::check(c.out_words as usize >= g.m * HI_BUCKETS);
    crate::check(c.scratch_bytes as usize >= 8 * HI_BUCKETS + 4);
    let sc = c.scratch();
    let off = sc.as_ptr().align_offset(4);
    let tmp = core::slice::from_raw_parts_mut(sc.as_mut_ptr().add(off) as *mut u32, 2 * HI_BUCKETS);
    if c.mixed() {
        let (r, _) = raw_inputs_of(&c);
        hist_hi_tiled(&g, &r[..g.m + 1], c.n as usize, c.tile as usize, c.stats_out(), tmp, c.stage_area());
        return;
    }
    let (a, k) = inputs_of(&c, 1);
    hist_hi(&g, &a[..k], c.stats_out(), tmp);
}

/// Statistics pass 2 of top-k: writes `m × slots × 65536` words (see [`hist_lo`]).
///
/// # Safety
/// `ctx` must follow the program ABI; `out_words >= m·slots·65536`.
#[no_mangle]
pub unsafe extern "C" fn gta_hist_lo(ctx: u32) {
    let c = Ctx::read(ctx);
    let g = gta_of(&c);
    crate::check(c.out_words as usize >= g.m * g.nslots * LO_BUCKETS);
    if c.mixed() {
        let (r, k) = raw_inputs_of(&c);
        let out = c.stats_out();
        if crate::program::all_bf16(&r[..k]) {
            direct::hist_lo(&g, &r[..k], c.n as usize, out);
            return;
        }
        for_tiles(&r[..k], c.n as usize, c.tile as usize, c.stage_area(), None, |v, _, _| hist_lo(&g, v, out));
        return;
    }
    let (a, k) = inputs_of(&c, 1);
    hist_lo(&g, &a[..k], c.stats_out());
}

/// Statistics pass 3 of top-k: per 4096-block tie counts, `blocks × m × slots` words.
///
/// # Safety
/// `ctx` must follow the program ABI; `out_words` as above.
#[no_mangle]
pub unsafe extern "C" fn gta_ties(ctx: u32) {
    let c = Ctx::read(ctx);
    let g = gta_of(&c);
    crate::check(c.out_words as usize >= norm_segments(c.first(), c.n as usize, BLOCK) * g.m * g.nslots);
    if c.mixed() {
        crate::check(c.tile as usize % BLOCK == 0 && c.first() % BLOCK as u64 == 0);
        let (r, k) = raw_inputs_of(&c);
        let (out, first, words) = (c.stats_out(), c.first(), g.m * g.nslots);
        if crate::program::all_bf16(&r[..k]) {
            direct::ties(&g, &r[..k], c.n as usize, first, out);
            return;
        }
        for_tiles(&r[..k], c.n as usize, c.tile as usize, c.stage_area(), None, |v, start, _| {
            ties(&g, v, first + start as u64, &mut out[start / BLOCK * words..])
        });
        return;
    }
    let (a, k) = inputs_of(&c, 1);
    ties(&g, &a[..k], c.first(), c.stats_out());
}

/// Norm pass for rescaling: per segment (4096-block, or row for DELLA) and model,
/// `[before, after]`; `segments × m × 2` words. Scratch: [`scratch_bytes`].
///
/// # Safety
/// `ctx` must follow the program ABI; `out_words` and `scratch_bytes` as above.
#[no_mangle]
pub unsafe extern "C" fn gta_norms(ctx: u32) {
    let c = Ctx::read(ctx);
    let g = gta_of(&c);
    let row = c.row_len as usize;
    crate::check(c.out_words as usize >= norm_segments(c.first(), c.n as usize, seg_len(&g, row)) * g.m * 2);
    crate::check(c.scratch_bytes as usize >= scratch_bytes(&g, row));
    if c.mixed() {
        let l = seg_len(&g, row);
        crate::check(c.tile as usize % l == 0 && c.first() % l as u64 == 0);
        let (r, k) = raw_inputs_of(&c);
        let (out, first, scratch) = (c.stats_out(), c.first(), c.scratch());
        for_tiles(&r[..k], c.n as usize, c.tile as usize, c.stage_area(), None, |v, start, _| {
            norms(&g, v, first + start as u64, row, &mut out[start / l * g.m * 2..], scratch)
        });
        return;
    }
    let (a, k) = inputs_of(&c, 1);
    norms(&g, &a[..k], c.first(), row, c.stats_out(), c.scratch());
}

/// Apply pass: writes the merged `f32[n]`. Scratch: [`scratch_bytes`].
///
/// # Safety
/// `ctx` must follow the program ABI; `scratch_bytes` as above.
#[no_mangle]
pub unsafe extern "C" fn gta_apply(ctx: u32) {
    let c = Ctx::read(ctx);
    let g = gta_of(&c);
    let row = c.row_len as usize;
    crate::check(c.scratch_bytes as usize >= scratch_bytes(&g, row));
    if c.mixed() {
        let l = seg_len(&g, row);
        crate::check(c.tile as usize % l == 0 && c.first() % l as u64 == 0);
        let (r, k) = raw_inputs_of(&c);
        let (first, scratch, out) = (c.first(), c.scratch(), (c.out_dtype, c.apply_out_raw()));
        if crate::program::all_bf16(&r[..k]) && c.out_dtype == crate::convert::BF16 {
            apply_bf16(&g, &r[..k], c.n as usize, first, row, out.1, scratch, c.stage_area(), c.tile as usize);
            return;
        }
        for_tiles(&r[..k], c.n as usize, c.tile as usize, c.stage_area(), Some(out), |v, start, o| {
            apply(&g, v, first + start as u64, row, o, scratch)
        });
        return;
    }
    let (a, k) = inputs_of(&c, 1);
    apply(&g, &a[..k], c.first(), row, c.apply_out(), c.scratch());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::convert::tests::Rng;

    fn params(m: usize, cons: u32, sparse: u32, rescale: u32, models: &[[f64; 12]]) -> Vec<f64> {
        let mut p = vec![m as f64, cons as f64, 1.0, 0.7, sparse as f64, rescale as f64, 12345.0, 678.0, 2.0, 0.0];
        for r in models.iter().take(m) {
            p.extend_from_slice(r);
        }
        p
    }

    fn data(rng: &mut Rng, n: usize, k: usize) -> Vec<Vec<f32>> {
        (0..k)
            .map(|_| {
                (0..n)
                    .map(|_| {
                        // few distinct magnitudes so ties happen
                        let r = rng.next_u32();
                        ((r % 64) as f32 - 32.0) / 16.0
                    })
                    .collect()
            })
            .collect()
    }

    fn check_same(g: &Gta, ins: &[Vec<f32>], row: usize) {
        let n = ins[0].len();
        let refs: Vec<&[f32]> = ins.iter().map(|v| v.as_slice()).collect();
        let mut want = vec![0f32; n];
        apply_ref(g, &refs, 0, row, &mut want);
        // whole, then in chunks of 2 blocks (or 3 rows)
        for chunk in [n, if g.sparse == SP_DELLA { 3 * row } else { 2 * BLOCK }] {
            let mut got = vec![0f32; n];
            let mut scratch = vec![0u8; scratch_bytes(g, row)];
            let mut s = 0;
            while s < n {
                let e = (s + chunk).min(n);
                let part: Vec<&[f32]> = ins.iter().map(|v| &v[s..e]).collect();
                apply(g, &part, s as u64, row, &mut got[s..e], &mut scratch);
                s = e;
            }
            for i in 0..n {
                assert_eq!(got[i].to_bits(), want[i].to_bits(), "i={} chunk={}", i, chunk);
            }
        }
    }

    #[test]
    fn fast_apply_matches_reference() {
        let mut rng = Rng(99);
        let n = 3 * BLOCK + 1000;
        let ins = data(&mut rng, n, 4);
        let rec = |w: f64, active: f64, d: f64, thr0: f64, cb0: f64, rem0: f64, thr1: f64| {
            [w, active, d, 0.1, 1.25, thr0, cb0, rem0, thr1, -1.0, 0.0, 0.0]
        };
        let t = (1.0f32).to_bits() as f64;
        let t2 = (1.5f32).to_bits() as f64;
        let ms = [rec(0.5, 1.0, 0.4, t, 1.0, 7.0, -1.0), rec(-0.3, 1.0, 0.6, t, 9e15, 0.0, t2), rec(1.1, 0.0, 1.0, -1.0, 0.0, 0.0, -1.0)];
        for cons in 0..3 {
            for sparse in [SP_NONE, SP_TOPK, SP_RANDOM] {
                let g = Gta::parse(&params(3, cons, sparse, 1, &ms)).unwrap();
                check_same(&g, &ins, 64);
            }
        }
        let mut della = ms;
        della[0][3] = 0.2;
        della[1][3] = 0.3;
        for rescale in [1, RS_INVERSE] {
            let g = Gta::parse(&params(3, 1, SP_DELLA, rescale, &della)).unwrap();
            check_same(&g, &ins, 64);
            check_same(&g, &ins, 1);
        }
    }

    #[test]
    fn top_k_ties_by_index() {
        // |δ| values: 3, 1, 2, 1, 1, 2 in one block; thr = 1 with 2 ties kept → indices 1, 3.
        let b = vec![0f32; 6];
        let x = vec![3f32, -1.0, 2.0, 1.0, -1.0, 2.0];
        let ms = [[1.0, 1.0, 0.5, 0.0, 1.0, (1.0f32).to_bits() as f64, 0.0, 2.0, -1.0, 0.0, 0.0, 0.0]];
        let mut p = params(1, 0, SP_TOPK, 0, &ms);
        p[2] = 0.0;
        p[3] = 1.0;
        let g = Gta::parse(&p).unwrap();
        let mut out = vec![0f32; 6];
        let mut scratch = vec![0u8; scratch_bytes(&g, 6)];
        apply(&g, &[&b, &x], 0, 6, &mut out, &mut scratch);
        assert_eq!(out, vec![3.0, -1.0, 2.0, 1.0, 0.0, 2.0]);
    }

    #[test]
    fn histograms_and_ties_count_exactly() {
        let mut rng = Rng(5);
        let n = 2 * BLOCK + 17;
        let ins = data(&mut rng, n, 2);
        let refs: Vec<&[f32]> = ins.iter().map(|v| v.as_slice()).collect();
        let a: Vec<u32> = (0..n).map(|i| abs_bits(ins[1][i] - ins[0][i])).collect();
        let t = a[5];
        let ms = [[1.0, 1.0, 0.5, 0.0, 1.0, (t >> 16) as f64, 0.0, 0.0, -1.0, 0.0, 0.0, 0.0]];
        let g = Gta::parse(&params(1, 1, SP_TOPK, 0, &ms)).unwrap();
        let mut hi = vec![0f64; HI_BUCKETS];
        hist_hi(&g, &refs, &mut hi, &mut vec![0u32; 2 * HI_BUCKETS]);
        assert_eq!(hi[(t >> 16) as usize] as usize, a.iter().filter(|&&v| v >> 16 == t >> 16).count());
        let mut lo = vec![0f64; 2 * LO_BUCKETS];
        hist_lo(&g, &refs, &mut lo);
        assert_eq!(lo[(t & 0xffff) as usize] as usize, a.iter().filter(|&&v| v == t).count());
        let ms = [[1.0, 1.0, 0.5, 0.0, 1.0, t as f64, 0.0, 0.0, -1.0, 0.0, 0.0, 0.0]];
        let g = Gta::parse(&params(1, 1, SP_TOPK, 0, &ms)).unwrap();
        let mut tc = vec![0f64; 3 * 2];
        ties(&g, &refs, 0, &mut tc);
        for blk in 0..3 {
            let want = a[blk * BLOCK..((blk + 1) * BLOCK).min(n)].iter().filter(|&&v| v == t).count();
            assert_eq!(tc[blk * 2] as usize, want);
        }
    }
}

#[cfg(test)]
mod mixed_tests {
    use super::*;
    use crate::convert::{BF16, F16};
    use crate::program::tests::{decode, encode};

    /// Base plus `m` models: bf16-like fine-tune deltas of varied magnitudes, so that top-k
    /// buckets hold keys with and without low bits.
    fn models(seed: u64, n: usize, m: usize) -> Vec<Vec<f32>> {
        let mut rng = crate::convert::tests::Rng(seed);
        let mut u = || rng.next_u32() as f32 / 4294967296.0 - 0.5;
        let base: Vec<f32> = (0..n).map(|i| u() * if i % 7 == 0 { 1e-3 } else { 0.1 }).collect();
        let mut all = vec![base.clone()];
        for _ in 0..m {
            all.push(base.iter().map(|b| b + u() * 0.004).collect());
        }
        all
    }

    fn gta(sparse: u32, recs: &[[f64; 12]]) -> Gta {
        let mut p = vec![recs.len() as f64, 1.0, 1.0, 1.0, sparse as f64, 0.0, 1.0, 2.0, 2.0, 0.0];
        for r in recs {
            p.extend_from_slice(r);
        }
        Gta::parse(&p).unwrap()
    }

    #[test]
    fn stored_dtypes_count_like_widened_f32() {
        let n = 3 * BLOCK + 333;
        for dt in [BF16, F16] {
            let vals = models(11, n, 2);
            let bytes: Vec<Vec<u8>> = vals.iter().map(|v| encode(v, dt)).collect();
            let raw: Vec<Raw> = bytes.iter().map(|b| Raw { dtype: dt, bytes: b }).collect();
            let wide: Vec<Vec<f32>> = bytes.iter().map(|b| decode(b, dt)).collect();
            let refs: Vec<&[f32]> = wide.iter().map(|v| v.as_slice()).collect();
            let a: Vec<u32> = (0..n).map(|i| abs_bits(wide[1][i] - wide[0][i])).collect();
            let (t, t2) = (a[17], a[4000]);
            let rec = |thr0: u32, thr1: u32| [0.5, 1.0, 0.5, 0.0, 1.0, thr0 as f64, 0.0, 0.0, thr1 as f64, 0.0, 0.0, 0.0];
            let tile = 2 * BLOCK;
            let mut stage = vec![0f32; 4 * stride(tile)];
            // high-bits histograms
            let g = gta(SP_TOPK, &[rec(0, 0), rec(0, 0)]);
            let (mut want, mut got) = (vec![0f64; 2 * HI_BUCKETS], vec![0f64; 2 * HI_BUCKETS]);
            hist_hi(&g, &refs, &mut want, &mut vec![0u32; 2 * HI_BUCKETS]);
            hist_hi_tiled(&g, &raw, n, tile, &mut got, &mut vec![0u32; 2 * HI_BUCKETS], &mut stage);
            assert_eq!(want, got);
            // low-bits histograms and tie counts (the direct BF16 loops, or tiles)
            let g = gta(SP_TOPK, &[rec(t >> 16, t2 >> 16), rec(t2 >> 16, t >> 16)]);
            let (mut want, mut got) = (vec![0f64; 4 * LO_BUCKETS], vec![0f64; 4 * LO_BUCKETS]);
            hist_lo(&g, &refs, &mut want);
            if dt == BF16 {
                direct::hist_lo(&g, &raw, n, &mut got);
            } else {
                for_tiles(&raw, n, tile, &mut stage, None, |v, _, _| hist_lo(&g, v, &mut got));
            }
            assert_eq!(want, got);
            assert!(want.iter().sum::<f64>() > 0.0);
            let g = gta(SP_TOPK, &[rec(t, t2), rec(t2, t)]);
            let (mut want, mut got) = (vec![0f64; 4 * 4], vec![0f64; 4 * 4]);
            ties(&g, &refs, 0, &mut want);
            if dt == BF16 {
                direct::ties(&g, &raw, n, 0, &mut got);
            } else {
                for_tiles(&raw, n, tile, &mut stage, None, |v, s, _| ties(&g, v, s as u64, &mut got[s / BLOCK * 4..]));
            }
            assert_eq!(want, got);
            assert!(want.iter().sum::<f64>() > 0.0);
        }
    }

    #[test]
    fn bf16_apply_matches_widened_apply_rounded() {
        let n = 3 * BLOCK + 1001;
        let vals = models(12, n, 3);
        let bytes: Vec<Vec<u8>> = vals.iter().map(|v| encode(v, BF16)).collect();
        let raw: Vec<Raw> = bytes.iter().map(|b| Raw { dtype: BF16, bytes: b }).collect();
        let wide: Vec<Vec<f32>> = bytes.iter().map(|b| decode(b, BF16)).collect();
        let refs: Vec<&[f32]> = wide.iter().map(|v| v.as_slice()).collect();
        let thr = abs_bits(wide[1][5] - wide[0][5]) as f64;
        // model 0: ties cut in block 1; model 1: every tie kept; model 2: whole delta
        let recs = [
            [0.5, 1.0, 0.5, 0.0, 1.0, thr, 1.0, 3.0, -1.0, 0.0, 0.0, 0.0],
            [0.3, 1.0, 0.5, 0.0, 1.0, thr, 9e15, 0.0, -1.0, 0.0, 0.0, 0.0],
            [0.2, 0.0, 1.0, 0.0, 1.0, -1.0, 0.0, 0.0, -1.0, 0.0, 0.0, 0.0],
        ];
        for sparse in [SP_TOPK, SP_RANDOM] {
            let g = gta(sparse, &recs);
            let mut f = vec![0f32; n];
            let mut scratch = vec![0u8; scratch_bytes(&g, 64)];
            apply(&g, &refs, 0, 64, &mut f, &mut scratch);
            let want = encode(&f, BF16);
            let tile = 2 * BLOCK;
            let mut stage = vec![0f32; 5 * stride(tile)];
            // whole, and from a block boundary on (a chunk)
            let mut got = vec![0u8; 2 * n];
            apply_bf16(&g, &raw, n, 0, 64, &mut got, &mut scratch, &mut stage, tile);
            assert_eq!(want, got);
            let tail: Vec<Raw> = raw.iter().map(|r| Raw { dtype: BF16, bytes: &r.bytes[2 * BLOCK..] }).collect();
            let mut got = vec![0u8; 2 * (n - BLOCK)];
            apply_bf16(&g, &tail, n - BLOCK, BLOCK as u64, 64, &mut got, &mut scratch, &mut stage, tile);
            assert_eq!(want[2 * BLOCK..], got[..]);
        }
    }
}

#[cfg(test)]
mod perf {
    use super::*;
    #[test]
    #[ignore]
    fn time_apply() {
        let n = 8 << 20;
        let mut s = 1u32;
        let mut next = || { s = s.wrapping_mul(1664525).wrapping_add(1013904223); s as f32 / 4294967296.0 - 0.5 };
        let b: Vec<f32> = (0..n).map(|_| next()).collect();
        let x: Vec<f32> = b.iter().map(|v| v + next() * 0.01).collect();
        let y: Vec<f32> = b.iter().map(|v| v + next() * 0.01).collect();
        let t = (0.0025f32).to_bits() as f64;
        let rec = [0.5, 1.0, 0.5, 0.0, 1.0, t, 9e15, 0.0, -1.0, -1.0, 0.0, 0.0];
        let mut p = vec![2.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0];
        p.extend_from_slice(&rec);
        p.extend_from_slice(&rec);
        let g = Gta::parse(&p).unwrap();
        let mut out = vec![0f32; n];
        let mut scratch = vec![0u8; scratch_bytes(&g, 2048)];
        let t0 = std::time::Instant::now();
        apply(&g, &[&b, &x, &y], 0, 2048, &mut out, &mut scratch);
        eprintln!("apply: {:?}", t0.elapsed());
    }
}
