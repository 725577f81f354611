/**
 * The Action end to end, as a runner starts it (INPUT_* variables), against the test Hub and the
 * Actions cache emulator: the first run fetches from the Hub and saves each model@sha to the
 * Actions cache; a second run on a fresh machine (empty shard cache) restores them and makes no
 * Hub download, with identical output.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ActionsCacheServer } from '../servers/actions-cache-server.js';
import { TestHub } from '../servers/hub-server.js';
import { EXAMPLE_MODELS, tempDir, writeRecipe } from '../support/tmp.js';

const ACTION = fileURLToPath(new URL('../../src/action/main.js', import.meta.url));
let hub: TestHub;
let cacheService: ActionsCacheServer;
const t = tempDir('mergeops-action-');

beforeAll(async () => {
  hub = await TestHub.start();
  cacheService = await ActionsCacheServer.start();
  for (const m of ['base', 'add']) hub.addFolder(`acts/${m}`, join(EXAMPLE_MODELS, m));
});
afterAll(async () => {
  await hub.close();
  await cacheService.close();
  t.cleanup();
});

function runAction(machine: string, env: Record<string, string>): Promise<{ status: number; stdout: string }> {
  const temp = join(t.dir, machine, 'temp');
  mkdirSync(temp, { recursive: true });
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [ACTION], {
      cwd: t.dir,
      env: {
        ...process.env, ...cacheService.env(temp), ...env,
        GITHUB_WORKSPACE: t.dir, GITHUB_SERVER_URL: 'https://github.com', HF_ENDPOINT: hub.url,
        // The same path on every runner (as ~/.cache is): @actions/cache versions entries by path.
        MERGEOPS_CACHE: join(t.dir, 'shard-cache'),
      },
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ status: code ?? -1, stdout }));
  });
}

describe('Action with the Actions cache', () => {
  it('saves fetched models, and a fresh runner restores them without downloading from the Hub', async () => {
    const recipe = writeRecipe(t.dir, 'recipe.yml', 'merge_method: linear\nmodels:\n  - model: acts/base\n    parameters: {weight: 0.5}\n  - model: acts/add\n    parameters: {weight: 0.5}\n');
    const inputs = (out: string): Record<string, string> => ({ INPUT_RECIPE: recipe, INPUT_OUT: join(t.dir, out), 'INPUT_HF-TOKEN': 'hf_test_token' });

    const first = await runAction('runner1', inputs('out1'));
    expect(first.stdout).not.toContain('::error');
    expect(first.status).toBe(0);
    expect(first.stdout).toContain('saved');
    // The token appears only in the command that tells the runner to mask it.
    expect(first.stdout.split('\n').filter((l) => l.includes('hf_test_token'))).toEqual(['::add-mask::hf_test_token']);
    expect(cacheService.counters.uploads).toBe(2);
    expect(hub.counters.resolveBytes).toBeGreaterThan(3_000_000);

    hub.resetCounters();
    rmSync(join(t.dir, 'shard-cache'), { recursive: true, force: true }); // a fresh runner
    const second = await runAction('runner2', inputs('out2'));
    expect(second.status).toBe(0);
    expect(second.stdout).toContain('restored from the Actions cache');
    expect(cacheService.counters.downloads).toBe(2);
    expect(hub.counters.resolveRequests).toBe(0);
    expect(Buffer.compare(readFileSync(join(t.dir, 'out1', 'model.safetensors')), readFileSync(join(t.dir, 'out2', 'model.safetensors')))).toBe(0);
  });
});
