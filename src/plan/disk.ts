/**
 * Disk a run needs, both ways: the whole output at once (shards + GGUF files, built in a
 * temporary sibling), or low-disk publishing (finished shards uploaded and deleted while the
 * merge goes on: about two shards waiting, one being written, and the GGUF files, written whole).
 */
import { ggmlTypeByName } from '../quant/types.js';
import { FILE_TYPES, type FileTypeName } from '../quant/select.js';
import type { Plan } from './types.js';

export interface DiskEstimate {
  /** Everything on disk at the end. */
  normal: number;
  /** Peak with --low-disk. */
  lowDisk: number;
  /** GGUF bytes (included in both): exact when the plan holds its GGUF files, else estimated. */
  gguf: number;
}

export function diskEstimate(plan: Plan, ggufTypes: readonly FileTypeName[]): DiskEstimate {
  // GGUF files planned with the plan have exact sizes (already in estimates.diskBytes); others are estimated.
  const planned = plan.gguf ? plan.estimates.ggufBytes ?? 0 : undefined;
  const params = plan.tensors.reduce((a, t) => a + t.shape.reduce((x, y) => x * y, 1), 0);
  const gguf = planned ?? ggufTypes.reduce((a, ft) => {
    const t = ggmlTypeByName(FILE_TYPES[ft].base);
    return a + (t ? Math.ceil((params * t.typeSize) / t.blockSize) : params * 2);
  }, 0);
  const withoutGGUF = plan.estimates.diskBytes - (planned ?? 0);
  const shards = plan.shards.reduce((a, s) => a + s.size, 0);
  const largest = plan.shards.reduce((a, s) => Math.max(a, s.size), 0);
  const other = Math.max(0, withoutGGUF - shards);
  const normal = withoutGGUF + gguf;
  return { normal, lowDisk: Math.min(normal, Math.min(shards, 3 * largest) + gguf + other), gguf };
}
