//! LoRA: a weight patched by a low-rank product, `W' = W + scale·(B·A)`, with
//! B: [rows, rank] and A: [rank, cols] (PEFT's `lora_B.weight` and `lora_A.weight`),
//! computed for any run of elements of the flattened [rows, cols] weight.
//!
//! Per element (i, j), in f32, every operation rounded (no fused multiply-add):
//!
//! ```text
//! acc = B[i,0]·A[0,j]; acc = acc + B[i,1]·A[1,j]; ... ; acc = acc + B[i,r-1]·A[r-1,j]
//! out = W[i,j] + acc·scale
//! ```
//!
//! Each element depends only on its own row of B, its own column of A and this fixed order
//! over the rank, so results are the same however the tensor is split into chunks. The
//! SIMD path computes 8 columns of 4 whole rows at once (each A vector loaded serves four
//! rows), or 16 / 4 columns of a partial row, with exactly this formula per lane; columns
//! left over at the end of a row go through the same formula one by one.
//!
//! `transpose` turns the PEFT embedding layout (`lora_embedding_A` = Bᵀ, `lora_embedding_B`
//! = Aᵀ) into the one above.

use crate::check;

/// Four f32 lanes: `v128` on wasm32, a plain array natively, so the blocked loop below is
/// the one the native tests run. Both do IEEE f32 multiply and add, rounded to nearest even.
#[cfg(target_arch = "wasm32")]
mod lanes {
    use core::arch::wasm32::*;

    #[derive(Clone, Copy)]
    pub struct F4(v128);

