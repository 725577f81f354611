/**
 * drift mode end to end: a scheduled run of `node dist/index.js` over a repository whose recipe is
 * locked; an upstream model moves on the Hub test server; the Action opens exactly one pull
 * request bumping the lockfile (a real commit on a branch of the origin, via the GitHub API test
 * server); after a second move, the next run updates that pull request instead of opening another.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestGitHub } from '../servers/github-server.js';
import { TestHub } from '../servers/hub-server.js';
import { bundleAction, runAction, TestRepo, type RunSpec } from '../support/action-runner.js';
import { EXAMPLE_MODELS, tempDir } from '../support/tmp.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const t = tempDir('mergeops-drift-');
let hub: TestHub;
let gh: TestGitHub;
let index: string;
let repo: TestRepo;

const RECIPE = `merge_method: linear
models:
  - model: acts/base
    parameters: {weight: 0.5}
  - model: acts/add
    parameters: {weight: 0.5}
`;

beforeAll(async () => {
  hub = await TestHub.start();
  gh = await TestGitHub.start();
  for (const m of ['base', 'add']) hub.addFolder(`acts/${m}`, join(EXAMPLE_MODELS, m));
  index = bundleAction(t.dir);
  repo = new TestRepo(t.dir);
  gh.addRepo('octo/models', repo.bare);
  repo.commit({ 'recipes/blend/blend.yml': RECIPE }, 'recipe');
  // Async: the Hub test server answers from this process.
  await promisify(execFile)(process.execPath, [CLI, 'lock', 'recipes/blend/blend.yml'], { cwd: repo.work, env: { ...process.env, HF_ENDPOINT: hub.url } });
  repo.commit({}, 'lock');
  repo.push('main');
}, 60_000);
afterAll(async () => {
  await hub.close();
  await gh.close();
  t.cleanup();
});

function spec(run: string): RunSpec {
  repo.reset();
  return {
    index, workspace: repo.work, dir: join(t.dir, run), event: 'schedule', repository: 'octo/models',
    sha: repo.head(), ref: 'refs/heads/main', payload: { schedule: '17 4 * * *' },
    inputs: { 'github-token': gh.token, 'hf-endpoint': hub.url, recipes: 'recipes/**/*.yml' },
    env: gh.env(),
  };
}

function lockedSha(text: string | undefined, key: string): string | undefined {
  return text === undefined ? undefined : (JSON.parse(text) as { models: Record<string, { sha?: string }> }).models[key]?.sha;
}

describe('drift mode', () => {
  it('does nothing while upstream is where the lock says', async () => {
    const r = await runAction(spec('run0'));
    expect(r.stdout).not.toContain('::error');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('recipes/blend/blend.yml: up to date');
    expect(gh.pulls).toHaveLength(0);
  });

  it('opens one pull request bumping the lockfile, and updates it on the next move', async () => {
    const before = hub.sha('acts/add')!;
    const moved1 = hub.commitFiles('acts/add', new Map([['README.md', Buffer.from('# add v2\n')]]));
    expect(moved1).not.toBe(before);

    const first = await runAction(spec('run1'));
    expect(first.stdout).not.toContain('::error');
    expect(first.status).toBe(0);
    expect(gh.pulls).toHaveLength(1);
    const pr = gh.pulls[0];
    expect(pr).toMatchObject({ head: 'mergeops/drift', base: 'main', state: 'open' });
    expect(pr.body).toContain('`acts/add`');
    expect(pr.body).toContain(before.slice(0, 12));
    expect(pr.body).toContain(moved1.slice(0, 12));
    expect(pr.body).not.toContain('`acts/base`');
    // The branch holds one commit on top of main with the bumped lockfile.
    const lock1 = repo.originFile('mergeops/drift', 'recipes/blend/mergeops.lock');
    expect(lockedSha(lock1, 'acts/add')).toBe(moved1);
    expect(lockedSha(lock1, 'acts/base')).toBe(hub.sha('acts/base'));
    expect(lockedSha(repo.originFile('main', 'recipes/blend/mergeops.lock'), 'acts/add')).toBe(before);
    expect(JSON.parse(first.outputs['changed-recipes'])).toEqual(['recipes/blend/blend.yml']);
    expect(first.summary).toContain('acts/add');

    const moved2 = hub.commitFiles('acts/add', new Map([['README.md', Buffer.from('# add v3\n')]]));
    const second = await runAction(spec('run2'));
    expect(second.status).toBe(0);
    expect(gh.pulls).toHaveLength(1);
    expect(gh.pulls[0].body).toContain(moved2.slice(0, 12));
    expect(lockedSha(repo.originFile('mergeops/drift', 'recipes/blend/mergeops.lock'), 'acts/add')).toBe(moved2);
    expect(gh.log.filter((l) => l === 'POST /repos/octo/models/pulls')).toHaveLength(1);
    expect(gh.log.filter((l) => l === 'PATCH /repos/octo/models/pulls/1')).toHaveLength(1);
  });

  it('with on-drift: rebuild, re-locks and builds the moved recipe instead of opening a pull request', async () => {
    const s = spec('run3');
    const r = await runAction({ ...s, inputs: { ...s.inputs, 'on-drift': 'rebuild', eval: 'false', cache: 'false', out: join(t.dir, 'run3', 'out') } });
    expect(r.stdout).not.toContain('::error');
    expect(r.status).toBe(0);
    const models = JSON.parse(r.outputs.models) as Record<string, { files: string[] }>;
    expect(models['recipes/blend/blend.yml'].files).toContain('model.safetensors');
    expect(existsSync(join(t.dir, 'run3', 'out', 'blend', 'model.safetensors'))).toBe(true);
    expect(lockedSha(readFileSync(join(repo.work, 'recipes/blend/mergeops.lock'), 'utf8'), 'acts/add')).toBe(hub.sha('acts/add'));
    expect(gh.pulls).toHaveLength(1);
    expect(r.summary).toContain('model.safetensors');
  });
});
