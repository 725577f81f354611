//! The ABI of program kernels: the per-chunk kernels of merge methods that need statistics
//! passes (TIES, DARE, SLERP, ...). See `src/methods/program.ts` for how the executor runs them.
//!
//! Every program kernel is `#[no_mangle] pub unsafe extern "C" fn name(ctx: u32)`, where `ctx`
//! points to a [`Ctx`] record written by the worker. Memory contract, common to all of them:
//! - reads `ctx .. ctx + size_of::<Ctx>()`, the `k` input pointers at `inputs`, each input's
//!   `f32[n]` (read-only: in whole-tensor mode the same inputs serve every pass), and
//!   `f64[nparams]` at `params`;
//! - a statistics pass adds into `f64[out_words]` at `out` (zeroed by the worker); an apply
//!   pass writes `f32[n]` at `out`; `out` never overlaps an input;
//! - may use `scratch .. scratch + scratch_bytes` freely (contents undefined on entry);
//! - results depend only on the elements, their global indices (`first + i`) and the params,
//!   never on where the tensor was split into chunks.
//!
//! Mixed dtypes: a kernel that documents it accepts them may get inputs stored as F16/BF16
//! (`dtypes` ≠ 0) and write its apply output in `out_dtype`. It then works tile by tile: each
//! tile of `tile` elements (a multiple of the kernel's segment, so tiles start on segment
//! boundaries) is converted into f32 rows of the `stage` area, `(k + 1)·stride(tile)` f32 (row
//! `k` holds the apply output tile before it is rounded to `out_dtype`). Widening is exact and
//! every kernel is chunk-independent, so the results are the bits of the all-f32 call. Every
//! other kernel only accepts `dtypes == 0`, `out_dtype == F32` ([`Ctx::input`] traps otherwise).

/// The record a program kernel receives. All pointers are byte offsets into linear memory.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Ctx {
    /// Elements in this chunk.
    pub n: u32,
    /// Number of inputs.
    pub k: u32,
    /// Address of `k` u32 addresses, each of an `f32[n]` input chunk (16-byte aligned).
    pub inputs: u32,
    /// Statistics pass: `f64[out_words]`, zeroed. Apply pass: `f32[n]`.
    pub out: u32,
    pub out_words: u32,
    /// Global index of element 0 of this chunk in the flattened tensor (low and high words).
    pub first_lo: u32,
    pub first_hi: u32,
    /// Last dimension of the tensor (numel for 1-D tensors).
    pub row_len: u32,
    pub nparams: u32,
    /// Address of `f64[nparams]`.
    pub params: u32,
    pub scratch: u32,
    pub scratch_bytes: u32,
    /// Address of `k` u32 dtype codes (0 F32, 1 F16, 2 BF16) of the inputs; 0 = all F32.
    pub dtypes: u32,
    /// Dtype code of the apply output (`f32[n]`, `f16[n]` or `bf16[n]` at `out`).
    pub out_dtype: u32,
    /// Staging area of a mixed-dtype call (see the module docs), 16-byte aligned.
    pub stage: u32,
    /// Elements per tile of a mixed-dtype call.
    pub tile: u32,
}

impl Ctx {
    /// Reads the record at `ptr`.
    ///
    /// # Safety
    /// `ptr` must point to a valid `Ctx` in linear memory.
    pub unsafe fn read(ptr: u32) -> Ctx {
        core::ptr::read_unaligned(ptr as usize as *const Ctx)
    }

    /// Global index of this chunk's first element.
    pub fn first(&self) -> u64 {
        (self.first_hi as u64) << 32 | self.first_lo as u64
    }

