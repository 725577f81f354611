/**
 * The counter-based generator of the random methods (DARE, DELLA, arcee_fusion), keyed by
 * (seed, output tensor name, element index). The kernels draw with wasm/src/rng.rs; this is the
 * same mapping in TypeScript: the key hash (computed here and passed to the kernels) and a port
 * of the generator for tests and references.
 *
 * - key: FNV-1a 64 over the seed as 8 little-endian bytes, then the UTF-8 bytes of the tensor
 *   name; `k0` = low 32 bits, `k1` = high 32 bits;
 * - element `g` of `stream` uses word `g & 3` of Philox4x32-10(counter `[q_lo, q_hi, stream, 0]`,
 *   key `[k0, k1]`), `q = ⌊g / 4⌋`;
 * - uniform `u = (word >>> 8) · 2⁻²⁴`; Bernoulli(p) keeps iff `u < p`.
 */

/** Seed used when the recipe sets no `mergeops.seed`. */
export const DEFAULT_SEED = 0;

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK64 = (1n << 64n) - 1n;

/** The generator key of one tensor: `[k0, k1]` (u32 halves of the 64-bit hash). */
export function tensorRngKey(seed: number, tensor: string): [number, number] {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`seed must be a non-negative safe integer, got ${seed}`);
  let h = FNV_OFFSET;
  const eat = (b: number): void => {
    h = ((h ^ BigInt(b)) * FNV_PRIME) & MASK64;
  };
  let s = BigInt(seed);
  for (let i = 0; i < 8; i++) {
    eat(Number(s & 0xffn));
    s >>= 8n;
  }
  for (const b of new TextEncoder().encode(tensor)) eat(b);
  return [Number(h & 0xffffffffn), Number(h >> 32n)];
}

/** High 32 bits of the 64-bit product of two u32 (exact, from 16-bit halves). */
function mulhi(a: number, b: number): number {
  const al = a & 0xffff, ah = a >>> 16, bl = b & 0xffff, bh = b >>> 16;
  const lh = al * bh, hl = ah * bl;
  const mid = ((al * bl) >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  return (ah * bh + (lh >>> 16) + (hl >>> 16) + Math.floor(mid / 65536)) >>> 0;
}

/** Philox4x32-10 (Random123): four u32 outputs for a 4-word counter and 2-word key. */
export function philox4x32_10(ctr: readonly number[], key: readonly number[]): [number, number, number, number] {
  let [c0, c1, c2, c3] = ctr.map((x) => x >>> 0);
  let k0 = key[0] >>> 0;
  let k1 = key[1] >>> 0;
  for (let r = 0; r < 10; r++) {
    const hi0 = mulhi(0xd2511f53, c0), lo0 = Math.imul(0xd2511f53, c0) >>> 0;
    const hi1 = mulhi(0xcd9e8d57, c2), lo1 = Math.imul(0xcd9e8d57, c2) >>> 0;
    [c0, c1, c2, c3] = [(hi1 ^ c1 ^ k0) >>> 0, lo1, (hi0 ^ c3 ^ k1) >>> 0, lo0];
    k0 = (k0 + 0x9e3779b9) >>> 0;
    k1 = (k1 + 0xbb67ae85) >>> 0;
  }
  return [c0, c1, c2, c3];
}

/** The generator word of element `g` of `stream`. */
export function rngWord(key: readonly number[], stream: number, g: number): number {
  const q = Math.floor(g / 4);
  return philox4x32_10([q % 2 ** 32, Math.floor(q / 2 ** 32), stream, 0], key)[g % 4];
}

/** The uniform in [0, 1) of element `g` of `stream`. */
export function rngUniform(key: readonly number[], stream: number, g: number): number {
  return (rngWord(key, stream, g) >>> 8) / 2 ** 24;
}
