/**
 * rangeRead against the test Hub over real HTTP, one injected fault at a time: each is survived
 * (the bytes equal the file's) or ends in an error naming the file and the byte range.
 */
import { MergeopsError } from '../../src/errors.js';
import { fileUrl } from '../../src/hub/hub-options.js';
import { rangeRead } from '../../src/io/range-read.js';
import { readRemoteSafetensorsHeader } from '../support/remote-header.js';
import { ReadAhead } from '../../src/io/read-ahead.js';
import { readSafetensorsHeader } from '../../src/hub/local.js';
import { TestHub } from '../servers/hub-server.js';
import { EXAMPLE_MODELS } from '../support/tmp.js';
import type { HttpSource } from '../../src/model/tensor.js';
import { join } from 'node:path';

const REPO = 'mergeops-test/base';
const FILE = 'model.safetensors';
let hub: TestHub;
let sha: string;
let data: Buffer;
let src: HttpSource;

beforeAll(async () => {
  hub = await TestHub.start();
  sha = hub.addFolder(REPO, join(EXAMPLE_MODELS, 'base'));
  const f = hub.file(REPO, sha, FILE)!;
  data = f.data;
  src = { url: fileUrl({ hubUrl: hub.url }, REPO, sha, FILE), size: data.length, label: `${REPO}@${sha.slice(0, 12)}: ${FILE}`, sha256: f.sha256 };
});
afterAll(async () => { await hub.close(); });
beforeEach(() => { hub.clearFaults(); hub.resetCounters(); });

const fast = { backoffMs: 20, idleTimeoutMs: 2000 };
const OFFSET = 100_000;
const LEN = 1_500_000;

async function readRange(opts = {}): Promise<{ bytes: Uint8Array; requests: number; retries: number }> {
  const bytes = new Uint8Array(LEN);
  const s = await rangeRead(src, OFFSET, bytes, { ...fast, ...opts });
  return { bytes, ...s };
}

function expectSame(bytes: Uint8Array): void {
  expect(Buffer.compare(Buffer.from(bytes), data.subarray(OFFSET, OFFSET + LEN))).toBe(0);
}

async function rejection(p: Promise<unknown>): Promise<MergeopsError> {
  try { await p; } catch (e) { expect(e).toBeInstanceOf(MergeopsError); return e as MergeopsError; }
  throw new Error('expected a rejection');
}

describe('rangeRead', () => {
  it('reads a byte range in one request', async () => {
    const r = await readRange();
    expectSame(r.bytes);
    expect(r.requests).toBe(1);
    expect(hub.counters.resolveBytes).toBe(LEN);
  });

  it('resumes a body broken by a connection reset from the last byte received', async () => {
    hub.inject({ kind: 'reset', afterBytes: 300_000 });
    const r = await readRange();
    expectSame(r.bytes);
    expect(r.requests).toBe(2);
    // Resumed, not restarted: little more than the range crossed the wire.
    expect(hub.counters.resolveBytes).toBeLessThan(LEN + 300_000);
  });

  it.each([500, 502, 503])('retries HTTP %i', async (status) => {
    hub.inject({ kind: 'status', status }, { times: 2 });
    const r = await readRange();
    expectSame(r.bytes);
    expect(r.requests).toBe(3);
  });

  it('waits as long as Retry-After says on 429', async () => {
    hub.inject({ kind: 'status', status: 429, retryAfter: 1 });
    const t0 = performance.now();
    const r = await readRange();
    expect(performance.now() - t0).toBeGreaterThanOrEqual(950);
    expectSame(r.bytes);
  });

  it('abandons a response that stalls, then retries', async () => {
    hub.inject({ kind: 'slow', delayMs: 1500 });
    const r = await readRange({ idleTimeoutMs: 300 });
    expectSame(r.bytes);
    expect(r.requests).toBe(2);
  });

  it('notices a short body (clean end, fewer bytes) and fetches the rest', async () => {
    hub.inject({ kind: 'truncate', afterBytes: 1000 });
    const r = await readRange();
    expectSame(r.bytes);
    expect(r.requests).toBe(2);
  });

  it('fails clearly when the file changed upstream (ETag is another sha256)', async () => {
    hub.inject({ kind: 'changed' });
    const e = await rejection(readRange());
    expect(e.code).toBe('UPSTREAM_CHANGED');
    expect(e.message).toContain(`${REPO}@${sha.slice(0, 12)}: ${FILE}`);
    expect(e.message).toContain(`bytes ${OFFSET}-${OFFSET + LEN - 1}`);
    expect(e.message).toContain(src.sha256!);
  });

  it('gives up after the retries with an error naming the model, file and byte range', async () => {
    hub.inject({ kind: 'status', status: 500 }, { times: 10 });
    const e = await rejection(readRange({ retries: 2 }));
    expect(e.code).toBe('NETWORK');
    expect(e.message).toContain(`${REPO}@${sha.slice(0, 12)}: ${FILE}: bytes ${OFFSET}-${OFFSET + LEN - 1}`);
    expect(e.message).toContain('HTTP 500');
    expect(hub.counters.resolveRequests).toBe(3);
  });

  it('does not retry a 404, and says so', async () => {
    const e = await rejection(rangeRead({ ...src, url: fileUrl({ hubUrl: hub.url }, REPO, sha, 'nope.safetensors') }, 0, new Uint8Array(10), fast));
    expect(e.message).toContain('HTTP 404');
    expect(hub.counters.resolveRequests).toBe(1);
  });

  it('rejects a size that no longer matches (file replaced)', async () => {
    const e = await rejection(rangeRead({ ...src, size: src.size + 10, sha256: undefined }, 0, new Uint8Array(10), fast));
    expect(e.code).toBe('UPSTREAM_CHANGED');
    expect(e.message).toContain(`is now ${src.size} bytes`);
  });
});

describe('remote safetensors header', () => {
  it('equals the local header, read with two small range requests', async () => {
    const remote = await readRemoteSafetensorsHeader(src, fast);
    const local = await readSafetensorsHeader(join(EXAMPLE_MODELS, 'base', FILE));
    expect(remote.tensors).toEqual(local.tensors);
    expect(hub.counters.resolveRequests).toBe(2);
    expect(hub.counters.resolveBytes).toBeLessThan(20_000);
  });
});

describe('ReadAhead', () => {
  it('serves adjacent small reads from one block request, and big reads directly', async () => {
    const ra = new ReadAhead({ ...fast, smallBytes: 4096, blockBytes: 65536 });
    const small = [[1000, 100], [1100, 2000], [3100, 900], [65000, 1000]] as const; // the last straddles two blocks
    for (const [off, len] of small) {
      const b = new Uint8Array(len);
      await ra.read(src, off, b);
      expect(Buffer.compare(Buffer.from(b), data.subarray(off, off + len))).toBe(0);
    }
    expect(hub.counters.resolveRequests).toBe(2);
    const big = new Uint8Array(100_000);
    await ra.read(src, 200_000, big);
    expect(Buffer.compare(Buffer.from(big), data.subarray(200_000, 300_000))).toBe(0);
    expect(hub.counters.resolveRequests).toBe(3);
  });
});
