/**
 * Low-disk publishing: the output is written to a size-limited folder (a tmpfs mounted for the
 * test, 1/4 of the output's size) and still published whole, each finished shard uploaded and
 * deleted while the merge goes on; the server ends with the same files as a normal run's.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { TestHub } from '../servers/hub-server.js';
import { runCliAsync } from '../support/cli.js';
import { EXAMPLE_MODELS, tempDir, writeRecipe } from '../support/tmp.js';

const TOKEN = 'hf_LowDiskToken123';
const QUOTA = 768 * 1024;
let hub: TestHub;
let tmp: { dir: string; cleanup: () => void };
let mnt: string;

beforeAll(async () => {
  hub = await TestHub.start();
  hub.addToken(TOKEN, { user: 'tester', role: 'write' });
  tmp = tempDir('mergeops-lowdisk-');
  mnt = join(tmp.dir, 'small-disk');
  mkdirSync(mnt);
  // A folder that holds at most QUOTA bytes: writing more fails with ENOSPC (the test runs as root, as CI does here).
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${QUOTA}`, 'tmpfs', mnt]);
});
afterAll(async () => {
  await hub.close();
  try { execFileSync('umount', [mnt]); } finally { tmp.cleanup(); }
});

const RECIPE = (): string => writeRecipe(tmp.dir, 'recipe.yml', `merge_method: task_arithmetic
base_model: ${join(EXAMPLE_MODELS, 'base')}
models:
  - model: ${join(EXAMPLE_MODELS, 'add')}
    parameters:
      weight: [0.5, 1.0]
  - model: ${join(EXAMPLE_MODELS, 'rev')}
    parameters:
      weight: 1.0
dtype: bfloat16
mergeops:
  license: apache-2.0
`);

const env = { HF_ENDPOINT: '', HF_TOKEN: TOKEN };

it('--low-disk publishes an output 4x larger than the disk it is written to, with the same files as a normal run', async () => {
  env.HF_ENDPOINT = hub.url;
  const recipe = RECIPE();
  const common = ['--out-shard-size', '100K', '--threads', '1', '--no-eval'];
  const normal = await runCliAsync(['run', recipe, '--out', join(tmp.dir, 'normal'), ...common, '--publish', 'hf:tester/normal'], { env });
  expect(normal.stderr).not.toContain('error');
  expect(normal.status).toBe(0);
  const files = hub.files('tester/normal');
  const outputBytes = [...files.values()].reduce((a, f) => a + f.data.length, 0);
  expect(outputBytes).toBeGreaterThanOrEqual(4 * QUOTA);
  expect(statfsSync(mnt).blocks * statfsSync(mnt).bsize).toBeLessThanOrEqual(QUOTA);

  // Without --low-disk, the output does not fit: plain runs fail (and leave nothing)...
  const plain = await runCliAsync(['run', recipe, '--out', join(mnt, 'plain'), ...common], { env });
  expect(plain.status).not.toBe(0);
  expect(plain.stderr).not.toContain('internal error');

  // ... and a publishing run uploads each finished shard and deletes it.
  const low = await runCliAsync(['run', recipe, '--out', join(mnt, 'out'), ...common, '--publish', 'hf:tester/low', '--low-disk'], { env });
  expect(low.stderr).not.toContain('internal error');
  expect(low.status).toBe(0);
  expect(low.stderr).toContain('low-disk mode');
  expect(low.stdout).toMatch(/low-disk: \d+ file\(s\) uploaded during the merge/);
  const lowFiles = hub.files('tester/low');
  expect([...lowFiles.keys()].sort()).toEqual([...files.keys()].sort());
  for (const [name, f] of files) {
    if (name === 'README.md') continue; // names its repo
    expect([name, lowFiles.get(name)?.sha256]).toEqual([name, f.sha256]);
  }
  expect(hub.history('tester/low')).toHaveLength(2); // the repo's creation, then one commit

  // The automatic switch: a publishing run whose output does not fit the free disk goes low-disk by itself.
  const auto = await runCliAsync(['run', recipe, '--out', join(mnt, 'auto'), ...common, '--publish', 'hf:tester/auto'], { env });
  expect(auto.status).toBe(0);
  expect(auto.stderr).toContain('does not fit the free disk');
  const autoFiles = hub.files('tester/auto');
  for (const [name, f] of files) if (name !== 'README.md') expect([name, autoFiles.get(name)?.sha256]).toEqual([name, f.sha256]);
});
