/**
 * Byte ranges of local files, read fully: a short read means the file ended early (truncated or
 * changed while being read), which is an error naming the file and the byte. The HTTP
 * counterpart is range-read.ts.
 */
import type { promises as fs } from 'node:fs';
import { readSync } from 'node:fs';
import { MergeopsError } from '../errors.js';

/** fs calls take < 2 GiB; stay at 1 GiB per call. */
const MAX_IO = 1 << 30;

function truncated(file: string, at: number, missing: number): MergeopsError {
  return new MergeopsError('IO', `${file}: file ends at byte ${at}, expected ${missing} more bytes (truncated?)`,
    'the file was truncated or changed while being read; re-download it');
}

/** Fills `into` from byte `position` of the open file `fd` (synchronous: kernel workers read straight into their memory). */
export function readRangeSync(fd: number, into: Uint8Array, position: number, file: string): void {
  const len = into.length;
  let done = 0;
  while (done < len) {
    const want = Math.min(MAX_IO, len - done);
    const got = readSync(fd, into, done, want, position + done);
    if (got === 0) throw truncated(file, position + done, len - done);
    done += got;
  }
}

/** Bytes [position, position + length) of the open file `fh`. */
export async function readRange(fh: fs.FileHandle, length: number, position: number, file: string): Promise<Uint8Array> {
  const buf = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, done, Math.min(MAX_IO, length - done), position + done);
    if (bytesRead === 0) throw truncated(file, position + done, length - done);
    done += bytesRead;
  }
  return buf;
}
