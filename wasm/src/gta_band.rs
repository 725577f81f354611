//! Sampled top-k selection for the GTA methods (see `src/methods/gta-topk.ts`): instead of a
//! histogram of every element's |δ| bits (a scattered increment per element), a histogram of a
//! fixed sample of blocks locates the K-th largest |δ| approximately, and one counting pass over
//! every element then finds it exactly: elements above a band of high-bit buckets are only
//! counted (SIMD compares), the few inside the band are histogrammed, and per block the keys
//! equal to a candidate bucket's bottom value are counted (the tie counts the apply pass needs
//! when the K-th key is that value). Counts are exact, so a band that misses the K-th key is
//! detected and the full passes run instead.
//!
//! Inputs as in `gta.rs`: `input(0)` the base, `input(1 + j)` model `j`; F32, BF16 read directly,
//! other stored dtypes staged to f32 tile by tile.

use crate::gta::{abs_bits, segments, Gta, BLOCK, HI_BUCKETS};
use crate::program::{for_tiles, Ctx, Raw};

/// A block is in the sample iff its global index is a multiple of this.
pub const SAMPLE_EVERY: u64 = 16;
/// Most high-bit buckets a band spans (`BAND` in `src/methods/gta-topk.ts`).
pub const BAND: usize = 1024;

const F32: u32 = crate::convert::F32;
const BF16: u32 = crate::convert::BF16;

/// Element `i` of a stored F32 or BF16 array.
#[inline(always)]
fn at(r: Raw, i: usize) -> f32 {
    if r.dtype == BF16 {
        crate::program::bf16_at(r, i)
    } else {
        f32::from_le_bytes([r.bytes[4 * i], r.bytes[4 * i + 1], r.bytes[4 * i + 2], r.bytes[4 * i + 3]])
    }
}

/// High-15-bit histogram of `|x − b|` over the sampled blocks of a chunk of `n` elements starting
/// at global index `first`, added to `out[j·32768 ..]` for each active model `j`. Inputs F32 or
/// BF16 (all the same dtype). `tmp`: 2·32768 u32 of scratch.
///
/// Memory contract: reads `ins[..m + 1]` (`n` elements each), writes `out[..m·32768]` and `tmp`.
pub fn sample_hist(g: &Gta, ins: &[Raw], n: usize, first: u64, out: &mut [f64], tmp: &mut [u32]) {
    let (t0, t1) = tmp[..2 * HI_BUCKETS].split_at_mut(HI_BUCKETS);
    let bf = ins[0].dtype == BF16;
    let es = if bf { 2 } else { 4 };
    for j in 0..g.m {
        if !g.models[j].active {
            continue;
        }
        t0.iter_mut().for_each(|c| *c = 0);
        t1.iter_mut().for_each(|c| *c = 0);
        segments(first, n, BLOCK, |s, e, blk| {
            if blk as u64 % SAMPLE_EVERY != 0 {
                return;
            }
            let b = Raw { dtype: ins[0].dtype, bytes: &ins[0].bytes[es * s..es * e] };
            let x = Raw { dtype: ins[1 + j].dtype, bytes: &ins[1 + j].bytes[es * s..es * e] };
            if bf {
                crate::gta::direct::hist_hi_add(b, x, e - s, t0, t1);
            } else {
                // Safety: F32 bytes of `e − s` elements, 4-byte aligned (chunk inputs are 16-aligned).
                let (bs, xs) = unsafe {
                    (core::slice::from_raw_parts(b.bytes.as_ptr() as *const f32, e - s), core::slice::from_raw_parts(x.bytes.as_ptr() as *const f32, e - s))
                };
                crate::gta::hist_hi_add(bs, xs, t0, t1);
            }
        });
        crate::gta::fold_hi(t0, t1, &mut out[j * HI_BUCKETS..(j + 1) * HI_BUCKETS]);
    }
}

/// Words of a band pass's output for a chunk touching `blocks` blocks (`q` = m·slots bands):
/// per band `[above, hist[BAND], bottoms[BAND]]`, then per block and band the candidate's
/// bottom-value count.
pub fn band_words(q: usize, blocks: usize) -> usize {
    q * HEAD + blocks * q
}

/// Words per band in the head of a band pass's output.
pub const HEAD: usize = 1 + 2 * BAND;

/// The band pass over one chunk: for model `j`, slot `s` with a band (`raw[s] = lo >= 0`; the
/// band's highest bucket `hi` in `slots[s].cb`, the candidate bucket + 1 in `slots[s].rem`, 0:
/// none), with `a = |x − b|` bits: counts `a >= (hi + 1) << 16` (above), histograms the elements
/// with `lo <= a >> 16 <= hi` by bucket (`hist`), and those equal to their bucket's bottom value
/// (`bottoms`), and counts per block the keys equal to `candidate << 16`.
/// Inputs F32 or BF16, all the same dtype. Exact counts: the same whatever the chunking.
///
/// Memory contract: reads `ins[..m + 1]` (`n` elements each), writes
/// `out[..band_words(m·slots, blocks)]` (zeroed by the caller).
pub fn band(g: &Gta, ins: &[Raw], n: usize, first: u64, out: &mut [f64]) {
    let (head, blocks) = out.split_at_mut(g.m * g.nslots * HEAD);
    band_split(g, ins, n, first, head, blocks);
}

