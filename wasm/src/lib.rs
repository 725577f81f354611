//! mergeops kernels: dtype conversion and merge arithmetic over raw linear memory,
//! compiled to `wasm32-unknown-unknown` with `simd128`.
//!
//! This file holds only the exported ABI. Conventions for every export:
//! - pointers are u32 byte offsets into the module's own linear memory; the caller
//!   (JS) owns all memory from `heap_base()` upwards and grows it itself;
//! - `n` is an element count; a tensor at `p` with dtype `d` occupies
//!   `p .. p + n * size(d)` and must lie inside memory;
//! - dtype codes: 0 = F32 (4 bytes), 1 = F16 (2), 2 = BF16 (2). Any other code traps
//!   (`unreachable`), as does `k == 0` for `linear`;
//! - alignment: 16-bit data at any 2-byte aligned address, F32 data and record tables
//!   at any 4-byte aligned address (loads are unaligned-safe, so misalignment is only
//!   slower, never wrong);
//! - results do not depend on alignment, on `n` or on where a tensor is split into
//!   calls: each element is computed independently with the documented f32 formula,
//!   rounded once (round to nearest even). Arithmetic kernels write any NaN result as
//!   the canonical quiet NaN (F32 `0x7fc00000`, F16 `0x7e00`, BF16 `0x7fc0`); `convert`
//!   keeps a NaN's sign and payload (see `convert.rs`).
//! - the kernels use up to 8 KiB of the shadow stack (below `heap_base`), the health
//!   sums up to 12 KiB.
//!
//! Records (`linear`, `task_arithmetic`): `srcs` points to `k` consecutive 12-byte
//! records of three little-endian words `{ptr: u32, dtype: u32, weight: f32}`.
//!
//! `no_std` on wasm32 (the product). Native builds link std so that `cargo test`,
//! `cargo check` and `cargo clippy` work on the host; on the host every export runs the
//! scalar reference code.
#![cfg_attr(all(not(test), target_arch = "wasm32"), no_std)]

pub mod combine;
pub mod convert;
pub mod lora;
pub mod geo;
pub mod program;
pub mod quant_common;
pub mod quant_k;
pub mod quant_legacy;
pub mod rng;
pub mod gta;
pub mod gta_band;
pub mod health;
pub mod sce;
pub mod ram;

use convert::{at, is_valid_dtype};

/// Stops with a wasm trap (or a panic natively) on a broken contract.
#[inline(always)]
fn check(ok: bool) {
    if !ok {
        #[cfg(target_arch = "wasm32")]
        core::arch::wasm32::unreachable();
        #[cfg(not(target_arch = "wasm32"))]
        panic!("mergeops-kernels: invalid argument");
    }
}

/// Base of the linear memory: 0 on wasm32 (offsets are addresses).
const MEM: usize = 0;

#[cfg(target_arch = "wasm32")]
extern "C" {
    static __heap_base: u8;
}

/// Address of the first byte after the module's stack and static data (the linker's
/// `__heap_base`). Everything from here to the end of memory belongs to the caller.
/// Reads and writes nothing.
#[no_mangle]
pub extern "C" fn heap_base() -> u32 {
    #[cfg(target_arch = "wasm32")]
    unsafe {
        core::ptr::addr_of!(__heap_base) as usize as u32
    }
    #[cfg(not(target_arch = "wasm32"))]
    0
}

/// `dst[i] = round_out(src[i])` for `i < n`: element-wise conversion between any two
/// of the three dtypes. Widening is exact; narrowing rounds to nearest even (F16
/// overflow → ±Inf, subnormals kept); a NaN stays NaN with its sign. Same dtype is a
/// bit-exact copy.
///
/// Reads `src .. src + n*size(in_dtype)`, writes `dst .. dst + n*size(out_dtype)`.
/// Aliasing: `dst == src` is allowed when both dtypes have the same size; otherwise
/// the ranges must not overlap.
#[no_mangle]
pub unsafe extern "C" fn convert(in_dtype: u32, src: u32, out_dtype: u32, dst: u32, n: u32) {
    check(is_valid_dtype(in_dtype) && is_valid_dtype(out_dtype));
    convert::convert(in_dtype, at(MEM, src), out_dtype, at(MEM, dst), n as usize)
}

/// `dst[i] = round_out(src[i] * scale)` (one f32 multiply), NaN results canonical.
///
/// Reads `src .. src + n*size(in_dtype)`, writes `dst .. dst + n*size(out_dtype)`.
/// Aliasing: `dst == src` allowed when both dtypes have the same size; otherwise no
/// overlap.
#[no_mangle]
pub unsafe extern "C" fn scale_convert(in_dtype: u32, src: u32, scale: f32, out_dtype: u32, dst: u32, n: u32) {
    check(is_valid_dtype(in_dtype) && is_valid_dtype(out_dtype));
    convert::scale_convert(in_dtype, at(MEM, src), scale, out_dtype, at(MEM, dst), n as usize)
}

