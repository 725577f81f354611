/**
 * Disk a run needs, both ways: the whole output at once (shards + GGUF files, built in a
 * temporary sibling), or low-disk publishing (finished shards uploaded and deleted while the
 * merge goes on: about two shards waiting, one being written, and the GGUF files, written whole).
 */
import type { Plan } from './types.js';

export interface DiskEstimate {
  /** Everything on disk at the end. */
  normal: number;
  /** Peak with --low-disk. */
  lowDisk: number;
  /** Bytes of the GGUF files the plan lists (included in both). */
  gguf: number;
}

export function diskEstimate(plan: Plan): DiskEstimate {
  // The planned GGUF files' exact sizes, already in estimates.diskBytes.
  const gguf = plan.estimates.ggufBytes ?? 0;
  const withoutGGUF = plan.estimates.diskBytes - gguf;
  const shards = plan.shards.reduce((a, s) => a + s.size, 0);
  const largest = plan.shards.reduce((a, s) => Math.max(a, s.size), 0);
  const other = Math.max(0, withoutGGUF - shards);
  const normal = withoutGGUF + gguf;
  return { normal, lowDisk: Math.min(normal, Math.min(shards, 3 * largest) + gguf + other), gguf };
}
