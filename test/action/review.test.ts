/**
 * review mode end to end: `node dist/index.js` on a pull_request event, with a real git history
 * (base branch + PR branch), the Hub test server for the models and the GitHub API test server
 * for the comment. One annotation per recipe error, at its file and line; exactly one sticky
 * comment, created on the first run and edited in place on the second.
 */
import { join } from 'node:path';
import { TestGitHub } from '../servers/github-server.js';
import { TestHub } from '../servers/hub-server.js';
import { bundleAction, runAction, TestRepo, type RunSpec } from '../support/action-runner.js';
import { EXAMPLE_MODELS, tempDir } from '../support/tmp.js';

const t = tempDir('mergeops-review-');
let hub: TestHub;
let gh: TestGitHub;
let index: string;
let repo: TestRepo;

const GOOD = (w: number): string => `merge_method: linear
models:
  - model: acts/base
    parameters: {weight: ${w}}
  - model: acts/add
    parameters: {weight: 0.5}
mergeops:
  quantize: [Q8_0]
  eval:
    prompts: [{prompt: "12+34=", expect: "46", max_tokens: 8}]
    compare_inputs: true
`;
const BAD = `merge_method: linear
models:
  - model: acts/base
    parameters: {weight: 0.5}
  - model: acts/add
    parameters: {weight: heavy}
`;
const TWO_STAGE = `name: inner
merge_method: linear
models:
  - model: acts/base
    parameters: {weight: 0.5}
  - model: acts/add
    parameters: {weight: 0.5}
---
merge_method: linear
models:
  - model: inner
    parameters: {weight: 0.5}
  - model: acts/base
    parameters: {weight: 0.5}
`;

beforeAll(async () => {
  hub = await TestHub.start();
  gh = await TestGitHub.start();
  for (const m of ['base', 'add']) hub.addFolder(`acts/${m}`, join(EXAMPLE_MODELS, m));
  index = bundleAction(t.dir);
  repo = new TestRepo(t.dir);
  gh.addRepo('octo/models', repo.bare);
  repo.commit({ 'recipes/good.yml': GOOD(0.5), 'README.md': 'models\n' }, 'recipes');
  repo.push('main');
}, 60_000);
afterAll(async () => {
  await hub.close();
  await gh.close();
  if (!process.env.MERGEOPS_KEEP_TEST) t.cleanup();
});

function spec(run: string, base: string, head: string): RunSpec {
  return {
    index, workspace: repo.work, dir: join(t.dir, run), event: 'pull_request', repository: 'octo/models',
    sha: head, ref: 'refs/pull/7/merge',
    payload: { action: 'synchronize', number: 7, pull_request: { number: 7, base: { sha: base, ref: 'main' }, head: { sha: head, ref: 'tune' } } },
    inputs: { 'github-token': gh.token, 'hf-endpoint': hub.url },
    env: gh.env(),
  };
}

describe('review mode', () => {
  it('annotates each error once, posts one sticky comment and edits it on the next push', async () => {
    const base = repo.head();
    repo.checkout('tune', true);
    const head1 = repo.commit({ 'recipes/good.yml': GOOD(0.7), 'recipes/bad.yml': BAD, 'recipes/staged.yml': TWO_STAGE, 'notes.txt': 'x\n' }, 'tune');
    repo.push('tune');

    const first = await runAction(spec('run1', base, head1));
    expect(first.status).toBe(1); // bad.yml fails the check
    const errors = first.annotations.filter((a) => a.startsWith('::error'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^::error title=mergeops,file=recipes\/bad\.yml,line=6,col=26::parameter `weight` must be a number/);
    expect(JSON.parse(first.outputs['changed-recipes'])).toEqual(['recipes/bad.yml', 'recipes/good.yml', 'recipes/staged.yml']);
    expect(gh.comments).toHaveLength(1);
    const c = gh.comments[0];
    expect(c.issue).toBe(7);
    expect(c.body).toContain('<!-- mergeops:review -->');
    // The plan with pinned commits, the estimate on a standard runner, the parameter diff, the lineage.
    expect(c.body).toContain(`\`${hub.sha('acts/base')!.slice(0, 12)}\``);
    expect(c.body).toContain('ubuntu-latest');
    // The eval's forward passes in the time estimate (merge + two compared inputs).
    expect(c.body).toMatch(/\| time \(download, merge, quantize, eval\) \| ≈ [^|]+, of which the eval ≈ [^|]+ \| ✅ \|/);
    expect(c.body).toMatch(/GGUF Q8_0 ≈ [\d.]+ MB/);
    expect(c.body).toContain('| `models[acts/base].parameters.weight` | `0.5` | `0.7` |');
    expect(c.body).toMatch(/```mermaid\nflowchart LR[\s\S]*inner · linear/);
    expect(c.body).toContain('(new recipe)');
    expect(first.summary).toContain('mergeops review');
    expect(gh.log.filter((l) => l.startsWith('POST'))).toEqual(['POST /repos/octo/models/issues/7/comments']);

    // The author fixes the recipe: the same comment is edited, no second one appears.
    const head2 = repo.commit({ 'recipes/bad.yml': BAD.replace('heavy', '0.25') }, 'fix');
    repo.push('tune');
    const second = await runAction(spec('run2', base, head2));
    expect(second.annotations.filter((a) => a.startsWith('::error'))).toEqual([]);
    expect(second.status).toBe(0);
    expect(gh.comments).toHaveLength(1);
    expect(gh.comments[0].id).toBe(c.id);
    expect(gh.comments[0].body).not.toContain('error(s)');
    expect(gh.comments[0].body).toContain(head2.slice(0, 12));
    expect(gh.log.filter((l) => l.startsWith('PATCH'))).toEqual([`PATCH /repos/octo/models/issues/comments/${c.id}`]);
  });

  it('refuses pull_request_target, saying why', async () => {
    const r = await runAction({ ...spec('run3', repo.head(), repo.head()), event: 'pull_request_target' });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('does not run on `pull_request_target`');
  });

  it('fails at once on a bad input, naming it', async () => {
    const s = spec('run4', repo.head(), repo.head());
    const r = await runAction({ ...s, inputs: { ...s.inputs, threads: 'many' } });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('input `threads`: many is not a whole number from 1 to 1024');
    expect(r.stdout).not.toMatch(/\n\s+at /); // no stack trace
  });
});
