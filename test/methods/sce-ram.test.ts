/**
 * SCE, RAM and RAM+ on random tensors against float64 references written from mergekit's
 * formulas, with mergekit's defaults; whole-tensor and chunked runs give the same bits.
 */
import { runProgramOnArrays } from '../../src/kernels/program-runner.js';
import { instantiateKernels, loadKernelModule, type KernelExports } from '../../src/kernels/wasm-module.js';
import { STAT_BLOCK } from '../../src/methods/program.js';
import { programFor } from '../../src/methods/registry.js';
import { getMethod } from '../../src/methods/registry.js';
import type { MethodInput } from '../../src/methods/types.js';
import { maxScaledError } from '../support/gta-reference.js';
import { ramReference, sceReference } from '../support/sce-ram-reference.js';

let k: KernelExports;
beforeAll(async () => {
  k = instantiateKernels(await loadKernelModule());
});

const SHAPE = [20, 1000];
const N = SHAPE[0] * SHAPE[1];

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** base + 3 fine-tunes that each leave about 40% of the elements untouched. */
function tensors(seed: number): Float32Array[] {
  const r = lcg(seed);
  const base = Float32Array.from({ length: N }, () => r() * 2 - 1);
  return [base, ...[0, 1, 2].map(() => Float32Array.from(base, (b) => (r() < 0.4 ? b : b + (r() - 0.5) * 0.02)))];
}

function run(method: string, global: Record<string, number>, ins: Float32Array[], chunk?: number): Float32Array {
  const m = getMethod(method)!;
  const g: Record<string, number | undefined> = {};
  for (const p of m.globalParams) g[p.name] = global[p.name] ?? p.default;
  const inputs: MethodInput[] = ins.map((_, j) => ({ modelKey: `m${j}`, isBase: j === 0, params: {} }));
  const r = m.planTensor({ tensor: 't', inputs, global: g, options: { seed: 0, values: {} } });
  if (!('op' in r) || r.op.kind !== 'program') throw new Error(JSON.stringify(r));
  const prog = programFor(method, r.op.params, { shape: SHAPE, numel: N, rowLen: SHAPE[1], k: ins.length, tensor: 't' });
  return runProgramOnArrays(k, prog, ins, SHAPE[1], chunk);
}

function check(label: string, got: Float32Array, ref: { out: Float64Array; scale: Float64Array; alt?: Float64Array }, again: Float32Array): void {
  const err = maxScaledError(got, ref.out, ref.scale, ref.alt);
  console.log(`${label}: max error ${err.toExponential(2)} of the summed magnitude`);
  expect(err).toBeLessThan(1e-6);
  expect(Buffer.from(again.buffer).equals(Buffer.from(got.buffer))).toBe(true);
}

describe('SCE, RAM, RAM+ against float64 references', () => {
  const ins = tensors(21);
  const [base, ...xs] = ins;

  it('sce with the default select_topk 1', () => {
    check('sce', run('sce', {}, ins), sceReference(base, xs, 1), run('sce', {}, ins, STAT_BLOCK));
  });

  it('sce with select_topk 0.3 (exact variance top-k)', () => {
    check('sce 0.3', run('sce', { select_topk: 0.3 }, ins), sceReference(base, xs, 0.3), run('sce', { select_topk: 0.3 }, ins, 2 * STAT_BLOCK));
  });

  it('ram', () => {
    check('ram', run('ram', {}, ins), ramReference(base, xs, { epsilon: 1e-5 }), run('ram', {}, ins, STAT_BLOCK));
  });

  it('ramplus_tl with defaults and with other r/alpha', () => {
    check('ramplus_tl', run('ramplus_tl', {}, ins), ramReference(base, xs, { epsilon: 1e-5, plus: { r: 0.1, alpha: 0.2 } }), run('ramplus_tl', {}, ins, STAT_BLOCK));
    const g = { r: 0.5, alpha: 2, epsilon: 0.004 };
    check('ramplus_tl r=0.5', run('ramplus_tl', g, ins), ramReference(base, xs, { epsilon: 0.004, plus: { r: 0.5, alpha: 2 } }), run('ramplus_tl', g, ins, 3 * STAT_BLOCK));
  });
});
