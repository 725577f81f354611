import type { RowGather } from '../model/tensor.js';
/**
 * The worker side of a `gather` job input: rows of an embedding-like tensor rebuilt for another
 * vocabulary. Plain row copies go straight from the reader into the destination (in runs of
 * consecutive rows); only computed rows (tokens another model supplies, averages, padding) are
 * summed here, in float64, and rounded once to float32. Those rows are few, except the padding
 * mean, which reads every real row once per chunk that holds padding (in batches of rows, so its
 * memory stays that of a chunk).
 *
 * Reads are asynchronous and may allocate kernel memory (a source can be an earlier stage's tensor,
 * computed for the rows asked), so destinations are given as `RowDest`s whose views are taken
 * afresh after every read.
 */
import type { JobInput } from './jobs.js';

/** Where rows go: float32 elements, in kernel memory (`ptr`) or in a JavaScript array. */
export interface RowDest {
  /** A fresh view of the destination (kernel memory may have grown since the last one). */
  view(): Float32Array;
  /** Byte address of element 0 in kernel memory, when the destination lives there. */
  ptr?: number;
}

/** A destination in a JavaScript array. */
export function arrayDest(a: Float32Array): RowDest {
  return { view: () => a };
}

/**
 * Reads rows [row, row + nRows) of `sources[source]` as float32 into `dst` from element `at`
 * (nRows·cols elements). Runs of consecutive rows come in one call.
 */
export type ReadRowsF32 = (source: number, row: number, nRows: number, dst: RowDest, at: number) => void | Promise<void>;

type GatherInput = Extract<JobInput, { kind: 'gather' }> | { cols: number; rows: RowGather };

function checkRow(rows: RowGather, r: number): number {
  const m = rows.map[r];
  if (m === undefined) throw new Error(`gather: row ${r} is past the ${rows.map.length} rows of the gathered tensor`);
  return m;
}

type RowsFn = (firstRow: number, nRows: number, dst: RowDest, at: number) => Promise<void>;

/** Output rows [firstRow, firstRow + nRows) into `dst` (length ≥ nRows·cols). */
export async function gatherRows(input: GatherInput, firstRow: number, nRows: number, readRows: ReadRowsF32, dst: RowDest): Promise<void> {
  await rowGatherer(input, readRows, Math.max(1, nRows))(firstRow, nRows, dst, 0);
}

/**
 * A row producer that computes a padding mean at most once, however many calls it serves. The
 * mean reads `batchRows` rows at a time.
 */
function rowGatherer(input: GatherInput, readRows: ReadRowsF32, batchRows: number): RowsFn {
  const { cols, rows } = input;
  const acc = new Float64Array(cols);
  const tmp = new Float32Array(cols);
  const means = new Map<number, Float32Array>();

  const mixRow = async (mixIndex: number): Promise<Float32Array> => {
    const mix = rows.mixes[mixIndex];
    if (!mix) throw new Error(`gather: mix ${mixIndex} does not exist`);
    if ('meanOf' in mix) {
      let mean = means.get(mix.meanOf);
      if (!mean) {
        mean = await meanOfRows(mix.meanOf);
        means.set(mix.meanOf, mean);
      }
      return mean;
    }
    acc.fill(0);
    for (const t of mix.terms) {
      await readRows(t.source, t.row, 1, arrayDest(tmp), 0);
      for (let c = 0; c < cols; c++) acc[c] += t.weight * tmp[c];
    }
    const d = mix.divisor ?? 1;
    const out = new Float32Array(cols);
    for (let c = 0; c < cols; c++) out[c] = acc[c] / d;
    return out;
  };

  /** Mean of output rows [0, count): every row produced as float32, summed in float64 in row order. */
  async function meanOfRows(count: number): Promise<Float32Array> {
    for (let r = 0; r < count; r++) {
      const m = checkRow(rows, r);
      if (m < -1 && 'meanOf' in rows.mixes[-2 - m]) throw new Error(`gather: mean row ${r} is inside the rows it averages`);
    }
    const sum = new Float64Array(cols);
    const batch = new Float32Array(Math.min(batchRows, Math.max(1, count)) * cols);
    const dest = arrayDest(batch);
    for (let r = 0; r < count; r += batchRows) {
      const k = Math.min(batchRows, count - r);
      await gather(r, k, dest, 0);
      for (let i = 0; i < k * cols; i += cols) for (let c = 0; c < cols; c++) sum[c] += batch[i + c];
    }
    const out = new Float32Array(cols);
    for (let c = 0; c < cols; c++) out[c] = count > 0 ? sum[c] / count : 0;
    return out;
  }

  async function gather(firstRow: number, nRows: number, dst: RowDest, at: number): Promise<void> {
    for (let i = 0; i < nRows;) {
      const m = checkRow(rows, firstRow + i);
      const here = at + i * cols;
      if (m === -1) dst.view().fill(0, here, here + cols);
      else if (m < -1) {
        const v = await mixRow(-2 - m);
        dst.view().set(v, here);
      }
      if (m < 0) {
        i++;
        continue;
      }
      let run = 1;
      while (i + run < nRows && rows.map[firstRow + i + run] === m + run) run++;
      await readRows(0, m, run, dst, here);
      i += run;
    }
  }
  return gather;
}

/**
 * Elements [first, first + n) of the flattened gathered tensor into `dst` (length ≥ n). Chunks
 * need not be row-aligned: partial rows at either end go through a scratch row. A padding mean
 * is read in batches of about a chunk's rows.
 */
export async function gatherElements(input: GatherInput, first: number, n: number, readRows: ReadRowsF32, dst: RowDest): Promise<void> {
  const { cols } = input;
  if (n <= 0) return;
  const gather = rowGatherer(input, readRows, Math.max(1, Math.ceil(n / cols)));
  const r0 = Math.floor(first / cols);
  const r1 = Math.ceil((first + n) / cols);
  if (first % cols === 0 && (first + n) % cols === 0) {
    await gather(r0, r1 - r0, dst, 0);
    return;
  }
  const scratch = new Float32Array(cols);
  let done = 0;
  for (let r = r0; r < r1; r++) {
    const from = Math.max(first, r * cols);
    const to = Math.min(first + n, (r + 1) * cols);
    if (from === r * cols && to === (r + 1) * cols) {
      // Whole rows in the middle: straight into place.
      let k = r;
      while (k + 1 < r1 && (k + 2) * cols <= first + n) k++;
      await gather(r, k - r + 1, dst, done);
      done += (k - r + 1) * cols;
      r = k;
      continue;
    }
    await gather(r, 1, arrayDest(scratch), 0);
    dst.view().set(scratch.subarray(from - r * cols, to - r * cols), done);
    done += to - from;
  }
}
