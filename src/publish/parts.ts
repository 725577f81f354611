/**
 * The parts of a matrix build (issue 18): each `shard: i/N` job uploads its files as LFS objects
 * (no commit) and writes a small manifest, `<name>.part-i-of-N.json`: the recipe's canonical
 * hash, the commits its inputs were pinned to, the targets, and every file it uploaded with its
 * size and digests (and the health of the tensors it computed). The final job reads the N
 * manifests, refuses a missing, duplicated or foreign part, checks that they hold exactly the
 * files its own plan expects, and commits them all at once (publish.ts with adopted uploads).
 * A dry-run part's manifest (`dryRun`) lists the files it computed without uploading them: only
 * the final job's dry run accepts it.
 */
import { readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { MergeopsError } from '../errors.js';
import type { TensorHealthReport } from '../eval/report.js';
import type { FileDigest } from './uploader.js';

export const PART_MANIFEST_KIND = 'mergeops-part';
const MANIFEST_NAME = /^(.+)\.part-(\d+)-of-(\d+)\.json$/;

export interface PartFile extends FileDigest {
  /** Path in the repo (the file's name in the output folder). */
  path: string;
  /** `hf:org/name`: the repo it was uploaded to. */
  target: string;
}

export interface PartManifest {
  kind: typeof PART_MANIFEST_KIND;
  version: 1;
  /** The recipe file, relative to the repository root (as the Action names it). */
  recipe: string;
  /** sha256 of the recipe's canonical form (what the lockfile keeps): parts of another version are refused. */
  recipeSha256: string;
  /** 1-based part `index` of `count`. */
  shard: { index: number; count: number };
  /** The Hub commit each input model was pinned to, by model key (LoRA adapters in `loraPins`). */
  pins: Record<string, string>;
  loraPins: Record<string, string>;
  targets: { model: string; gguf: string };
  /** The source commit the part was built from (GITHUB_SHA), for messages. */
  sourceCommit?: string;
  /** A dry-run part: `files` were computed (their digests are real) but never uploaded. */
  dryRun?: true;
  files: PartFile[];
  /** The health of the tensors this part computed (eval.json's `health`, merged by the final job). */
  health?: TensorHealthReport;
}

export function partManifestName(recipeName: string, shard: { index: number; count: number }): string {
  return `${recipeName}.part-${shard.index}-of-${shard.count}.json`;
}

/** Writes the manifest beside the recipe's output folder (atomically); returns its path. */
export function writePartManifest(dir: string, recipeName: string, m: PartManifest): string {
  const file = join(dir, partManifestName(recipeName, m.shard));
  writeFileSync(`${file}.tmp`, JSON.stringify(m, null, 2) + '\n');
  renameSync(`${file}.tmp`, file);
  return file;
}

function manifestFiles(dir: string, depth = 0): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  // download-artifact puts each artifact in its own folder unless merge-multiple: both are found.
  return entries.flatMap((e) => (e.isDirectory() && depth < 3 ? manifestFiles(join(dir, e.name), depth + 1)
    : e.isFile() && MANIFEST_NAME.test(e.name) ? [join(dir, e.name)] : []));
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStringMap = (v: unknown): v is Record<string, string> => isRecord(v) && Object.values(v).every((x) => typeof x === 'string');
const isHex = (v: unknown, n: number): v is string => typeof v === 'string' && new RegExp(`^[0-9a-f]{${n}}$`).test(v);

function parseManifest(file: string): PartManifest {
  const bad = (why: string): MergeopsError => new MergeopsError('USAGE', `${file} is not a part manifest of a matrix build: ${why}`,
    'pass the folder the part jobs\' manifests were downloaded to (actions/download-artifact), with nothing else named *.part-i-of-N.json in it');
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw bad(`not JSON (${(e as Error).message})`);
  }
  if (!isRecord(v) || v.kind !== PART_MANIFEST_KIND) throw bad(`no \`kind: ${PART_MANIFEST_KIND}\``);
  if (v.version !== 1) throw bad(`version ${JSON.stringify(v.version)}; this mergeops reads version 1 (build the parts and the final job with the same mergeops version)`);
  const s = v.shard;
  if (typeof v.recipe !== 'string' || !isHex(v.recipeSha256, 64)) throw bad('no recipe or recipe hash');
  if (!isRecord(s) || !Number.isInteger(s.index) || !Number.isInteger(s.count) || (s.index as number) < 1 || (s.index as number) > (s.count as number)) throw bad('no valid `shard`');
  if (!isStringMap(v.pins) || !isStringMap(v.loraPins) || !isStringMap(v.targets) || typeof v.targets.model !== 'string' || typeof v.targets.gguf !== 'string') {
    throw bad('no valid pins or targets');
  }
  if (v.dryRun !== undefined && v.dryRun !== true) throw bad('`dryRun` is not true');
  if (!Array.isArray(v.files) || !v.files.every((f) => isRecord(f) && typeof f.path === 'string' && typeof f.target === 'string'
    && Number.isSafeInteger(f.size) && (f.size as number) >= 0 && isHex(f.sha256, 64) && isHex(f.gitOid, 40))) {
    throw bad('a file entry lacks its path, target, size or digests');
  }
  return v as unknown as PartManifest;
}

/** Every part manifest under `dir` (its sub-folders too), by recipe path. */
export function readPartManifests(dir: string, what: string): Map<string, { file: string; manifest: PartManifest }[]> {
  const files = manifestFiles(dir);
  if (files.length === 0) {
    throw new MergeopsError('USAGE', `${what} ${dir} holds no part manifest (*.part-i-of-N.json)`,
      'download the part jobs\' manifests first (actions/download-artifact with the same name pattern the part jobs uploaded), and pass that folder');
  }
  const out = new Map<string, { file: string; manifest: PartManifest }[]>();
  for (const file of files.sort()) {
    const m = parseManifest(file);
    const list = out.get(m.recipe) ?? [];
    list.push({ file: relative(dir, file) || file, manifest: m });
    out.set(m.recipe, list);
  }
  return out;
}

