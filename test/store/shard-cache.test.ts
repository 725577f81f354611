/** The shard cache on disk: atomic writes, size-checked lookups, LRU eviction under a cap. */
import { existsSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ShardCache } from '../../src/store/shard-cache.js';
import { tempDir } from '../support/tmp.js';

const t = tempDir('mergeops-shard-cache-');
afterAll(t.cleanup);
const SHA = 'c'.repeat(40);

describe('ShardCache', () => {
  it('keys files by repo, commit and path, and finds them only at the right size', () => {
    const c = new ShardCache(join(t.dir, 'a'));
    const p = c.pathOf('org/m', SHA, 'sub/x.bin');
    expect(p).toBe(join(t.dir, 'a', 'models--org--m', SHA, 'sub', 'x.bin'));
    expect(c.lookup('org/m', SHA, 'sub/x.bin')).toBeUndefined();
    c.putBytes(p, new Uint8Array(10));
    expect(c.lookup('org/m', SHA, 'sub/x.bin', 10)).toBe(p);
    expect(c.lookup('org/m', SHA, 'sub/x.bin', 11)).toBeUndefined();
    // No temporary left behind.
    expect(readdirSync(join(t.dir, 'a', '.tmp'))).toEqual([]);
    expect(c.snapshots()).toEqual([{ repo: 'org/m', sha: SHA, dir: c.snapshotDir('org/m', SHA) }]);
  });

  it('evicts least recently used files beyond the cap, never the kept ones', () => {
    const c = new ShardCache(join(t.dir, 'b'), 250);
    const paths = ['a', 'b', 'c', 'd'].map((n, i) => {
      const p = c.pathOf('org/m', SHA, n);
      c.putBytes(p, new Uint8Array(100));
      const when = new Date(Date.now() - (10 - i) * 60_000); // a oldest … d newest
      utimesSync(p, when, when);
      return p;
    });
    c.lookup('org/m', SHA, 'a'); // used now: newest
    const evicted = c.evict(new Set([paths[1]]));
    // By last use: b (kept), c, d, a (just used) → c and d go, leaving 200 ≤ 250 bytes.
    expect(evicted).toEqual([paths[2], paths[3]]);
    expect(existsSync(paths[0])).toBe(true); // recently used
    expect(existsSync(paths[1])).toBe(true); // kept
    expect(c.totalBytes()).toBeLessThanOrEqual(250);
  });

  it('makes room for incoming bytes', () => {
    const c = new ShardCache(join(t.dir, 'c'), 300);
    for (const n of ['x', 'y']) c.putBytes(c.pathOf('org/m', SHA, n), new Uint8Array(100));
    c.evict(new Set(), 200);
    expect(c.totalBytes()).toBeLessThanOrEqual(100);
  });

  it('clears leftovers of interrupted writes by processes that are gone, not those of live ones', () => {
    const c = new ShardCache(join(t.dir, 'd'));
    const mine = c.tempPath();
    writeFileSync(mine, 'in progress');
    const dead = join(t.dir, 'd', '.tmp', '999999999-abc');
    writeFileSync(dead, 'partial');
    c.clearTemp();
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(mine)).toBe(true);
    expect(c.entries()).toEqual([]);
  });
});
