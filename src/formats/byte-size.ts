/**
 * The one byte-size syntax, for recipes (`mergeops.out_shard_size`), CLI flags (`--max-memory`,
 * `--out-shard-size`, `--split-max-size`, `--cache-size`) and Action inputs: a whole number of
 * bytes, or a decimal number with a unit. k, M, B are thousand, million, billion as mergekit's
 * `--out-shard-size` reads them (`5B` = 5·10⁹ bytes); G, T and kB/MB/GB/TB are powers of 1000;
 * KiB/MiB/GiB/TiB powers of 1024. `_` may group digits. The decimal is read exactly and a
 * fraction of a byte is dropped (as mergekit's `int(float(v) * unit)` does for exact decimals),
 * so `8.2M` is 8200000 bytes, not one byte less from binary rounding.
 */
import { MergeopsError } from '../errors.js';

const UNITS: Readonly<Record<string, bigint>> = {
  '': 1n,
  k: 1000n, m: 1000n ** 2n, b: 1000n ** 3n, g: 1000n ** 3n, t: 1000n ** 4n,
  kb: 1000n, mb: 1000n ** 2n, gb: 1000n ** 3n, tb: 1000n ** 4n,
  kib: 1024n, mib: 1024n ** 2n, gib: 1024n ** 3n, tib: 1024n ** 4n,
};

export const BYTE_SIZE_HINT = 'write a byte count such as 5000000000, or a number with a unit: k, M, B (thousand, million, '
  + 'billion, as mergekit reads them: 5B = 5e9 bytes), KB/MB/GB (powers of 1000) or KiB/MiB/GiB (powers of 1024), '
  + 'e.g. 5B, 500M, 2GiB, 1.5GB';

/** Bytes of a size text (at least 1, below 2^53), or undefined when the text is not such a size. */
export function parseByteSize(text: string): number | undefined {
  const m = /^\s*(\d*)(?:\.(\d+))?\s*([a-zA-Z]*)\s*$/.exec(text.replace(/(\d)_(?=\d)/g, '$1'));
  if (!m || (m[1] === '' && (m[2] ?? '') === '')) return undefined;
  const unit = UNITS[m[3].toLowerCase()];
  if (unit === undefined) return undefined;
  const frac = m[2] ?? '';
  const bytes = (BigInt(m[1] + frac || '0') * unit) / 10n ** BigInt(frac.length);
  if (bytes < 1n || bytes > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
  return Number(bytes);
}

/** Bytes of a size given to `what` (`--max-memory`, input `max-memory`); a usage error naming it otherwise. */
export function requireByteSize(text: string, what: string): number {
  const n = parseByteSize(text);
  if (n === undefined) throw new MergeopsError('USAGE', `${what} ${text} is not a size`, BYTE_SIZE_HINT);
  return n;
}