    impl F4 {
        #[inline(always)]
        pub fn splat(x: f32) -> F4 {
            F4(f32x4_splat(x))
        }
        /// # Safety
        /// `p .. p + 4` readable (any alignment).
        #[inline(always)]
        pub unsafe fn load(p: *const f32) -> F4 {
            F4(v128_load(p as *const v128))
        }
        /// # Safety
        /// `p .. p + 4` writable (any alignment).
        #[inline(always)]
        pub unsafe fn store(self, p: *mut f32) {
            v128_store(p as *mut v128, self.0)
        }
        #[inline(always)]
        pub fn add(self, o: F4) -> F4 {
            F4(f32x4_add(self.0, o.0))
        }
        #[inline(always)]
        pub fn mul(self, o: F4) -> F4 {
            F4(f32x4_mul(self.0, o.0))
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod lanes {
    #[derive(Clone, Copy)]
    pub struct F4([f32; 4]);

    impl F4 {
        #[inline(always)]
        pub fn splat(x: f32) -> F4 {
            F4([x; 4])
        }
        /// # Safety
        /// `p .. p + 4` readable.
        #[inline(always)]
        pub unsafe fn load(p: *const f32) -> F4 {
            F4(core::ptr::read_unaligned(p as *const [f32; 4]))
        }
        /// # Safety
        /// `p .. p + 4` writable.
        #[inline(always)]
        pub unsafe fn store(self, p: *mut f32) {
            core::ptr::write_unaligned(p as *mut [f32; 4], self.0)
        }
        #[inline(always)]
        pub fn add(self, o: F4) -> F4 {
            F4([self.0[0] + o.0[0], self.0[1] + o.0[1], self.0[2] + o.0[2], self.0[3] + o.0[3]])
        }
        #[inline(always)]
        pub fn mul(self, o: F4) -> F4 {
            F4([self.0[0] * o.0[0], self.0[1] * o.0[1], self.0[2] * o.0[2], self.0[3] * o.0[3]])
        }
    }
}

use lanes::F4;

/// Rows of B a chunk of `n` elements starting at column `col0` of its first row touches.
pub fn rows_touched(n: usize, cols: usize, col0: usize) -> usize {
    if n == 0 {
        0
    } else {
        (col0 + n + cols - 1) / cols
    }
}

/// True when the slices fit the contract of [`apply`].
pub fn shapes_ok(n: usize, b_len: usize, a_len: usize, rank: usize, cols: usize, col0: usize) -> bool {
    rank >= 1 && cols >= 1 && col0 < cols && b_len >= rows_touched(n, cols, col0) * rank && a_len >= rank * cols
}

/// Scalar reference. `x` holds elements starting at column `col0` of some row i0 (as the
/// base weight W on entry, as W' on return); `b` holds rows i0, i0+1, ... of B ([.., rank]);
/// `a` is the whole A ([rank, cols]).
pub fn apply_ref(x: &mut [f32], b: &[f32], a: &[f32], rank: usize, cols: usize, col0: usize, scale: f32) {
    assert!(shapes_ok(x.len(), b.len(), a.len(), rank, cols, col0));
    for (e, v) in x.iter_mut().enumerate() {
        let g = col0 + e;
        let (i, j) = (g / cols, g % cols);
        let mut acc = b[i * rank] * a[j];
        for k in 1..rank {
            acc = acc + b[i * rank + k] * a[k * cols + j];
        }
        *v = *v + acc * scale;
    }
}

/// The fast path: same contract and same bits as [`apply_ref`]. Row by row, 16 columns
/// (four vectors) per step, then 4, then single columns; the rank loop is innermost so the
/// accumulators stay in registers.
pub fn apply(x: &mut [f32], b: &[f32], a: &[f32], rank: usize, cols: usize, col0: usize, scale: f32) {
    check(shapes_ok(x.len(), b.len(), a.len(), rank, cols, col0));
    let n = x.len();
    let mut e = 0usize; // elements of x done
    let mut i = 0usize; // row of b
    let mut j0 = col0; // first column of this row in the chunk
    while e < n {
        if j0 == 0 && n - e >= ROWS * cols {
            // ROWS whole rows at once: each A vector loaded serves them all.
            // Safety: as below, for rows i .. i + ROWS.
            unsafe { rows_n::<ROWS>(x.as_mut_ptr().add(e), b.as_ptr().add(i * rank), a.as_ptr(), rank, cols, scale) };
            e += ROWS * cols;
            i += ROWS;
            continue;
        }
        let j1 = if cols - j0 < n - e { cols } else { j0 + (n - e) };
        // Safety: shapes_ok guarantees row i < rows_touched, columns < cols, and
        // x[e .. e + (j1 - j0)] in bounds.
        unsafe { row(x.as_mut_ptr().add(e), b.as_ptr().add(i * rank), a.as_ptr(), rank, cols, j0, j1, scale) };
        e += j1 - j0;
        i += 1;
        j0 = 0;
    }
}

/// `R` whole rows (`o` the first; B rows from `b`, `rank` apart): 8 columns per step for all
/// `R` rows, each A vector loaded once per step serving every row; the remaining columns
/// through [`row`]. Same formula per element.
#[inline(never)]
unsafe fn rows_n<const R: usize>(o: *mut f32, b: *const f32, a: *const f32, rank: usize, cols: usize, scale: f32) {
    let s = F4::splat(scale);
    let mut j = 0;
    while j + 8 <= cols {
        let ap = a.add(j);
        let (a0, a1) = (F4::load(ap), F4::load(ap.add(4)));
        let mut c = [[F4::splat(0.0); 2]; R];
        let mut r = 0;
        while r < R {
            let u = F4::splat(*b.add(r * rank));
            c[r] = [u.mul(a0), u.mul(a1)];
            r += 1;
        }
        let mut k = 1;
        while k < rank {
            let ak = a.add(k * cols + j);
            let (a0, a1) = (F4::load(ak), F4::load(ak.add(4)));
            let mut r = 0;
            while r < R {
                let u = F4::splat(*b.add(r * rank + k));
                c[r][0] = c[r][0].add(u.mul(a0));
                c[r][1] = c[r][1].add(u.mul(a1));
                r += 1;
            }
            k += 1;
        }
        let mut r = 0;
        while r < R {
            let p = o.add(r * cols + j);
            F4::load(p).add(c[r][0].mul(s)).store(p);
            F4::load(p.add(4)).add(c[r][1].mul(s)).store(p.add(4));
            r += 1;
        }
        j += 8;
    }
    if j < cols {
        let mut r = 0;
        while r < R {
            row(o.add(r * cols + j), b.add(r * rank), a, rank, cols, j, cols, scale);
            r += 1;
        }
    }
}

/// Whole rows computed together by [`rows_n`].
const ROWS: usize = 4;

/// Columns `j0..j1` of one row: `out` points to the element of column j0, `bi` to B's row.
#[inline(never)]
#[allow(clippy::too_many_arguments)]
unsafe fn row(out: *mut f32, bi: *const f32, a: *const f32, rank: usize, cols: usize, j0: usize, j1: usize, scale: f32) {
    let s = F4::splat(scale);
    let mut j = j0;
    while j + 16 <= j1 {
        let b0 = F4::splat(*bi);
        let ap = a.add(j);
        let mut c0 = b0.mul(F4::load(ap));
        let mut c1 = b0.mul(F4::load(ap.add(4)));
        let mut c2 = b0.mul(F4::load(ap.add(8)));
        let mut c3 = b0.mul(F4::load(ap.add(12)));
        let mut k = 1;
        while k < rank {
            let bk = F4::splat(*bi.add(k));
            let ak = a.add(k * cols + j);
            c0 = c0.add(bk.mul(F4::load(ak)));
            c1 = c1.add(bk.mul(F4::load(ak.add(4))));
            c2 = c2.add(bk.mul(F4::load(ak.add(8))));
            c3 = c3.add(bk.mul(F4::load(ak.add(12))));
            k += 1;
        }
        let o = out.add(j - j0);
        F4::load(o).add(c0.mul(s)).store(o);
        F4::load(o.add(4)).add(c1.mul(s)).store(o.add(4));
        F4::load(o.add(8)).add(c2.mul(s)).store(o.add(8));
        F4::load(o.add(12)).add(c3.mul(s)).store(o.add(12));
        j += 16;
    }
    while j + 4 <= j1 {
        let mut c = F4::splat(*bi).mul(F4::load(a.add(j)));
        let mut k = 1;
        while k < rank {
            c = c.add(F4::splat(*bi.add(k)).mul(F4::load(a.add(k * cols + j))));
            k += 1;
        }
        let o = out.add(j - j0);
        F4::load(o).add(c.mul(s)).store(o);
        j += 4;
    }
    while j < j1 {
        let mut c = *bi * *a.add(j);
        let mut k = 1;
        while k < rank {
            c = c + *bi.add(k) * *a.add(k * cols + j);
            k += 1;
        }
        let o = out.add(j - j0);
        *o = *o + c * scale;
        j += 1;
    }
}

/// `dst[j·rows + i] = src[i·cols + j]`: dst ([cols, rows]) is the transpose of src
/// ([rows, cols]). Exact (a copy).
pub fn transpose(src: &[f32], rows: usize, cols: usize, dst: &mut [f32]) {
    check(src.len() >= rows * cols && dst.len() >= rows * cols);
    for i in 0..rows {
        for j in 0..cols {
            dst[j * rows + i] = src[i * cols + j];
        }
    }
}

// ---------------------------------------------------------------------------
// Exports. Thin wrappers: pointers are u32 byte offsets in linear memory (wasm32 only).
// ---------------------------------------------------------------------------

/// LoRA patch of a run of `n` elements of a [rows, cols] weight, in place:
/// `x[e] = x[e] + scale·(B·A)[i, j]` with the accumulation order of the module docs,
/// where element `e` sits at row `i = (col0 + e) / cols` (counted from the chunk's first
/// row) and column `j = (col0 + e) % cols`.
///
/// Memory (all f32, little endian, 4-byte aligned):
/// - reads and writes `x .. x + 4n` (the base elements on entry, the result on return);
/// - reads `b .. b + 4·nrows·rank`: rows of B from the chunk's first row on, `nrows =
///   ceil((col0 + n) / cols)`, each `rank` long;
/// - reads `a .. a + 4·rank·cols`: the whole A, row-major [rank, cols].
///
/// `x` must not overlap `a` or `b`. Traps unless `rank >= 1`, `cols >= 1` and `col0 < cols`.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn lora_apply(x: u32, n: u32, b: u32, a: u32, rank: u32, cols: u32, col0: u32, scale: f32) {
    let (n, rank, cols, col0) = (n as usize, rank as usize, cols as usize, col0 as usize);
    check(rank >= 1 && cols >= 1 && col0 < cols);
    let nb = rows_touched(n, cols, col0) * rank;
    let xs = core::slice::from_raw_parts_mut(x as usize as *mut f32, n);
    let bs = core::slice::from_raw_parts(b as usize as *const f32, nb);
    let as_ = core::slice::from_raw_parts(a as usize as *const f32, rank * cols);
    apply(xs, bs, as_, rank, cols, col0, scale)
}

/// Transpose of a row-major f32 matrix: `dst[j·rows + i] = src[i·cols + j]`.
///
/// Reads `src .. src + 4·rows·cols`, writes `dst .. dst + 4·rows·cols` (4-byte aligned);
/// the two ranges must not overlap.
#[no_mangle]
pub unsafe extern "C" fn lora_transpose(src: u32, rows: u32, cols: u32, dst: u32) {
    let len = rows as usize * cols as usize;
    let s = core::slice::from_raw_parts(src as usize as *const f32, len);
    let d = core::slice::from_raw_parts_mut(dst as usize as *mut f32, len);
    transpose(s, rows as usize, cols as usize, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::convert::tests::Rng;

    /// Weight-like values (|x| around 1e-3 .. 1e-1, either sign), and a few exact zeros.
    fn vals(rng: &mut Rng, n: usize) -> Vec<f32> {
        (0..n)
            .map(|_| {
                let r = rng.next_u32();
                if r % 64 == 0 {
                    0.0
                } else {
                    let m = (r >> 8) as f32 / (1u32 << 24) as f32; // [0, 1)
                    let v = (m * 2.0 - 1.0) * 0.1;
                    v
                }
            })
            .collect()
    }

    fn bits(v: &[f32]) -> Vec<u32> {
        v.iter().map(|x| x.to_bits()).collect()
    }

    #[test]
    fn reference_matches_f64_formula() {
        // The reference's accumulation order, spelled out in f64 with one f32 rounding per op.
        let mut rng = Rng(7);
        let (rows, cols, rank) = (5, 7, 3);
        let w = vals(&mut rng, rows * cols);
        let b = vals(&mut rng, rows * rank);
        let a = vals(&mut rng, rank * cols);
        let scale = 2.5f32;
        let mut x = w.clone();
        apply_ref(&mut x, &b, &a, rank, cols, 0, scale);
        let r = |v: f64| v as f32 as f64;
        for i in 0..rows {
            for j in 0..cols {
                let mut acc = r(b[i * rank] as f64 * a[j] as f64);
                for k in 1..rank {
                    acc = r(acc + r(b[i * rank + k] as f64 * a[k * cols + j] as f64));
                }
                let want = r(w[i * cols + j] as f64 + r(acc * scale as f64)) as f32;
                assert_eq!(x[i * cols + j].to_bits(), want.to_bits(), "({}, {})", i, j);
            }
        }
        // And it is close to the exact value.
        let mut max_err = 0f64;
        for i in 0..rows {
            for j in 0..cols {
                let mut exact = 0f64;
                for k in 0..rank {
                    exact += b[i * rank + k] as f64 * a[k * cols + j] as f64;
                }
                let exact = w[i * cols + j] as f64 + scale as f64 * exact;
                max_err = max_err.max((x[i * cols + j] as f64 - exact).abs());
            }
        }
        assert!(max_err < 1e-6, "max error {}", max_err);
    }

    #[test]
    fn fast_path_matches_reference_for_every_chunking() {
        let mut rng = Rng(0x5eed);
        // Column counts around the 16/4-column steps; ranks 1.., chunks starting mid-row.
        for &(rows, cols, rank) in &[(3, 1, 1), (4, 3, 2), (3, 16, 4), (5, 17, 8), (4, 37, 5), (3, 64, 16), (2, 100, 7), (9, 37, 6), (13, 8, 3), (10, 64, 16)] {
            let w = vals(&mut rng, rows * cols);
            let b = vals(&mut rng, rows * rank);
            let a = vals(&mut rng, rank * cols);
            let scale = [0.5f32, 1.0, 1.7, -0.25][rng.next_u32() as usize % 4];
            let mut whole = w.clone();
            apply_ref(&mut whole, &b, &a, rank, cols, 0, scale);
            let numel = rows * cols;
            for step in [1usize, 3, 4, 15, 16, 17, cols, cols + 5, 4 * cols + 1, 9 * cols - 2, numel] {
                let mut got = w.clone();
                let mut first = 0;
                while first < numel {
                    let n = step.min(numel - first);
                    let (i0, col0) = (first / cols, first % cols);
                    let nb = rows_touched(n, cols, col0);
                    apply(&mut got[first..first + n], &b[i0 * rank..(i0 + nb) * rank], &a, rank, cols, col0, scale);
                    first += n;
                }
                assert_eq!(bits(&got), bits(&whole), "rows {} cols {} rank {} step {}", rows, cols, rank, step);
            }
        }
    }

    #[test]
    fn special_values_follow_the_formula() {
        // NaN and infinities propagate as in the formula; signed zeros: W = -0 with a zero
        // product gives -0 + 0·scale = +0 (IEEE), the same on both paths.
        let cols = 20;
        let rank = 2;
        let mut w = vec![0.5f32; cols];
        w[0] = -0.0;
        w[17] = f32::NAN;
        let mut a = vec![0.25f32; rank * cols];
        a[3] = f32::INFINITY;
        a[cols + 5] = f32::NAN;
        let b = vec![1.0f32, 0.0];
        let mut x1 = w.clone();
        let mut x2 = w.clone();
        apply_ref(&mut x1, &b, &a, rank, cols, 0, 1.0);
        apply(&mut x2, &b, &a, rank, cols, 0, 1.0);
        assert_eq!(bits(&x1), bits(&x2));
        assert!(x2[3].is_infinite() && x2[5].is_nan() && x2[17].is_nan());
        assert_eq!(x2[1], 0.75);
    }

    #[test]
    #[should_panic]
    fn too_few_rows_of_b_is_refused() {
        let mut x = vec![0f32; 10];
        // 10 elements from column 3 of a 4-column weight touch 4 rows; give 3.
        apply(&mut x, &[0f32; 3], &[0f32; 4], 1, 4, 3, 1.0);
    }

    #[test]
    fn transpose_is_a_transpose() {
        let src: Vec<f32> = (0..12).map(|v| v as f32).collect();
        let mut dst = vec![0f32; 12];
        transpose(&src, 3, 4, &mut dst);
        assert_eq!(dst, vec![0., 4., 8., 1., 5., 9., 2., 6., 10., 3., 7., 11.]);
    }
}