/// [`band`] writing the per-band words to `head` and the per-block counts to `blocks`.
fn band_split(g: &Gta, ins: &[Raw], n: usize, first: u64, head: &mut [f64], blocks: &mut [f64]) {
    let q = g.m * g.nslots;
    let bf = ins[0].dtype == BF16;
    let mut hist = [0u32; 2 * BAND];
    for j in 0..g.m {
        for s in 0..g.nslots {
            let lo = g.models[j].raw[s];
            if lo < 0 {
                continue;
            }
            let sl = g.models[j].slots[s];
            crate::check(sl.cb >= lo && sl.cb - lo < BAND as i64 && sl.cb < HI_BUCKETS as i64);
            let (lo, hi) = (lo as u32, sl.cb as u32);
            let cand = if sl.rem > 0 { ((sl.rem - 1) as u32) << 16 } else { u32::MAX };
            let slot = j * g.nslots + s;
            hist.iter_mut().for_each(|c| *c = 0);
            let mut above = 0u64;
            let mut bi = 0;
            segments(first, n, BLOCK, |st, e, _| {
                let (up, ties) = if bf {
                    band_block::<true>(ins[0], ins[1 + j], st, e, lo, hi, cand, &mut hist)
                } else {
                    band_block::<false>(ins[0], ins[1 + j], st, e, lo, hi, cand, &mut hist)
                };
                above += up as u64;
                blocks[bi * q + slot] = ties as f64;
                bi += 1;
            });
            head[slot * HEAD] += above as f64;
            for (o, &c) in head[slot * HEAD + 1..(slot + 1) * HEAD].iter_mut().zip(hist.iter()) {
                *o += c as f64;
            }
        }
    }
}

/// One block `[s, e)` of [`band`]: the count above the band and of keys equal to `cand`; adds
/// the band's keys to `hist[..BAND]`, its bottom values to `hist[BAND..]`.
#[allow(clippy::too_many_arguments)]
fn band_block<const BF: bool>(b: Raw, x: Raw, s: usize, e: usize, lo: u32, hi: u32, cand: u32, hist: &mut [u32; 2 * BAND]) -> (u32, u32) {
    let es = if BF { 2 } else { 4 };
    assert!(b.bytes.len() >= es * e && x.bytes.len() >= es * e);
    let top = (hi + 1) << 16; // at most 0x8000_0000
    #[allow(unused_mut)]
    let mut above = 0u32;
    let mut ties = 0u32;
    #[allow(unused_mut)]
    let mut i = s;
    #[cfg(target_arch = "wasm32")]
    {
        use core::arch::wasm32::*;
        let (pb, px) = (b.bytes.as_ptr(), x.bytes.as_ptr());
        let absmask = u32x4_splat(0x7fff_ffff);
        // a ≤ 0x7fff_ffff, so signed compares against top − 1 and lo·65536 − 1 are exact.
        let topm1 = i32x4_splat((top - 1) as i32);
        let lom1 = i32x4_splat(((lo << 16) as i32).wrapping_sub(1));
        // The candidate bucket holds most of the band's keys (with half-precision data one
        // value of |δ| often holds percents of the tensor): it is counted with compares, and
        // only the band's other keys, rare, take the scalar branch.
        let in_band = cand != u32::MAX && cand >> 16 >= lo && cand >> 16 <= hi;
        let cb = u32x4_splat(if in_band { cand >> 16 } else { u32::MAX });
        let cv = u32x4_splat(if in_band { cand } else { u32::MAX });
        let (mut acc, mut acc_c, mut acc_t) = (i32x4_splat(0), i32x4_splat(0), i32x4_splat(0));
        let mut lanes = [0u32; 4];
        while i + 4 <= e {
            // Safety: i + 4 <= e, lengths checked above.
            let a = unsafe { v128_and(f32x4_sub(crate::gta::simd_ld::<BF>(px, i), crate::gta::simd_ld::<BF>(pb, i)), absmask) };
            let up = i32x4_gt(a, topm1);
            acc = i32x4_sub(acc, up);
            let inc = i32x4_eq(u32x4_shr(a, 16), cb);
            acc_c = i32x4_sub(acc_c, inc);
            acc_t = i32x4_sub(acc_t, i32x4_eq(a, cv));
            if v128_any_true(v128_andnot(v128_andnot(i32x4_gt(a, lom1), up), inc)) {
                // Safety: a 16-byte local.
                unsafe { v128_store(lanes.as_mut_ptr() as *mut v128, a) };
                for &v in &lanes {
                    if v < top && v >> 16 >= lo && (!in_band || v >> 16 != cand >> 16) {
                        let t = ((v >> 16) - lo) as usize;
                        hist[t] += 1;
                        hist[BAND + t] += (v & 0xffff == 0) as u32;
                        ties += (v == cand) as u32;
                    }
                }
            }
            i += 4;
        }
        let sum = |v: v128| (u32x4_extract_lane::<0>(v)).wrapping_add(u32x4_extract_lane::<1>(v)).wrapping_add(u32x4_extract_lane::<2>(v)).wrapping_add(u32x4_extract_lane::<3>(v));
        above += sum(acc);
        if in_band {
            let t = ((cand >> 16) - lo) as usize;
            hist[t] += sum(acc_c);
            // The candidate is its bucket's bottom value: its count is the bucket's bottoms.
            let c = sum(acc_t);
            hist[BAND + t] += c;
            ties += c;
        }
    }
    while i < e {
        let a = abs_bits(at(x, i) - at(b, i));
        if a >= top {
            above += 1;
        } else if a >> 16 >= lo {
            let t = ((a >> 16) - lo) as usize;
            hist[t] += 1;
            hist[BAND + t] += (a & 0xffff == 0) as u32;
            ties += (a == cand) as u32;
        }
        i += 1;
    }
    (above, ties)
}

