/**
 * `npm run bench`: kernel throughput (WebAssembly vs plain JS vs in-process copy), and an
 * end-to-end linear merge of three Llama-shaped ~1 GB bf16 models against reading the same
 * files, and against the mergekit / llama.cpp figures the project holds itself to.
 * Writes BENCHMARKS.md. Every ratio is measured within this one run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateModel } from '../test/support/generate-model.js';
import { linearRef, taskArithmeticRef, convertRef, KBF16, KF32 } from '../test/support/js-reference.js';
import { instantiateKernels, loadKernelModule, type KernelExports } from '../src/kernels/wasm-module.js';
import { median, runMeasured, timeIt } from './measure.js';
import { quantBench } from './quant.js';
import { streamSection } from './stream.js';
import { quantizeSection } from './quantize-e2e.js';
import { passTimes } from './passes.js';
import { matrixSection } from './matrix.js';
import { matrixPublishSection } from './matrix-publish.js';
import { evalSection } from './eval.js';
import { lowDiskSection } from './low-disk.js';
import { lowDiskTmpfsSection } from './low-disk-tmpfs.js';
import { publishSpeedSection } from './publish-speed.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const WORK = join(ROOT, '.bench-work');
const CLI = join(ROOT, 'dist/cli.js'); // the bundled CLI users run (npx mergeops)
const READ_ONLY = join(ROOT, 'build/bench/read-only.js');
const GB = 1e9;

/** The reference peers, measured by the project on a 2-core machine (see DEVELOPERS.md). */
const MERGEKIT = { linearSeconds: 14.4, tiesSeconds: 101, peakRssBytes: 2.7e9 };

interface Row { name: string; gbps: number; note?: string }

/** The program params the planner gives `ties` with weights 0.5 / 0.5 and density 0.5. */
const TIES_PARAMS = {
  sparsifier: 'magnitude', consensus: 1, normalize: 1, lambda: 1, rescale: 0, key: [0, 0], weights: [0.5, 0.5],
  densities: [0.5, 0.5], epsilons: [0.15, 0.15], gammas: [0.01, 0.01],
};

function fmt(x: number, d = 2): string {
  return x.toFixed(d);
}