    /// Input `j` of this chunk.
    ///
    /// # Safety
    /// The record must follow the contract above and `j < k`.
    pub unsafe fn input(&self, j: usize) -> &'static [f32] {
        crate::check(self.dtype(j) == crate::convert::F32);
        let p = core::ptr::read_unaligned((self.inputs as usize + 4 * j) as *const u32);
        core::slice::from_raw_parts(p as usize as *const f32, self.n as usize)
    }

    /// Dtype code of input `j`.
    ///
    /// # Safety
    /// The record must follow the contract above and `j < k`.
    pub unsafe fn dtype(&self, j: usize) -> u32 {
        if self.dtypes == 0 {
            return crate::convert::F32;
        }
        core::ptr::read_unaligned((self.dtypes as usize + 4 * j) as *const u32)
    }

    /// Does the call need tiles: an input or the output not stored as F32?
    ///
    /// # Safety
    /// The record must follow the contract above.
    pub unsafe fn mixed(&self) -> bool {
        if self.out_dtype != crate::convert::F32 {
            return true;
        }
        (0..self.k as usize).any(|j| self.dtype(j) != crate::convert::F32)
    }

    /// Input `j` as stored (any dtype), checked.
    ///
    /// # Safety
    /// The record must follow the contract above and `j < k`.
    pub unsafe fn raw_input(&self, j: usize) -> Raw<'static> {
        let d = self.dtype(j);
        crate::check(crate::convert::is_valid_dtype(d));
        let p = core::ptr::read_unaligned((self.inputs as usize + 4 * j) as *const u32);
        Raw { dtype: d, bytes: core::slice::from_raw_parts(p as usize as *const u8, self.n as usize * crate::convert::dtype_size(d)) }
    }

    /// The staging area of a mixed-dtype call, checked against `tile`.
    ///
    /// # Safety
    /// The record must follow the contract above.
    pub unsafe fn stage_area(&self) -> &'static mut [f32] {
        crate::check(self.tile >= 1 && self.stage % 4 == 0);
        let len = (self.k as usize + 1) * stride(self.tile as usize);
        core::slice::from_raw_parts_mut(self.stage as usize as *mut f32, len)
    }

    /// The apply output as stored bytes (`n` elements of `out_dtype`).
    ///
    /// # Safety
    /// The record must follow the contract above and be an apply pass.
    pub unsafe fn apply_out_raw(&self) -> &'static mut [u8] {
        crate::check(crate::convert::is_valid_dtype(self.out_dtype));
        let len = self.n as usize * crate::convert::dtype_size(self.out_dtype);
        core::slice::from_raw_parts_mut(self.out as usize as *mut u8, len)
    }

    /// The f64 parameters.
    ///
    /// # Safety
    /// The record must follow the contract above.
    pub unsafe fn params(&self) -> &'static [f64] {
        core::slice::from_raw_parts(self.params as usize as *const f64, self.nparams as usize)
    }

    /// Parameter `i`, or `default` when fewer were passed.
    ///
    /// # Safety
    /// The record must follow the contract above.
    pub unsafe fn param(&self, i: usize, default: f64) -> f64 {
        let p = self.params();
        if i < p.len() { p[i] } else { default }
    }

    /// The statistics output of a stats pass.
    ///
    /// # Safety
    /// The record must follow the contract above and be a statistics pass.
    pub unsafe fn stats_out(&self) -> &'static mut [f64] {
        core::slice::from_raw_parts_mut(self.out as usize as *mut f64, self.out_words as usize)
    }

    /// The f32 output of an apply pass.
    ///
    /// # Safety
    /// The record must follow the contract above and be an apply pass.
    pub unsafe fn apply_out(&self) -> &'static mut [f32] {
        core::slice::from_raw_parts_mut(self.out as usize as *mut f32, self.n as usize)
    }

    /// The scratch area.
    ///
    /// # Safety
    /// The record must follow the contract above.
    pub unsafe fn scratch(&self) -> &'static mut [u8] {
        core::slice::from_raw_parts_mut(self.scratch as usize as *mut u8, self.scratch_bytes as usize)
    }
}

/// Most inputs of a mixed-dtype (tiled) call.
pub const MAX_TILED: usize = 65;

/// One input as stored: `n` elements of `dtype` (little-endian bytes).
#[derive(Clone, Copy, Debug)]
pub struct Raw<'a> {
    pub dtype: u32,
    pub bytes: &'a [u8],
}

/// f32 slots per staging row of a `tile`-element tile: rows stay 16-byte aligned.
pub fn stride(tile: usize) -> usize {
    (tile + 3) & !3
}

