/**
 * The worker side of a `gather` job input: rows of an embedding-like tensor rebuilt for another
 * vocabulary. Plain row copies go straight from the reader into the destination (the reader
 * converts with the wasm `convert` kernel); only computed rows (tokens another model supplies,
 * averages, padding) are summed here, in float64, and rounded once to float32. Those rows are
 * few, except the padding mean, which reads every real row once per chunk that holds padding.
 */
import type { JobInput, RowGather } from './jobs.js';

/**
 * Reads rows [row, row + nRows) of `sources[source]` as float32 into `dst` (length nRows·cols).
 * Runs of consecutive rows come in one call, so the worker reads them with one file read.
 */
export type ReadRowsF32 = (source: number, row: number, nRows: number, dst: Float32Array) => void;

type GatherInput = Extract<JobInput, { kind: 'gather' }> | { cols: number; rows: RowGather };

function checkRow(rows: RowGather, r: number): number {
  const m = rows.map[r];
  if (m === undefined) throw new Error(`gather: row ${r} is past the ${rows.map.length} rows of the gathered tensor`);
  return m;
}

type RowsFn = (firstRow: number, nRows: number, dst: Float32Array) => void;

/** Output rows [firstRow, firstRow + nRows) into `dst` (length ≥ nRows·cols). */
export function gatherRows(input: GatherInput, firstRow: number, nRows: number, readRows: ReadRowsF32, dst: Float32Array): void {
  rowGatherer(input, readRows)(firstRow, nRows, dst);
}

/** A row producer that computes a padding mean at most once, however many calls it serves. */
function rowGatherer(input: GatherInput, readRows: ReadRowsF32): RowsFn {
  const { cols, rows } = input;
  const acc = new Float64Array(cols);
  const tmp = new Float32Array(cols);
  const means = new Map<number, Float32Array>();

  const mixInto = (mixIndex: number, out: Float32Array): void => {
    const mix = rows.mixes[mixIndex];
    if (!mix) throw new Error(`gather: mix ${mixIndex} does not exist`);
    if ('meanOf' in mix) {
      let mean = means.get(mix.meanOf);
      if (!mean) {
        mean = meanOfRows(mix.meanOf);
        means.set(mix.meanOf, mean);
      }
      out.set(mean);
      return;
    }
    acc.fill(0);
    for (const t of mix.terms) {
      readRows(t.source, t.row, 1, tmp);
      for (let c = 0; c < cols; c++) acc[c] += t.weight * tmp[c];
    }
    const d = mix.divisor ?? 1;
    for (let c = 0; c < cols; c++) out[c] = acc[c] / d;
  };

  const rowInto = (r: number, out: Float32Array): void => {
    const m = checkRow(rows, r);
    if (m >= 0) readRows(0, m, 1, out);
    else if (m === -1) out.fill(0);
    else mixInto(-2 - m, out);
  };

  /** Mean of output rows [0, count): every row produced as float32, summed in float64. */
  function meanOfRows(count: number): Float32Array {
    const sum = new Float64Array(cols);
    const row = new Float32Array(cols);
    for (let r = 0; r < count; r++) {
      const m = checkRow(rows, r);
      if (m < -1 && 'meanOf' in rows.mixes[-2 - m]) throw new Error(`gather: mean row ${r} is inside the rows it averages`);
      rowInto(r, row);
      for (let c = 0; c < cols; c++) sum[c] += row[c];
    }
    const out = new Float32Array(cols);
    for (let c = 0; c < cols; c++) out[c] = count > 0 ? sum[c] / count : 0;
    return out;
  }

  return (firstRow, nRows, dst) => {
    for (let i = 0; i < nRows;) {
      const m = checkRow(rows, firstRow + i);
      if (m < 0) {
        rowInto(firstRow + i, dst.subarray(i * cols, (i + 1) * cols));
        i++;
        continue;
      }
      let run = 1;
      while (i + run < nRows && rows.map[firstRow + i + run] === m + run) run++;
      readRows(0, m, run, dst.subarray(i * cols, (i + run) * cols));
      i += run;
    }
  };
}

/**
 * Elements [first, first + n) of the flattened gathered tensor into `dst` (length ≥ n). Chunks
 * need not be row-aligned: partial rows at either end go through a scratch row.
 */
export function gatherElements(input: GatherInput, first: number, n: number, readRows: ReadRowsF32, dst: Float32Array): void {
  const { cols } = input;
  if (n <= 0) return;
  const gather = rowGatherer(input, readRows);
  const r0 = Math.floor(first / cols);
  const r1 = Math.ceil((first + n) / cols);
  if (first % cols === 0 && (first + n) % cols === 0) {
    gather(r0, r1 - r0, dst);
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
      gather(r, k - r + 1, dst.subarray(done, done + (k - r + 1) * cols));
      done += (k - r + 1) * cols;
      r = k;
      continue;
    }
    gather(r, 1, scratch);
    dst.set(scratch.subarray(from - r * cols, to - r * cols), done);
    done += to - from;
  }
}