// ---------------------------------------------------------------- kernels, one core
async function kernelBench(): Promise<{ rows: Row[]; copy: number }> {
  const k: KernelExports = instantiateKernels(await loadKernelModule());
  const n = 16 * 1024 * 1024; // elements per input
  const base = k.heap_base() >>> 0;
  const need = base + 4 * n * 2 + n * 4 * 2 + 4096;
  k.memory.grow(Math.ceil((need - k.memory.buffer.byteLength) / 65536));
  const a = base, b = a + 2 * n, c = b + 2 * n, out = c + 2 * n, f32buf = out + 2 * n, recs = f32buf + 4 * n;
  const mem = new Uint8Array(k.memory.buffer);
  for (let i = a; i < out; i += 2) { mem[i] = (i * 7919) & 0xff; mem[i + 1] = 0x3c + ((i >> 9) & 3); } // finite bf16
  const dv = new DataView(k.memory.buffer);
  const setRec = (j: number, ptr: number, w: number): void => {
    dv.setUint32(recs + 12 * j, ptr, true); dv.setUint32(recs + 12 * j + 4, KBF16, true); dv.setFloat32(recs + 12 * j + 8, w, true);
  };
  setRec(0, a, 0.5); setRec(1, b, 0.5); setRec(2, c, 0.25);

  // Reference limit: copying the same number of bytes inside this process.
  const src = Buffer.alloc(4 * n, 1);
  const dst = Buffer.alloc(4 * n);
  const copy = (4 * n) / timeIt(() => { src.copy(dst); }) / GB;

  const rows: Row[] = [];
  rows.push({ name: 'wasm linear, 2 × bf16 → bf16', gbps: (4 * n) / timeIt(() => k.linear(recs, 2, 1, KBF16, out, n)) / GB });
  rows.push({ name: 'wasm linear, 3 × bf16 → bf16', gbps: (6 * n) / timeIt(() => k.linear(recs, 3, 1, KBF16, out, n)) / GB });
  rows.push({ name: 'wasm task_arithmetic, base + 2 × bf16 → bf16', gbps: (6 * n) / timeIt(() => k.task_arithmetic(c, KBF16, recs, 2, 1, 1, KBF16, out, n)) / GB });
  rows.push({ name: 'wasm convert bf16 → f32', gbps: (2 * n) / timeIt(() => k.convert(KBF16, a, KF32, f32buf, n)) / GB });
  rows.push({ name: 'wasm convert f32 → bf16', gbps: (4 * n) / timeIt(() => k.convert(KF32, f32buf, KBF16, out, n)) / GB });

  // Plain JS (bit-exact TypedArray code) on a quarter of the elements: it is much slower.
  const m = n / 4;
  const ja = new Uint16Array(k.memory.buffer.slice(a, a + 2 * m));
  const jb = new Uint16Array(k.memory.buffer.slice(b, b + 2 * m));
  const jc = new Uint16Array(k.memory.buffer.slice(c, c + 2 * m));
  const jo = new Uint16Array(m);
  const jf = new Float32Array(m);
  const two = [{ data: ja, dtype: KBF16, weight: 0.5 }, { data: jb, dtype: KBF16, weight: 0.5 }];
  rows.push({ name: 'JS linear, 2 × bf16 → bf16', gbps: (4 * m) / timeIt(() => linearRef(two, 1, KBF16, jo, m), 3) / GB });
  rows.push({ name: 'JS linear, 3 × bf16 → bf16', gbps: (6 * m) / timeIt(() => linearRef([...two, { data: jc, dtype: KBF16, weight: 0.25 }], 1, KBF16, jo, m), 3) / GB });
  rows.push({ name: 'JS task_arithmetic, base + 2 × bf16 → bf16', gbps: (6 * m) / timeIt(() => taskArithmeticRef(jc, KBF16, two, 1, 1, KBF16, jo, m), 3) / GB });
  rows.push({ name: 'JS convert bf16 → f32', gbps: (2 * m) / timeIt(() => convertRef(KBF16, ja, KF32, jf, m), 3) / GB });
  rows.push({ name: 'JS convert f32 → bf16', gbps: (4 * m) / timeIt(() => convertRef(KF32, jf, KBF16, jo, m), 3) / GB });
  return { rows, copy };
}

// ---------------------------------------------------------------- end to end
const SHAPE = { arch: 'llama', hiddenSize: 2048, numLayers: 8, vocabSize: 32000, intermediateSize: 5632, numHeads: 32, numKvHeads: 4, dtype: 'BF16' as const };

async function models(): Promise<string[]> {
  const stamp = join(WORK, 'models.json');
  const dirs = [0, 1, 2].map((i) => join(WORK, `m${i}`));
  const want = JSON.stringify({ ...SHAPE, v: 2 }); // v2: tokenizer.model written (GGUF needs it)
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === want) return dirs;
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });
  await generateModel({ ...SHAPE, dir: dirs[0], seed: 100 });
  for (const i of [1, 2]) await generateModel({ ...SHAPE, dir: dirs[i], seed: 100 + i, baseFrom: dirs[0] });
  writeFileSync(stamp, want);
  return dirs;
}

interface E2E {
  inputBytes: number; mergeSeconds: number; readSeconds: number; peakRss: number; taSeconds: number;
  /** Two models (m0 base, m1): linear 1/2 + 1/2, and slerp t = 0.5 (a Gram pass, then the apply pass). */
  pairBytes: number; linear2Seconds: number; slerpSeconds: number; slerpPeakRss: number;
  tiesSeconds: number; tiesRss: number;
  /** TIES with weights 0.3 / 0.7 (divisions by sums that are not powers of two). */
  ties37Seconds: number;
  /** Where the warm runs wrote their output, and the linear merge written to the project's disk instead. */
  outDir: string; diskMergeSeconds: number; diskWriteGBps: number;
  /** The same linear merge and read, each started with the inputs dropped from the page cache. */
  coldMergeSeconds: number; coldReadSeconds: number;
}

/** Drops the files from the page cache (posix_fadvise DONTNEED through GNU dd; no root needed). */
function dropCache(files: string[]): void {
  for (const f of files) {
    const r = spawnSync('dd', [`if=${f}`, 'iflag=nocache', 'count=0', 'status=none']);
    if (r.status !== 0) throw new Error(`dd could not drop ${f} from the page cache: ${r.stderr}`);
  }
}

