import type { RowGather } from '../../src/model/tensor.js';
/**
 * gatherRows / gatherElements (the worker side of tokenizer remapping) against a direct
 * per-row construction, for every chunking of the tensor, aligned or not.
 */
import { arrayDest, gatherElements, gatherRows, type ReadRowsF32 } from '../../src/kernels/gather.js';

const COLS = 5;

/** Two sources with distinct values: source s, row r, column c → s·1000 + r·10 + c + 0.25. */
const value = (s: number, r: number, c: number): number => s * 1000 + r * 10 + c + 0.25;

/** Answers after a turn of the event loop, as a worker reading a file or computing rows does. */
function reader(calls: { source: number; row: number; n: number }[]): ReadRowsF32 {
  return async (source, row, n, dst, at) => {
    calls.push({ source, row, n });
    await new Promise((r) => setImmediate(r));
    const v = dst.view();
    if (v.length < at + n * COLS) throw new Error(`dst of ${v.length} for ${n} rows at ${at}`);
    for (let i = 0; i < n; i++) for (let c = 0; c < COLS; c++) v[at + i * COLS + c] = value(source, row + i, c);
  };
}

// rows: 0-2 copy a run (4, 5, 6), 3 zero, 4 copy row 0, 5 mix of (s1 r2)·1 + (s0 r3)·1 / 2,
// 6 mix weighted sum of s1 r0 ·0.5, 7-8 the mean of rows 0..6 (padding).
const rows: RowGather = {
  map: [4, 5, 6, -1, 0, -2, -3, -4, -4],
  mixes: [
    { terms: [{ source: 1, row: 2, weight: 1 }, { source: 0, row: 3, weight: 1 }], divisor: 2 },
    { terms: [{ source: 1, row: 0, weight: 0.5 }] },
    { meanOf: 7 },
  ],
};
const input = { cols: COLS, rows };

function expected(): Float64Array {
  const out = new Float64Array(rows.map.length * COLS);
  const direct = [[0, 4], [0, 5], [0, 6], null, [0, 0]] as const;
  for (let r = 0; r < 5; r++) {
    const d = direct[r];
    for (let c = 0; c < COLS; c++) out[r * COLS + c] = d ? value(d[0], d[1], c) : 0;
  }
  for (let c = 0; c < COLS; c++) {
    out[5 * COLS + c] = Math.fround((value(1, 2, c) + value(0, 3, c)) / 2);
    out[6 * COLS + c] = Math.fround(0.5 * value(1, 0, c));
    let s = 0;
    for (let r = 0; r < 7; r++) s += out[r * COLS + c];
    out[7 * COLS + c] = out[8 * COLS + c] = Math.fround(s / 7);
  }
  return out;
}

describe('gather', () => {
  it('builds copied, zero, mixed and padding rows', async () => {
    const calls: { source: number; row: number; n: number }[] = [];
    const dst = new Float32Array(rows.map.length * COLS);
    await gatherRows(input, 0, rows.map.length, reader(calls), arrayDest(dst));
    expect([...dst]).toEqual([...expected()]);
    // The run of consecutive rows 4, 5, 6 is one read.
    expect(calls[0]).toEqual({ source: 0, row: 4, n: 3 });
  });

  it('gives the same elements for every chunking, aligned to rows or not (the padding mean read in batches of a chunk\'s rows)', async () => {
    const want = expected();
    const total = rows.map.length * COLS;
    for (const step of [1, 3, 5, 7, 10, 16, total]) {
      const got = new Float32Array(total);
      for (let first = 0; first < total; first += step) {
        const n = Math.min(step, total - first);
        const part = new Float32Array(n);
        await gatherElements(input, first, n, reader([]), arrayDest(part));
        got.set(part, first);
      }
      expect([step, ...got]).toEqual([step, ...want]);
    }
  });

  it('reports rows past the map', async () => {
    await expect(gatherRows(input, 8, 2, reader([]), arrayDest(new Float32Array(2 * COLS)))).rejects.toThrow(/row 9 is past the 9 rows/);
  });
});
