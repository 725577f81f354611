/**
 * The tensor-program runner, with a program of real kernels (the geometric methods' `geo_gram`
 * statistics pass and `geo_combine` apply pass, methods/gram.ts): the same bytes whole and in
 * chunks of any size, and the result equals a float64 reference.
 */
import { gramProgram } from '../../src/methods/gram.js';
import type { TensorProgram } from '../../src/methods/program.js';
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

/** out = Σ xᵢ/‖xᵢ‖: a direction average, one Gram pass then a weighted sum. */
function unitSumProgram(kIn: number, numel: number): TensorProgram {
  const shape = { shape: [numel], numel, rowLen: numel, k: kIn, tensor: 't' };
  return gramProgram(shape, { rel: false, rows: false }, (g) => Array.from({ length: kIn }, (_, i) => 1 / Math.sqrt(g.at(i, i))));
}

describe('program runner', () => {
  const numel = 3 * STAT_BLOCK + 1000;
  const r = rng(7);
  const inputs = [0, 1, 2].map(() => Float32Array.from({ length: numel }, () => r()));

  it('matches a float64 reference', () => {
    const out = runProgramOnArrays(k, unitSumProgram(3, numel), inputs, numel);
    const norms = inputs.map((x) => Math.sqrt(x.reduce((a, v) => a + v * v, 0)));
    let maxErr = 0;
    for (let e = 0; e < numel; e++) {
      const ref = inputs.reduce((a, x, i) => a + x[e] / norms[i], 0);
      maxErr = Math.max(maxErr, Math.abs(out[e] - ref));
    }
    expect(maxErr).toBeLessThan(1e-5);
  });

  it('gives the same bytes whole and in chunks of several sizes', () => {
    const prog = unitSumProgram(3, numel);
    const whole = runProgramOnArrays(k, prog, inputs, numel);
    for (const chunk of [STAT_BLOCK, 2 * STAT_BLOCK, 3 * STAT_BLOCK + 5]) {
      const chunked = runProgramOnArrays(k, prog, inputs, numel, chunk);
      expect(Buffer.from(chunked.buffer).equals(Buffer.from(whole.buffer))).toBe(true);
    }
  });
});
