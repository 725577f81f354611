/**
 * Conformance: our WebAssembly quantizers against llama.cpp itself. Every type is quantized by
 * `ggml_quantize_chunk` (what llama-quantize runs, no imatrix) from the prebuilt libggml-base
 * of @node-llama-cpp/linux-x64, loaded through koffi, and by our kernels; the bytes must be
 * identical — on random normal rows, rows with outliers, zero and constant rows, extreme
 * magnitudes, NaN/±Inf, and the real tensors of the fixture models.
 */
import { join } from 'node:path';
import { readLocalModel, readTensorBytes } from '../../src/hub/local.js';
import { quantizedBytes, quantizeF32Array, quantType } from '../../src/kernels/quantize.js';
import { instantiateKernels, loadKernelModule, type KernelExports } from '../../src/kernels/wasm-module.js';
import { QUANT_TYPE_NAMES, type QuantTypeName } from '../../src/quant/types.js';
import { decode } from '../support/reference.js';
import { loadLlamaQuantizer, type LlamaQuantizer } from '../support/llama-ffi.js';
import { EXAMPLE_MODELS } from '../support/tmp.js';

/** Deterministic PRNG (mulberry32) and a normal deviate from it. */
class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  u32(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  uniform(): number {
    return (this.u32() + 0.5) / 2 ** 32;
  }
  normal(): number {
    return Math.sqrt(-2 * Math.log(this.uniform())) * Math.cos(2 * Math.PI * this.uniform());
  }
}

interface Case { name: string; data: Float32Array; nPerRow: number }

const ROW = 1024; // a multiple of every block size

function rows(nrows: number, fill: (i: number, rng: Rng) => number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: nrows * ROW }, (_, i) => fill(i, rng));
}

function syntheticCases(): Case[] {
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  const bits = (b: number): number => {
    u32[0] = b >>> 0;
    return f32[0];
  };
  return [
    { name: 'random normal rows (σ = 0.02)', nPerRow: ROW, data: rows(24, (_, r) => 0.02 * r.normal(), 1) },
    { name: 'random normal rows (σ = 1)', nPerRow: ROW, data: rows(16, (_, r) => r.normal(), 2) },
    {
      name: 'rows with outliers (1 in 64 is 50σ)',
      nPerRow: ROW,
      data: rows(16, (_, r) => (r.u32() % 64 === 0 ? 50 : 1) * 0.01 * r.normal(), 3),
    },
    { name: 'zero rows', nPerRow: ROW, data: new Float32Array(4 * ROW) },
    {
      name: 'constant and sparse blocks',
      nPerRow: ROW,
      data: rows(8, (i, r) => {
        const blk = Math.floor(i / 32) % 6;
        if (blk === 0) return 0.75;
        if (blk === 1) return -3;
        if (blk === 2) return r.u32() % 8 === 0 ? r.normal() : 0;
        if (blk === 3) return Math.abs(r.normal()) * 0.1; // all positive (min > 0)
        if (blk === 4) return -Math.abs(r.normal()) * 0.1; // all negative
        return ((r.u32() % 9) - 4) * 0.125; // exact ties
      }, 4),
    },
    {
      name: 'extreme magnitudes (1e-30 … 1e30, subnormals, f16 edges)',
      nPerRow: ROW,
      data: rows(12, (i, r) => {
        const scale = [1e-30, 1e-20, 1e-8, 6e-5, 65504, 1e6, 1e30, 3e38][Math.floor(i / 256) % 8];
        if (Math.floor(i / 256) % 16 === 15) return bits(r.u32() & 0x807fffff); // f32 subnormals
        return scale * r.normal();
      }, 5),
    },
    {
      name: 'NaN and ±Inf among normal values',
      nPerRow: ROW,
      data: rows(4, (_i, r) => {
        const k = r.u32() % 97;
        if (k === 0) return NaN;
        if (k === 1) return Infinity;
        if (k === 2) return -Infinity;
        return r.normal();
      }, 6),
    },
  ];
}

/** Every floating-point tensor of the three fixture models as f32 (bf16 widens exactly). */
async function fixtureCases(): Promise<Case[]> {
  const out: Case[] = [];
  for (const m of ['base', 'add', 'rev']) {
    const model = await readLocalModel(join(EXAMPLE_MODELS, m));
    for (const t of model.tensors.values()) {
      const data = Float32Array.from(decode(t.dtype, await readTensorBytes(t)));
      out.push({ name: `${m}/${t.name}`, data, nPerRow: t.shape[t.shape.length - 1] });
    }
  }
  return out;
}

function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

/** The row length to use: the tensor's own, or (for 256-blocks on rows of 192) rows of 256 over the same values. */
function layoutFor(type: QuantTypeName, c: Case): { nPerRow: number } | undefined {
  const block = quantType(type).blockSize;
  if (c.nPerRow % block === 0) return { nPerRow: c.nPerRow };
  if (c.data.length % block === 0) return { nPerRow: block };
  return undefined;
}

let k: KernelExports;
let llama: LlamaQuantizer;
let fixtures: Case[];

beforeAll(async () => {
  k = instantiateKernels(await loadKernelModule());
  llama = loadLlamaQuantizer();
  fixtures = await fixtureCases();
});

function compare(type: QuantTypeName, c: Case): { bytes: number } {
  const layout = layoutFor(type, c);
  if (!layout) return { bytes: 0 };
  const t = quantType(type);
  const nrows = c.data.length / layout.nPerRow;
  const ours = quantizeF32Array(k, type, c.data, layout.nPerRow, c.name);
  const theirs = new Uint8Array(quantizedBytes(t, nrows, layout.nPerRow));
  const written = llama.quantize(t.id, c.data, theirs, nrows, layout.nPerRow);
  expect(written).toBe(theirs.length);
  const at = firstDifference(ours, theirs);
  if (at >= 0) {
    const blk = Math.floor(at / t.typeSize);
    throw new Error(
      `${type} on ${c.name}: first difference at byte ${at} (block ${blk}, byte ${at % t.typeSize} in the block): ` +
        `ours ${Buffer.from(ours.subarray(blk * t.typeSize, (blk + 1) * t.typeSize)).toString('hex')} ` +
        `llama.cpp ${Buffer.from(theirs.subarray(blk * t.typeSize, (blk + 1) * t.typeSize)).toString('hex')}`,
    );
  }
  return { bytes: ours.length };
}

describe('quantization is byte-identical to llama.cpp (ggml_quantize_chunk via FFI)', () => {
  test('the FFI reaches the real library', () => {
    expect(llama.library).toMatch(/libggml-base\.so$/);
  });

  for (const type of QUANT_TYPE_NAMES) {
    test(`${type}: synthetic rows`, () => {
      let total = 0;
      for (const c of syntheticCases()) total += compare(type, c).bytes;
      expect(total).toBeGreaterThan(0);
    });

    test(`${type}: every tensor of the fixture models`, () => {
      let total = 0;
      let tensors = 0;
      for (const c of fixtures) {
        const r = compare(type, c);
        total += r.bytes;
        if (r.bytes > 0) tensors++;
      }
      expect(tensors).toBeGreaterThanOrEqual(fixtures.length * (quantType(type).blockSize === 256 ? 0.6 : 1));
      expect(total).toBeGreaterThan(0);
    });
  }
});
