/**
 * Reads a model from the Hub the way readLocalModel reads a folder, without downloading shards:
 * small files (config, index, tokenizer) go to the cache's snapshot folder; each shard's
 * safetensors header is read with range requests (and kept in the cache); tensors point at the
 * shard's cached copy when there is one, else at its `/resolve/<sha>/` URL.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MergeopsError } from '../errors.js';
import { parseHeaderLength, parseSafetensorsHeader, type SafetensorsHeader } from '../formats/safetensors.js';
import type { PendingShard } from '../store/download-shard.js';
import type { ShardCache } from '../store/shard-cache.js';
import { hubError } from './hub-error.js';
import { authHeaders, fileUrl, type HubOptions } from './hub-options.js';
import { listModelFiles } from './list-model-files.js';
import { assembleModel, readSafetensorsHeader, type AssembledModel } from './local.js';
import type { RangeReadOptions } from '../io/range-read.js';
import { rangeRead } from '../io/range-read.js';
import type { PinnedFile, RemoteFile } from '../model/resolved.js';
import type { ByteSource, HttpSource } from '../model/tensor.js';
import { resolveRevision } from './resolve-revision.js';

/** Small files fetched next to the config (never code: no *.py). */
const SMALL_FILE = /^(?!README)[^/]+\.(json|model|txt|jinja|tiktoken)$/i;
const MAX_SMALL_FILE = 64 * 1024 * 1024;
const MANIFEST = '.mergeops-files.json';
const HEADERS = '.mergeops-headers';

export interface PinnedRepo {
  repo: string;
  revision: string;
  sha: string;
  files: RemoteFile[];
}

/** A shard to download into the cache before the merge reads it (download mode). */
export interface HubModel extends AssembledModel {
  repo: string;
  revision: string;
  sha: string;
  /** The snapshot folder (small files). */
  dir: string;
  /** Files the model uses, pinned. */
  used: PinnedFile[];
  /** Shards not in the cache (download mode only). */
  pending: PendingShard[];
  /** Bytes of shards read over HTTP in stream mode, or downloaded in download mode. */
  remoteShardBytes: number;
}

/**
 * Pins a repo: resolves the revision to a sha (unless given), lists the files at that sha. The
 * list is kept in the cache, so a pinned sha costs no request the second time.
 */
export async function pinRepo(params: { repo: string; revision?: string; sha?: string; cache: ShardCache } & HubOptions): Promise<PinnedRepo> {
  const revision = params.revision ?? 'main';
  const sha = params.sha ?? await resolveRevision({ ...params, revision: params.revision });
  const manifest = join(params.cache.snapshotDir(params.repo, sha), MANIFEST);
  if (existsSync(manifest)) {
    return { repo: params.repo, revision, sha, files: JSON.parse(readFileSync(manifest, 'utf8')) as RemoteFile[] };
  }
  const files = await listModelFiles({ ...params, sha });
  params.cache.putBytes(manifest, Buffer.from(JSON.stringify(files)));
  return { repo: params.repo, revision, sha, files };
}

export interface ReadHubModelOptions extends PinnedReadOptions {
  mode: 'stream' | 'download';
}

/** What the helpers below need to read files of a pinned repo. */
export interface PinnedReadOptions extends HubOptions {
  pinned: PinnedRepo;
  cache: ShardCache;
  range?: RangeReadOptions;
}

/** A file of a pinned repo, read with range requests (and verified against its LFS sha256). */
export function pinnedHttpSource(opts: PinnedReadOptions, name: string): HttpSource {
  const { repo, sha } = opts.pinned;
  const f = opts.pinned.files.find((x) => x.path === name);
  if (!f) throw new MergeopsError('INTERNAL', `${repo}@${sha.slice(0, 12)}: ${name} is not listed`, 'report this as a bug');
  const headers = authHeaders(opts);
  return {
    url: fileUrl(opts, repo, sha, name), ...(headers ? { headers } : {}), size: f.size,
    label: `${repo}@${sha.slice(0, 12)}: ${name}`, ...(f.sha256 ? { sha256: f.sha256 } : {}),
  };
}

/** A small file of a pinned repo: from the cache, else downloaded with the Hub client into it. Returns its path. */
export async function cacheSmallFile(opts: PinnedReadOptions, name: string): Promise<string> {
  const { pinned: { repo, sha }, cache } = opts;
  const label = `${repo}@${sha.slice(0, 12)}`;
  const f = opts.pinned.files.find((x) => x.path === name);
  if (!f) throw new MergeopsError('INTERNAL', `${label}: ${name} is not listed`, 'report this as a bug');
  const cached = cache.lookup(repo, sha, name, f.size);
  if (cached) return cached;
  // The same retry and resume policy as the tensor range reads (429, 5xx, resets, cut bodies).
  const data = new Uint8Array(f.size);
  if (f.size > 0) await rangeRead(pinnedHttpSource(opts, name), 0, data, opts.range);
  const path = cache.pathOf(repo, sha, name);
  cache.putBytes(path, data);
  return path;
}

