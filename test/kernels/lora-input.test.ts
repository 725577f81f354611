/**
 * The worker-side LoRA materializer on a real kernel instance: every chunking of a weight (chunks
 * starting and ending mid-row) gives exactly the bits of a plain-JS float32 evaluation of the
 * documented formula, in the linear and the embedding (transposed) layouts.
 */
import { f32ToBf16, KERNEL_DTYPE_CODE } from '../../src/formats/dtype.js';
import type { JobInput } from '../../src/kernels/jobs.js';
import { loraRows, materializeLora, type LoraInput, type LoraMemory } from '../../src/kernels/lora-input.js';
import { instantiateKernels, loadKernelModuleSync, type KernelExports } from '../../src/kernels/wasm-module.js';
import { decode } from '../support/reference.js';

/** A bump allocator over a fresh kernel instance. */
function memory(): LoraMemory & { reset(): void } {
  const k: KernelExports = instantiateKernels(loadKernelModuleSync());
  const base = ((k.heap_base() >>> 0) + 15) & ~15;
  let top = base;
  return {
    k,
    alloc(bytes: number): number {
      const p = top;
      top += Math.ceil(bytes / 16) * 16;
      const have = k.memory.buffer.byteLength;
      if (top > have) k.memory.grow(Math.ceil((top - have) / 65536));
      return p;
    },
    reset(): void {
      top = base;
    },
  };
}

function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    return x / 2 ** 31 - 1;
  };
}

/** BF16 bytes of random values, and their exact values. */
function bf16Tensor(seed: number, n: number, amp: number): { bytes: Uint8Array; values: Float64Array } {
  const r = rng(seed);
  const bytes = new Uint8Array(2 * n);
  const dv = new DataView(bytes.buffer);
  for (let i = 0; i < n; i++) dv.setUint16(2 * i, f32ToBf16(Math.fround(r() * amp)), true);
  return { bytes, values: decode('BF16', bytes) };
}

const stored = (path: string): JobInput => ({ kind: 'tensor', source: { kind: 'file', path }, start: 0, dtype: 'BF16' });

/** The documented formula in float32, element by element (kernel layout: B [rows, r], A [r, cols]). */
function f32Reference(w: Float64Array, bmat: (i: number, k: number) => number, amat: (k: number, j: number) => number,
  cols: number, rank: number, scale: number): Float32Array {
  const f = Math.fround;
  const out = new Float32Array(w.length);
  for (let e = 0; e < w.length; e++) {
    const i = Math.floor(e / cols), j = e % cols;
    let acc = f(bmat(i, 0) * amat(0, j));
    for (let k = 1; k < rank; k++) acc = f(acc + f(bmat(i, k) * amat(k, j)));
    out[e] = f(w[e] + f(acc * f(scale)));
  }
  return out;
}

describe.each([
  { layout: 'linear', rows: 7, cols: 37, rank: 5, scale: 1.75 },
  { layout: 'linear', rows: 4, cols: 64, rank: 16, scale: 0.5 },
  { layout: 'embedding', rows: 11, cols: 24, rank: 3, scale: 2 },
])('materializeLora ($layout, [$rows, $cols], rank $rank)', ({ layout, rows, cols, rank, scale }) => {
  const embedding = layout === 'embedding';
  const numel = rows * cols;
  const w = bf16Tensor(1, numel, 0.1);
  // Stored factors: linear A [r, cols], B [rows, r]; embedding lora_embedding_B [cols, r] (a), lora_embedding_A [r, rows] (b).
  const a = bf16Tensor(2, rank * cols, 0.3);
  const b = bf16Tensor(3, rank * rows, 0.3);
  const files = new Map([['w', w], ['a', a], ['b', b]]);
  const input: LoraInput = {
    kind: 'lora', base: stored('w'), a: stored('a'), b: stored('b'), rank, rows, cols, scale,
    ...(embedding ? { embedding: { rows } } : {}),
  };
  const want = f32Reference(w.values,
    (i, k) => (embedding ? b.values[k * rows + i] : b.values[i * rank + k]),
    (k, j) => (embedding ? a.values[j * rank + k] : a.values[k * cols + j]),
    cols, rank, scale);

  it('gives the float32 formula bit for bit, for every chunking', async () => {
    const mem = memory();
    const reads: { path: string; first: number; n: number }[] = [];
    const read = (i: JobInput, first: number, n: number): number => {
      if (i.kind !== 'tensor' || i.source.kind !== 'file') throw new Error('unexpected input');
      reads.push({ path: i.source.path, first, n });
      const t = files.get(i.source.path)!;
      expect(first + n).toBeLessThanOrEqual(t.values.length);
      const raw = mem.alloc(2 * n);
      new Uint8Array(mem.k.memory.buffer).set(t.bytes.subarray(2 * first, 2 * (first + n)), raw);
      const f = mem.alloc(4 * n);
      mem.k.convert(KERNEL_DTYPE_CODE.BF16, raw, KERNEL_DTYPE_CODE.F32, f, n);
      return f;
    };
    for (const step of [1, 5, cols - 1, cols, cols + 3, 2 * cols + 7, numel]) {
      const got = new Uint32Array(numel);
      for (let first = 0; first < numel; first += step) {
        const n = Math.min(step, numel - first);
        mem.reset();
        reads.length = 0;
        const p = await materializeLora(mem, input, first, n, read);
        got.set(new Uint32Array(mem.k.memory.buffer, p, n), first);
        // Only what the chunk needs is read: its base elements, its rows of B, and A.
        const { row0, nrows } = loraRows(cols, first, n);
        expect(reads[0]).toEqual({ path: 'w', first, n });
        const bReads = reads.filter((r) => r.path === 'b');
        expect(bReads.reduce((s, r) => s + r.n, 0)).toBe(nrows * rank);
        if (!embedding) expect(bReads).toEqual([{ path: 'b', first: row0 * rank, n: nrows * rank }]);
      }
      const wantBits = new Uint32Array(want.buffer);
      let mismatches = 0;
      for (let e = 0; e < numel; e++) if (got[e] !== wantBits[e]) mismatches++;
      expect({ step, mismatches }).toEqual({ step, mismatches: 0 });
    }
  });
});

it('the delta is really added (not a no-op): a patched weight differs from its base', async () => {
  const mem = memory();
  const w = new Float32Array([1, 2, 3, 4, 5, 6]);
  const f32 = (vals: number[]): number => {
    const p = mem.alloc(4 * vals.length);
    new Float32Array(mem.k.memory.buffer, p, vals.length).set(vals);
    return p;
  };
  const data: Record<string, number[]> = { w: [...w], a: [1, 0, -1, 2, 0.5, 0], b: [1, 0, 0, 1] };
  const input: LoraInput = { kind: 'lora', base: stored('w'), a: stored('a'), b: stored('b'), rank: 2, rows: 2, cols: 3, scale: 0.5 };
  const read = (i: JobInput, first: number, n: number): number =>
    f32(data[(i as { source: { path: string } }).source.path].slice(first, first + n));
  const p = await materializeLora(mem, input, 0, 6, read);
  // B = I, so B·A = A: W + 0.5·A.
  expect([...new Float32Array(mem.k.memory.buffer, p, 6)]).toEqual([1.5, 2, 2.5, 5, 5.25, 6]);
});
