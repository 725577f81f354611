/**
 * Tensor health of one chunk, from the bytes the worker already holds (wasm/src/health.rs): the
 * output's NaN and ±Inf counts and Σo², and for each input its NaN and ±Inf counts, Σx² and Σo·x.
 * The executor adds the chunks of a tensor up (execute/health.ts).
 *
 * Words (f64), `3 + 4k` for k inputs: `[nan, inf, Σo²]` of the output, then per input
 * `[nan, inf, Σx², Σo·x]`.
 */
import type { Arena } from './arena.js';

/** An array in kernel memory: its address and kernel dtype code. */
export interface KernelArray { ptr: number; code: number }

export const HEALTH_OUT_WORDS = 3;
export const HEALTH_INPUT_WORDS = 4;

export function healthWords(k: number): number {
  return HEALTH_OUT_WORDS + HEALTH_INPUT_WORDS * k;
}

/**
 * The health words of `n` elements of `out` against `ins`. The fast SIMD sums come first; only a
 * chunk whose sums are not finite has its arrays' non-finite elements counted (a finite Σx² means
 * every element is finite), and when none is, its products left f32's range and the sums are
 * recomputed exactly.
 */
export function chunkHealth(arena: Arena, out: KernelArray, ins: readonly KernelArray[], n: number): Float64Array {
  const k = ins.length;
  const mark = arena.mark();
  try {
    const recs = arena.alloc(12 * Math.max(1, k));
    const dv = new DataView(arena.k.memory.buffer, recs, 12 * Math.max(1, k));
    ins.forEach((a, j) => {
      dv.setUint32(12 * j, a.ptr, true);
      dv.setUint32(12 * j + 4, a.code, true);
      dv.setFloat32(12 * j + 8, 1, true);
    });
    const words = 1 + 2 * k;
    const stats = arena.alloc(8 * words);
    const counts = arena.alloc(16);
    const sums = (): Float64Array => arena.f64(stats, words);
    sums().fill(0);
    arena.k.health_sums(out.ptr, out.code, recs, k, n, stats);
    const res = new Float64Array(healthWords(k));
    const count = (a: KernelArray, at: number): void => {
      arena.f64(counts, 2).fill(0);
      arena.k.count_nonfinite(a.ptr, a.code, n, counts);
      res.set(arena.f64(counts, 2), at);
    };
    let s = sums();
    let overflow = false;
    if (!Number.isFinite(s[0])) {
      count(out, 0);
      overflow ||= res[0] + res[1] === 0;
    }
    for (let j = 0; j < k; j++) {
      s = sums();
      if (Number.isFinite(s[1 + 2 * j]) && Number.isFinite(s[2 + 2 * j])) continue;
      const at = HEALTH_OUT_WORDS + HEALTH_INPUT_WORDS * j;
      count(ins[j], at);
      overflow ||= res[at] + res[at + 1] === 0 && res[0] + res[1] === 0;
    }
    if (overflow) {
      sums().fill(0);
      arena.k.health_sums_exact(out.ptr, out.code, recs, k, n, stats);
    }
    s = sums();
    res[2] = s[0];
    for (let j = 0; j < k; j++) {
      const at = HEALTH_OUT_WORDS + HEALTH_INPUT_WORDS * j;
      res[at + 2] = s[1 + 2 * j];
      res[at + 3] = s[2 + 2 * j];
    }
    return res;
  } finally {
    arena.release(mark);
  }
}
