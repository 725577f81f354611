//! Counter-based random numbers for the random merge methods (DARE, DELLA, arcee_fusion):
//! Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011,
//! the generator of Random123, cuRAND and JAX).
//!
//! A draw is a pure function of (key, stream, element index), so results never depend on
//! threads, chunk sizes or the order in which chunks run. The mapping, also implemented in
//! `src/methods/rng.ts` (and checked against this module by the tests):
//! - key: a 64-bit hash of (seed, output tensor name) computed in TypeScript
//!   (`tensorRngKey`: FNV-1a 64 over the seed's 8 little-endian bytes then the name's UTF-8
//!   bytes), split into `k0 = low 32 bits`, `k1 = high 32 bits`;
//! - stream: which sequence of the tensor (e.g. the index of a model among the merged
//!   non-base models);
//! - element `g` (its index in the flattened tensor) uses word `g & 3` of
//!   `philox4x32_10([q_lo, q_hi, stream, 0], [k0, k1])` with `q = g >> 2`;
//! - a uniform in [0, 1) is `(word >> 8) · 2⁻²⁴` (exact in f32 and f64); a Bernoulli(p)
//!   draw keeps the element iff that uniform is `< p`.

const M0: u32 = 0xD251_1F53;
const M1: u32 = 0xCD9E_8D57;
const W0: u32 = 0x9E37_79B9;
const W1: u32 = 0xBB67_AE85;

#[inline(always)]
fn mulhilo(a: u32, b: u32) -> (u32, u32) {
    let p = a as u64 * b as u64;
    ((p >> 32) as u32, p as u32)
}

/// Philox4x32 with 10 rounds: four 32-bit outputs for a 128-bit counter and 64-bit key.
#[inline(always)]
pub fn philox4x32_10(ctr: [u32; 4], key: [u32; 2]) -> [u32; 4] {
    let mut c = ctr;
    let (mut k0, mut k1) = (key[0], key[1]);
    let mut r = 0;
    while r < 10 {
        let (hi0, lo0) = mulhilo(M0, c[0]);
        let (hi1, lo1) = mulhilo(M1, c[2]);
        c = [hi1 ^ c[1] ^ k0, lo1, hi0 ^ c[3] ^ k1, lo0];
        k0 = k0.wrapping_add(W0);
        k1 = k1.wrapping_add(W1);
        r += 1;
    }
    c
}

/// The key of one tensor's draws (two halves of the TypeScript hash).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Key(pub [u32; 2]);

/// The four words of the group of elements `4q .. 4q + 4` of `stream`.
#[inline(always)]
pub fn group(key: Key, stream: u32, q: u64) -> [u32; 4] {
    philox4x32_10([q as u32, (q >> 32) as u32, stream, 0], key.0)
}

/// The 32-bit word of element `g` of `stream`.
#[inline(always)]
pub fn word(key: Key, stream: u32, g: u64) -> u32 {
    group(key, stream, g >> 2)[(g & 3) as usize]
}

/// The 24-bit uniform integer of element `g` (`uniform = u24 · 2⁻²⁴`).
#[inline(always)]
pub fn u24(key: Key, stream: u32, g: u64) -> u32 {
    word(key, stream, g) >> 8
}

/// The integer threshold of a Bernoulli(p) draw: keep iff `u24 < t` (same decisions as
/// comparing the exact uniform with `p` in f64). `p <= 0` never keeps, `p >= 1` always.
#[inline(always)]
pub fn keep_threshold(p: f64) -> u32 {
    if !(p > 0.0) {
        return 0;
    }
    if p >= 1.0 {
        return 1 << 24;
    }
    // u < p·2²⁴ (exact product) ⇔ u < ceil(p·2²⁴) for integers u.
    let x = p * 16_777_216.0;
    let t = x as u32; // floor, 0 <= x < 2^24
    if (t as f64) < x {
        t + 1
    } else {
        t
    }
}

/// Fills `out[i]` with the word of element `first + i` of `stream` (for tests and tools).
pub fn fill_words(key: Key, stream: u32, first: u64, out: &mut [u32]) {
    let mut i = 0;
    while i < out.len() {
        out[i] = word(key, stream, first + i as u64);
        i += 1;
    }
}

/// Writes `u32[n]` at `out`: the generator words of elements `first .. first + n` (first =
/// `first_lo | first_hi << 32`) of `stream` under key `(k0, k1)`. Reads nothing else; `out`
/// must lie in memory (4-byte aligned). Lets tests check the TypeScript port bit for bit.
///
/// # Safety
/// `out .. out + 4n` must be writable linear memory.
#[no_mangle]
pub unsafe extern "C" fn rng_words(k0: u32, k1: u32, stream: u32, first_lo: u32, first_hi: u32, out: u32, n: u32) {
    let s = core::slice::from_raw_parts_mut(out as usize as *mut u32, n as usize);
    fill_words(Key([k0, k1]), stream, (first_hi as u64) << 32 | first_lo as u64, s);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answers() {
        // Random123 kat_vectors, philox4x32 10 rounds.
        assert_eq!(philox4x32_10([0; 4], [0; 2]), [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]);
        assert_eq!(
            philox4x32_10([0xffffffff; 4], [0xffffffff; 2]),
            [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]
        );
        assert_eq!(
            philox4x32_10([0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0]),
            [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]
        );
    }

    #[test]
    fn words_are_per_element() {
        let k = Key([1, 2]);
        let mut a = [0u32; 37];
        fill_words(k, 3, 5, &mut a);
        for (i, w) in a.iter().enumerate() {
            assert_eq!(*w, word(k, 3, 5 + i as u64));
        }
        assert_ne!(word(k, 3, 0), word(k, 4, 0));
    }

    #[test]
    fn thresholds_match_f64_comparison() {
        for &p in &[0.0, 1e-9, 0.1, 0.3, 0.5, 0.7, 0.999999, 1.0, 1.5, -0.2] {
            let t = keep_threshold(p);
            for u in [0u32, 1, 1677721, 1677722, 5033164, 5033165, 8388607, 8388608, 16777215] {
                let keep = (u as f64) / 16_777_216.0 < p;
                assert_eq!(u < t, keep, "p={} u={}", p, u);
            }
        }
    }

    #[test]
    fn uniform_is_roughly_uniform() {
        let k = Key([7, 9]);
        let t = keep_threshold(0.3);
        let n = 200_000u64;
        let kept = (0..n).filter(|&g| u24(k, 0, g) < t).count() as f64 / n as f64;
        assert!((kept - 0.3).abs() < 0.005, "{}", kept);
    }
}