/// Widens elements `[start, start + len)` of `src` into `row[..len]` (exact).
pub fn stage_one(src: Raw, start: usize, len: usize, row: &mut [f32]) {
    let size = crate::convert::dtype_size(src.dtype);
    assert!(crate::convert::is_valid_dtype(src.dtype) && (start + len) * size <= src.bytes.len() && row.len() >= len);
    // Safety: both ranges were just checked; F32 output at 4-byte aligned `row`.
    unsafe {
        crate::convert::convert(src.dtype, src.bytes.as_ptr().add(start * size), crate::convert::F32, row.as_mut_ptr() as *mut u8, len)
    }
}

/// Are all inputs stored as BF16 (the kernels' direct-load fast paths)?
pub fn all_bf16(ins: &[Raw]) -> bool {
    ins.iter().all(|r| r.dtype == crate::convert::BF16)
}

/// Element `i` of a BF16 input, widened (exact).
#[inline(always)]
pub fn bf16_at(r: Raw, i: usize) -> f32 {
    f32::from_bits(crate::convert::bf16_to_f32_bits(u16::from_le_bytes([r.bytes[2 * i], r.bytes[2 * i + 1]])))
}

/// SIMD lanes of BF16 data (wasm32 only).
#[cfg(target_arch = "wasm32")]
pub mod bf16x4 {
    use core::arch::wasm32::*;

    /// Elements `i .. i + 4` of the BF16 array at `p`, widened to f32 lanes (exact).
    ///
    /// # Safety
    /// `p + 2i .. p + 2i + 8` must be readable.
    #[inline(always)]
    pub unsafe fn load(p: *const u8, i: usize) -> v128 {
        i32x4_shl(u32x4_extend_low_u16x8(v128_load64_zero(p.add(2 * i) as *const u64)), 16)
    }

    /// Rounds four f32 lanes to BF16 exactly as `convert` does (nearest even; a NaN keeps its
    /// sign and payload, quieted) and stores them at element `i` of the BF16 array at `p`.
    ///
    /// # Safety
    /// `p + 2i .. p + 2i + 8` must be writable.
    #[inline(always)]
    pub unsafe fn store(p: *mut u8, i: usize, x: v128, k: &crate::convert::simd::Consts) {
        let r = u32x4_shr(crate::convert::simd::bf16_rne_keep_nan(x, k), 16);
        v128_store64_lane::<0>(u16x8_narrow_i32x4(r, r), p.add(2 * i) as *mut u64);
    }

    /// As [`store`], for lanes whose NaNs are all the canonical `0x7fc0_0000`: plain rounding
    /// already maps that to `0x7fc0` (what `convert` gives), so the NaN patch is skipped.
    ///
    /// # Safety
    /// `p + 2i .. p + 2i + 8` must be writable.
    #[inline(always)]
    pub unsafe fn store_canonical(p: *mut u8, i: usize, x: v128, k: &crate::convert::simd::Consts) {
        let r = u32x4_shr(crate::convert::simd::bf16_rne(x, k), 16);
        v128_store64_lane::<0>(u16x8_narrow_i32x4(r, r), p.add(2 * i) as *mut u64);
    }
}

