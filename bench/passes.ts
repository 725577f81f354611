/**
 * Program passes, one core: the time of each statistics pass and of the apply pass of a program
 * method (TIES in BENCHMARKS.md) on bf16 fine-tune-like data held in kernel memory, against the
 * linear kernel on the same inputs. Says where a multi-pass method's time goes (the end-to-end
 * ratio adds I/O). `node build/bench/passes.js [density]` prints the TIES passes.
 */
import { programFor } from '../src/methods/registry.js';
import { SKIPPED } from '../src/methods/program.js';
import { Arena } from '../src/kernels/arena.js';
import { runApply, runStatPass, type ChunkView } from '../src/kernels/program-runner.js';
import { KBF16 } from '../test/support/js-reference.js';
import { instantiateKernels, loadKernelModule } from '../src/kernels/wasm-module.js';
import { readFileSync } from 'node:fs';

/** Fastest of `runs` timed calls after a warm-up (the machine's neighbours only add time). */
function timeIt(fn: () => void, runs = 15): number {
  fn();
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return best;
}

export interface PassRow { method: string; pass: string; seconds: number }

function bf16(x: number, f: Float32Array, u: Uint32Array): number {
  f[0] = x;
  const b = u[0];
  return (b + 0x7fff + ((b >>> 16) & 1)) >>> 16;
}

/** Per-pass seconds of `method` over `rows × cols` bf16 elements (base + `models`). */
export async function passTimes(method: string, params: Record<string, unknown>, models: number, rows = 2048, cols = 2048): Promise<{ rows: PassRow[]; linear: number }> {
  const k = instantiateKernels(process.env.PASSES_WASM ? new WebAssembly.Module(readFileSync(process.env.PASSES_WASM)) : await loadKernelModule());
  const arena = new Arena(k);
  const n = rows * cols;
  const f = new Float32Array(1), u = new Uint32Array(f.buffer);
  let s = 12345;
  const rnd = (): number => { s = (s * 1103515245 + 12345) >>> 0; return s / 2 ** 32; };
  const gauss = (): number => Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
  const base = new Float32Array(n).map(() => 0.02 * gauss());
  const ptrs: number[] = [];
  for (let i = 0; i <= models; i++) {
    const p = arena.alloc(2 * n);
    const h = new Uint16Array(k.memory.buffer, p, n);
    for (let e = 0; e < n; e++) h[e] = bf16(base[e] + (i === 0 ? 0 : 0.002 * gauss()), f, u);
    ptrs.push(p);
  }
  const out = arena.alloc(2 * n);
  const prog = programFor(method, params as never, { shape: [rows, cols], numel: n, rowLen: cols, k: models + 1, tensor: 'model.layers.0.mlp.up_proj.weight' });
  const view: ChunkView = { inputs: ptrs, dtypes: ptrs.map(() => KBF16), outDType: KBF16, first: 0, n, rowLen: cols };
  const res: PassRow[] = [];
  const stats: Float64Array[] = [];
  prog.passes.forEach((p, i) => {
    if (p.skip?.(stats)) { stats.push(SKIPPED); res.push({ method, pass: `pass ${i} (skipped)`, seconds: 0 }); return; }
    let data: Float64Array = new Float64Array(0);
    const t = timeIt(() => { data = runStatPass(arena, prog, i, stats, view); });
    stats.push(p.reduce([{ first: 0, n, data }]));
    res.push({ method, pass: `pass ${i}: ${p.call(stats.slice(0, i)).fn}`, seconds: t });
  });
  res.push({ method, pass: `apply: ${prog.apply(stats).fn}`, seconds: timeIt(() => runApply(arena, prog, stats, view, out)) });
  // Linear of the same inputs (the record layout of bench/run.ts's kernel section).
  const recs = arena.alloc(12 * (models + 1));
  const dv = new DataView(k.memory.buffer);
  ptrs.forEach((p, j) => { dv.setUint32(recs + 12 * j, p, true); dv.setUint32(recs + 12 * j + 4, KBF16, true); dv.setFloat32(recs + 12 * j + 8, 1 / ptrs.length, true); });
  const linear = timeIt(() => k.linear(recs, ptrs.length, 1, KBF16, out, n));
  return { rows: res, linear };
}

if (process.argv[1]?.endsWith('passes.js')) {
  // node build/bench/passes.js [density]: the TIES passes of one tensor.
  const d = Number(process.argv[2] ?? 0.5);
  const r = await passTimes('ties', { sparsifier: 'magnitude', consensus: 1, normalize: 1, lambda: 1, rescale: 0, key: [0, 0], weights: [0.5, 0.5], densities: [d, d], epsilons: [0.15, 0.15], gammas: [0.01, 0.01] }, 2);
  for (const x of r.rows) console.log(x.pass.padEnd(28), (x.seconds * 1e3).toFixed(2), 'ms', (x.seconds / r.linear).toFixed(2), '× linear');
  console.log('linear kernel, 3 inputs'.padEnd(28), (r.linear * 1e3).toFixed(2), 'ms');
}