/// Weighted sum: for each `i < n`, in f32 with every operation rounded (no FMA):
/// `acc = w0*x0[i]; acc = acc + w1*x1[i]; ...` in record order, then
/// `dst[i] = round_out(acc / divisor)` (the division is always performed; a
/// power-of-two divisor is applied as the bit-identical exact reciprocal).
///
/// Reads the `k >= 1` records at `srcs .. srcs + 12*k` and each `ptr .. ptr +
/// n*size(dtype)`; writes `dst .. dst + n*size(out_dtype)`. Aliasing: inputs may
/// overlap each other freely; `dst` must not overlap any input except by being
/// exactly equal to an input pointer whose dtype is `out_dtype`.
#[no_mangle]
pub unsafe extern "C" fn linear(srcs: u32, k: u32, divisor: f32, out_dtype: u32, dst: u32, n: u32) {
    check(k >= 1 && is_valid_dtype(out_dtype) && records_valid(srcs, k));
    combine::linear(MEM, srcs, k as usize, divisor, out_dtype, at(MEM, dst), n as usize)
}

/// Task arithmetic: for each `i < n`, with `b = base[i]`, in f32 with every operation
/// rounded (no FMA): `m = w0*(x0[i]-b); m = m + w1*(x1[i]-b); ...` in record order,
/// then `m = m / divisor; m = m * lambda; dst[i] = round_out(b + m)`.
/// With `k == 0` this is exactly `convert(base_dtype, base_ptr, out_dtype, dst, n)`.
///
/// Reads `base_ptr .. base_ptr + n*size(base_dtype)`, the `k` records at `srcs` and
/// their tensors; writes `dst .. dst + n*size(out_dtype)`. Aliasing: inputs may overlap
/// each other; `dst` must not overlap any input (base included) except by being
/// exactly equal to an input pointer whose dtype is `out_dtype`.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn task_arithmetic(
    base_ptr: u32,
    base_dtype: u32,
    srcs: u32,
    k: u32,
    divisor: f32,
    lambda: f32,
    out_dtype: u32,
    dst: u32,
    n: u32,
) {
    check(is_valid_dtype(base_dtype) && is_valid_dtype(out_dtype) && records_valid(srcs, k));
    combine::task_arithmetic(
        MEM,
        at(MEM, base_ptr),
        base_dtype,
        srcs,
        k as usize,
        divisor,
        lambda,
        out_dtype,
        at(MEM, dst),
        n as usize,
    )
}

// ---------------------------------------------------------------------------
// Tensor health (health.rs). `stats` points to f64 words (8-byte aligned) that the call
// adds to (the caller zeroes them once per tensor or chunk): `[Σo², Σx₀², Σo·x₀, Σx₁²,
// Σo·x₁, ...]`, `1 + 2k` words for `k` inputs. The sums are exact to within the bound in
// health.rs (f32 partial sums of 16 products, accumulated in f64); a NaN or an infinite
// element makes them non-finite (then see `count_nonfinite`), as does a product beyond
// f32's range (then see `health_sums_exact`).
// ---------------------------------------------------------------------------

unsafe fn stats_words<'a>(stats: u32, k: usize) -> &'a mut [f64] {
    check(stats % 8 == 0);
    core::slice::from_raw_parts_mut(at(MEM, stats) as *mut f64, health::words(k))
}

fn arr(ptr: u32, dtype: u32) -> health::Arr {
    health::Arr { ptr: at(MEM, ptr), dtype }
}

/// The health sums of an output already computed: `n` elements of `out_dtype` at `out`,
/// against the `k` inputs of the 12-byte records at `srcs` (weights ignored).
///
/// Reads `out .. out + n*size(out_dtype)`, the records and each input's `n` elements;
/// adds to `stats[..1 + 2k]`. Writes nothing else.
#[no_mangle]
pub unsafe extern "C" fn health_sums(out: u32, out_dtype: u32, srcs: u32, k: u32, n: u32, stats: u32) {
    check(is_valid_dtype(out_dtype) && records_valid(srcs, k));
    let k = k as usize;
    health::sums(arr(out, out_dtype), k, |j| health::record_input(MEM, srcs, j), n as usize, stats_words(stats, k));
}

/// As `health_sums`, every product formed in f64 (exact) and summed in f64, scalar: for a
/// chunk whose fast sums overflowed although its elements are finite.
#[no_mangle]
pub unsafe extern "C" fn health_sums_exact(out: u32, out_dtype: u32, srcs: u32, k: u32, n: u32, stats: u32) {
    check(is_valid_dtype(out_dtype) && records_valid(srcs, k));
    let k = k as usize;
    health::sums_exact(arr(out, out_dtype), k, |j| health::record_input(MEM, srcs, j), 0, n as usize, stats_words(stats, k));
}

/// Adds the number of NaN elements of the `n` elements of `dtype` at `ptr` to the f64 at
/// `counts` and the number of infinite ones to the f64 after it. Reads only those.
#[no_mangle]
pub unsafe extern "C" fn count_nonfinite(ptr: u32, dtype: u32, n: u32, counts: u32) {
    check(is_valid_dtype(dtype) && counts % 8 == 0);
    health::count_nonfinite(arr(ptr, dtype), n as usize, core::slice::from_raw_parts_mut(at(MEM, counts) as *mut f64, 2));
}

unsafe fn records_valid(srcs: u32, k: u32) -> bool {
    let mut j = 0;
    while j < k as usize {
        if !is_valid_dtype(combine::rec(MEM, srcs, j).dtype) {
            return false;
        }
        j += 1;
    }
    true
}

#[cfg(all(target_arch = "wasm32", not(test)))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}