/**
 * Where merges write: a RAM-backed tmpfs when there is one with room, so that the figures measure
 * mergeops rather than this machine's disk (measured separately: `diskWrite`).
 */
function outputDir(): string {
  const shm = '/dev/shm';
  if (existsSync(shm)) {
    const r = spawnSync('df', ['--output=avail', '-B1', shm], { encoding: 'utf8' });
    const avail = Number(r.stdout.trim().split('\n').pop());
    if (avail > 4e9) return join(shm, 'mergeops-bench-out');
  }
  return join(WORK, 'out');
}

/** GB/s of a 1 GiB direct (O_DIRECT) write to the project's disk, by GNU dd. */
function diskWrite(): number {
  const f = join(WORK, 'dd-write-test');
  const t0 = process.hrtime.bigint();
  const r = spawnSync('dd', ['if=/dev/zero', `of=${f}`, 'bs=1M', 'count=1024', 'oflag=direct', 'status=none']);
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  rmSync(f, { force: true });
  if (r.status !== 0) return NaN;
  return 2 ** 30 / s / GB;
}

function endToEnd(dirs: string[]): E2E {
  const files = dirs.map((d) => join(d, 'model.safetensors'));
  const inputBytes = files.reduce((a, f) => a + statSync(f).size, 0);
  const linear = join(WORK, 'linear.yml');
  writeFileSync(linear, `merge_method: linear\nmodels:\n${dirs.map((d) => `  - model: ${d}\n    parameters: {weight: ${1 / 3}}\n`).join('')}`);
  const ta = join(WORK, 'ta.yml');
  writeFileSync(ta, `merge_method: task_arithmetic\nbase_model: ${dirs[0]}\nmodels:\n${dirs.slice(1).map((d) => `  - model: ${d}\n    parameters: {weight: 0.5}\n`).join('')}`);
  const linear2 = join(WORK, 'linear2.yml');
  writeFileSync(linear2, `merge_method: linear\nmodels:\n${dirs.slice(0, 2).map((d) => `  - model: ${d}\n    parameters: {weight: 0.5}\n`).join('')}`);
  const slerp = join(WORK, 'slerp.yml');
  writeFileSync(slerp, `merge_method: slerp\nbase_model: ${dirs[0]}\nmodels:\n  - model: ${dirs[1]}\nparameters: {t: 0.5}\n`);
  const ties = join(WORK, 'ties.yml');
  writeFileSync(ties, `merge_method: ties\nbase_model: ${dirs[0]}\nmodels:\n${dirs.slice(1).map((d) => `  - model: ${d}\n    parameters: {weight: 0.5, density: 0.5}\n`).join('')}`);
  const ties37 = join(WORK, 'ties37.yml');
  writeFileSync(ties37, `merge_method: ties\nbase_model: ${dirs[0]}\nmodels:\n  - model: ${dirs[1]}\n    parameters: {weight: 0.3, density: 0.5}\n  - model: ${dirs[2]}\n    parameters: {weight: 0.7, density: 0.5}\n`);
  const out = outputDir();
  const diskOut = join(WORK, 'out');
  // Warm the page cache for both contenders alike, then alternate them.
  runMeasured(process.execPath, [READ_ONLY, ...files]);
  const merge: number[] = [], read: number[] = [], rss: number[] = [], taT: number[] = [];
  const tiesT: number[] = [], tiesRss: number[] = [], ties37T: number[] = [], diskT: number[] = [];
  const lin2: number[] = [], slerpT: number[] = [], slerpRss: number[] = [];
  for (let i = 0; i < 5; i++) { // the warm runs vary most on a shared machine: medians of 5
    const r = runMeasured(process.execPath, [CLI, 'run', linear, '--out', out, '--overwrite']);
    merge.push(r.seconds); rss.push(r.maxRssBytes);
    read.push(runMeasured(process.execPath, [READ_ONLY, ...files]).seconds);
    const t = runMeasured(process.execPath, [CLI, 'run', ta, '--out', out, '--overwrite']);
    taT.push(t.seconds); rss.push(t.maxRssBytes);
    lin2.push(runMeasured(process.execPath, [CLI, 'run', linear2, '--out', out, '--overwrite']).seconds);
    const s = runMeasured(process.execPath, [CLI, 'run', slerp, '--out', out, '--overwrite']);
    slerpT.push(s.seconds); slerpRss.push(s.maxRssBytes);
    const ti = runMeasured(process.execPath, [CLI, 'run', ties, '--out', out, '--overwrite']);
    tiesT.push(ti.seconds); tiesRss.push(ti.maxRssBytes);
    ties37T.push(runMeasured(process.execPath, [CLI, 'run', ties37, '--out', out, '--overwrite']).seconds);
    diskT.push(runMeasured(process.execPath, [CLI, 'run', linear, '--out', diskOut, '--overwrite']).seconds);
  }
  const diskWriteGBps = diskWrite();
  // Cold: the inputs come from the disk, as on a runner that has just downloaded them.
  const coldMerge: number[] = [], coldRead: number[] = [];
  for (let i = 0; i < 3; i++) {
    dropCache(files);
    coldMerge.push(runMeasured(process.execPath, [CLI, 'run', linear, '--out', out, '--overwrite']).seconds);
    dropCache(files);
    coldRead.push(runMeasured(process.execPath, [READ_ONLY, ...files]).seconds);
  }
  runMeasured(process.execPath, [READ_ONLY, ...files]); // warm again for what follows
  rmSync(out, { recursive: true, force: true });
  rmSync(diskOut, { recursive: true, force: true });
  return {
    outDir: out.startsWith('/dev/shm') ? 'tmpfs (/dev/shm)' : 'the project\'s disk', diskMergeSeconds: median(diskT), diskWriteGBps,
    ties37Seconds: median(ties37T),
    coldMergeSeconds: median(coldMerge), coldReadSeconds: median(coldRead),
    inputBytes, mergeSeconds: median(merge), readSeconds: median(read), peakRss: Math.max(...rss), taSeconds: median(taT),
    pairBytes: files.slice(0, 2).reduce((a, f) => a + statSync(f).size, 0),
    linear2Seconds: median(lin2), slerpSeconds: median(slerpT), slerpPeakRss: Math.max(...slerpRss),
    tiesSeconds: median(tiesT), tiesRss: Math.max(...tiesRss),
  };
}

