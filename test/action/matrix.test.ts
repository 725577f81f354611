/**
 * Matrix builds through the Action: a plan step (`jobs: 3`) emits the `matrix` output; three jobs
 * with `shard: i/3` each compute only their part; the union of their folders is byte for byte the
 * one-job build (safetensors shards, index, GGUF).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestHub } from '../servers/hub-server.js';
import { bundleAction, runAction, TestRepo, type RunSpec } from '../support/action-runner.js';
import { EXAMPLE_MODELS, tempDir } from '../support/tmp.js';

const t = tempDir('mergeops-matrix-');
let hub: TestHub;
let index: string;
let repo: TestRepo;

beforeAll(async () => {
  hub = await TestHub.start();
  for (const m of ['base', 'add']) hub.addFolder(`acts/${m}`, join(EXAMPLE_MODELS, m));
  index = bundleAction(t.dir);
  repo = new TestRepo(t.dir);
  repo.commit({ 'recipes/blend/blend.yml': 'merge_method: linear\nmodels:\n  - model: acts/base\n    parameters: {weight: 0.5}\n  - model: acts/add\n    parameters: {weight: 0.5}\nmergeops:\n  quantize: [Q8_0]\n  out_shard_size: 1M\n' }, 'recipe');
}, 60_000);
afterAll(async () => {
  await hub.close();
  t.cleanup();
});

function spec(run: string, inputs: Record<string, string>): RunSpec {
  repo.reset();
  return {
    index, workspace: repo.work, dir: join(t.dir, run), event: 'workflow_dispatch', repository: 'octo/models', sha: repo.head(), ref: 'refs/heads/main',
    payload: {}, inputs: { mode: 'build', 'hf-endpoint': hub.url, eval: 'false', cache: 'false', out: join(t.dir, run, 'out'), ...inputs },
    env: { MERGEOPS_CACHE: join(t.dir, 'shard-cache') },
  };
}

const MODEL_FILE = /(\.safetensors|\.gguf|^model\.safetensors\.index\.json)$/;
function modelFiles(dir: string): string[] {
  return readdirSync(dir).filter((f) => MODEL_FILE.test(f)).sort();
}

describe('matrix build', () => {
  it('plans a matrix, and three parts make the one-job output byte for byte', async () => {
    const plan = await runAction(spec('plan', { jobs: '3' }));
    expect(plan.status).toBe(0);
    const matrix = JSON.parse(plan.outputs.matrix) as { include: { recipe: string; shard: string }[] };
    expect(matrix.include).toEqual(['1/3', '2/3', '3/3'].map((shard) => ({ recipe: 'recipes/blend/blend.yml', shard })));

    const whole = await runAction(spec('whole', {}));
    expect(whole.stdout).not.toContain('::error');
    expect(whole.status).toBe(0);
    const wholeDir = join(t.dir, 'whole', 'out', 'blend');
    const expected = modelFiles(wholeDir);
    expect(expected.filter((f) => f.endsWith('.safetensors')).length).toBeGreaterThanOrEqual(3);

    const union = new Map<string, Buffer>();
    for (const job of matrix.include) {
      const run = `job${job.shard[0]}`;
      const r = await runAction(spec(run, { recipes: job.recipe, shard: job.shard }));
      expect(r.stdout).not.toContain('::error');
      expect(r.status).toBe(0);
      const dir = join(t.dir, run, 'out', 'blend');
      const files = modelFiles(dir);
      expect(files.length).toBeLessThan(expected.length); // only a part
      for (const f of files) {
        expect(union.has(f)).toBe(false); // each file from one job
        union.set(f, readFileSync(join(dir, f)));
      }
    }
    expect([...union.keys()].sort()).toEqual(expected);
    for (const f of expected) expect({ f, same: Buffer.compare(union.get(f)!, readFileSync(join(wholeDir, f))) === 0 }).toEqual({ f, same: true });
  });
});
