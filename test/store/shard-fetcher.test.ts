/**
 * Download mode's scheduler against the test Hub: shards come in the order the merge needs them,
 * a shard needed now jumps the queue, each lands in the cache verified, and `ready` resolves as
 * soon as its own shard is there (not after all of them).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileUrl } from '../../src/hub/hub-options.js';
import type { PendingShard } from '../../src/store/download-shard.js';
import { ShardCache } from '../../src/store/shard-cache.js';
import { ShardFetcher } from '../../src/store/shard-fetcher.js';
import { TestHub } from '../servers/hub-server.js';
import { EXAMPLE_MODELS, tempDir } from '../support/tmp.js';

let hub: TestHub;
const t = tempDir('mergeops-fetcher-');
beforeAll(async () => {
  hub = await TestHub.start();
  for (const m of ['base', 'add', 'rev']) hub.addFolder(`f/${m}`, join(EXAMPLE_MODELS, m));
});
afterAll(async () => { await hub.close(); t.cleanup(); });

function pending(cache: ShardCache, m: string): PendingShard {
  const sha = hub.sha(`f/${m}`)!;
  const f = hub.file(`f/${m}`, sha, 'model.safetensors')!;
  return {
    src: { url: fileUrl({ hubUrl: hub.url }, `f/${m}`, sha, 'model.safetensors'), size: f.data.length, label: `f/${m}: model.safetensors`, sha256: f.sha256 },
    dest: cache.pathOf(`f/${m}`, sha, 'model.safetensors'),
  };
}

describe('ShardFetcher', () => {
  it('downloads in the order of need, one at a time here, and a shard needed now jumps the queue', async () => {
    const cache = new ShardCache(join(t.dir, 'c1'));
    const [base, add, rev] = ['base', 'add', 'rev'].map((m) => pending(cache, m));
    hub.resetCounters();
    // Order of need: rev, base, add. `rev` starts at once; `add` is asked for before `base` starts.
    hub.inject({ kind: 'slow', delayMs: 400 }, { path: 'model.safetensors' });
    const f = new ShardFetcher([base, add, rev], cache, { parallel: 1 }, [rev.dest, base.dest, add.dest]);
    const addReady = f.ready(add.dest);
    await f.ready(rev.dest);
    expect(readFileSync(rev.dest).length).toBe(rev.src.size);
    await addReady;
    await f.all();
    const order = hub.counters.log.filter((l) => l.startsWith('GET /f/')).map((l) => l.split('/')[2]);
    expect(order).toEqual(['rev', 'add', 'base']);
    for (const p of [base, add, rev]) {
      expect(createHash('sha256').update(readFileSync(p.dest)).digest('hex')).toBe(p.src.sha256);
    }
  });

  it('resolves a shard as soon as it is there, while others are still downloading', async () => {
    const cache = new ShardCache(join(t.dir, 'c2'));
    const [base, add] = ['base', 'add'].map((m) => pending(cache, m));
    hub.clearFaults();
    hub.inject({ kind: 'slow', delayMs: 1500 }, { path: 'model.safetensors' }); // the first request: base
    const f = new ShardFetcher([base, add], cache, { parallel: 2 }, [base.dest, add.dest]);
    const t0 = performance.now();
    await f.ready(add.dest);
    expect(performance.now() - t0).toBeLessThan(1200);
    await f.ready(base.dest);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(1400);
  });

  it('reports a failed download to whoever waits for it, and caches nothing', async () => {
    const cache = new ShardCache(join(t.dir, 'c3'));
    const rev = pending(cache, 'rev');
    hub.clearFaults();
    hub.inject({ kind: 'corrupt' }, { path: 'model.safetensors', times: 100 });
    const f = new ShardFetcher([rev], cache, {}, [rev.dest]);
    await expect(f.ready(rev.dest)).rejects.toThrow(/f\/rev: model\.safetensors: bytes 0-\d+: the downloaded file has sha256/);
    expect(cache.entries()).toEqual([]);
    hub.clearFaults();
  });
});
