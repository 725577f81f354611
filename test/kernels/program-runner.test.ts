/**
 * The tensor-program runner: a program built from the generic Gram and weighted-sum kernels gives
 * the same bytes whole and in chunks of any size, and its statistics equal a float64 reference.
 */
import type { ChunkStats, TensorProgram } from '../../src/methods/program.js';
import { STAT_BLOCK } from '../../src/methods/program.js';
import { runProgramOnArrays } from '../../src/kernels/program-runner.js';
import { instantiateKernels, loadKernelModule, type KernelExports } from '../../src/kernels/wasm-module.js';

let k: KernelExports;
beforeAll(async () => {
  k = instantiateKernels(await loadKernelModule());
});

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

/** Sums per-block Gram partials in index order. */
function reduceGram(pairs: number) {
  return (parts: readonly ChunkStats[]): Float64Array => {
    const total = new Float64Array(pairs);
    for (const p of parts) for (let i = 0; i < p.data.length; i++) total[i % pairs] += p.data[i];
    return total;
  };
}

/** out = Σ xᵢ/‖xᵢ‖: a direction average, one Gram pass then a weighted sum. */
function unitSumProgram(kIn: number): TensorProgram {
  const pairs = kIn * (kIn + 1) / 2;
  const blocks = (n: number, first: number): number => Math.floor((first + n - 1) / STAT_BLOCK) - Math.floor(first / STAT_BLOCK) + 1;
  return {
    quantum: STAT_BLOCK,
    passes: [{
      call: () => ({ fn: 'prog_block_gram', params: [] }),
      words: (n, first) => blocks(n, first) * pairs,
      reduce: reduceGram(pairs),
    }],
    apply: ([gram]) => {
      const diag: number[] = [];
      let p = 0;
      for (let i = 0; i < kIn; i++) for (let j = i; j < kIn; j++, p++) if (i === j) diag.push(gram[p]);
      return { fn: 'prog_weighted_sum', params: diag.map((d) => 1 / Math.sqrt(d)) };
    },
  };
}

describe('program runner', () => {
  const numel = 3 * STAT_BLOCK + 1000;
  const r = rng(7);
  const inputs = [0, 1, 2].map(() => Float32Array.from({ length: numel }, () => r()));

  it('matches a float64 reference', () => {
    const out = runProgramOnArrays(k, unitSumProgram(3), inputs, 64);
    const norms = inputs.map((x) => Math.sqrt(x.reduce((a, v) => a + v * v, 0)));
    let maxErr = 0;
    for (let e = 0; e < numel; e++) {
      const ref = inputs.reduce((a, x, i) => a + x[e] / norms[i], 0);
      maxErr = Math.max(maxErr, Math.abs(out[e] - ref));
    }
    expect(maxErr).toBeLessThan(1e-5);
  });

  it('gives the same bytes whole and in chunks of several sizes', () => {
    const prog = unitSumProgram(3);
    const whole = runProgramOnArrays(k, prog, inputs, 64);
    for (const chunk of [STAT_BLOCK, 2 * STAT_BLOCK, 3 * STAT_BLOCK + 5]) {
      const chunked = runProgramOnArrays(k, prog, inputs, 64, chunk);
      expect(Buffer.from(chunked.buffer).equals(Buffer.from(whole.buffer))).toBe(true);
    }
  });
});
