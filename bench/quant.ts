/**
 * Quantization throughput, one core: our WebAssembly kernels vs llama.cpp's own quantizer
 * (`ggml_quantize_chunk` in the prebuilt libggml-base, called in-process through koffi — the
 * function llama-quantize runs per tensor) vs plain JavaScript ports of the same reference
 * algorithms, on the same tensors in the same run. GB/s counts F32 input bytes.
 *
 * `quantBench()` returns a BENCHMARKS.md section and the ratios; `node build/bench/quant.js`
 * runs it alone and prints the section.
 */
import { pathToFileURL } from 'node:url';
import { quantizedBytes, quantizeRows, quantType } from '../src/kernels/quantize.js';
import { instantiateKernels, loadKernelModule, type KernelExports } from '../src/kernels/wasm-module.js';
import type { QuantTypeName } from '../src/quant/types.js';
import { loadLlamaQuantizer } from '../test/support/llama-ffi.js';
import { median } from './measure.js';
import { quantizeQ4_KJS, quantizeQ6_KJS, quantizeQ8_0JS } from './quant-js.js';

const GB = 1e9;

export interface QuantBenchRow {
  type: QuantTypeName;
  elements: number;
  /** GB/s of F32 input, single thread. */
  wasm: number;
  llama: number;
  js: number;
  /** wasm / llama.cpp */
  ratio: number;
}

export interface QuantBenchResult {
  rows: QuantBenchRow[];
  markdown: string;
}

/** Weight-like data: normal(0, 0.02) with occasional 10× outliers (deterministic). */
function weights(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const u = (): number => {
    let t = (s = (s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 2 ** 32;
  };
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const g = Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
    x[i] = 0.02 * g * (u() < 0.01 ? 10 : 1);
  }
  return x;
}

/** Median seconds of `runs` timed calls after one warm-up. */
function time(fn: () => void, runs: number): number {
  fn();
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    t.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return median(t);
}

/**
 * Median seconds of `a` and of `b`, timed alternately (a, b, b, a, a, b, …) after a warm-up of
 * each, so both see the same machine load: the ratio stays meaningful on a shared machine.
 */
function timeInterleaved(a: () => void, b: () => void, runs: number): [number, number] {
  a();
  b();
  const ta: number[] = [];
  const tb: number[] = [];
  const once = (fn: () => void, into: number[]): void => {
    const t0 = process.hrtime.bigint();
    fn();
    into.push(Number(process.hrtime.bigint() - t0) / 1e9);
  };
  for (let i = 0; i < runs; i++) {
    if (i % 2 === 0) {
      once(a, ta);
      once(b, tb);
    } else {
      once(b, tb);
      once(a, ta);
    }
  }
  return [median(ta), median(tb)];
}

const JS_PORTS: Partial<Record<QuantTypeName, (x: Float32Array, y: Uint8Array) => void>> = {
  Q8_0: quantizeQ8_0JS,
  Q4_K: quantizeQ4_KJS,
  Q6_K: quantizeQ6_KJS,
};

function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length)) === 0;
}

export async function quantBench(opts: { types?: QuantTypeName[]; runs?: number } = {}): Promise<QuantBenchResult> {
  const types = opts.types ?? ['Q8_0', 'Q4_K', 'Q6_K', 'Q4_0', 'Q4_1', 'Q5_0', 'Q5_1', 'Q2_K', 'Q3_K', 'Q5_K', 'F16', 'BF16'];
  const runs = opts.runs ?? 7;
  const k: KernelExports = instantiateKernels(await loadKernelModule());
  const llama = loadLlamaQuantizer();
  const nPerRow = 4096;
  const rows: QuantBenchRow[] = [];
  for (const type of types) {
    const t = quantType(type);
    // Enough work for ~0.1 s per llama.cpp call; the K-quants are ~100× slower than Q8_0.
    const nrows = t.blockSize === 256 ? 256 : 4096;
    const n = nrows * nPerRow;
    const x = weights(n, 42);
    const outBytes = quantizedBytes(t, nrows, nPerRow);
    // Kernel operands live in the instance's memory, as in the GGUF sink (no copies timed).
    const src = ((k.heap_base() >>> 0) + 15) & ~15;
    const dst = (src + 4 * n + 15) & ~15;
    const need = dst + outBytes;
    if (need > k.memory.buffer.byteLength) k.memory.grow(Math.ceil((need - k.memory.buffer.byteLength) / 65536));
    new Float32Array(k.memory.buffer, src, n).set(x);
    const ours = new Uint8Array(k.memory.buffer, dst, outBytes);
    const theirs = new Uint8Array(outBytes);
    const [wasmS, llamaS] = timeInterleaved(
      () => quantizeRows(k, t, src, dst, nrows, nPerRow),
      () => llama.quantize(t.id, x, theirs, nrows, nPerRow),
      runs,
    );
    if (!same(ours, theirs)) throw new Error(`bench: ${type} bytes differ from llama.cpp's`);
    // Plain JS on a slice (it is much slower), checked against the kernel's bytes.
    const port = JS_PORTS[type];
    let js = NaN;
    if (port) {
      const m = Math.max(t.blockSize * 64, Math.floor(n / 16 / nPerRow) * nPerRow);
      const xs = x.subarray(0, m);
      const ys = new Uint8Array(quantizedBytes(t, m / nPerRow, nPerRow));
      js = (4 * m) / time(() => port(xs, ys), 3) / GB;
      if (!same(ys, ours.subarray(0, ys.length))) throw new Error(`bench: the JS port of ${type} disagrees with the kernel`);
    }
    const wasm = (4 * n) / wasmS / GB;
    const ll = (4 * n) / llamaS / GB;
    rows.push({ type, elements: n, wasm, llama: ll, js, ratio: wasm / ll });
  }
  const f = (v: number, d = 3): string => (Number.isNaN(v) ? '–' : v.toFixed(d));
  const markdown = [
    '## Quantization, one core',
    '',
    'GB/s of F32 input quantized per second, single thread, same weight-like tensor (normal σ = 0.02,',
    '1 % 10× outliers, rows of 4096) for all three contenders: our WebAssembly kernel on data in its',
    'memory; llama.cpp\'s `ggml_quantize_chunk` (what `llama-quantize` runs per tensor; prebuilt',
    'libggml-base of @node-llama-cpp/linux-x64 via koffi, x86-64 baseline build); a plain-JS port of',
    'the same reference algorithm (bench/quant-js.ts). All outputs are checked byte-identical.',
    'Medians of 7 runs; the kernel and llama.cpp are timed alternately so that both see the same load.',
    '',
    '| type | elements | wasm GB/s | llama.cpp GB/s | plain JS GB/s | wasm ÷ llama.cpp | wasm ÷ JS |',
    '|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.type} | ${r.elements} | ${f(r.wasm)} | ${f(r.llama)} | ${f(r.js)} | **${f(r.ratio, 2)}×** | ${f(r.wasm / r.js, 1)}× |`),
    '',
    `- Target: ≥ 1.5× llama.cpp per core for Q8_0, Q4_K, Q6_K → ${rows.filter((r) => r.type in JS_PORTS).map((r) => `${r.type} ${f(r.ratio, 2)}× (${r.ratio >= 1.5 ? 'met' : 'not met'})`).join(', ')}.`,
    '- F16/BF16: llama.cpp\'s scalar loops vs our 4-lane conversions; the other types are shown for completeness.',
    '',
  ].join('\n');
  return { rows, markdown };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const r = await quantBench();
  process.stdout.write(r.markdown);
}