/**
 * The safetensors header of a file of a pinned repo: from the cached file, else from the cached
 * header bytes, else read with two range requests (and kept in the cache: a second run reads no shard).
 */
export async function pinnedSafetensorsHeader(opts: PinnedReadOptions, n: string): Promise<SafetensorsHeader> {
  const { pinned: { repo, sha }, cache } = opts;
  const label = `${repo}@${sha.slice(0, 12)}`;
  const src = pinnedHttpSource(opts, n);
  const cachedShard = cache.lookup(repo, sha, n, src.size);
  if (cachedShard) return readSafetensorsHeader(cachedShard);
  const hdrPath = cache.pathOf(repo, sha, `${HEADERS}/${n}`);
  let bytes: Uint8Array;
  if (existsSync(hdrPath)) {
    bytes = new Uint8Array(readFileSync(hdrPath));
  } else {
    const first8 = new Uint8Array(Math.min(8, src.size));
    await rangeRead(src, 0, first8, opts.range);
    const len = parseHeaderLength(first8, src.size, src.label);
    bytes = new Uint8Array(8 + len);
    bytes.set(first8);
    await rangeRead(src, 8, bytes.subarray(8), opts.range);
    parseSafetensorsHeader(bytes.subarray(8), len, src.size, src.label);
    cache.putBytes(hdrPath, bytes);
  }
  const len = parseHeaderLength(bytes.subarray(0, 8), src.size, `${label}/${n}`);
  return parseSafetensorsHeader(bytes.subarray(8), len, src.size, `${label}/${n}`);
}

/**
 * Where the tensors of a pinned file are read from: its cached copy; else, in download mode, its
 * place in the cache once the returned pending download has run; else (stream) over HTTP.
 */
export function pinnedFileSource(opts: ReadHubModelOptions, name: string): { source: ByteSource; pending?: PendingShard; remote: boolean } {
  const { pinned: { repo, sha }, cache } = opts;
  const src = pinnedHttpSource(opts, name);
  const cached = cache.lookup(repo, sha, name, src.size);
  if (cached) return { source: { kind: 'file', path: cached }, remote: false };
  if (opts.mode === 'download') {
    const dest = cache.pathOf(repo, sha, name);
    return { source: { kind: 'file', path: dest }, pending: { src, dest }, remote: true };
  }
  return { source: { kind: 'http', ...src }, remote: true };
}

export async function readHubModel(opts: ReadHubModelOptions): Promise<HubModel> {
  const { pinned, cache } = opts;
  const { repo, sha } = pinned;
  const label = `${repo}@${sha.slice(0, 12)}`;
  const dir = cache.snapshotDir(repo, sha);
  const byPath = new Map(pinned.files.map((f) => [f.path, f]));
  const names = pinned.files.map((f) => f.path).filter((p) => !p.includes('/'));
  const used: PinnedFile[] = [];
  const pending: PendingShard[] = [];
  let remoteShardBytes = 0;
  const sources = new Map<string, ByteSource>();

  // Small files: from the cache, else downloaded with the Hub client into it.
  const small = names.filter((n) => SMALL_FILE.test(n) && byPath.get(n)!.size <= MAX_SMALL_FILE);
  for (const name of small) await cacheSmallFile(opts, name);

  const m = await assembleModel({
    label,
    names,
    display: (n) => `${label}/${n}`,
    readText: async (n) => {
      const p = cache.lookup(repo, sha, n);
      if (!p) throw new MergeopsError('MODEL_NOT_FOUND', `${label}: ${n} was not downloaded`, 'report this as a bug');
      return readFileSync(p, 'utf8');
    },
    readHeader: (n) => pinnedSafetensorsHeader(opts, n),
    source: (n): ByteSource => {
      let s = sources.get(n);
      if (!s) {
        const p = pinnedFileSource(opts, n);
        if (p.remote) remoteShardBytes += byPath.get(n)!.size;
        if (p.pending) pending.push(p.pending);
        s = p.source;
        sources.set(n, s);
      }
      return s;
    },
  });

  const usedNames = new Set(['config.json', ...m.shardFiles, ...m.otherFiles]);
  if (names.includes('model.safetensors.index.json')) usedNames.add('model.safetensors.index.json');
  for (const n of [...usedNames].sort()) {
    const f = byPath.get(n);
    if (!f) continue;
    if (!m.shardFiles.includes(n) && !small.includes(n)) continue; // listed but not fetched (large or non-model file)
    const sha256 = f.sha256 ?? sha256Of(join(dir, n));
    used.push({ path: n, size: f.size, sha256 });
  }
  // Other files the donor copy may need must be local: keep only those that were fetched.
  const otherFiles = m.otherFiles.filter((n) => small.includes(n));
  return { ...m, otherFiles, repo, revision: pinned.revision, sha, dir, used, pending, remoteShardBytes };
}

function sha256Of(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}
