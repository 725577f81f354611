/**
 * Low-disk publishing where the output really does not fit: the linear merge of the benchmark
 * models (~1 GB of safetensors) run with `--out` on a tmpfs mounted at a quarter of that size,
 * `--low-disk --publish` to the test Hub (in its own process), in small shards. Records success,
 * the peak disk use of the mount (its folders' allocated blocks sampled every 20 ms, as
 * bench/low-disk.ts does, and the mount's own used blocks), the output / free-disk ratio, the wall
 * time, and checks the published repo file by file (sha256 of LFS files, git oid of the others)
 * against the same recipe published by a normal run with the same shards to a fresh Hub.
 * Mounting needs root: otherwise the section says it was skipped. The mount is removed after.
 * bench/run.ts adds the section to BENCHMARKS.md; `node build/bench/low-disk-tmpfs.js [MODEL_DIR...]`
 * prints it alone (models from .bench-work; dist/ from `npm run bundle`).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listFiles } from '@huggingface/hub';
import { bytes } from '../src/units.js';
import { measured, outputSize, standaloneArgs, startHub } from './low-disk.js';

const REPO = 'tester/low-disk-4x';
/** Shards small enough that the few in flight (being written, being uploaded) fit a quarter of the output. */
const SHARD = '64M';
const MiB = 1 << 20;

/**
 * Every file of the repo's main branch: path → sha256 (the LFS oid; for the other files, of the
 * content with this Hub's URL made neutral: the card links to the repos on the Hub it was published to).
 */
async function repoDigests(hubUrl: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for await (const f of listFiles({ hubUrl, accessToken: 'hf_test_token', repo: { type: 'model', name: REPO }, recursive: true })) {
    if (f.type !== 'file') continue;
    if (f.lfs) { out.set(f.path, f.lfs.oid); continue; }
    const text = await (await fetch(`${hubUrl}/${REPO}/resolve/main/${f.path}`)).text();
    out.set(f.path, createHash('sha256').update(text.replaceAll(hubUrl, 'HUB')).digest('hex'));
  }
  return out;
}

/** Runs the CLI publishing to a fresh test Hub; the run's figures and the repo's digests. */
async function publishRun(cli: string, args: string[], watch: string, sampleMount?: string): Promise<{ peak: number; mountPeak: number; seconds: number; status: number; files: Map<string, string> }> {
  const hub = await startHub();
  try {
    let mountPeak = 0;
    const used = (mount: string): number => { const s = statfsSync(mount); return (s.blocks - s.bfree) * s.bsize; };
    const timer = sampleMount ? setInterval(() => { mountPeak = Math.max(mountPeak, used(sampleMount)); }, 20) : undefined;
    const r = await measured(cli, [...args, '--publish', `hf:${REPO}`], { HF_ENDPOINT: hub.url, HF_TOKEN: 'hf_test_token' }, watch);
    clearInterval(timer);
    return { ...r, mountPeak, files: r.status === 0 ? await repoDigests(hub.url) : new Map() };
  } finally {
    await hub.stop();
  }
}

export async function lowDiskTmpfsSection(cli: string, work: string, dirs: readonly string[], outRoot: string): Promise<string[]> {
  const head = ['## Low-disk publishing: an output 4× the free disk', ''];
  if (process.getuid?.() !== 0) {
    return [...head, 'Skipped: mounting the small tmpfs this run needs takes root, and this bench ran as another user.', ''];
  }
  const recipe = join(work, 'low-disk-4x.yml');
  writeFileSync(recipe, `merge_method: linear\nmodels:\n${dirs.map((d) => `  - model: ${d}\n    parameters: {weight: ${1 / dirs.length}}\n`).join('')}`
    + 'mergeops:\n  license: apache-2.0\n');
  // The output is as large as one input model (same shapes and dtype): its safetensors bytes.
  const expected = readdirSync(dirs[0]).filter((n) => n.endsWith('.safetensors')).reduce((a, n) => a + statSync(join(dirs[0], n)).size, 0);
  const mountBytes = Math.ceil(expected / 4 / MiB) * MiB;
  const common = ['run', recipe, '--out-shard-size', SHARD, '--no-eval', '--force-overwrite'];

  // The same recipe and shards published by a normal run, for the file-by-file check.
  const normalRoot = join(outRoot, 'low-disk-4x-normal');
  rmSync(normalRoot, { recursive: true, force: true });
  const normal = await publishRun(cli, [...common, '--out', join(normalRoot, 'merged')], normalRoot);
  if (normal.status !== 0) throw new Error(`low-disk 4× bench: the normal run exited with ${normal.status}`);
  const output = outputSize(join(normalRoot, 'merged')).total;
  rmSync(normalRoot, { recursive: true, force: true });

  const mount = mkdtempSync(join(tmpdir(), 'mergeops-bench-lowdisk-'));
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${mountBytes}`, 'tmpfs', mount], { encoding: 'utf8' });
  if (m.status !== 0) {
    rmSync(mount, { recursive: true, force: true });
    return [...head, `Skipped: \`mount -t tmpfs\` failed (${m.stderr.trim() || `exit ${m.status}`}).`, ''];
  }
  let low: Awaited<ReturnType<typeof publishRun>>;
  let free: number;
  try {
    const s = statfsSync(mount);
    free = s.bavail * s.bsize;
    low = await publishRun(cli, [...common, '--out', join(mount, 'out'), '--low-disk'], mount, mount);
  } finally {
    const u = spawnSync('umount', [mount]);
    if (u.status !== 0) spawnSync('umount', ['-l', mount]);
    rmSync(mount, { recursive: true, force: true });
  }
  const differing = [...new Set([...normal.files.keys(), ...low.files.keys()])].filter((p) => normal.files.get(p) !== low.files.get(p)).sort();
  const shards = [...low.files.keys()].filter((p) => p.endsWith('.safetensors')).length;
  const ok = low.status === 0;
  return [
    ...head,
    `The linear merge above (${bytes(output)} of safetensors, in ${SHARD} shards), \`mergeops run --low-disk --publish\` with \`--out\` on a tmpfs`,
    `mounted at ${bytes(mountBytes)} (${bytes(free)} free): the output is **${(output / free).toFixed(2)}×** the free disk. Published to the test Hub`,
    '(local HTTP, in its own process); disk use sampled every 20 ms (the files under the mount, and the mount\'s used blocks).',
    'Against the same recipe and shards published by a normal run (output on the bench\'s output folder). One run of each.',
    '',
    '| run | result | peak disk (files) | peak disk (mount) | peak / free | wall |',
    '|---|---|---:|---:|---:|---:|',
    `| normal, output on ${outRoot} | published, ${normal.files.size} files | ${bytes(normal.peak)} | – | – | ${normal.seconds.toFixed(1)} s |`,
    `| --low-disk, output on the ${bytes(mountBytes)} tmpfs | ${ok ? `published, ${low.files.size} files (${shards} shards)` : `**failed** (exit ${low.status})`} | ${bytes(low.peak)} | ${bytes(low.mountPeak)} | ${(low.peak / free).toFixed(2)} | ${low.seconds.toFixed(1)} s |`,
    '',
    `- ${!ok ? 'The low-disk run failed: nothing to compare.' : differing.length === 0
      ? 'The two repos hold the same files, sha256-equal file by file (the card once its link to the Hub serving it, a different local port per run, is made neutral).'
      : `**The repos differ** in: ${differing.join(', ')}.`}`,
    '',
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { cli, work, dirs, outRoot } = standaloneArgs();
  process.stdout.write((await lowDiskTmpfsSection(cli, work, dirs, outRoot)).join('\n') + '\n');
}
