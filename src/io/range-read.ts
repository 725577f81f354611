/**
 * Reads bytes [offset, offset + into.length) of a remote file with HTTP range requests, straight
 * into a caller-given view (a kernel worker passes a view of its WebAssembly memory).
 *
 * Transient failures (connection errors, 429/5xx, stalled or short bodies) are retried with
 * exponential backoff, honouring Retry-After; a body that breaks mid-way is resumed from the last
 * byte received. Every response is checked: the exact range and total size in Content-Range, the
 * exact number of bytes, and the ETag when the expected sha256 is known. Errors name the model's
 * file (the source label) and the byte range.
 */
import { MergeopsError } from '../errors.js';
import type { HttpSource } from '../model/tensor.js';

export interface RangeReadOptions {
  fetch?: typeof fetch;
  /** Attempts that made no progress, after the first (default 5). */
  retries?: number;
  /** First backoff in ms, doubled per failed attempt (default 500). */
  backoffMs?: number;
  /** Longest single wait, including Retry-After (default 30 s). */
  maxBackoffMs?: number;
  /** Abort a request when no byte arrives for this long (default 60 s). */
  idleTimeoutMs?: number;
  /** Called before each retry (for logs and tests). */
  onRetry?: (info: { attempt: number; waitMs: number; reason: string; resumeAt: number }) => void;
}

export interface RangeReadStats {
  /** HTTP requests made. */
  requests: number;
  /** Of which retries or resumes. */
  retries: number;
}

/** A failure worth retrying; anything else is thrown at once. */
class Transient extends Error {
  constructor(message: string, readonly retryAfterMs?: number) {
    super(message);
  }
}

const RETRY_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);
/** Resumes that made progress do not use up retries, but a body broken this often is hopeless. */
const MAX_RESUMES = 100;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function retryAfterMs(h: string | null): number | undefined {
  if (h === null) return undefined;
  const s = Number(h);
  if (Number.isFinite(s) && s >= 0) return s * 1000;
  const t = Date.parse(h);
  return Number.isNaN(t) ? undefined : Math.max(0, t - Date.now());
}

