/**
 * Publishing against the link: `mergeops publish` of the benchmark linear merge's output (one
 * ~1 GB safetensors file and its small files) to the test Hub in its own process, against the
 * link alone (the same bytes PUT to the server's `/_test/sink`, which reads and drops them), on
 * loopback and with the server's upload side limited to a realistic link. Also the time to hash
 * the same files (sha256, and sha256 + git sha1 in one pass as mergeops' digest does), since a
 * publish hashes before it uploads. One run of each (a publish here is seconds of local HTTP).
 * bench/run.ts adds the section to BENCHMARKS.md; `node build/bench/publish-speed.js [MODEL_DIR...]`
 * prints it alone (models from .bench-work, which `npm run bench` creates; dist/ from `npm run bundle`).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, openAsBlob, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runMeasured } from './measure.js';

const HUB_SERVE = fileURLToPath(new URL('./hub-serve.js', import.meta.url));
const MB = 1e6;
/** A realistic upload link for the throttled runs: 100 MB/s (800 Mbit/s). */
const LINK_BPS = 100e6;
/** LFS part size the bench's Hub hands out (the test default, 512 KiB, is for small test files). */
const PART = 64 << 20;

export interface HubProcess { url: string; stop: () => Promise<void> }

/** The test Hub in its own process (`hub-serve.js` with its flags); stop() waits for it to exit. */
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

/** The files of an output folder a publish sends (hidden files and the card's data stay local). */
function sentFiles(dir: string): string[] {
  return readdirSync(dir).filter((n) => !n.startsWith('.') && n !== 'mergeops_card.json').map((n) => join(dir, n)).filter((p) => statSync(p).isFile());
}

/** Seconds to PUT each file's bytes, one after another, to the server's sink (the link alone). */
async function linkSeconds(url: string, files: readonly string[]): Promise<number> {
  const t0 = performance.now();
  for (const f of files) {
    const res = await fetch(`${url}/_test/sink`, { method: 'PUT', body: await openAsBlob(f) });
    const got = (await res.json()) as { bytes: number };
    if (!res.ok || got.bytes !== statSync(f).size) throw new Error(`publish bench: the sink got ${got.bytes} bytes of ${f}`);
  }
  return (performance.now() - t0) / 1000;
}

/** Seconds to hash the files in one read pass, with the given hashes (4 MiB reads, as mergeops' digest). */
async function hashSeconds(files: readonly string[], algos: readonly string[]): Promise<number> {
  const t0 = performance.now();
  for (const f of files) {
    const hs = algos.map((a) => createHash(a));
    for await (const c of createReadStream(f, { highWaterMark: 4 << 20 })) for (const h of hs) h.update(c as Buffer);
    hs.forEach((h) => h.digest());
  }
  return (performance.now() - t0) / 1000;
}

interface Row { what: string; seconds: number; bytes: number }

export async function publishSpeedSection(cli: string, work: string, dirs: readonly string[], outRoot: string): Promise<string[]> {
  const recipe = join(work, 'publish-linear.yml');
  writeFileSync(recipe, `merge_method: linear\nmodels:\n${dirs.map((d) => `  - model: ${d}\n    parameters: {weight: ${1 / dirs.length}}\n`).join('')}`
    + 'mergeops:\n  license: apache-2.0\n');
  const root = join(outRoot, 'publish-speed');
  rmSync(root, { recursive: true, force: true });
  const out = join(root, 'merged');
  runMeasured(process.execPath, [cli, 'run', recipe, '--out', out, '--no-eval', '--force-overwrite']);
  const files = sentFiles(out);
  const total = files.reduce((a, f) => a + statSync(f).size, 0);
  const rows: Row[] = [];
  const ratios: string[] = [];
  try {
    // Page cache warm for every contender alike (the output was just written; read it once more).
    await hashSeconds(files, []);
    rows.push({ what: 'sha256 of the files (one read pass)', seconds: await hashSeconds(files, ['sha256']), bytes: total });
    rows.push({ what: 'sha256 + git sha1 (one read pass, as mergeops\' file digest)', seconds: await hashSeconds(files, ['sha256', 'sha1']), bytes: total });
    const links: [string, string[]][] = [
      ['loopback, no limit', []],
      [`upload limited to ${LINK_BPS / MB} MB/s`, [`--upload-bps=${LINK_BPS}`]],
    ];
    for (const [name, flags] of links) {
      for (const part of [PART, 512 << 10]) {
        if (part !== PART && flags.length > 0) continue; // the small-part variant only where the link is not the bottleneck
        const hub = await startHub([...flags, `--multipart-chunk=${part}`]);
        try {
          const link = await linkSeconds(hub.url, files);
          const env = { ...process.env, HF_ENDPOINT: hub.url, HF_TOKEN: 'hf_test_token' };
          const p = runMeasured(process.execPath, [cli, 'publish', out, '--to', 'hf:tester/publish-speed'], { env });
          const partNote = part === PART ? `${part >> 20} MiB parts` : `${part >> 10} KiB parts (the test Hub's default)`;
          if (part === PART) rows.push({ what: `link, ${name}: PUT of the same bytes, file by file`, seconds: link, bytes: total });
          rows.push({ what: `\`mergeops publish\`, ${name}, ${partNote}`, seconds: p.seconds, bytes: total });
          ratios.push(`${name}, ${partNote}: publish at **${(link / p.seconds).toFixed(2)}×** the link (${(total / p.seconds / MB).toFixed(0)} vs ${(total / link / MB).toFixed(0)} MB/s)`);
        } finally {
          await hub.stop();
        }
      }
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return [
    '## Publishing against the link',
    '',
    `\`mergeops publish\` (the bundled CLI, a whole process) of the linear merge's output above (${(total / 1e9).toFixed(2)} GB in ${files.length} files,`,
    `one safetensors file) to the test Hub in its own process on this machine, a fresh Hub per publish (LFS parts of ${PART >> 20} MiB unless said),`,
    'against the link: the same bytes PUT to the server, which reads and drops them. "Limited": the server reads upload bodies',
    `no faster than ${LINK_BPS / MB} MB/s in total (a realistic uplink). Client and server share this machine's cores. One run of each.`,
    '',
    '| what | seconds | MB/s |',
    '|---|---:|---:|',
    ...rows.map((r) => `| ${r.what} | ${r.seconds.toFixed(2)} | ${(r.bytes / r.seconds / MB).toFixed(0)} |`),
    '',
    ...ratios.map((r) => `- ${r}.`),
    '',
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const work = join(root, '.bench-work');
  mkdirSync(work, { recursive: true });
  const dirs = process.argv.length > 2 ? process.argv.slice(2) : [0, 1, 2].map((i) => join(work, `m${i}`));
  if (!dirs.every((d) => existsSync(d))) throw new Error(`no benchmark models in ${work}: run \`npm run bench\` once, or pass model folders`);
  const outRoot = existsSync('/dev/shm') ? '/dev/shm' : join(work, 'out');
  process.stdout.write((await publishSpeedSection(join(root, 'dist/cli.js'), work, dirs, outRoot)).join('\n') + '\n');
}