/// Stages elements `[start, start + len)` of every input into its row of `stage` (row `j` at
/// `j·stride`) and returns the f32 views of the tile, plus the output row (row `k`).
pub fn stage_tile<'s>(ins: &[Raw], start: usize, len: usize, stage: &'s mut [f32], stride: usize) -> ([&'s [f32]; MAX_TILED], &'s mut [f32]) {
    let k = ins.len();
    assert!(k <= MAX_TILED && len <= stride && stage.len() >= (k + 1) * stride);
    let (rows, out) = stage.split_at_mut(k * stride);
    for (j, src) in ins.iter().enumerate() {
        stage_one(*src, start, len, &mut rows[j * stride..j * stride + len]);
    }
    let mut views: [&'s [f32]; MAX_TILED] = [&[]; MAX_TILED];
    let rows: &'s [f32] = rows;
    for (j, v) in views.iter_mut().enumerate().take(k) {
        *v = &rows[j * stride..j * stride + len];
    }
    (views, &mut out[..len])
}

/// Rounds an f32 output tile into elements `[start, start + tile.len())` of `out` (`out_dtype`),
/// the way `convert` does (round to nearest even, NaN sign and payload kept).
pub fn flush_tile(tile: &[f32], out_dtype: u32, start: usize, out: &mut [u8]) {
    let size = crate::convert::dtype_size(out_dtype);
    assert!(crate::convert::is_valid_dtype(out_dtype) && (start + tile.len()) * size <= out.len());
    // Safety: the range was just checked.
    unsafe {
        crate::convert::convert(crate::convert::F32, tile.as_ptr() as *const u8, out_dtype, out.as_mut_ptr().add(start * size), tile.len())
    }
}

/// Calls `f(inputs, start, out_row)` for consecutive tiles `[start, start + len)` of an
/// `n`-element mixed-dtype chunk, each input staged as f32, then rounds the output row into
/// `out` (an apply pass) unless `out` is `None` (a statistics pass: `out_row` is scratch).
pub fn for_tiles(ins: &[Raw], n: usize, tile: usize, stage: &mut [f32], mut out: Option<(u32, &mut [u8])>,
    mut f: impl FnMut(&[&[f32]], usize, &mut [f32])) {
    assert!(tile >= 1);
    let st = stride(tile);
    let mut start = 0;
    while start < n {
        let len = core::cmp::min(tile, n - start);
        let (views, row) = stage_tile(ins, start, len, stage, st);
        f(&views[..ins.len()], start, row);
        if let Some((dt, bytes)) = out.as_mut() {
            flush_tile(row, *dt, start, bytes);
        }
        start += len;
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// `vals` rounded to `dtype`, as stored bytes.
    pub(crate) fn encode(vals: &[f32], dtype: u32) -> Vec<u8> {
        let size = crate::convert::dtype_size(dtype);
        let mut out = vec![0u8; vals.len() * size];
        unsafe { crate::convert::convert_ref(crate::convert::F32, vals.as_ptr() as *const u8, dtype, out.as_mut_ptr(), vals.len()) };
        out
    }

    /// Stored bytes widened to f32 by the scalar reference.
    pub(crate) fn decode(bytes: &[u8], dtype: u32) -> Vec<f32> {
        let n = bytes.len() / crate::convert::dtype_size(dtype);
        let mut out = vec![0f32; n];
        unsafe { crate::convert::convert_ref(dtype, bytes.as_ptr(), crate::convert::F32, out.as_mut_ptr() as *mut u8, n) };
        out
    }

    #[test]
    fn tiles_widen_every_input_and_round_the_output() {
        let mut rng = crate::convert::tests::Rng(7);
        let n = 1000;
        let vals: Vec<Vec<f32>> = (0..3).map(|_| (0..n).map(|_| f32::from_bits(rng.f32_bits())).collect()).collect();
        let dts = [crate::convert::BF16, crate::convert::F16, crate::convert::F32];
        let bytes: Vec<Vec<u8>> = vals.iter().zip(dts).map(|(v, d)| encode(v, d)).collect();
        let raw: Vec<Raw> = bytes.iter().zip(dts).map(|(b, d)| Raw { dtype: d, bytes: b }).collect();
        let wide: Vec<Vec<f32>> = bytes.iter().zip(dts).map(|(b, d)| decode(b, d)).collect();
        for out_dt in dts {
            let tile = 96;
            let mut stage = vec![0f32; 4 * stride(tile)];
            let mut out = vec![0u8; n * crate::convert::dtype_size(out_dt)];
            let mut seen = 0;
            for_tiles(&raw, n, tile, &mut stage, Some((out_dt, &mut out)), |v, start, o| {
                assert_eq!(start, seen);
                for (j, w) in wide.iter().enumerate() {
                    for (i, x) in v[j].iter().enumerate() {
                        assert_eq!(x.to_bits(), w[start + i].to_bits());
                    }
                }
                // the output tile: input 0 as it is, so the flush must equal convert's rounding
                o.copy_from_slice(&vals[0][start..start + o.len()]);
                seen += o.len();
            });
            assert_eq!(seen, n);
            assert_eq!(out, encode(&vals[0], out_dt));
        }
    }
}
