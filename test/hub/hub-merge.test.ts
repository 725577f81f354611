/**
 * End to end through the CLI against the test Hub (real HTTP on 127.0.0.1, the real
 * `@huggingface/hub` client): stream mode equals a merge from local folders and writes no input
 * shard; faults during the merge are survived or fail clearly with nothing corrupt cached;
 * download mode caches verified shards so a second run downloads nothing; lock + --frozen.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { TestHub } from '../servers/hub-server.js';
import { runCli, runCliAsync } from '../support/cli.js';
import { generateModel } from '../support/generate-model.js';
import { EXAMPLE_MODELS, tempDir, writeRecipe } from '../support/tmp.js';

const ORG = 'mergeops-test';
let hub: TestHub;
const t = tempDir('mergeops-hub-');

beforeAll(async () => {
  hub = await TestHub.start();
  for (const m of ['base', 'add', 'rev']) hub.addFolder(`${ORG}/${m}`, join(EXAMPLE_MODELS, m));
});
afterAll(async () => {
  await hub.close();
  t.cleanup();
});
beforeEach(() => { hub.clearFaults(); hub.resetCounters(); });

function recipe(src: (m: string) => string): string {
  return `merge_method: task_arithmetic
base_model: ${src('base')}
models:
  - model: ${src('add')}
    parameters: {weight: 1.0}
  - model: ${src('rev')}
    parameters: {weight: 0.7}
parameters:
  lambda: 0.9
dtype: bfloat16
`;
}

let n = 0;
function fresh(): { dir: string; cache: string; recipe: string; out: string } {
  const dir = join(t.dir, `case${n++}`);
  const file = writeRecipe(t.dir, `r${n}.yml`, recipe((m) => `${ORG}/${m}`));
  return { dir, cache: join(dir, 'cache'), recipe: file, out: join(dir, 'out') };
}

function env(): Record<string, string> {
  return { HF_ENDPOINT: hub.url, HF_TOKEN: 'hf_test_token' };
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

function sameFiles(a: string, b: string, names: string[]): void {
  for (const f of names) expect(Buffer.compare(readFileSync(join(a, f)), readFileSync(join(b, f)))).toBe(0);
}

let localOut: string;
beforeAll(() => {
  localOut = join(t.dir, 'local-out');
  const file = writeRecipe(t.dir, 'local.yml', recipe((m) => join(EXAMPLE_MODELS, m)));
  const r = runCli(['run', file, '--out', localOut]);
  if (r.status !== 0) throw new Error(r.stderr);
});

const OUTPUTS = ['model.safetensors', 'config.json', 'tokenizer.json', 'tokenizer_config.json'];

describe('stream mode', () => {
  it('gives the same bytes as the merge from local folders and writes no input shard to disk', async () => {
    const c = fresh();
    const r = await runCliAsync(['run', c.recipe, '--out', c.out, '--source-mode', 'stream', '--cache-dir', c.cache, '--threads', '2'], { env: env() });
    expect(r.stderr).toContain('stream mode');
    expect(r.status).toBe(0);
    sameFiles(localOut, c.out, OUTPUTS);
    // The cache holds small files, headers and listings, never a shard; nothing else was written.
    const cached = filesUnder(c.cache);
    expect(cached.filter((f) => f.endsWith('.safetensors') && !f.includes('.mergeops-headers'))).toEqual([]);
    expect(cached.some((f) => f.endsWith('config.json'))).toBe(true);
    expect(filesUnder(c.dir).filter((f) => !f.startsWith('cache/') && !f.startsWith('out/'))).toEqual([]);
    expect(hub.counters.fullDownloadPaths.filter((x) => x.endsWith('.safetensors'))).toEqual([]);
    // Small tensors are coalesced into 1 MiB blocks per worker: each shard byte crosses the wire
    // at most once per worker (these fixtures are all small tensors: the worst case).
    const shardBytes = 3 * hub.file(`${ORG}/base`, 'main', 'model.safetensors')!.data.length;
    const shardRead = [...hub.counters.bytesByFile].filter(([k]) => k.endsWith('.safetensors')).reduce((a, [, v]) => a + v, 0);
    expect(shardRead).toBeLessThanOrEqual(shardBytes * 2 + 3 * 16384); // + the headers, read once at resolve
    // Coalescing: far fewer requests than the 3 × 39 tensors.
    expect(hub.counters.resolveRequests).toBeLessThan(3 * 39);
    console.log(`stream merge: ${hub.counters.resolveRequests} range requests, ${hub.counters.resolveBytes} bytes for ${shardBytes} bytes of shards`);
  });

  it('survives resets, 5xx, 429 and short bodies during the merge', async () => {
    const c = fresh();
    hub.inject({ kind: 'reset', afterBytes: 5000 }, { path: 'model.safetensors', times: 2 });
    hub.inject({ kind: 'status', status: 503 }, { path: 'model.safetensors' });
    hub.inject({ kind: 'status', status: 429, retryAfter: 1 }, { path: 'model.safetensors' });
    hub.inject({ kind: 'truncate', afterBytes: 100 }, { path: 'model.safetensors' });
    hub.inject({ kind: 'status', status: 502 }, { path: 'model.safetensors' });
    const r = await runCliAsync(['run', c.recipe, '--out', c.out, '--source-mode', 'stream', '--cache-dir', c.cache], { env: env() });
    expect(r.stderr).not.toContain('error');
    expect(r.status).toBe(0);
    sameFiles(localOut, c.out, OUTPUTS);
  });

  it('fails naming the model, file and byte range when a shard changes mid-merge, leaving no output', async () => {
    const c = fresh();
    // Let resolve read the headers first (they are then cached), then change the files.
    const p = await runCliAsync(['plan', c.recipe, '--source-mode', 'stream', '--cache-dir', c.cache], { env: env() });
    expect(p.status).toBe(0);
    hub.inject({ kind: 'changed' }, { path: 'model.safetensors', times: 1000 });
    const r = await runCliAsync(['run', c.recipe, '--out', c.out, '--source-mode', 'stream', '--cache-dir', c.cache], { env: env() });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`${ORG}/(base|add|rev)@[0-9a-f]{12}: model\\.safetensors: bytes \\d+-\\d+: the file changed upstream`));
    // The reader's hint survives the worker boundary (not the executor's generic one).
    expect(r.stderr).toContain('hint: the revision was rewritten or the file replaced; re-resolve the recipe (mergeops lock)');
    expect(existsSync(c.out)).toBe(false);
  });
});

describe('download mode and the shard cache', () => {
  it('downloads verified shards while merging, and a second run downloads nothing', async () => {
    const c = fresh();
    const r1 = await runCliAsync(['run', c.recipe, '--out', c.out, '--source-mode', 'download', '--cache-dir', c.cache], { env: env() });
    expect(r1.status).toBe(0);
    expect(r1.stderr).toContain('sha256 verified');
    sameFiles(localOut, c.out, OUTPUTS);
    expect(filesUnder(c.cache).filter((f) => f.endsWith('/model.safetensors') && !f.includes('.mergeops-headers'))).toHaveLength(3);
    expect(hub.counters.resolveRequests).toBeGreaterThan(0);

    hub.resetCounters();
    const r2 = await runCliAsync(['run', c.recipe, '--out', c.out, '--overwrite', '--source-mode', 'download', '--cache-dir', c.cache], { env: env() });
    expect(r2.status).toBe(0);
    expect(hub.counters.resolveRequests).toBe(0);
    expect(hub.counters.resolveBytes).toBe(0);
    sameFiles(localOut, c.out, OUTPUTS);
  });

  it('rejects a corrupted download (sha256 mismatch) and caches nothing of it', async () => {
    const c = fresh();
    // Headers first (cached by `plan`), so only the full download sees the corruption.
    expect((await runCliAsync(['plan', c.recipe, '--source-mode', 'download', '--cache-dir', c.cache], { env: env() })).status).toBe(0);
    hub.inject({ kind: 'corrupt' }, { path: 'model.safetensors', times: 1000 });
    const r = await runCliAsync(['run', c.recipe, '--out', c.out, '--source-mode', 'download', '--cache-dir', c.cache], { env: env() });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`${ORG}/(base|add|rev)@[0-9a-f]{12}: model\\.safetensors: bytes 0-\\d+: the downloaded file has sha256 [0-9a-f]{64}, but the Hub lists [0-9a-f]{64}`));
    const cached = filesUnder(c.cache);
    expect(cached.filter((f) => f.endsWith('/model.safetensors') && !f.includes('.mergeops-headers'))).toEqual([]);
    expect(cached.filter((f) => f.startsWith('.tmp/'))).toEqual([]);
    expect(existsSync(c.out)).toBe(false);
  });

  it('auto mode downloads when the disk has room', async () => {
    const c = fresh();
    const r = await runCliAsync(['run', c.recipe, '--out', c.out, '--cache-dir', c.cache], { env: env() });
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('download mode (auto)');
  });
});

describe('lockfile', () => {
  it('`lock` pins every model; `run --frozen` fails when main moves, naming the model and both shas', async () => {
    const repo = `${ORG}/moving`;
    hub.addFolder(repo, join(EXAMPLE_MODELS, 'add'));
    const dir = join(t.dir, 'lockcase');
    const file = writeRecipe(t.dir, 'lockcase.yml', recipe((m) => (m === 'add' ? repo : `${ORG}/${m}`)));
    const lockPath = join(t.dir, 'mergeops.lock');
    const cache = join(dir, 'cache');
    const l = await runCliAsync(['lock', file, '--cache-dir', cache], { env: env() });
    expect(l.status).toBe(0);
    const lock = JSON.parse(readFileSync(lockPath, 'utf8')) as { models: Record<string, { sha: string; files: { path: string; sha256: string }[] }> };
    const old = hub.sha(repo)!;
    expect(lock.models[repo].sha).toBe(old);
    expect(lock.models[repo].files.map((f) => f.path)).toEqual(expect.arrayContaining(['config.json', 'model.safetensors']));
    expect(lock.models[repo].files.find((f) => f.path === 'model.safetensors')!.sha256).toBe(hub.file(repo, old, 'model.safetensors')!.sha256);
    // Sorted keys, one file per line: stable text.
    expect(readFileSync(lockPath, 'utf8')).toMatch(/\{"path": "config.json", "sha256": "[0-9a-f]{64}", "size": \d+\}/);

    // --frozen leaves the lockfile as committed unless told to --record the outputs.
    const ok = await runCliAsync(['run', file, '--out', join(dir, 'out'), '--frozen', '--record', '--cache-dir', cache], { env: env() });
    expect(ok.status).toBe(0);
    const recorded = JSON.parse(readFileSync(lockPath, 'utf8')) as { outputs: { path: string }[] };
    expect(recorded.outputs.map((o) => o.path)).toContain('model.safetensors');

    const moved = hub.commitFiles(repo, new Map([['README.md', Buffer.from('new card\n')]]));
    const r = await runCliAsync(['run', file, '--out', join(dir, 'out2'), '--frozen', '--cache-dir', cache], { env: env() });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`model \`${repo}\` moved upstream`);
    expect(r.stderr).toContain(old);
    expect(r.stderr).toContain(moved);
    expect(existsSync(join(dir, 'out2'))).toBe(false);
  });
});

describe('sharded models on the Hub', () => {
  it('reads the index and every shard remotely; stream and download modes equal the local merge', async () => {
    const a = join(t.dir, 'sharded-a');
    const b = join(t.dir, 'sharded-b');
    await generateModel({ arch: 'qwen2', dir: a, seed: 5, hiddenSize: 64, numLayers: 4, vocabSize: 512, intermediateSize: 128, numHeads: 4, numKvHeads: 2, dtype: 'BF16', maxShardBytes: 60_000 });
    await generateModel({ arch: 'qwen2', dir: b, seed: 6, baseFrom: a, maxShardBytes: 60_000 });
    expect(readdirSync(a).filter((f) => f.endsWith('.safetensors')).length).toBeGreaterThan(2);
    hub.addFolder(`${ORG}/sharded-a`, a);
    hub.addFolder(`${ORG}/sharded-b`, b);
    const text = (x: string, y: string): string => `merge_method: linear\nmodels:\n  - model: ${x}\n    parameters: {weight: 0.3}\n  - model: ${y}\n    parameters: {weight: 0.7}\n`;
    const localRecipe = writeRecipe(t.dir, 'sharded-local.yml', text(a, b));
    const hubRecipe = writeRecipe(t.dir, 'sharded-hub.yml', text(`${ORG}/sharded-a`, `${ORG}/sharded-b`));
    const outs = join(t.dir, 'sharded-out');
    expect(runCli(['run', localRecipe, '--out', join(outs, 'local'), '--out-shard-size', '100K']).status).toBe(0);
    for (const mode of ['stream', 'download']) {
      const r = await runCliAsync(['run', hubRecipe, '--out', join(outs, mode), '--out-shard-size', '100K', '--source-mode', mode,
        '--cache-dir', join(outs, `cache-${mode}`)], { env: env() });
      expect(r.status).toBe(0);
      // The recipe and the card name the inputs, which differ (local folders vs Hub repos); the marker
      // carries the title, taken from the recipe's file name; the eval report keys tensor health by
      // model and records timings.
      const recipeSpecific = new Set(['mergekit_config.yml', 'README.md', 'mergeops_card.json', '.mergeops-output.json', 'eval.json', 'eval.md']);
      const names = readdirSync(join(outs, 'local')).filter((f) => !recipeSpecific.has(f));
      expect(readdirSync(join(outs, mode)).filter((f) => !recipeSpecific.has(f))).toEqual(names);
      sameFiles(join(outs, 'local'), join(outs, mode), names);
    }
  });
});

describe('matrix jobs on the Hub', () => {
  it('a job of a matrix build downloads only the shards its tensors read; the jobs together equal the local merge', async () => {
    const a = join(t.dir, 'matrix-a');
    const b = join(t.dir, 'matrix-b');
    await generateModel({ arch: 'qwen2', dir: a, seed: 7, hiddenSize: 64, numLayers: 4, vocabSize: 512, intermediateSize: 128, numHeads: 4, numKvHeads: 2, dtype: 'BF16', maxShardBytes: 60_000 });
    await generateModel({ arch: 'qwen2', dir: b, seed: 8, baseFrom: a, maxShardBytes: 60_000 });
    const shards = new Map([a, b].flatMap((d, m) => readdirSync(d).filter((f) => f.endsWith('.safetensors'))
      .map((f) => [`${ORG}/matrix-${'ab'[m]}/${f}`, statSync(join(d, f)).size] as const)));
    hub.addFolder(`${ORG}/matrix-a`, a);
    hub.addFolder(`${ORG}/matrix-b`, b);
    const text = (x: string, y: string): string => `merge_method: linear\nmodels:\n  - model: ${x}\n    parameters: {weight: 0.3}\n  - model: ${y}\n    parameters: {weight: 0.7}\n`;
    const outs = join(t.dir, 'matrix-out');
    const local = join(outs, 'local', 'merged');
    expect(runCli(['run', writeRecipe(t.dir, 'matrix-local.yml', text(a, b)), '--out', local, '--out-shard-size', '100K']).status).toBe(0);
    const hubRecipe = writeRecipe(t.dir, 'matrix-hub.yml', text(`${ORG}/matrix-a`, `${ORG}/matrix-b`));
    // Each folder's own (marker), and what names the inputs or describes the whole model.
    const own = new Set(['mergekit_config.yml', 'README.md', 'mergeops_card.json', 'eval.json', 'eval.md', '.mergeops-output.json']);
    const seen = new Set<string>();
    for (let i = 1; i <= 3; i++) {
      hub.resetCounters();
      const dir = join(outs, `job${i}`, 'merged');
      const r = await runCliAsync(['run', hubRecipe, '--out', dir, '--out-shard-size', '100K', '--source-mode', 'download', '--shard', `${i}/3`,
        '--cache-dir', join(outs, `cache${i}`)], { env: env() });
      expect(r.status).toBe(0);
      // Headers of every shard are read for the plan; whole shards only for this job's tensors.
      const whole = [...shards].filter(([key, size]) => (hub.counters.bytesByFile.get(key) ?? 0) >= size);
      expect(whole.length).toBeGreaterThan(0);
      expect(whole.length).toBeLessThan(shards.size);
      const names = readdirSync(dir).filter((f) => !own.has(f));
      for (const f of names) seen.add(f);
      sameFiles(local, dir, names);
    }
    expect([...seen].sort()).toEqual(readdirSync(local).filter((f) => !own.has(f)).sort());
  });
});

describe('Hub errors', () => {
  it('names the model and position when a repo does not exist', async () => {
    const file = writeRecipe(t.dir, 'missing.yml', 'merge_method: linear\nmodels:\n  - model: nobody/nothing\n    parameters: {weight: 1}\n');
    const r = await runCliAsync(['plan', file, '--cache-dir', join(t.dir, 'c-missing')], { env: env() });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('missing.yml:3:12');
    expect(r.stderr).toContain('nobody/nothing');
  });

  it('never prints the token', async () => {
    const file = writeRecipe(t.dir, 'badtoken.yml', `merge_method: linear\nmodels:\n  - model: ${ORG}/base\n    parameters: {weight: 1}\n`);
    const r = await runCliAsync(['plan', file, '--cache-dir', join(t.dir, 'c-tok')], { env: { HF_ENDPOINT: hub.url, HF_TOKEN: 'hf_secretsecret123' } });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('HTTP 401');
    expect(r.stderr + r.stdout).not.toContain('hf_secretsecret123');
  });
});
