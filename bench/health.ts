/**
 * Tensor health, one core: each merge kernel alone, and followed by the health pass over its
 * output and inputs (health_sums, as a worker job runs them), on bf16 weight-like data held in
 * kernel memory. Each pair is timed alternately so both see the same load (fastest of 15).
 * `node build/bench/health.js [elements]` prints the table.
 */
import { readFileSync } from 'node:fs';
import { Arena } from '../src/kernels/arena.js';
import { KBF16 } from '../test/support/js-reference.js';
import { instantiateKernels, loadKernelModule, type KernelExports } from '../src/kernels/wasm-module.js';

export interface HealthRow { kernel: string; plain: number; health: number }

/** Fastest of `runs` alternated timings of `a` and `b` after a warm-up of each. */
function pair(a: () => void, b: () => void, runs = 15): [number, number] {
  a(); b();
  let ba = Infinity, bb = Infinity;
  for (let i = 0; i < runs; i++) {
    let t0 = process.hrtime.bigint();
    a();
    ba = Math.min(ba, Number(process.hrtime.bigint() - t0) / 1e9);
    t0 = process.hrtime.bigint();
    b();
    bb = Math.min(bb, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return [ba, bb];
}

export async function healthTimes(n = 4 * 1024 * 1024): Promise<HealthRow[]> {
  const k: KernelExports = instantiateKernels(process.env.HEALTH_WASM ? new WebAssembly.Module(readFileSync(process.env.HEALTH_WASM)) : await loadKernelModule());
  const arena = new Arena(k);
  let s = 777;
  const rnd = (): number => { s = (s * 1103515245 + 12345) >>> 0; return s / 2 ** 32; };
  const f = new Float32Array(1), u = new Uint32Array(f.buffer);
  const bf16 = (x: number): number => { f[0] = x; return (u[0] + 0x7fff + ((u[0] >>> 16) & 1)) >>> 16; };
  const tensors = [0, 1, 2].map(() => {
    const p = arena.alloc(2 * n);
    const h = new Uint16Array(k.memory.buffer, p, n);
    for (let e = 0; e < n; e++) h[e] = bf16(0.02 * (rnd() + rnd() + rnd() - 1.5));
    return p;
  });
  const out = arena.alloc(2 * n);
  const stats = arena.alloc(8 * 16);
  const recs = (ptrs: number[]): number => {
    const r = arena.alloc(12 * ptrs.length);
    const dv = new DataView(k.memory.buffer);
    ptrs.forEach((p, j) => { dv.setUint32(r + 12 * j, p, true); dv.setUint32(r + 12 * j + 4, KBF16, true); dv.setFloat32(r + 12 * j + 8, 1 / ptrs.length, true); });
    return r;
  };
  const r3 = recs(tensors), r2 = recs(tensors.slice(1));
  const rows: HealthRow[] = [];
  const add = (kernel: string, plain: () => void, health: () => void): void => {
    const [a, b] = pair(plain, health);
    rows.push({ kernel, plain: a, health: b });
  };
  // What a worker job does: the merge kernel into a fresh output, then the health pass over it.
  const tbl = (ptrs: number[]): number => recs(ptrs);
  const rBase = tbl([tensors[0]]);
  add('linear, 3 × bf16 → bf16', () => k.linear(r3, 3, 1, KBF16, out, n),
    () => { k.linear(r3, 3, 1, KBF16, out, n); k.health_sums(out, KBF16, r3, 3, n, stats); });
  add('linear, 2 × bf16 → bf16', () => k.linear(r2, 2, 1, KBF16, out, n),
    () => { k.linear(r2, 2, 1, KBF16, out, n); k.health_sums(out, KBF16, r2, 2, n, stats); });
  add('task_arithmetic, base + 2 × bf16 → bf16', () => k.task_arithmetic(tensors[0], KBF16, r2, 2, 1, 1, KBF16, out, n),
    () => { k.task_arithmetic(tensors[0], KBF16, r2, 2, 1, 1, KBF16, out, n); k.health_sums(out, KBF16, r3, 3, n, stats); });
  add('copy with scale, bf16 → bf16', () => k.scale_convert(KBF16, tensors[0], 0.5, KBF16, out, n),
    () => { k.scale_convert(KBF16, tensors[0], 0.5, KBF16, out, n); k.health_sums(out, KBF16, rBase, 1, n, stats); });
  return rows;
}

if (process.argv[1]?.endsWith('health.js')) {
  const n = Number(process.argv[2] ?? 4 * 1024 * 1024);
  for (const r of await healthTimes(n)) {
    console.log(r.kernel.padEnd(42), `${(r.plain * 1e3).toFixed(2)} ms`.padStart(10), `${(r.health * 1e3).toFixed(2)} ms`.padStart(10),
      `${(r.health / r.plain).toFixed(2)}×`.padStart(7));
  }
}