function etagSha256(res: Response): string | undefined {
  const raw = res.headers.get('x-linked-etag') ?? res.headers.get('etag');
  if (!raw) return undefined;
  const v = raw.replace(/^W\//, '').replace(/"/g, '').toLowerCase();
  // Only a sha256-shaped ETag says something about content (CDNs may send md5s or opaque ids).
  return /^[0-9a-f]{64}$/.test(v) ? v : undefined;
}

function fail(src: HttpSource, first: number, last: number, what: string, hint: string, code: 'NETWORK' | 'UPSTREAM_CHANGED' = 'NETWORK'): MergeopsError {
  return new MergeopsError(code, `${src.label}: bytes ${first}-${last}: ${what}`, hint);
}

/** Reads into `into` the bytes of `src` from `offset`. Resolves with request counts. */
export async function rangeRead(src: HttpSource, offset: number, into: Uint8Array, opts: RangeReadOptions = {}): Promise<RangeReadStats> {
  const len = into.length;
  const stats: RangeReadStats = { requests: 0, retries: 0 };
  if (len === 0) return stats;
  const lastByte = offset + len - 1;
  if (offset < 0 || lastByte >= src.size) {
    throw fail(src, offset, lastByte, `outside the file (size ${src.size})`, 'the safetensors header does not match the file; re-resolve the model');
  }
  const doFetch = opts.fetch ?? fetch;
  const retries = opts.retries ?? 5;
  const backoff = opts.backoffMs ?? 500;
  const maxBackoff = opts.maxBackoffMs ?? 30_000;
  const idle = opts.idleTimeoutMs ?? 60_000;
  const progress = { got: 0 };
  let failures = 0;
  let resumes = 0;
  for (;;) {
    const before = progress.got;
    try {
      stats.requests++;
      await oneRequest(src, offset + before, lastByte, into, progress, doFetch, idle);
      if (progress.got === len) return stats;
      throw new Transient(`the response ended after ${progress.got - before} of ${len - before} bytes`);
    } catch (e) {
      if (!(e instanceof Transient)) throw e;
      const got = progress.got;
      // A partly successful attempt resumes where it stopped; only attempts without progress count.
      const progressed = got > before;
      if (progressed) resumes++;
      else failures++;
      if (failures > retries || resumes > MAX_RESUMES) {
        throw fail(src, offset, lastByte,
          `giving up after ${stats.requests} request(s), ${got} of ${len} bytes received: ${e.message}`,
          'the server or network keeps failing; retry later, check HF_ENDPOINT and your connection, or use --source-mode download');
      }
      const wait = Math.min(maxBackoff, e.retryAfterMs ?? (progressed ? 0 : backoff * 2 ** (failures - 1) * (0.75 + Math.random() / 2)));
      stats.retries++;
      opts.onRetry?.({ attempt: failures + resumes, waitMs: wait, reason: e.message, resumeAt: offset + got });
      if (wait > 0) await sleep(wait);
    }
  }
}

/** One GET of [start, lastByte]; writes into `into` from `progress.got`, advancing it per chunk. */
async function oneRequest(src: HttpSource, start: number, lastByte: number, into: Uint8Array, progress: { got: number },
  doFetch: typeof fetch, idleMs: number): Promise<void> {
  const ac = new AbortController();
  let timer = setTimeout(() => ac.abort(), idleMs);
  const touch = (): void => { clearTimeout(timer); timer = setTimeout(() => ac.abort(), idleMs); };
  let received = 0;
  try {
    let res: Response;
    try {
      res = await doFetch(src.url, { headers: { ...src.headers, Range: `bytes=${start}-${lastByte}` }, signal: ac.signal, redirect: 'follow' });
    } catch (e) {
      throw new Transient(ac.signal.aborted ? `no response within ${idleMs} ms` : `request failed: ${causeText(e)}`);
    }
    if (res.status !== 206 && res.status !== 200) {
      await res.body?.cancel().catch(() => undefined);
      if (RETRY_STATUS.has(res.status)) throw new Transient(`HTTP ${res.status}`, retryAfterMs(res.headers.get('retry-after')));
      const hint = res.status === 401 || res.status === 403
        ? 'the repo may be private or gated: set HF_TOKEN (or the hf-token input) to a token with read access'
        : res.status === 404 ? 'the file or revision is gone upstream; re-resolve the recipe (mergeops lock)'
          : res.status === 416 ? 'the file is shorter than expected: it changed upstream; re-resolve the recipe (mergeops lock)'
            : 'check HF_ENDPOINT and the model id';
      throw fail(src, start, lastByte, `HTTP ${res.status} from ${redact(src.url)}`, hint, res.status === 416 ? 'UPSTREAM_CHANGED' : 'NETWORK');
    }
    const tag = etagSha256(res);
    if (src.sha256 && tag && tag !== src.sha256.toLowerCase()) {
      await res.body?.cancel().catch(() => undefined);
      throw fail(src, start, lastByte, `the file changed upstream: its ETag is ${tag}, expected sha256 ${src.sha256}`,
        'the revision was rewritten or the file replaced; re-resolve the recipe (mergeops lock) and run again', 'UPSTREAM_CHANGED');
    }
    if (res.status === 206) {
      const cr = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(res.headers.get('content-range') ?? '');
      if (!cr) throw fail(src, start, lastByte, `206 without a valid Content-Range (${res.headers.get('content-range')})`, 'the server does not support range requests properly; use --source-mode download');
      if (cr[3] !== '*' && Number(cr[3]) !== src.size) {
        await res.body?.cancel().catch(() => undefined);
        throw fail(src, start, lastByte, `the file is now ${cr[3]} bytes, expected ${src.size}`,
          'the file changed upstream; re-resolve the recipe (mergeops lock) and run again', 'UPSTREAM_CHANGED');
      }
      if (Number(cr[1]) !== start || Number(cr[2]) > lastByte) {
        await res.body?.cancel().catch(() => undefined);
        throw fail(src, start, lastByte, `the server sent bytes ${cr[1]}-${cr[2]} instead`, 'the server does not honour Range; use --source-mode download');
      }
    } else if (start !== 0 || lastByte !== src.size - 1) {
      // 200 is the whole file: only acceptable when the whole file was asked for.
      await res.body?.cancel().catch(() => undefined);
      throw fail(src, start, lastByte, 'the server ignored the Range header (HTTP 200)', 'use --source-mode download for this endpoint');
    }
    const want = lastByte - start + 1;
    const reader = res.body?.getReader();
    if (!reader) throw new Transient('empty body');
    try {
      for (;;) {
        let r: Awaited<ReturnType<typeof reader.read>>;
        try {
          r = await reader.read();
        } catch (e) {
          throw new Transient(ac.signal.aborted ? `no data for ${idleMs} ms` : `the connection broke: ${causeText(e)}`);
        }
        if (r.done) break;
        touch();
        const chunk = r.value;
        if (received + chunk.length > want) {
          throw fail(src, start, lastByte, `the server sent more than the ${want} bytes asked for`, 'the server is misbehaving; use --source-mode download');
        }
        into.set(chunk, progress.got);
        progress.got += chunk.length;
        received += chunk.length;
      }
    } finally {
      reader.releaseLock();
    }
  } finally {
    clearTimeout(timer);
  }
}

function causeText(e: unknown): string {
  if (e instanceof Error) {
    const c = (e as Error & { cause?: unknown }).cause;
    return c instanceof Error ? `${e.message} (${c.message})` : e.message;
  }
  return String(e);
}

/** URL without query (signed URLs carry secrets in it). */
function redact(url: string): string {
  const i = url.indexOf('?');
  return i < 0 ? url : `${url.slice(0, i)}?…`;
}
