/**
 * No secret in any output: the scanner finds a planted token and URL credential, and real runs
 * against the test Hub with a token and with credentials in HF_ENDPOINT print neither. (The jest
 * global teardown runs the same scan over every CLI and Action output the whole suite captured.)
 */
import { join } from 'node:path';
import { TestHub } from '../servers/hub-server.js';
import { runCliAsync } from '../support/cli.js';
import { scanRecords, secretsOf } from '../support/output-capture.js';
import { EXAMPLE_MODELS, tempDir, writeRecipe } from '../support/tmp.js';

let hub: TestHub;
const t = tempDir('mergeops-secrets-');
beforeAll(async () => {
  hub = await TestHub.start();
  hub.addFolder('sec/base', join(EXAMPLE_MODELS, 'base'));
});
afterAll(async () => { await hub.close(); t.cleanup(); });

const record = (env: Record<string, string>, text: string): string => JSON.stringify({ what: 't', secrets: secretsOf(env), text });

test('the scanner finds planted secrets, and accepts the runner mask command', () => {
  const env = { HF_TOKEN: 'hf_PlantedToken99', HF_ENDPOINT: 'https://bob:hunter2pw@hub.example' };
  expect(scanRecords([record(env, 'ok\n::add-mask::hf_PlantedToken99\nall fine')]).findings).toEqual([]);
  expect(scanRecords([record(env, 'fetching with hf_PlantedToken99')]).findings).toHaveLength(1);
  expect(scanRecords([record(env, 'GET https://bob:hunter2pw@hub.example/api')]).findings.length).toBeGreaterThan(0);
  expect(scanRecords([record({}, 'GET https://carol:pw@other.example/x')]).findings).toHaveLength(1);
});

test('Hub runs print neither the token nor credentials embedded in HF_ENDPOINT', async () => {
  const recipe = writeRecipe(t.dir, 'r.yml', 'merge_method: linear\nmodels:\n  - model: sec/base\n    parameters: {weight: 1}\n');
  const token = 'hf_test_token'; // the test Hub's valid token
  const ok = await runCliAsync(['run', recipe, '--out', join(t.dir, 'out'), '--cache-dir', join(t.dir, 'cache')], { env: { HF_ENDPOINT: hub.url, HF_TOKEN: token } });
  expect(ok.status).toBe(0);
  const withCreds = hub.url.replace('://', '://alice:Pa55word77@');
  const bad = await runCliAsync(['plan', recipe, '--cache-dir', join(t.dir, 'cache2')], { env: { HF_ENDPOINT: withCreds, HF_TOKEN: token } });
  expect(bad.stderr).not.toMatch(/internal error/);
  for (const r of [ok, bad]) {
    const env = { HF_ENDPOINT: withCreds, HF_TOKEN: token };
    expect(scanRecords([record(env, `${r.stdout}\n${r.stderr}`)]).findings).toEqual([]);
  }
});
