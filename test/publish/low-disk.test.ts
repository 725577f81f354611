/**
 * Low-disk publishing: the output is written to a size-limited folder (a tmpfs mounted for the
 * test, 1/4 of the output's size) and still published whole, each finished shard uploaded and
 * deleted while the merge goes on; the server ends with the same files as a normal run's.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, statfsSync, writeFileSync } from 'node:fs';
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
  // No GGUF asked for: no GGUF repo, and the card points to none.
  expect(hub.files('tester/normal-GGUF').size).toBe(0);
  expect(files.get('README.md')!.data.toString()).not.toMatch(/GGUF files for llama\.cpp|normal-GGUF/);
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

it("with eval checks and no GGUF, low-disk mode (asked or automatic) refuses before the merge: the checks would have no model to run on", async () => {
  env.HF_ENDPOINT = hub.url;
  const evalFile = join(tmp.dir, 'checks.yml');
  writeFileSync(evalFile, 'prompts:\n  - {prompt: "12+34=", regex: "^[0-9]+$", max_tokens: 8}\nmin_pass_rate: 0.5\n');
  const common = ['--out-shard-size', '100K', '--threads', '1', '--eval', evalFile];
  for (const [out, extra] of [['asked', ['--low-disk']], ['automatic', []]] as const) {
    const r = await runCliAsync(['run', RECIPE(), '--out', join(mnt, out), ...common, '--publish', `hf:tester/refused-${out}`, ...extra], { env });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/low-disk mode would delete every shard once uploaded, and the eval's checks would have no model to run on/);
    expect(r.stderr).toMatch(/--gguf Q8_0.*--no-eval/);
    expect(r.stderr).not.toMatch(/merging \d+ tensors|internal error/);
    // Refused before any upload: no repo made.
    expect(hub.files(`tester/refused-${out}`).size).toBe(0);
  }
  // With a GGUF to run the checks on, the same low-disk run evaluates and publishes (on a larger
  // disk: the GGUF stays until the eval and the commit).
  const ok = await runCliAsync(['run', RECIPE(), '--out', join(tmp.dir, 'with-gguf'), ...common, '--gguf', 'Q8_0', '--publish', 'hf:tester/with-gguf', '--low-disk'], { env });
  expect(ok.stderr).not.toContain('internal error');
  expect(ok.status).toBe(0);
  expect(ok.stdout).toContain('gate: passed');
  expect(ok.stdout).toMatch(/low-disk: \d+ file\(s\) uploaded during the merge/);
});