/// The chunk's inputs as F32 or BF16 arrays of one dtype, or `None` (then staged).
unsafe fn direct_inputs(c: &Ctx) -> Option<([Raw<'static>; crate::program::MAX_TILED], usize)> {
    if !c.mixed() {
        let k = c.k as usize;
        crate::check(k >= 1 && k <= crate::program::MAX_TILED);
        let mut a = [Raw { dtype: 0, bytes: &[] }; crate::program::MAX_TILED];
        for (j, r) in a.iter_mut().enumerate().take(k) {
            let x = c.input(j);
            *r = Raw { dtype: F32, bytes: core::slice::from_raw_parts(x.as_ptr() as *const u8, 4 * x.len()) };
        }
        return Some((a, k));
    }
    let (r, k) = crate::gta::raw_inputs_of(c);
    let d = r[0].dtype;
    if (d == F32 || d == BF16) && r[..k].iter().all(|x| x.dtype == d) {
        Some((r, k))
    } else {
        None
    }
}

/// Runs `f` on the chunk's inputs as one-dtype arrays: directly, or staged to F32 one tile at a
/// time (`f` then sees each tile as a chunk of its own, starting at `first + start`).
unsafe fn with_inputs(c: &Ctx, mut f: impl FnMut(&[Raw], usize, u64)) {
    let (n, first) = (c.n as usize, c.first());
    if let Some((r, k)) = direct_inputs(c) {
        f(&r[..k], n, first);
        return;
    }
    let (r, k) = crate::gta::raw_inputs_of(c);
    crate::check(c.tile as usize % BLOCK == 0 && first % BLOCK as u64 == 0);
    for_tiles(&r[..k], n, c.tile as usize, c.stage_area(), None, |v, start, _| {
        let mut a = [Raw { dtype: F32, bytes: &[] }; crate::program::MAX_TILED];
        for (j, x) in v.iter().enumerate() {
            a[j] = Raw { dtype: F32, bytes: core::slice::from_raw_parts(x.as_ptr() as *const u8, 4 * x.len()) };
        }
        f(&a[..v.len()], v[0].len(), first + start as u64);
    });
}

/// Sample pass of top-k: writes `m × 32768` words (see [`sample_hist`]). Scratch: at least
/// `8·32768 + 4` bytes.
///
/// # Safety
/// `ctx` must follow the program ABI; `out_words >= m·32768`.
#[no_mangle]
pub unsafe extern "C" fn gta_hist_sample(ctx: u32) {
    let c = Ctx::read(ctx);
    let g = crate::gta::gta_of(&c);
    crate::check(c.out_words as usize >= g.m * HI_BUCKETS);
    crate::check(c.scratch_bytes as usize >= 8 * HI_BUCKETS + 4);
    let sc = c.scratch();
    let off = sc.as_ptr().align_offset(4);
    let tmp = core::slice::from_raw_parts_mut(sc.as_mut_ptr().add(off) as *mut u32, 2 * HI_BUCKETS);
    let out = c.stats_out();
    with_inputs(&c, |ins, n, first| sample_hist(&g, ins, n, first, out, tmp));
}

/// Band pass of top-k: writes [`band_words`] words (see [`band`]).
///
/// # Safety
/// `ctx` must follow the program ABI; `out_words` as above, zeroed.
#[no_mangle]
pub unsafe extern "C" fn gta_band(ctx: u32) {
    let c = Ctx::read(ctx);
    let g = crate::gta::gta_of(&c);
    let q = g.m * g.nslots;
    crate::check(c.out_words as usize >= band_words(q, crate::gta::norm_segments(c.first(), c.n as usize, BLOCK)));
    let out = c.stats_out();
    let (chunk_first, head) = (c.first(), q * HEAD);
    with_inputs(&c, |ins, n, first| {
        // A staged tile writes its blocks' tie counts after those of the tiles before it.
        let skip = ((first - chunk_first) / BLOCK as u64) as usize * q;
        let (h, rest) = out.split_at_mut(head);
        band_split(&g, ins, n, first, h, &mut rest[skip..]);
    });
}
