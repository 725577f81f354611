/**
 * Matrix builds through the Action, end to end (`node dist/index.js` as a runner runs it, against
 * the Hub test server): a plan step (`jobs: 3`) emits the `matrix` output; three part jobs
 * (`shard: i/3`), run at once on their own checkouts, each compute only their files and upload
 * them as LFS objects without a commit;
 * a final job (`commit-parts`) commits every part at once with the small files, lockfile outputs,
 * eval.json and the card. The two repos then hold, file for file, what a one-job build publishes.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { TestHub } from '../servers/hub-server.js';
import { bundleAction, git, runAction, TestRepo, type RunSpec } from '../support/action-runner.js';
import { EXAMPLE_MODELS, tempDir } from '../support/tmp.js';

const t = tempDir('mergeops-matrix-');
let hub: TestHub;
let index: string;
let repo: TestRepo;
const RECIPE = 'recipes/blend/blend.yml';
const REPOS = ['tester/blend', 'tester/blend-GGUF'];

beforeAll(async () => {
  hub = await TestHub.start();
  for (const m of ['base', 'add']) hub.addFolder(`acts/${m}`, join(EXAMPLE_MODELS, m));
  index = bundleAction(t.dir);
  repo = new TestRepo(t.dir);
  repo.commit({
    [RECIPE]: 'merge_method: linear\nmodels:\n  - model: acts/base\n    parameters: {weight: 0.5}\n  - model: acts/add\n    parameters: {weight: 0.5}\n'
      + 'mergeops:\n  quantize: [Q8_0]\n  out_shard_size: 1M\n  license: apache-2.0\n',
  }, 'recipe');
  repo.push('main');
}, 60_000);
afterAll(async () => {
  await hub.close();
  t.cleanup();
});

/** A job's run; `own`: on its own runner (its own checkout and shard cache), as parallel matrix jobs are. */
function spec(run: string, inputs: Record<string, string>, own = false): RunSpec {
  repo.reset();
  let workspace = repo.work;
  if (own) {
    workspace = join(t.dir, run, 'checkout');
    git(t.dir, 'clone', '-q', repo.bare, workspace);
  }
  return {
    index, workspace, dir: join(t.dir, run), event: 'workflow_dispatch', repository: 'octo/models', sha: repo.head(), ref: 'refs/heads/main',
    payload: {},
    inputs: {
      mode: 'build', 'hf-endpoint': hub.url, 'hf-token': 'hf_test_token', publish: 'hf:tester/{name}', eval: 'false', cache: 'false',
      out: join(t.dir, run, 'out'), ...inputs,
    },
    env: { MERGEOPS_CACHE: own ? join(t.dir, run, 'shard-cache') : join(t.dir, 'shard-cache') },
  };
}

/** Every file of the repos' main branch, by `repo/path`, as sha256. */
function published(): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of REPOS) for (const [p, f] of hub.files(r)) out.set(`${r}/${p}`, f.sha256);
  return out;
}
/** Every file link of a job summary (`[name](HUB/REPO/blob/REV/PATH)`) names a file of that repo at that revision. */
function expectSummaryLinksResolve(summary: string): void {
  const links = [...summary.matchAll(/\]\(http:\/\/127\.0\.0\.1:\d+\/([^/\s]+\/[^/\s]+)\/blob\/([^/\s]+)\/([^)\s]+)\)/g)];
  expect(links.length).toBeGreaterThan(5);
  for (const [, r, rev, path] of links) expect([r, rev, path, hub.file(r, rev, path) !== undefined]).toEqual([r, rev, path, true]);
  // The card's data stays local, named without a link.
  expect(summary).toContain('| `mergeops_card.json` (not published: README.md is rendered from it) |');
}
const commits = (): number => [...hub.counters.commits.values()].reduce((a, b) => a + b, 0);

interface ModelsOutput { repos: string[]; commits: string[]; files: string[]; part?: string; manifest?: string; uploaded?: { repo: string; file: string }[]; parts?: number }

