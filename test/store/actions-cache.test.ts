/** `@actions/cache` save and restore of cached model snapshots against the cache service emulator. */
import { mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  actionsCacheKey, evalResultsKey, restoreEvalResultsFromActionsCache, restoreModelFromActionsCache, saveEvalResultsToActionsCache, saveModelToActionsCache,
} from '../../src/store/actions-cache.js';
import { ShardCache } from '../../src/store/shard-cache.js';
import { ActionsCacheServer } from '../servers/actions-cache-server.js';
import { EXAMPLE_MODELS, tempDir } from '../support/tmp.js';

const REPO = 'mergeops-test/base';
const SHA = 'a'.repeat(40);
let server: ActionsCacheServer;
const t = tempDir('mergeops-actions-cache-');
const saved: Record<string, string | undefined> = {};

beforeAll(async () => {
  server = await ActionsCacheServer.start();
  const runnerTemp = join(t.dir, 'runner-temp');
  mkdirSync(runnerTemp);
  const env = { ...server.env(runnerTemp), GITHUB_WORKSPACE: t.dir, GITHUB_SERVER_URL: 'https://github.com' };
  for (const [k, v] of Object.entries(env)) { saved[k] = process.env[k]; process.env[k] = v; }
});
afterAll(async () => {
  for (const [k, v] of Object.entries(saved)) { if (v === undefined) delete process.env[k]; else process.env[k] = v; }
  await server.close();
  t.cleanup();
});

function fillSnapshot(store: ShardCache): Buffer {
  const shard = readFileSync(join(EXAMPLE_MODELS, 'base', 'model.safetensors'));
  store.putBytes(store.pathOf(REPO, SHA, 'model.safetensors'), shard);
  store.putBytes(store.pathOf(REPO, SHA, 'config.json'), readFileSync(join(EXAMPLE_MODELS, 'base', 'config.json')));
  writeFileSync(store.pathOf(REPO, SHA, '.mergeops-files.json'), JSON.stringify([
    { path: 'config.json', size: readFileSync(join(EXAMPLE_MODELS, 'base', 'config.json')).length },
    { path: 'model.safetensors', size: shard.length },
  ]));
  return shard;
}

describe('Actions cache', () => {
  it('saves a model snapshot, then restores it byte for byte into an empty cache', async () => {
    const store = new ShardCache(join(t.dir, 'cache'));
    const shard = fillSnapshot(store);
    const lines: string[] = [];
    expect(await saveModelToActionsCache(store, REPO, SHA, { log: (l) => lines.push(l) })).toBe('saved');
    expect(server.counters.uploads).toBe(1);
    expect(server.entries[0].key).toBe(actionsCacheKey(REPO, SHA));
    expect(lines.join('\n')).toContain('saved');

    rmSync(store.root, { recursive: true, force: true });
    expect(await restoreModelFromActionsCache(store, REPO, SHA)).toBe(true);
    expect(server.counters.downloads).toBe(1);
    expect(Buffer.compare(readFileSync(store.pathOf(REPO, SHA, 'model.safetensors')), shard)).toBe(0);
    expect(store.lookup(REPO, SHA, 'model.safetensors', shard.length)).toBeDefined();
  });

  it('misses for another commit', async () => {
    const store = new ShardCache(join(t.dir, 'cache-miss'));
    expect(await restoreModelFromActionsCache(store, REPO, 'b'.repeat(40))).toBe(false);
    expect(existsSync(store.snapshotDir(REPO, 'b'.repeat(40)))).toBe(false);
  });

  it('does not save a model over the budget, and says so', async () => {
    const store = new ShardCache(join(t.dir, 'cache-big'));
    fillSnapshot(store);
    const lines: string[] = [];
    const before = server.counters.uploads;
    expect(await saveModelToActionsCache(store, REPO, SHA, { budgetBytes: 1e6, log: (l) => lines.push(l) })).toBe('too-large');
    expect(server.counters.uploads).toBe(before);
    expect(lines[0]).toMatch(/mergeops-test\/base@a{40}: 3\.5 GB|mergeops-test\/base@a{40}: 0\.0 GB/);
    expect(lines[0]).toContain('not saved');
  });

  it('eval results: restored from the newest entry, saved under a new key only when a run added some', async () => {
    // Each run on a fresh runner: the same cache path (the Actions cache's version hashes the paths), empty at the start.
    const fresh = (): ShardCache => {
      rmSync(join(t.dir, 'eval-runs'), { recursive: true, force: true });
      return new ShardCache(join(t.dir, 'eval-runs'));
    };
    const entry = (store: ShardCache, name: string): void => {
      mkdirSync(join(store.root, 'eval'), { recursive: true });
      writeFileSync(join(store.root, 'eval', `${name}.json`), JSON.stringify({ format: 1, results: { prompts: [], tasks: [], name } }));
    };
    // Run 1: nothing to restore; one input checked.
    const run1 = fresh();
    const before1 = await restoreEvalResultsFromActionsCache(run1);
    expect(before1).toEqual([]);
    entry(run1, 'aaa');
    expect(await saveEvalResultsToActionsCache(run1, before1)).toBe('saved');
    // Run 2, on a fresh runner: gets run 1's results; adds one.
    const run2 = fresh();
    const before2 = await restoreEvalResultsFromActionsCache(run2);
    expect(before2).toEqual(['aaa.json']);
    expect(readFileSync(join(run2.root, 'eval', 'aaa.json'), 'utf8')).toContain('"aaa"');
    entry(run2, 'bbb');
    expect(await saveEvalResultsToActionsCache(run2, before2)).toBe('saved');
    // Run 3: the newest entry holds both; nothing new, nothing saved.
    const run3 = fresh();
    const before3 = await restoreEvalResultsFromActionsCache(run3);
    expect(before3).toEqual(['aaa.json', 'bbb.json']);
    const uploads = server.counters.uploads;
    expect(await saveEvalResultsToActionsCache(run3, before3)).toBe('exists');
    expect(server.counters.uploads).toBe(uploads);
    expect(server.entries.filter((e) => e.key.startsWith('mergeops-eval-')).map((e) => e.key))
      .toEqual([evalResultsKey(['aaa.json']), evalResultsKey(['aaa.json', 'bbb.json'])]);
  });
});
