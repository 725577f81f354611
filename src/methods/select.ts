/**
 * Exact top-K selection while streaming (shared by the TIES/breadcrumbs family and SCE): a radix
 * select on the bits of non-negative f32 keys. Pass 1 histograms the high 16 bits (32768 buckets:
 * the sign bit is clear), pass 2 the low 16 bits inside the bucket holding the K-th largest key,
 * which gives the exact K-th key `thr` and how many of the keys equal to it are kept. Ties are
 * broken by lowest index: pass 3 counts the keys equal to `thr` per 4096-element block, so the
 * apply pass knows in which block the kept ties end. Counts are exact, so nothing depends on how
 * the tensor was chunked. (The GTA methods first count the ties of the bucket's bottom value,
 * which often settles the K-th key without the low-bits pass: see gta.ts.)
 */
import type { ChunkStats } from './program.js';
import { STAT_BLOCK } from './program.js';

export const HI_BUCKETS = 32768;
export const LO_BUCKETS = 65536;
/** A block index after every block: every tie is kept. */
export const ALL_BLOCKS = 2 ** 53;

/** A top-K set as the kernels read it: keys > thr, and the ties before block cb plus rem in cb. */
export interface TopSlot {
  /** Threshold bits; −1 = the empty set. */
  thr: number;
  cb: number;
  rem: number;
}

export const EMPTY_SLOT: TopSlot = { thr: -1, cb: -1, rem: 0 };
export const FULL_SLOT: TopSlot = { thr: 0, cb: ALL_BLOCKS, rem: 0 };

/** Adds the chunks' word arrays element-wise (exact: they hold integer counts); one chunk's as is. */
export function sumParts(parts: readonly ChunkStats[]): Float64Array {
  if (parts.length === 1) return parts[0].data;
  const out = new Float64Array(parts[0]?.data.length ?? 0);
  for (const p of parts) for (let i = 0; i < out.length; i++) out[i] += p.data[i];
  return out;
}

/** Concatenates the chunks' words in index order (per-block data); one chunk's as is. */
export function concatParts(parts: readonly ChunkStats[]): Float64Array {
  if (parts.length === 1) return parts[0].data;
  const out = new Float64Array(parts.reduce((a, p) => a + p.data.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p.data, o);
    o += p.data.length;
  }
  return out;
}

/** Blocks of `len` elements that a chunk [first, first + n) touches. */
export function blocksOf(n: number, first: number, len = STAT_BLOCK): number {
  return n === 0 ? 0 : Math.floor((first + n - 1) / len) - Math.floor(first / len) + 1;
}

/** The high-bits bucket holding the K-th largest key (1 ≤ K ≤ total), and K's rank inside it. */
export function findBucket(hi: Float64Array, off: number, K: number): { bucket: number; need: number } {
  let above = 0;
  for (let b = HI_BUCKETS - 1; b >= 0; b--) {
    const c = hi[off + b];
    if (above + c >= K) return { bucket: b, need: K - above };
    above += c;
  }
  throw new Error(`top-k: K = ${K} exceeds the ${above} counted elements`);
}

/** Inside `bucket`: the K-th key's bits, how many keys equal it, and how many of those are kept. */
export function findInBucket(lo: Float64Array, off: number, bucket: number, need: number): { thr: number; ties: number; keep: number } {
  let above = 0;
  for (let l = LO_BUCKETS - 1; l >= 0; l--) {
    const c = lo[off + l];
    if (above + c >= need) return { thr: bucket * 65536 + l, ties: c, keep: need - above };
    above += c;
  }
  throw new Error(`top-k: rank ${need} exceeds bucket ${bucket}'s ${above} elements`);
}

/**
 * The block where the kept ties end: walks per-block tie counts (global block order, entry
 * `block·stride + at`) until `keep` ties are covered.
 */
export function tieCutoff(ties: Float64Array, stride: number, at: number, keep: number): { cb: number; rem: number } {
  let cum = 0;
  const blocks = ties.length / stride;
  for (let b = 0; b < blocks; b++) {
    const c = ties[b * stride + at];
    if (cum + c >= keep) return { cb: b, rem: keep - cum };
    cum += c;
  }
  throw new Error(`top-k: only ${cum} ties counted, ${keep} to keep`);
}