describe('matrix build', () => {
  it('three part jobs upload without committing; the final job commits them at once; the repos equal a one-job build\'s, byte for byte', async () => {
    const plan = await runAction(spec('plan', { jobs: '3' }));
    expect(plan.status).toBe(0);
    const matrix = JSON.parse(plan.outputs.matrix) as { include: { recipe: string; shard: string }[] };
    expect(matrix.include).toEqual(['1/3', '2/3', '3/3'].map((shard) => ({ recipe: RECIPE, shard })));

    // A part job checks its write access before merging: a read-only token fails in seconds.
    hub.addToken('hf_read_only', { user: 'tester', role: 'read' });
    const denied = await runAction(spec('denied', { recipes: RECIPE, shard: '1/3', 'hf-token': 'hf_read_only' }));
    expect(denied.status).toBe(1);
    expect(denied.stdout).toMatch(/cannot publish to hf:tester\/blend: the token is a `read` token.*nothing was merged/);
    expect(denied.stdout).not.toContain('merging');

    // The part jobs, at once on their own runners (they race to create the repos), their manifests
    // collected as upload-artifact + download-artifact would.
    const manifests = join(t.dir, 'manifests');
    mkdirSync(manifests);
    const uploaded: string[] = [];
    // Part 2 in low-disk mode: each finished file uploaded and deleted during the merge.
    const lowPart = '2/3';
    const runs = await Promise.all(matrix.include.map((job) => runAction(spec(`part${job.shard[0]}`, {
      recipes: job.recipe, shard: job.shard, ...(job.shard === lowPart ? { 'low-disk': 'true' } : {}),
    }, true))));
    for (const [i, job] of matrix.include.entries()) {
      const run = `part${job.shard[0]}`;
      const r = runs[i];
      const low = job.shard === lowPart;
      expect(r.stdout).not.toContain('::error');
      expect(r.status).toBe(0);
      if (low) expect(r.stdout).toContain('low-disk mode: each finished file of this part is uploaded and deleted');
      const m = (JSON.parse(r.outputs.models) as Record<string, ModelsOutput>)[RECIPE];
      expect(m).toMatchObject({ part: job.shard, repos: [], commits: [] });
      expect(m.uploaded!.length).toBeGreaterThan(0);
      uploaded.push(...m.uploaded!.map((u) => `${u.repo}/${u.file}`));
      expect(basename(m.manifest!)).toBe(`blend.part-${job.shard[0]}-of-3.json`);
      copyFileSync(m.manifest!, join(manifests, basename(m.manifest!)));
      expect(r.summary).toContain(`Matrix part ${job.shard}`);
      expect(r.summary).toContain('**not committed**');
      // A part computes only its share of the files (and with low-disk keeps none of its shards).
      const kept = readdirSync(join(t.dir, run, 'out', 'blend')).filter((f) => /\.(safetensors|gguf)$/.test(f));
      if (low) expect(kept.filter((f) => f.endsWith('.safetensors'))).toEqual([]);
      else expect(kept.sort()).toEqual(m.uploaded!.map((u) => u.file).sort());
    }
    // Nothing committed by the parts: the repos exist (LFS objects need one) and hold only what creating them made.
    expect(commits()).toBe(0);
    for (const r of REPOS) expect([r, [...hub.files(r).keys()]]).toEqual([r, ['.gitattributes']]);
    expect(new Set(uploaded).size).toBe(uploaded.length); // each file from one part

    // A final job missing a part fails and commits nothing.
    const two = join(t.dir, 'two-manifests');
    mkdirSync(two);
    for (const i of [1, 2]) copyFileSync(join(manifests, `blend.part-${i}-of-3.json`), join(two, `blend.part-${i}-of-3.json`));
    const short = await runAction(spec('short', { 'commit-parts': two }));
    expect(short.status).toBe(1);
    expect(short.stdout).toMatch(/part 3\/3 missing.*nothing was committed/);
    expect(short.stdout).not.toContain('internal error');
    expect(commits()).toBe(0);

    // The final job: one commit per repo, and no tensor data read (the plan needs only the headers).
    hub.resetCounters();
    const final = await runAction(spec('final', { 'commit-parts': manifests }));
    expect(final.stdout).not.toContain('::error');
    expect(final.status).toBe(0);
    const weightBytes = [...hub.counters.bytesByFile].filter(([f]) => f.startsWith('acts/') && f.endsWith('.safetensors')).reduce((a, [, n]) => a + n, 0);
    expect(weightBytes).toBeLessThan(64 * 1024);
    expect(hub.counters.fullDownloadPaths.filter((p) => p.endsWith('.safetensors'))).toEqual([]);
    expect(Object.fromEntries(hub.counters.commits)).toEqual({ 'tester/blend': 1, 'tester/blend-GGUF': 1 });
    for (const r of REPOS) expect(hub.history(r)).toHaveLength(2); // creation, then the one commit
    const m = (JSON.parse(final.outputs.models) as Record<string, ModelsOutput>)[RECIPE];
    expect(m).toMatchObject({ parts: 3, repos: REPOS, commits: REPOS.map((r) => hub.sha(r)) });
    expect(final.summary).toContain('3 parts committed at once');
    expectSummaryLinksResolve(final.summary);
    const sharded = published();
    // Every uploaded part is in the repos, beside the small files the final job wrote.
    for (const u of uploaded) expect(sharded.has(u)).toBe(true);
    expect([...sharded.keys()].filter((k) => k.endsWith('.safetensors')).length).toBeGreaterThanOrEqual(3);
    for (const f of ['config.json', 'model.safetensors.index.json', 'mergekit_config.yml', 'eval.json', 'README.md']) expect(sharded.has(`tester/blend/${f}`)).toBe(true);
    expect(sharded.has('tester/blend-GGUF/README.md')).toBe(true);
    expect(existsSync(join(repo.work, 'recipes/blend/mergeops.lock'))).toBe(true);

    // A dry run of the final job with the eval on: the parts check out, eval.json and the summary say
    // why the eval did not run, and nothing is committed.
    const dry = await runAction(spec('dry', { 'commit-parts': manifests, 'dry-run': 'true', eval: 'true' }));
    expect(dry.status).toBe(0);
    expect(dry.stdout).toMatch(/dry run: the 3 part\(s\) check out; would commit \d+ file\(s\), [\d.]+ [kM]B to hf:tester\/blend and \d+ file\(s\), [\d.]+ [kM]B to hf:tester\/blend-GGUF; nothing committed/);
    expect(dry.summary).toContain('Not run: a matrix build: no job holds the whole model');
    expect(JSON.parse(readFileSync(join(t.dir, 'dry', 'out', 'blend', 'eval.json'), 'utf8'))).toMatchObject({ ran: false, reason: expect.stringContaining('a matrix build') });
    expect(Object.fromEntries(hub.counters.commits)).toEqual({ 'tester/blend': 1, 'tester/blend-GGUF': 1 });

    // The same recipe built by one job, published to the same repo names (cards name their repos).
    for (const r of REPOS) hub.deleteRepo(r);
    hub.resetCounters();
    const one = await runAction(spec('one', {}));
    expect(one.stdout).not.toContain('::error');
    expect(one.status).toBe(0);
    expectSummaryLinksResolve(one.summary);
    const whole = published();
    expect([...sharded.keys()].sort()).toEqual([...whole.keys()].sort());
    for (const [k, sha] of whole) expect({ k, sha: sharded.get(k) }).toEqual({ k, sha });

    // The `low-disk` input on a one-job build: the shards go up during the merge and are deleted;
    // the repos (the lockfile's outputs in the card included) are the same, byte for byte.
    for (const r of REPOS) hub.deleteRepo(r);
    const low = await runAction(spec('one-low', { 'low-disk': 'true' }));
    expect(low.stdout).not.toContain('::error');
    expect(low.status).toBe(0);
    expect(low.stdout).toContain('low-disk mode: each finished file is uploaded and deleted');
    expect(readdirSync(join(t.dir, 'one-low', 'out', 'blend')).filter((f) => f.endsWith('.safetensors'))).toEqual([]);
    const lowDisk = published();
    expect([...lowDisk.keys()].sort()).toEqual([...whole.keys()].sort());
    for (const [k, sha] of whole) expect({ k, sha: lowDisk.get(k) }).toEqual({ k, sha });
  }, 120_000);

  it('a one-job build that fails or is cancelled deletes the repos it created and never committed to; a failing part job deletes nothing', async () => {
    // One job, low-disk: the model repo is created at the first shard's upload, then every commit fails.
    for (const r of REPOS) hub.deleteRepo(r);
    hub.failUploads({ on: 'commit', status: 422, times: Infinity });
    const low = await runAction(spec('fail-low', { recipes: RECIPE, 'low-disk': 'true' }));
    hub.clearFaults();
    expect(low.status).toBe(1);
    expect(low.stdout).toContain('created hf:tester/blend');
    expect(low.stdout).toMatch(/::error.*cannot commit to hf:tester\/blend/);
    expect(low.stdout).toContain('deleted hf:tester/blend: this run created it and committed nothing to it (the build failed)');
    for (const r of REPOS) expect([r, hub.sha(r)]).toEqual([r, undefined]);

    // A part job: the repo it created stays (the other parts may be uploading to it), whatever failed.
    const fresh = 'recipes/fresh/fresh.yml';
    repo.commit({ [fresh]: readFileSync(join(repo.work, RECIPE), 'utf8').replace(/weight: 0\.5\}/g, 'weight: 0.7}') }, 'fresh recipe');
    repo.push('main');
    hub.failUploads({ on: 'put', status: 422, times: Infinity });
    const part = await runAction(spec('fail-part', { recipes: fresh, shard: '1/2' }));
    hub.clearFaults();
    expect(part.status).toBe(1);
    const created = [...part.stdout.matchAll(/created hf:(\S+)/g)].map((x) => x[1]);
    expect(created.length).toBeGreaterThan(0);
    expect(part.stdout).not.toContain('deleted hf:');
    for (const r of created) expect([r, [...hub.files(r).keys()]]).toEqual([r, ['.gitattributes']]);

    // A one-job low-disk build cancelled (SIGINT) while its first shard's upload is retrying: exit 130, the repo it created is deleted.
    const cancel = 'recipes/cancel/cancel.yml';
    repo.commit({ [cancel]: readFileSync(join(repo.work, RECIPE), 'utf8').replace(/weight: 0\.5\}/g, 'weight: 0.9}') }, 'cancel recipe');
    repo.push('main');
    hub.failUploads({ on: 'put', status: 503, times: Infinity });
    let signalled = false;
    const cancelled = await runAction({
      ...spec('cancel', { recipes: cancel, 'low-disk': 'true' }),
      env: { MERGEOPS_CACHE: join(t.dir, 'shard-cache'), MERGEOPS_RETRY_BASE_MS: '3000' },
      onOutput: (child, output) => {
        if (!signalled && /PUT \/lfs-upload\/\S+ failed \(HTTP 503\); retry 1/.test(output)) { signalled = true; child.kill('SIGINT'); }
      },
    });
    hub.clearFaults();
    expect(signalled).toBe(true);
    expect(cancelled.status).toBe(130);
    expect(cancelled.stdout).toContain('created hf:tester/cancel');
    expect(cancelled.stdout).toContain('deleted hf:tester/cancel: this run created it and committed nothing to it (the run was interrupted)');
    expect(cancelled.stdout).not.toMatch(/::error/);
    expect(hub.sha('tester/cancel')).toBeUndefined();
  }, 120_000);

  it('a fully dry matrix run: the parts upload nothing but write their manifests (dry-run, with the digests); the dry final job checks them and says what it would commit; a publishing final job refuses them', async () => {
    const rec = 'recipes/drymat/drymat.yml';
    const dryRepos = ['tester/drymat', 'tester/drymat-GGUF'];
    repo.commit({ [rec]: readFileSync(join(repo.work, RECIPE), 'utf8').replace(/weight: 0\.5\}/g, 'weight: 0.3}') }, 'dry recipe');
    repo.push('main');
    const from = hub.counters.log.length;
    const dir = join(t.dir, 'dry-manifests');
    mkdirSync(dir);
    const shards = ['1/2', '2/2'];
    const runs = await Promise.all(shards.map((shard) => runAction(spec(`drypart${shard[0]}`, { recipes: rec, shard, 'dry-run': 'true' }, true))));
    let listed = 0;
    for (const [i, r] of runs.entries()) {
      expect(r.stdout).not.toContain('::error');
      expect(r.status).toBe(0);
      const m = (JSON.parse(r.outputs.models) as Record<string, ModelsOutput>)[rec];
      expect(m).toMatchObject({ part: shards[i], uploaded: [], repos: [] });
      const manifest = JSON.parse(readFileSync(m.manifest!, 'utf8')) as { dryRun?: boolean; files: { path: string; sha256: string; size: number }[] };
      expect(manifest.dryRun).toBe(true);
      // The digests are those of the files the part computed (what an upload would have sent).
      for (const f of manifest.files) {
        const data = readFileSync(join(t.dir, `drypart${shards[i][0]}`, 'out', 'drymat', f.path));
        expect([f.path, f.size, f.sha256]).toEqual([f.path, data.length, createHash('sha256').update(data).digest('hex')]);
      }
      listed += manifest.files.length;
      copyFileSync(m.manifest!, join(dir, basename(m.manifest!)));
      expect(r.summary).toContain(`Matrix part ${shards[i]} (dry run): ${manifest.files.length} file(s) computed, **nothing uploaded**`);
    }
    expect(listed).toBeGreaterThanOrEqual(3);
    const writes = (): string[] => hub.counters.log.slice(from).filter((l) => /^(POST|PUT|DELETE) /.test(l) && !l.endsWith('/paths-info/main'));
    expect(writes()).toEqual([]);

    // The dry final job: the parts check out against its plan; it says what the commits would hold; nothing is sent.
    const final = await runAction(spec('dry-final', { recipes: rec, 'commit-parts': dir, 'dry-run': 'true' }));
    expect(final.stdout).not.toContain('::error');
    expect(final.status).toBe(0);
    expect(final.stdout).toMatch(/dry run: the 2 part\(s\) check out \(dry-run parts: nothing of them was uploaded\); would commit \d+ file\(s\), .* to hf:tester\/drymat and 2 file\(s\), .* to hf:tester\/drymat-GGUF; nothing committed/);
    expect(final.summary).toMatch(/Matrix build \(dry run\): the 2 parts check out against the plan; \*\*nothing was committed\*\*\. Publishing would commit \d+ file\(s\) \([\d.]+ [kM]B\) to `tester\/drymat` and 2 file\(s\)/);
    expect(writes()).toEqual([]);
    for (const r of dryRepos) expect([r, hub.sha(r)]).toEqual([r, undefined]);

    // A final job that publishes refuses them (their files were never uploaded), before creating or committing anything.
    const real = await runAction(spec('real-final', { recipes: rec, 'commit-parts': dir }));
    expect(real.status).toBe(1);
    expect(real.stdout).toMatch(/drymat\.part-1-of-2\.json, drymat\.part-2-of-2\.json are manifests of dry-run parts \(their files were computed, never uploaded\): nothing was committed/);
    expect(real.stdout).toContain('run the part jobs without `dry-run` to publish');
    expect(real.stdout).not.toContain('internal error');
    for (const r of dryRepos) expect([r, hub.sha(r)]).toEqual([r, undefined]);
  }, 120_000);
});