async function main(): Promise<void> {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const machine = `${cpu}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}`;
  const date = new Date().toISOString().slice(0, 10);
  process.stderr.write('kernels…\n');
  const { rows, copy } = await kernelBench();
  const tp = await passTimes('ties', TIES_PARAMS, 2);
  process.stderr.write('quantization (wasm vs llama.cpp via FFI vs JS)…\n');
  const quant = await quantBench();
  process.stderr.write('generating three 1 GB models (cached in .bench-work/)…\n');
  const dirs = await models();
  process.stderr.write('end-to-end merges…\n');
  const loadBefore = loadavg()[0];
  const e = endToEnd(dirs);
  const load = `${fmt(loadBefore, 1)} → ${fmt(loadavg()[0], 1)}`;

  const lin2 = rows.find((r) => r.name.startsWith('wasm linear, 2'))!.gbps;
  const jsLin2 = rows.find((r) => r.name.startsWith('JS linear, 2'))!.gbps;
  const mergeRate = e.inputBytes / e.mergeSeconds;
  const readRate = e.inputBytes / e.readSeconds;
  const lines = [
    '# Benchmarks',
    '',
    `Measured ${date} on ${machine}, by \`npm run bench\` (bench/run.ts). Medians; every ratio`,
    'compares figures taken in this same run. GB = 10⁹ bytes.',
    '',
    '## Kernels, one core',
    '',
    'Input bytes processed per second (single thread, 16 Mi elements per input, data in memory).',
    '',
    '| kernel | GB/s | × copy bandwidth |',
    '|---|---|---|',
    `| in-process copy (\`Buffer.copy\`, bytes copied) | ${fmt(copy)} | 1.00 |`,
    ...rows.map((r) => `| ${r.name} | ${fmt(r.gbps)} | ${fmt(r.gbps / copy)} |`),
    '',
    `- Target: linear ≥ 0.8× copy bandwidth per core → **${fmt(lin2 / copy)}×** (${lin2 / copy >= 0.8 ? 'met' : 'not met'}).`,
    `- WebAssembly SIMD vs plain JS on linear: **${fmt(lin2 / jsLin2, 1)}×**.`,
    '',
    '## End to end: linear merge of three Llama-shaped bf16 models',
    '',
    `Models: hidden 2048, 8 layers, vocab 32000, intermediate 5632, 32 heads / 4 KV heads, bf16, ${fmt(e.inputBytes / 3 / GB)} GB each `,
    `(${fmt(e.inputBytes / GB)} GB of input). Whole \`mergeops run\` processes (the bundled \`dist/cli.js\`, start-up included) under \`/usr/bin/time -v\`, default threads`,
    '(one per core) and memory budget, medians of 5 runs (cold: 3). "Warm": page cache warm for both the merge and the read-only baseline;',
    '"cold": the inputs dropped from the page cache before each run (read from the disk).',
    `Outputs are written to ${e.outDir}, so that the figures measure mergeops rather than this machine's disk; the`,
    `row "to disk" writes the same merge to the project's disk, which took a 1 GiB direct write at ${fmt(e.diskWriteGBps)} GB/s (GNU dd) in this run.`,
    `Load average (1 min) before → after the end-to-end runs: ${load} (other processes share the cores when it exceeds the core count).`,
    '',
    '| run | seconds | input GB/s | peak RSS |',
    '|---|---|---|---|',
    `| warm: read the three input files once (one process, 64 MiB page-aligned reads) | ${fmt(e.readSeconds)} | ${fmt(readRate / GB)} | – |`,
    `| warm: \`mergeops run\` linear (weights 1/3) | ${fmt(e.mergeSeconds)} | ${fmt(mergeRate / GB)} | ${fmt(e.peakRss / GB)} GB (max over runs) |`,
    `| warm: \`mergeops run\` linear, output to disk | ${fmt(e.diskMergeSeconds)} | ${fmt(e.inputBytes / e.diskMergeSeconds / GB)} | |`,
    `| cold: read the three input files once | ${fmt(e.coldReadSeconds)} | ${fmt(e.inputBytes / e.coldReadSeconds / GB)} | – |`,
    `| cold: \`mergeops run\` linear (weights 1/3) | ${fmt(e.coldMergeSeconds)} | ${fmt(e.inputBytes / e.coldMergeSeconds / GB)} | |`,
    `| \`mergeops run\` task_arithmetic (base + 2) | ${fmt(e.taSeconds)} | ${fmt(e.inputBytes / e.taSeconds / GB)} | |`,
    `| \`mergeops run\` ties (base + 2, weight 0.5, density 0.5) | ${fmt(e.tiesSeconds)} | ${fmt(e.inputBytes / e.tiesSeconds / GB)} | ${fmt(e.tiesRss / GB)} GB |`,
    `| \`mergeops run\` ties (base + 2, weights 0.3 / 0.7, density 0.5) | ${fmt(e.ties37Seconds)} | ${fmt(e.inputBytes / e.ties37Seconds / GB)} | |`,
    '',
    `- Merge throughput vs read-only, inputs on disk (cold): **${fmt(e.coldReadSeconds / e.coldMergeSeconds)}×** (target ≥ 0.7×: ${e.coldReadSeconds / e.coldMergeSeconds >= 0.7 ? 'met' : 'not met'});`,
    `  from a warm page cache: **${fmt(mergeRate / readRate)}×** (reading memory at ${fmt(readRate / GB, 1)} GB/s is faster than a merge can compute and write;`,
    '  the kernels, not the copies, bound the warm merge).',
    `- Against mergekit (torch CPU, same shapes, 2 cores: ${MERGEKIT.linearSeconds} s for linear, peak ${MERGEKIT.peakRssBytes / GB} GB RSS —`,
    '  the project\'s reference figures, not re-measured here since mergekit cannot be installed on this machine):',
    `  **${fmt(MERGEKIT.linearSeconds / e.mergeSeconds, 1)}×** faster on linear (target ≥ 10×), at **${fmt(e.peakRss / MERGEKIT.peakRssBytes)}×** its memory (target ≤ 0.25×).`,
    `- TIES (exact top-k: a sampled histogram, one counting pass, then the apply pass; same inputs): **${fmt(e.tiesSeconds / e.mergeSeconds)}×** the linear time`,
    `  (target ≤ 2×: ${e.tiesSeconds / e.mergeSeconds <= 2 ? 'met' : 'not met'}; with weights 0.3 / 0.7: ${fmt(e.ties37Seconds / e.mergeSeconds)}×);`,
    `  **${fmt(MERGEKIT.tiesSeconds / e.tiesSeconds, 1)}×** faster than mergekit\'s ${MERGEKIT.tiesSeconds} s (target ≥ 20×).`,
    '',
    '## End to end: SLERP of two of the models',
    '',
    'Same models and conditions; `m0` as base and `m1`, t = 0.5: a statistics pass (the Gram matrix of the two',
    'tensors) and an apply pass, against a linear merge (weights 1/2, 1/2) of the same two inputs.',
    '',
    '| run | seconds | input GB/s | peak RSS |',
    '|---|---|---|---|',
    `| \`mergeops run\` linear, 2 models | ${fmt(e.linear2Seconds)} | ${fmt(e.pairBytes / e.linear2Seconds / GB)} | |`,
    `| \`mergeops run\` slerp, 2 models | ${fmt(e.slerpSeconds)} | ${fmt(e.pairBytes / e.slerpSeconds / GB)} | ${fmt(e.slerpPeakRss / GB)} GB (max over runs) |`,
    '',
    `- SLERP time vs linear on the same inputs: **${fmt(e.slerpSeconds / e.linear2Seconds)}×** (target ≤ 2×: ${e.slerpSeconds / e.linear2Seconds <= 2 ? 'met' : 'not met'}).`,
    '',
    '## TIES passes, one core',
    '',
    'Where the TIES time goes (bench/passes.ts): each pass of one 2048 × 2048 tensor, base + 2 fine-tune-like bf16',
    'inputs (N(0, 0.02) base, N(0, 0.002) deltas, rounded to bf16; weight 0.5, density 0.5) held in kernel memory,',
    'fastest of 15 runs, against the linear kernel (weights 1/3) on the same inputs. Passes this data does not need',
    '(the full-histogram fallback, the low-bits refinement) are skipped and not listed.',
    '',
    '| pass | ms | × linear kernel |',
    '|---|---|---|',
    ...tp.rows.filter((r) => r.seconds > 0).map((r) => `| ${r.pass} | ${fmt(r.seconds * 1e3)} | ${fmt(r.seconds / tp.linear)} |`),
    `| linear kernel, 3 inputs | ${fmt(tp.linear * 1e3)} | 1.00 |`,
    '',
    '',
    quant.markdown,
  ];
  process.stderr.write('matrix build (run --shard i/3 vs one job)…\n');
  lines.push(...matrixSection(CLI, WORK, dirs, outputDir()));
  process.stderr.write('matrix build published through the Action (plan, 3 parts, commit vs one job)…\n');
  lines.push(...await matrixPublishSection(join(ROOT, 'dist', 'index.js'), dirs, join(outputDir(), 'mergeops-matrix-publish')));
  process.stderr.write('low-disk publishing (peak local disk vs output size)…\n');
  lines.push(...await lowDiskSection(CLI, WORK, dirs, outputDir()));
  process.stderr.write('low-disk publishing of an output 4× the free disk (a small tmpfs; needs root)…\n');
  lines.push(...await lowDiskTmpfsSection(CLI, WORK, dirs, outputDir()));
  process.stderr.write('publishing against the link (loopback, and a 100 MB/s upload limit)…\n');
  lines.push(...await publishSpeedSection(CLI, WORK, dirs, outputDir()));
  process.stderr.write('end-to-end Q4_K_M (mergeops quantize vs llama_model_quantize)…\n');
  lines.push(...await quantizeSection(ROOT, WORK, dirs[0]));
  process.stderr.write('eval stage and sweep on the example models…\n');
  lines.push(...await evalSection(ROOT, WORK, CLI, dirs));
  process.stderr.write('Hub streaming…\n');
  lines.push(...await streamSection());
  writeFileSync(join(ROOT, 'BENCHMARKS.md'), lines.join('\n'));
  process.stdout.write(lines.join('\n'));
}

await main();
