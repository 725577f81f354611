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
import { createHash } from 'node:crypto';
import { createReadStream, openAsBlob, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measured, standaloneArgs, startHub } from './low-disk.js';
import { runMeasured } from './measure.js';

const MB = 1e6;
/** A realistic upload link for the throttled runs: 100 MB/s (800 Mbit/s). */
const LINK_BPS = 100e6;
/** LFS part size the bench's Hub hands out (the test default, 512 KiB, is for small test files). */
const PART = 64 << 20;

/** The files of an output folder a publish sends as they are (hidden files and the card's data stay local; the card is rendered anew). */
function sentFiles(dir: string): string[] {
  return readdirSync(dir).filter((n) => !n.startsWith('.') && n !== 'mergeops_card.json' && n !== 'README.md' && !n.endsWith('.svg')).map((n) => join(dir, n)).filter((p) => statSync(p).isFile());
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

/** Seconds before the first upload byte (start-up, API calls, hashing), uploading, the Hub's completion and commit, and the rest (exit). */
interface Phases { before: number; uploading: number; hub: number; exit: number }
interface Row { what: string; seconds: number; bytes: number; phases?: Phases }

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
          const start = Date.now();
          // Not a synchronous child: this process's idle connections to the Hub must see it close them.
          const p = await measured(cli, ['publish', out, '--to', 'hf:tester/publish-speed'], { HF_ENDPOINT: hub.url, HF_TOKEN: 'hf_test_token' }, out);
          const end = Date.now();
          if (p.status !== 0) throw new Error(`publish bench: mergeops publish exited with ${p.status}`);
          const c = (await (await fetch(`${hub.url}/_test/counters`)).json()) as { firstUploadAt?: number; lastUploadAt?: number; committedAt?: number };
          if (c.firstUploadAt === undefined || c.lastUploadAt === undefined || c.committedAt === undefined) throw new Error('publish bench: the Hub received no upload or no commit');
          const phases = {
            before: (c.firstUploadAt - start) / 1000, uploading: (c.lastUploadAt - c.firstUploadAt) / 1000,
            hub: (c.committedAt - c.lastUploadAt) / 1000, exit: (end - c.committedAt) / 1000,
          };
          const partNote = part === PART ? `${part >> 20} MiB parts` : `${part >> 10} KiB parts (the test Hub's default)`;
          if (part === PART) rows.push({ what: `link, ${name}: PUT of the same bytes, file by file`, seconds: link, bytes: total });
          rows.push({ what: `\`mergeops publish\`, ${name}, ${partNote}`, seconds: p.seconds, bytes: total, phases });
          ratios.push(`${name}, ${partNote}: publish at **${(link / p.seconds).toFixed(2)}×** the link (${(total / p.seconds / MB).toFixed(0)} vs ${(total / link / MB).toFixed(0)} MB/s); `
            + `its uploading phase at ${(link / phases.uploading).toFixed(2)}× the link; without the test Hub's side (its hashing at completion and commit): `
            + `${(link / (p.seconds - phases.hub)).toFixed(2)}×`);
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
    'A publish\'s time is split by the Hub\'s clock: before its first upload byte (process start, access check, repo creation, hashing),',
    'uploading (the first LFS PUT to the end of the last), the Hub\'s side (completing the multipart object — the test Hub checks its',
    'sha256 — then the commit, where the test Hub hashes the committed files again), and the process exiting.',
    '',
    '| what | seconds | MB/s | before the first upload byte | uploading | Hub: completion, commit | exit |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.what} | ${r.seconds.toFixed(2)} | ${(r.bytes / r.seconds / MB).toFixed(0)} | `
      + `${r.phases ? [r.phases.before, r.phases.uploading, r.phases.hub, r.phases.exit].map((x) => `${x.toFixed(2)} s`).join(' | ') : '| | |'} |`),
    '',
    ...ratios.map((r) => `- ${r}.`),
    '- Hashing and uploading do not overlap within a commit: @huggingface/hub hashes every LFS file (sha256) before its LFS batch call,',
    '  which needs each object\'s sha256 to hand out upload URLs; the uploads start after. Low-disk runs upload shard by shard',
    '  while the merge goes on, so there the hashing of one shard overlaps the merge of the next.',
    '',
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { cli, work, dirs, outRoot } = standaloneArgs();
  process.stdout.write((await publishSpeedSection(cli, work, dirs, outRoot)).join('\n') + '\n');
}