export interface PartExpectation {
  recipe: string;
  recipeSha256: string;
  targets: { model: string; gguf: string };
  /** Every big file the plan expects (safetensors shards, GGUF files and split parts), with its planned size and target. */
  files: readonly { name: string; bytes: number; target: string }[];
  /** The final job's dry run: dry-run parts are accepted (a final job that commits refuses them). */
  dryRun: boolean;
}

const sameMap = (a: Record<string, string>, b: Record<string, string>): boolean =>
  JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());

/**
 * Checks the parts of one recipe: N manifests, parts 1..N once each, the same recipe version,
 * pins and targets; then that together they hold exactly the expected files, each once, at its
 * planned size, in its target. Returns the files, in the expected order.
 */
export function checkParts(parts: readonly { file: string; manifest: PartManifest }[], expect: PartExpectation): PartFile[] {
  const fail = (msg: string, hint: string): never => { throw new MergeopsError('USAGE', `${expect.recipe}: ${msg}: nothing was committed`, hint); };
  const rerun = 'run the whole workflow again (plan, parts and the final job of one run, from one commit)';
  const count = parts[0].manifest.shard.count;
  const other = parts.find((p) => p.manifest.shard.count !== count);
  if (other) fail(`${parts[0].file} is part of ${count} but ${other.file} is part of ${other.manifest.shard.count}`, rerun);
  const seen = new Map<number, string>();
  for (const p of parts) {
    const prev = seen.get(p.manifest.shard.index);
    if (prev) fail(`part ${p.manifest.shard.index}/${count} twice (${prev} and ${p.file})`, 'download the manifests of one workflow run only, into an empty folder');
    seen.set(p.manifest.shard.index, p.file);
  }
  const dry = parts.filter((p) => p.manifest.dryRun);
  if (dry.length > 0 && !expect.dryRun) {
    fail(`${dry.map((p) => p.file).join(', ')} ${dry.length > 1 ? 'are manifests of dry-run parts (their' : 'is the manifest of a dry-run part (its'} files were computed, never uploaded)`,
      'run the part jobs without `dry-run` to publish, or give this job `dry-run: true` too to check the parts without committing');
  }
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !seen.has(i));
  if (missing.length) {
    fail(`part${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${count}`).join(', ')} missing (found ${[...seen.keys()].sort((a, b) => a - b).map((i) => `${i}/${count}`).join(', ')})`,
      'the final job must wait for every part job (`needs:` the part job) and download every part\'s manifest');
  }
  for (const p of parts) {
    const m = p.manifest;
    if (m.recipeSha256 !== expect.recipeSha256) {
      fail(`${p.file} is a part of another version of the recipe (${m.sourceCommit ? `built from ${m.sourceCommit.slice(0, 12)}` : 'another commit'})`, rerun);
    }
    if (!sameMap(m.pins, parts[0].manifest.pins) || !sameMap(m.loraPins, parts[0].manifest.loraPins)) {
      fail(`${parts[0].file} and ${p.file} merged different commits of the input models (an upstream model moved between the part jobs)`,
        'commit mergeops.lock beside the recipe (or use `frozen: true`) so that every job pins the same commits, and run again');
    }
    if (m.targets.model !== expect.targets.model || m.targets.gguf !== expect.targets.gguf) {
      fail(`${p.file} was uploaded to ${m.targets.model} and ${m.targets.gguf}, this job publishes to ${expect.targets.model} and ${expect.targets.gguf}`,
        'give the part jobs and the final job the same `publish` input');
    }
  }
  const got = new Map<string, { f: PartFile; from: string }>();
  for (const p of parts) {
    for (const f of p.manifest.files) {
      const prev = got.get(f.path);
      if (prev) fail(`${f.path} is in two parts (${prev.from} and ${p.file})`, rerun);
      got.set(f.path, { f, from: p.file });
    }
  }
  const sameInputs = 'give the part jobs and the final job the same inputs (`gguf`, `publish`) and the same checkout';
  const out: PartFile[] = [];
  for (const e of expect.files) {
    const g = got.get(e.name);
    if (!g) fail(`no part uploaded ${e.name}`, `${sameInputs}; a part job whose upload failed must be run again`);
    else if (g.f.size !== e.bytes) fail(`${e.name} from ${g.from} is ${g.f.size} bytes; the plan says ${e.bytes}`, sameInputs);
    else if (g.f.target !== e.target) fail(`${e.name} from ${g.from} was uploaded to ${g.f.target}, not ${e.target}`, sameInputs);
    else { out.push(g.f); got.delete(e.name); }
  }
  if (got.size > 0) fail(`the parts hold ${[...got.keys()].join(', ')}, which this job's plan does not write`, sameInputs);
  return out;
}

/** The parts' tensor health as one report, in the plan's tensor order (a tensor two parts computed appears once). */
export function mergePartHealth(parts: readonly PartManifest[], order: readonly string[]): TensorHealthReport {
  const tensors = new Map<string, TensorHealthReport['tensors'][number]>();
  const outliers = new Map<string, TensorHealthReport['outliers'][number]>();
  for (const p of parts) {
    for (const t of p.health?.tensors ?? []) if (!tensors.has(t.name)) tensors.set(t.name, t);
    for (const o of p.health?.outliers ?? []) if (!outliers.has(o.name)) outliers.set(o.name, o);
  }
  return {
    tensors: order.flatMap((n) => tensors.get(n) ?? []),
    outliers: order.flatMap((n) => outliers.get(n) ?? []),
  };
}
