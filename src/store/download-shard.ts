/**
 * Downloads a whole remote file into the shard cache: range reads of `pieceBytes` (each retried
 * and resumed by rangeRead), hashed on the way, written to a temporary file, fsynced, checked
 * against the LFS sha256, and only then renamed into place. A failure leaves nothing behind.
 */
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, rmSync, writeSync } from 'node:fs';
import { MergeopsError } from '../errors.js';
import { rangeRead, type RangeReadOptions } from '../io/range-read.js';
import type { HttpSource } from '../model/tensor.js';
import type { ShardCache } from './shard-cache.js';

/** A shard to download before the merge (download mode): where it is, and where it goes in the cache. */
export interface PendingShard {
  src: HttpSource;
  dest: string;
}

export interface DownloadOptions extends RangeReadOptions {
  /** Bytes per range request (default 16 MiB). */
  pieceBytes?: number;
}

/** Downloads `src` to `dest` in `cache`; returns the sha256 of what was written. */
export async function downloadShard(src: HttpSource, dest: string, cache: ShardCache, opts: DownloadOptions = {}): Promise<string> {
  const piece = opts.pieceBytes ?? 16 * 1024 * 1024;
  const tmp = cache.tempPath();
  const fd = openSync(tmp, 'w');
  const hash = createHash('sha256');
  const buf = new Uint8Array(Math.min(piece, Math.max(1, src.size)));
  let ok = false;
  try {
    for (let at = 0; at < src.size; at += piece) {
      const view = buf.subarray(0, Math.min(piece, src.size - at));
      await rangeRead(src, at, view, opts);
      hash.update(view);
      let w = 0;
      while (w < view.length) w += writeSync(fd, view, w, view.length - w, at + w);
    }
    fsyncSync(fd);
    const sha = hash.digest('hex');
    if (src.sha256 && sha !== src.sha256.toLowerCase()) {
      throw new MergeopsError('UPSTREAM_CHANGED',
        `${src.label}: bytes 0-${src.size - 1}: the downloaded file has sha256 ${sha}, but the Hub lists ${src.sha256}`,
        'the download was corrupted or the file changed upstream; run again (nothing was cached), or re-resolve with `mergeops lock`');
    }
    ok = true;
    closeSync(fd);
    cache.commit(tmp, dest);
    return sha;
  } finally {
    if (!ok) {
      try { closeSync(fd); } catch { /* already closed */ }
      rmSync(tmp, { force: true });
    }
  }
}
