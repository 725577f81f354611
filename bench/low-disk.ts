/**
 * Low-disk publishing (`run --publish --low-disk`): peak local disk use against the output's
 * size. A linear merge of the benchmark models into 250 MB shards, published to the test Hub (in
 * its own process); the output folder's allocated blocks are sampled every 20 ms while the run
 * goes on. The same run without --low-disk for comparison. No GGUF, no eval: shards only.
 * bench/run.ts adds the section to BENCHMARKS.md; `node build/bench/low-disk.js MODEL_DIR...`
 * prints it alone.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bytes } from '../src/units.js';

const HUB_SERVE = fileURLToPath(new URL('./hub-serve.js', import.meta.url));

/** Bytes allocated on disk by the files under `dir` (sparse files count what is written). */
export function allocated(dir: string): number {
  if (!existsSync(dir)) return 0;
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    try {
      n += e.isDirectory() ? allocated(p) : statSync(p).blocks * 512;
    } catch { /* deleted meanwhile */ }
  }
  return n;
}

export interface HubProcess { url: string; stop: () => Promise<void> }

/** The test Hub in its own process (`hub-serve.js` with its flags); `stop` waits for it to exit. */
export async function startHub(flags: readonly string[] = []): Promise<HubProcess> {
  const child = spawn(process.execPath, [HUB_SERVE, ...flags], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.setEncoding('utf8').once('data', (d: string) => resolve(d.trim()));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`hub-serve exited with ${code}`)));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { url, stop: () => { child.kill('SIGTERM'); return exited; } };
}

/** Runs the CLI while sampling the disk use of the output's parent folder; peak bytes and seconds. */
export function measured(cli: string, args: string[], env: Record<string, string>, watch: string): Promise<{ peak: number; seconds: number; status: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let peak = 0;
    const timer = setInterval(() => { peak = Math.max(peak, allocated(watch)); }, 20);
    const child = spawn(process.execPath, [cli, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
    child.once('error', reject);
    child.once('close', (code) => {
      clearInterval(timer);
      resolve({ peak, seconds: (performance.now() - t0) / 1000, status: code ?? -1 });
    });
  });
}

export async function lowDiskSection(cli: string, work: string, dirs: readonly string[], outRoot: string): Promise<string[]> {
  const recipe = join(work, 'low-disk-linear.yml');
  writeFileSync(recipe, `merge_method: linear\nmodels:\n${dirs.map((d) => `  - model: ${d}\n    parameters: {weight: ${1 / dirs.length}}\n`).join('')}`
    + 'mergeops:\n  license: apache-2.0\n');
  const hub = await startHub();
  const rows: string[] = [];
  let outputTotal = 0;
  try {
    const env = { HF_ENDPOINT: hub.url, HF_TOKEN: 'hf_test_token' };
    for (const [mode, extra] of [['normal', []], ['--low-disk', ['--low-disk']]] as const) {
      const root = join(outRoot, `low-disk-${mode.replace(/^-+/, '')}`);
      rmSync(root, { recursive: true, force: true });
      const out = join(root, 'merged');
      const r = await measured(cli, ['run', recipe, '--out', out, '--out-shard-size', '250M', '--no-eval', '--force-overwrite',
        '--publish', `hf:tester/bench-${mode.replace(/^-+/, '')}`, ...extra], env, dirname(out));
      if (r.status !== 0) throw new Error(`low-disk bench: mergeops run (${mode}) exited with ${r.status}`);
      // The same recipe makes the same output: measured on the normal run, whose folder keeps every shard.
      if (mode === 'normal') outputTotal = outputSize(out).total;
      rows.push(`| ${mode} | ${bytes(outputTotal)} | ${bytes(r.peak)} | ${(r.peak / outputTotal).toFixed(2)} | ${r.seconds.toFixed(1)} s |`);
      rmSync(root, { recursive: true, force: true });
    }
  } finally {
    await hub.stop();
  }
  return [
    '## Low-disk publishing: peak local disk against the output',
    '',
    `Linear merge of the ${dirs.length} benchmark models into 250 MB shards, published to the test Hub (local HTTP); `
    + 'disk use of the output folder sampled every 20 ms. With --low-disk each finished shard is uploaded and deleted while the merge goes on.',
    '',
    '| mode | output (safetensors) | peak local disk | peak / output | wall |',
    '|---|---:|---:|---:|---:|',
    ...rows,
    '',
  ];
}

/** The shards' total size. */
export function outputSize(out: string): { total: number } {
  const index = join(out, 'model.safetensors.index.json');
  if (existsSync(index)) {
    const meta = (JSON.parse(readFileSync(index, 'utf8')) as { metadata?: { total_size?: number } }).metadata;
    if (typeof meta?.total_size === 'number') return { total: meta.total_size };
  }
  return { total: readdirSync(out).filter((n) => n.endsWith('.safetensors')).reduce((a, n) => a + statSync(join(out, n)).size, 0) };
}

/**
 * For a section run alone (`node build/bench/X.js [MODEL_DIR...]`): the bundled CLI, the work
 * folder, the models (given, else the cached ones of `npm run bench`) and where outputs go.
 */
export function standaloneArgs(): { cli: string; work: string; dirs: string[]; outRoot: string } {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const work = join(root, '.bench-work');
  mkdirSync(work, { recursive: true });
  const dirs = process.argv.length > 2 ? process.argv.slice(2) : [0, 1, 2].map((i) => join(work, `m${i}`));
  if (!dirs.every((d) => existsSync(d))) throw new Error(`no benchmark models in ${work}: run \`npm run bench\` once, or pass model folders`);
  return { cli: join(root, 'dist/cli.js'), work, dirs, outRoot: existsSync('/dev/shm') ? '/dev/shm' : join(work, 'out') };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dirs = process.argv.slice(2);
  const work = join(process.cwd(), '.bench-work');
  mkdirSync(work, { recursive: true });
  const lines = await lowDiskSection(fileURLToPath(new URL('../src/cli/main.js', import.meta.url)), work, dirs, join(work, 'out'));
  process.stdout.write(lines.join('\n') + '\n');
}
