/**
 * A published matrix build through the Action (`node dist/index.js` as a runner runs it): the
 * wall time of a one-job build that publishes against the three stages of `sharded-build.yml`
 * (plan, 3 part jobs that upload without committing, the commit job), on the benchmark models
 * served by the test Hub (in this process) and published to it. Each job runs alone, as a matrix
 * job has a runner to itself; the matrix's wall time is plan + its slowest part + the commit job.
 * Linear merge of the three models into 250 MB shards and a Q8_0 GGUF, `eval: false`; every job
 * starts with an empty shard cache, as on a fresh runner. The two
 * builds' repos are compared file by file (sha256) as a check. One run of each (a build here is
 * seconds of merging plus gigabytes of local HTTP).
 * bench/run.ts adds the section to BENCHMARKS.md; `node build/bench/matrix-publish.js` prints it
 * alone (models from .bench-work, which `npm run bench` creates; dist/ from `npm run bundle`).
 */
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { TestHub } from '../test/servers/hub-server.js';
import { runAction, TestRepo, type RunSpec } from '../test/support/action-runner.js';

const N = 3;
const REPOS = ['tester/linear', 'tester/linear-GGUF'];

export async function matrixPublishSection(index: string, dirs: readonly string[], scratch: string): Promise<string[]> {
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  const hub = await TestHub.start();
  try {
    dirs.forEach((d, i) => hub.addFolder(`inputs/m${i}`, d));
    const repo = new TestRepo(scratch);
    repo.commit({
      'recipes/linear.yml': `merge_method: linear\nmodels:\n${dirs.map((_, i) => `  - model: inputs/m${i}\n    parameters: {weight: ${1 / dirs.length}}\n`).join('')}`
        + 'mergeops:\n  quantize: [Q8_0]\n  out_shard_size: 250M\n  license: apache-2.0\n',
    }, 'recipe');
    const spec = (run: string, inputs: Record<string, string>): RunSpec => {
      repo.reset();
      return {
        index, workspace: repo.work, dir: join(scratch, run), event: 'workflow_dispatch', repository: 'bench/models', sha: repo.head(), ref: 'refs/heads/main',
        payload: {},
        inputs: { mode: 'build', 'hf-endpoint': hub.url, 'hf-token': 'hf_test_token', publish: 'hf:tester/{name}', eval: 'false', cache: 'false', out: join(scratch, run, 'out'), ...inputs },
        // A fresh runner per job: every job fetches its own inputs (no shard cache carried over).
        env: { MERGEOPS_CACHE: join(scratch, run, 'shard-cache') },
      };
    };
    const timed = async (run: string, inputs: Record<string, string>): Promise<{ seconds: number; outputs: Record<string, string> }> => {
      const t0 = performance.now();
      const r = await runAction(spec(run, inputs));
      const seconds = (performance.now() - t0) / 1000;
      if (r.status !== 0) throw new Error(`bench: ${run} failed:\n${r.stdout.slice(-3000)}`);
      rmSync(join(scratch, run, 'shard-cache'), { recursive: true, force: true });
      return { seconds, outputs: r.outputs };
    };
    const snapshot = (): Map<string, string> => new Map(REPOS.flatMap((r) => [...hub.files(r)].map(([p, f]) => [`${r}/${p}`, f.sha256] as const)));

    const one = await timed('one', {});
    rmSync(join(scratch, 'one'), { recursive: true, force: true });
    const whole = snapshot();
    for (const r of REPOS) hub.deleteRepo(r);
    const plan = await timed('plan', { jobs: String(N) });
    const manifests = join(scratch, 'manifests');
    mkdirSync(manifests);
    const parts: number[] = [];
    for (let i = 1; i <= N; i++) {
      const p = await timed(`part${i}`, { shard: `${i}/${N}` });
      const m = (JSON.parse(p.outputs.models) as Record<string, { manifest: string }>)['recipes/linear.yml'].manifest;
      copyFileSync(m, join(manifests, basename(m)));
      rmSync(join(scratch, `part${i}`), { recursive: true, force: true });
      parts.push(p.seconds);
    }
    const commit = await timed('commit', { 'commit-parts': manifests });
    const sharded = snapshot();
    const identical = whole.size === sharded.size && [...whole].every(([k, v]) => sharded.get(k) === v);
    const outputBytes = REPOS.reduce((a, r) => a + [...hub.files(r).values()].reduce((b, f) => b + f.data.length, 0), 0);
    const slowest = Math.max(...parts);
    const matrix = plan.seconds + slowest + commit.seconds;
    const f = (x: number): string => x.toFixed(2);
    return [
      '## Matrix build, published (the Action: plan → parts → commit)',
      '',
      `The three models above merged (linear, 250 MB shards, Q8_0 GGUF, \`eval: false\`) by \`node dist/index.js\` as a runner runs it, the inputs`,
      `streamed from the test Hub and ${(outputBytes / 1e9).toFixed(2)} GB published to it (local HTTP): one job that builds and publishes, against`,
      `the stages of sharded-build.yml, each job alone (a matrix job has a runner to itself). One run of each.`,
      '',
      '| job | seconds |',
      '|---|---|',
      `| one job (merge, GGUF, one commit per repo) | ${f(one.seconds)} |`,
      `| plan (\`jobs: ${N}\`) | ${f(plan.seconds)} |`,
      ...parts.map((s, j) => `| part ${j + 1}/${N} (merge its files, upload, no commit) | ${f(s)} |`),
      `| commit (\`commit-parts\`: plan, small files, card, one commit per repo) | ${f(commit.seconds)} |`,
      '',
      `- Wall time of the published matrix build (plan + slowest part + commit) vs one job: **${f(matrix / one.seconds)}×** (${f(matrix)} s vs ${f(one.seconds)} s); `
        + `the jobs' sum: ${f((plan.seconds + parts.reduce((a, b) => a + b, 0) + commit.seconds) / one.seconds)}×.`,
      `- The repos of the two builds are ${identical ? 'identical, file by file (sha256)' : '**NOT identical** (a bug: see test/action/matrix.test.ts)'}.`,
      '',
    ];
  } finally {
    await hub.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (process.argv[1]?.endsWith('matrix-publish.js')) {
  const { fileURLToPath } = await import('node:url');
  const { existsSync } = await import('node:fs');
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const work = join(root, '.bench-work');
  const dirs = process.argv.length > 2 ? process.argv.slice(2) : [0, 1, 2].map((i) => join(work, `m${i}`));
  if (!dirs.every((d) => existsSync(d))) throw new Error(`no benchmark models in ${work}: run \`npm run bench\` once, or pass model folders`);
  const scratch = join(existsSync('/dev/shm') ? '/dev/shm' : work, 'mergeops-matrix-publish');
  process.stdout.write((await matrixPublishSection(join(root, 'dist/index.js'), dirs, scratch)).join('\n') + '\n');
}
