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
        let p = core::ptr::read_unaligned((self.inputs as usize + 4 * j) as *const u32);
        core::slice::from_raw_parts(p as usize as *const f32, self.n as usize)
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
