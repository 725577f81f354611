/**
 * build mode end to end: `node dist/index.js` on a push event over a real git history, against
 * the Hub test server (models), the Actions cache emulator (model shards and the node-llama-cpp
 * runtime) and the GitHub API test server (the lockfile commit). The first runner fetches from
 * the Hub, installs node-llama-cpp with npm (offline, from npm's cache: no network in tests) and
 * saves both to the Actions cache; a fresh second runner restores them and downloads nothing.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ActionsCacheServer } from '../servers/actions-cache-server.js';
import { TestGitHub } from '../servers/github-server.js';
import { TestHub } from '../servers/hub-server.js';
import { bundleAction, runAction, TestRepo, type RunSpec } from '../support/action-runner.js';
import { EXAMPLE_MODELS, tempDir } from '../support/tmp.js';

const t = tempDir('mergeops-build-');
let hub: TestHub;
let gh: TestGitHub;
let cacheService: ActionsCacheServer;
let index: string;
let repo: TestRepo;
let before: string;
let after: string;

const RECIPE = `merge_method: linear
models:
  - model: acts/base
    parameters: {weight: 0.5}
  - model: acts/add
    parameters: {weight: 0.5}
mergeops:
  quantize: [Q8_0]
  license: apache-2.0
  eval:
    prompts: [{prompt: "12+34=", expect: "46", max_tokens: 8}]
    compare_inputs: true
`;

beforeAll(async () => {
  hub = await TestHub.start();
  gh = await TestGitHub.start();
  cacheService = await ActionsCacheServer.start();
  for (const m of ['base', 'add']) hub.addFolder(`acts/${m}`, join(EXAMPLE_MODELS, m));
  index = bundleAction(t.dir);
  repo = new TestRepo(t.dir);
  gh.addRepo('octo/models', repo.bare);
  before = repo.commit({ 'README.md': 'models\n', 'recipes/other/other.yml': RECIPE.replace('0.5}\n  - model: acts/add', '0.25}\n  - model: acts/add') }, 'start');
  after = repo.commit({ 'recipes/blend/blend.yml': RECIPE }, 'add blend');
  repo.push('main');
}, 60_000);
afterAll(async () => {
  await hub.close();
  await gh.close();
  await cacheService.close();
  t.cleanup();
});

function spec(run: string, inputs: Record<string, string> = {}): RunSpec {
  repo.reset();
  const temp = join(t.dir, run, 'runner-temp');
  return {
    index, workspace: repo.work, dir: join(t.dir, run), event: 'push', repository: 'octo/models', sha: after, ref: 'refs/heads/main',
    payload: { ref: 'refs/heads/main', before, after, repository: { full_name: 'octo/models' } },
    inputs: { 'github-token': gh.token, 'hf-token': 'hf_test_token', 'hf-endpoint': hub.url, 'out': join(t.dir, run, 'out'), publish: 'hf:tester/{name}', ...inputs },
    env: {
      ...gh.env(), ...cacheService.env(temp),
      // The same paths on every runner (as ~/.cache and the tool cache are): @actions/cache versions entries by path.
      MERGEOPS_CACHE: join(t.dir, 'shard-cache'), RUNNER_TOOL_CACHE: join(t.dir, 'toolcache'),
      // npm installs node-llama-cpp from its local cache: tests reach no network.
      npm_config_offline: 'true',
    },
  };
}

describe('build mode', () => {
  it('builds the pushed recipe, writes the summary and outputs, commits the lockfile; a fresh runner restores from the Actions cache', async () => {
    const first = await runAction(spec('run1', { 'commit-lockfile': 'true' }));
    expect(first.stdout).not.toContain('::error');
    expect(first.status).toBe(0);
    // Only the recipe the push added.
    expect(JSON.parse(first.outputs['changed-recipes'])).toEqual(['recipes/blend/blend.yml']);
    const models = JSON.parse(first.outputs.models) as Record<string, { files: string[]; out: string; repos: string[]; commits: string[] }>;
    // Published: the safetensors repo and the GGUF repo, byte for byte what was built.
    expect(models['recipes/blend/blend.yml'].repos).toEqual(['tester/blend', 'tester/blend-GGUF']);
    expect(models['recipes/blend/blend.yml'].commits).toEqual([hub.sha('tester/blend'), hub.sha('tester/blend-GGUF')]);
    const built = join(t.dir, 'run1', 'out', 'blend');
    expect(Buffer.compare(hub.file('tester/blend', 'main', 'model.safetensors')!.data, readFileSync(join(built, 'model.safetensors')))).toBe(0);
    const gguf = models['recipes/blend/blend.yml'].files.find((f) => f.endsWith('.gguf'))!;
    expect(Buffer.compare(hub.file('tester/blend-GGUF', 'main', gguf)!.data, readFileSync(join(built, gguf)))).toBe(0);
    expect(first.summary).toContain(`Published: [tester/blend](${hub.url}/tester/blend) @ \`${hub.sha('tester/blend')!.slice(0, 12)}\``);
    expect(models['recipes/blend/blend.yml'].files).toEqual(expect.arrayContaining(['model.safetensors', 'config.json']));
    expect(models['recipes/blend/blend.yml'].files.some((f) => f.endsWith('.gguf'))).toBe(true);
    // Progress in the log, at a log's rate.
    const progress = first.stdout.split('\n').filter((l) => l.startsWith('progress:'));
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.length).toBeLessThanOrEqual(11);
    // The job summary: pinned inputs, outputs with sizes, timings and memory.
    expect(first.summary).toContain('recipes/blend/blend.yml');
    expect(first.summary).toContain(hub.sha('acts/add')!.slice(0, 12));
    expect(first.summary).toMatch(/model\.safetensors.*\| [\d.]+ MB \|/);
    expect(first.summary).toMatch(/peak memory [\d.]+ MB/);
    // The lockfile, with the outputs recorded, committed back to main on top of the pushed commit.
    const lock = JSON.parse(repo.originFile('main', 'recipes/blend/mergeops.lock')!) as { models: Record<string, { sha: string }>; outputs: { path: string }[] };
    expect(lock.models['acts/add'].sha).toBe(hub.sha('acts/add'));
    expect(lock.outputs.map((o) => o.path)).toContain('model.safetensors');
    // node-llama-cpp installed at run time, outside the workspace, and cached with the two models.
    expect(first.stdout).toMatch(/node-llama-cpp 3\.22\.1: installed with npm/);
    expect(existsSync(join(t.dir, 'toolcache', 'mergeops-node-llama-cpp', '3.22.1'))).toBe(true);
    expect(existsSync(join(repo.work, 'node_modules'))).toBe(false);
    // The two models, the runtime, and the inputs' eval results.
    expect(cacheService.counters.uploads).toBe(4);
    expect(first.stdout).toContain('eval results saved to the Actions cache (2 new)');
    // The eval ran with that runtime (the GGUF's load check), and says so in the outputs and the summary.
    const evalSummary = JSON.parse(first.outputs['eval-summary']) as Record<string, { ran: boolean; passed: boolean }>;
    expect(evalSummary['recipes/blend/blend.yml']).toMatchObject({ ran: true, passed: true });
    expect(first.summary).toContain('load blend');

    hub.resetCounters();
    const published = hub.sha('tester/blend');
    // A fresh runner: nothing cached on disk.
    rmSync(join(t.dir, 'shard-cache'), { recursive: true, force: true });
    rmSync(join(t.dir, 'toolcache'), { recursive: true, force: true });
    const second = await runAction(spec('run2'));
    expect(second.stdout).not.toContain('::error');
    expect(second.status).toBe(0);
    expect(second.stdout).toMatch(/node-llama-cpp 3\.22\.1: restored from the Actions cache/);
    expect(second.stdout).not.toMatch(/installed with npm/);
    expect(second.stdout).toContain('restored from the Actions cache');
    expect(cacheService.counters.downloads).toBe(4);
    // The inputs' results came from the first runner: only the merge was checked, and nothing new was saved.
    const evalJson = JSON.parse(readFileSync(join(t.dir, 'run2', 'out', 'blend', 'eval.json'), 'utf8')) as { models: { role: string; cached?: boolean }[] };
    expect(evalJson.models.filter((m) => m.role === 'input').map((m) => m.cached)).toEqual([true, true]);
    expect(second.stdout).not.toContain('eval results saved');
    expect(cacheService.counters.uploads).toBe(4);
    expect(JSON.parse(second.outputs['eval-summary'])['recipes/blend/blend.yml']).toMatchObject({ ran: true, passed: true });
    // The same build again: nothing to commit on the Hub.
    expect(hub.sha('tester/blend')).toBe(published);
    expect(second.summary).toContain('(already up to date)');
    // No weights fetched again (the lockfile step reads the small config and tokenizer files).
    const weights = [...hub.counters.bytesByFile].filter(([f]) => f.endsWith('.safetensors'));
    expect(weights.reduce((a, [, n]) => a + n, 0)).toBeLessThan(100_000);
    expect(hub.counters.fullDownloadPaths.filter((p) => p.endsWith('.safetensors'))).toEqual([]);
    const o1 = join(t.dir, 'run1', 'out', 'blend', 'model.safetensors');
    const o2 = join(t.dir, 'run2', 'out', 'blend', 'model.safetensors');
    expect(Buffer.compare(readFileSync(o1), readFileSync(o2))).toBe(0);
  });

  it('without llama.cpp for the runner, warns and reports the eval as not run (never passed)', async () => {
    const s = spec('run3', { cache: 'false', publish: '' });
    // npm cannot install it here: an empty npm cache, offline (as a runner cut off from the registry).
    const r = await runAction({ ...s, env: { ...s.env, RUNNER_TOOL_CACHE: join(t.dir, 'toolcache-none'), npm_config_cache: join(t.dir, 'empty-npm-cache') } });
    expect(r.status).toBe(0);
    expect(r.annotations.filter((a) => a.startsWith('::warning'))).toEqual([expect.stringMatching(/^::warning::the eval will not run: npm could not install node-llama-cpp 3\.22\.1/)]);
    const e = JSON.parse(r.outputs['eval-summary'])['recipes/blend/blend.yml'] as { ran: boolean; passed?: boolean; reason: string };
    expect(e.ran).toBe(false);
    expect(e.passed).toBeUndefined();
    expect(e.reason).toContain('npm could not install');
    expect(r.summary).toContain('Not run: ');
  });
});
