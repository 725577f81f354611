/**
 * `model+lora` with the adapter on the Hub (the project's test Hub over real HTTP): the merge
 * equals the one from a local adapter folder in stream and download modes, each factor crosses
 * the wire at most once per worker however many chunks a tensor has, `@rev` on the adapter and
 * the lockfile pin it, and a missing, unknown or gated adapter fails with a clear error. A
 * tokenizer merge gathers rows from streamed and LoRA-patched embeddings too.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { TestHub } from '../servers/hub-server.js';
import { runCli, runCliAsync } from '../support/cli.js';
import { generateAdapter, peftConfig, type AdapterModuleSpec } from '../support/generate-adapter.js';
import { generateModel } from '../support/generate-model.js';
import { EXAMPLE_MODELS, tempDir, writeRecipe } from '../support/tmp.js';

const ORG = 'mergeops-test';
const BASE = join(EXAMPLE_MODELS, 'base');
const ADD = join(EXAMPLE_MODELS, 'add');
const t = tempDir('mergeops-hub-lora-');
let hub: TestHub;

const modules: AdapterModuleSpec[] = [];
for (let l = 0; l < 4; l++) {
  modules.push({ module: `model.layers.${l}.self_attn.q_proj`, rows: 192, cols: 192, rank: 8 });
  modules.push({ module: `model.layers.${l}.self_attn.v_proj`, rows: 96, cols: 192, rank: 8 });
}
modules.push({ module: 'model.embed_tokens', rows: 320, cols: 192, rank: 8, embedding: true });

function adapter(name: string, seed: number): string {
  const dir = join(t.dir, name);
  generateAdapter({
    dir, seed, dtype: 'BF16', modules,
    config: peftConfig({ r: 8, lora_alpha: 16, target_modules: ['q_proj', 'v_proj', 'embed_tokens'] }),
  });
  return dir;
}

const recipe = (base: string, lora: string): string => `merge_method: linear
models:
  - model: ${base}+${lora}
    parameters: {weight: 0.6}
  - model: ${ADD}
    parameters: {weight: 0.4}
`;

// Just above the smallest budget for two workers: each patched tensor runs in many chunks.
const SMALL = ['--threads', '2', '--max-memory', String(96 * 2 ** 20 + 2 * (24 * 2 ** 20 + 16384) + 96 * 1024)];
const OUTPUTS = ['model.safetensors', 'config.json'];

function env(): Record<string, string> {
  return { HF_ENDPOINT: hub.url, HF_TOKEN: 'hf_test_token' };
}

function sameFiles(a: string, b: string): void {
  for (const f of OUTPUTS) expect([f, readFileSync(join(a, f)).equals(readFileSync(join(b, f)))]).toEqual([f, true]);
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

let adapterV1: string;
let adapterV2: string;
let localOut: string;
let shaV1: string;

beforeAll(async () => {
  hub = await TestHub.start();
  hub.addFolder(`${ORG}/base`, BASE);
  adapterV1 = adapter('adapter-v1', 21);
  adapterV2 = adapter('adapter-v2', 22);
  // `v1` is a branch holding the first adapter; main moves on to the second.
  shaV1 = hub.addFolder(`${ORG}/lora`, adapterV1, 'v1');
  hub.addFolder(`${ORG}/lora`, adapterV2);
  localOut = join(t.dir, 'local');
  const r = runCli(['run', writeRecipe(t.dir, 'local.yml', recipe(BASE, adapterV2)), '--out', localOut, ...SMALL]);
  if (r.status !== 0) throw new Error(r.stderr);
});
afterAll(async () => {
  await hub.close();
  t.cleanup();
});
beforeEach(() => { hub.clearFaults(); hub.resetCounters(); });

describe('a LoRA adapter on the Hub', () => {
  it('stream mode: same bytes as the local adapter; each factor is fetched at most once per worker, not per chunk', async () => {
    const dir = join(t.dir, 'stream');
    const file = writeRecipe(t.dir, 'stream.yml', recipe(`${ORG}/base`, `${ORG}/lora`));
    const r = await runCliAsync(['run', file, '--out', join(dir, 'out'), '--source-mode', 'stream', '--cache-dir', join(dir, 'cache'), ...SMALL], { env: env() });
    expect(r.stderr).toContain('stream mode');
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`adapter ${ORG}/lora: ${hub.sha(`${ORG}/lora`)}`));
    sameFiles(localOut, join(dir, 'out'));
    // Nothing of the adapter's weights is written to the cache (its header and config are).
    expect(filesUnder(join(dir, 'cache')).filter((f) => f.endsWith('/adapter_model.safetensors') && !f.includes('.mergeops-headers'))).toEqual([]);
    const size = hub.file(`${ORG}/lora`, 'main', 'adapter_model.safetensors')!.data.length;
    const fetched = hub.counters.bytesByFile.get(`${ORG}/lora/adapter_model.safetensors`) ?? 0;
    // Two workers, each reading every factor whole once (plus the header at resolve); reading A
    // per chunk would cost several times the file.
    console.log(`streamed adapter: ${fetched} bytes fetched for a ${size}-byte adapter_model.safetensors`);
    expect(fetched).toBeGreaterThan(size / 2);
    expect(fetched).toBeLessThanOrEqual(2 * size);
  });

  it('download mode: same bytes; the adapter file is cached, verified, and a second run fetches nothing', async () => {
    const dir = join(t.dir, 'download');
    const file = writeRecipe(t.dir, 'download.yml', recipe(`${ORG}/base`, `${ORG}/lora`));
    const args = ['run', file, '--source-mode', 'download', '--cache-dir', join(dir, 'cache'), ...SMALL];
    const r = await runCliAsync([...args, '--out', join(dir, 'out')], { env: env() });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`downloaded ${ORG}/lora@[0-9a-f]{12}: adapter_model\\.safetensors .*sha256 verified`));
    sameFiles(localOut, join(dir, 'out'));
    expect(filesUnder(join(dir, 'cache')).filter((f) => f.endsWith('/adapter_model.safetensors') && !f.includes('.mergeops-headers'))).toHaveLength(1);
    hub.resetCounters();
    const again = await runCliAsync([...args, '--out', join(dir, 'out2')], { env: env() });
    expect(again.status).toBe(0);
    expect(hub.counters.resolveRequests).toBe(0);
    sameFiles(localOut, join(dir, 'out2'));
  });

  it('`+org/lora@rev` reads that revision, and a local base takes a Hub adapter too', async () => {
    const localV1 = join(t.dir, 'local-v1');
    expect(runCli(['run', writeRecipe(t.dir, 'local-v1.yml', recipe(BASE, adapterV1)), '--out', localV1]).status).toBe(0);
    for (const [name, base, lora] of [['branch', `${ORG}/base`, `${ORG}/lora@v1`], ['sha', BASE, `${ORG}/lora@${shaV1}`]]) {
      const dir = join(t.dir, `rev-${name}`);
      const r = await runCliAsync(['run', writeRecipe(t.dir, `rev-${name}.yml`, recipe(base, lora)), '--out', join(dir, 'out'), '--cache-dir', join(dir, 'cache')], { env: env() });
      expect(r.status).toBe(0);
      expect(r.stderr).toContain(`adapter ${ORG}/lora: ${shaV1}`);
      sameFiles(localV1, join(dir, 'out'));
    }
  });

  it('`lock` pins the adapter; `run --frozen` uses the locked commit and fails when the adapter moves', async () => {
    const repo = `${ORG}/moving-lora`;
    hub.addFolder(repo, adapterV2);
    const dir = join(t.dir, 'lock');
    const file = writeRecipe(t.dir, 'lock.yml', recipe(`${ORG}/base`, repo));
    const cache = join(dir, 'cache');
    const l = await runCliAsync(['lock', file, '--cache-dir', cache], { env: env() });
    expect(l.status).toBe(0);
    const key = `${ORG}/base+${repo}`;
    const lock = JSON.parse(readFileSync(join(t.dir, 'mergeops.lock'), 'utf8')) as {
      models: Record<string, { sha: string; lora?: { repo: string; sha: string; files: { path: string; sha256: string }[] } }>;
    };
    const old = hub.sha(repo)!;
    expect(lock.models[key].sha).toBe(hub.sha(`${ORG}/base`));
    expect(lock.models[key].lora).toMatchObject({ repo, sha: old });
    expect(lock.models[key].lora!.files.map((f) => f.path)).toEqual(['adapter_config.json', 'adapter_model.safetensors']);
    expect(lock.models[key].lora!.files[1].sha256).toBe(hub.file(repo, old, 'adapter_model.safetensors')!.sha256);

    const ok = await runCliAsync(['run', file, '--out', join(dir, 'out'), '--frozen', '--cache-dir', cache], { env: env() });
    expect(ok.status).toBe(0);
    expect(ok.stderr).toContain(`adapter ${repo}: ${old} (locked)`);
    sameFiles(localOut, join(dir, 'out'));

    const moved = hub.commitFiles(repo, new Map([['README.md', Buffer.from('new card\n')]]));
    const r = await runCliAsync(['run', file, '--out', join(dir, 'out2'), '--frozen', '--cache-dir', cache], { env: env() });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`the LoRA adapter of \`${key}\` moved upstream`);
    expect(r.stderr).toContain(old);
    expect(r.stderr).toContain(moved);
    expect(existsSync(join(dir, 'out2'))).toBe(false);
  });

  it('an adapter from the Hub on an earlier stage\'s output: same bytes, and the lock pins the adapter', async () => {
    const dir = join(t.dir, 'staged-lora');
    mkdirSync(dir, { recursive: true });
    // Stage `copy` is the base itself (one model, weight 1): the final merge equals the local one.
    const file = writeRecipe(dir, 'r.yml', `name: copy
merge_method: linear
models:
  - model: ${ORG}/base
    parameters: {weight: 1}
---
${recipe('copy', `${ORG}/lora`)}`);
    const cache = join(dir, 'cache');
    const l = await runCliAsync(['lock', file, '--cache-dir', cache], { env: env() });
    expect(l.status).toBe(0);
    expect(l.stdout).toContain(`adapter ${hub.sha(`${ORG}/lora`)}`);
    const lock = JSON.parse(readFileSync(join(dir, 'mergeops.lock'), 'utf8')) as { models: Record<string, { lora?: { sha: string } }> };
    expect(lock.models[`copy+${ORG}/lora`].lora!.sha).toBe(hub.sha(`${ORG}/lora`));
    const r = await runCliAsync(['run', file, '--out', join(dir, 'out'), '--frozen', '--source-mode', 'stream', '--cache-dir', cache, ...SMALL], { env: env() });
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('(locked)');
    sameFiles(localOut, join(dir, 'out'));
  });

  it('a local adapter folder is locked by its files, and --frozen notices a changed file', async () => {
    const dir = join(t.dir, 'lock-local');
    const copy = adapter(join('lock-local', 'adapter'), 23);
    const file = writeRecipe(dir, 'r.yml', recipe(BASE, copy));
    expect(runCli(['lock', file]).status).toBe(0);
    const lock = JSON.parse(readFileSync(join(dir, 'mergeops.lock'), 'utf8')) as { models: Record<string, { lora?: { path: string; files: { path: string }[] } }> };
    const entry = lock.models[`${BASE}+${copy}`].lora!;
    expect(entry.path).toBe('adapter');
    expect(entry.files.map((f) => f.path)).toEqual(['adapter_config.json', 'adapter_model.safetensors']);
    writeFileSync(join(copy, 'adapter_config.json'), `${readFileSync(join(copy, 'adapter_config.json'), 'utf8')}\n`);
    const r = runCli(['run', file, '--out', join(dir, 'out'), '--frozen']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`the LoRA adapter of \`${BASE}+${copy}\``);
    expect(r.stderr).toContain('adapter_config.json is');
  });
});

describe('vocabulary remaps over streamed inputs', () => {
  it('a tokenizer union over Hub models, one with an embedding and lm_head LoRA from the Hub: same bytes as from local folders', async () => {
    const dims = { arch: 'llama', dtype: 'BF16' as const, hiddenSize: 32, numLayers: 1, intermediateSize: 64, numHeads: 4, numKvHeads: 2 };
    const va = join(t.dir, 'vocab-a');
    const vb = join(t.dir, 'vocab-b');
    await generateModel({ ...dims, dir: va, seed: 71, vocabSize: 300, extraTokens: ['<a>'] });
    await generateModel({ ...dims, dir: vb, seed: 72, vocabSize: 310, extraTokens: ['<b>'], addedTokens: ['<|s|>'] });
    const emb = join(t.dir, 'emb-lora');
    generateAdapter({
      dir: emb, seed: 73, dtype: 'BF16',
      modules: [{ module: 'model.embed_tokens', rows: 300, cols: 32, rank: 4, embedding: true }, { module: 'lm_head', rows: 300, cols: 32, rank: 4 }],
      config: peftConfig({ r: 4, lora_alpha: 8, target_modules: ['embed_tokens', 'lm_head'] }),
    });
    for (const [name, dir] of [['vocab-a', va], ['vocab-b', vb], ['emb-lora', emb]]) hub.addFolder(`${ORG}/${name}`, dir);
    const text = (x: string, y: string, l: string): string => `merge_method: linear
models:
  - model: ${x}+${l}
    parameters: {weight: 0.5}
  - model: ${y}
    parameters: {weight: 0.5}
tokenizer:
  source: union
  pad_to_multiple_of: 16
`;
    const dir = join(t.dir, 'remap-stream');
    const local = runCli(['run', writeRecipe(t.dir, 'remap-local.yml', text(va, vb, emb)), '--out', join(dir, 'local')]);
    expect(local.status).toBe(0);
    const r = await runCliAsync(['run', writeRecipe(t.dir, 'remap-hub.yml', text(`${ORG}/vocab-a`, `${ORG}/vocab-b`, `${ORG}/emb-lora`)),
      '--out', join(dir, 'stream'), '--source-mode', 'stream', '--cache-dir', join(dir, 'cache'), ...SMALL], { env: env() });
    expect(r.status).toBe(0);
    for (const f of ['model.safetensors', 'tokenizer.json', 'config.json']) {
      expect([f, readFileSync(join(dir, 'local', f)).equals(readFileSync(join(dir, 'stream', f)))]).toEqual([f, true]);
    }
  });
});

describe('Hub adapter errors', () => {
  async function plan(name: string, lora: string, e: Record<string, string> = env()): Promise<{ status: number; stderr: string }> {
    const file = writeRecipe(t.dir, `${name}.yml`, recipe(`${ORG}/base`, lora));
    return runCliAsync(['plan', file, '--cache-dir', join(t.dir, `cache-${name}`)], { env: e });
  }

  it('a repo without adapter_model.safetensors: the reference, the repo and what to do', async () => {
    hub.commitFiles(`${ORG}/half-lora`, new Map([['adapter_config.json', readFileSync(join(adapterV1, 'adapter_config.json'))]]));
    const r = await plan('half', `${ORG}/half-lora`);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('half.yml:3:12');
    expect(r.stderr).toContain(`LoRA adapter repo ${ORG}/half-lora@main`);
    expect(r.stderr).toContain('has no adapter_model.safetensors');
    expect(r.stderr).toMatch(/hint: add adapter_model\.safetensors/);
  });

  it('a pickle-only adapter is refused, a full model given as adapter is named as such', async () => {
    hub.commitFiles(`${ORG}/pickle-lora`, new Map([
      ['adapter_config.json', readFileSync(join(adapterV1, 'adapter_config.json'))], ['adapter_model.bin', Buffer.from('not a pickle')]]));
    const p = await plan('pickle', `${ORG}/pickle-lora`);
    expect(p.status).toBe(1);
    expect(p.stderr).toContain('only the pickle adapter_model.bin');
    expect(p.stderr).toContain('never loads pickles');
    const m = await plan('model-as-lora', `${ORG}/base`);
    expect(m.status).toBe(1);
    expect(m.stderr).toContain('has no adapter_config.json');
    expect(m.stderr).toContain('full model');
  });

  it('an unknown adapter repo or revision names the adapter', async () => {
    const r = await plan('unknown', 'nobody/no-lora');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('unknown.yml:3:12');
    expect(r.stderr).toContain('LoRA adapter `nobody/no-lora`');
    expect(r.stderr).toMatch(/not found/);
    const v = await plan('unknown-rev', `${ORG}/lora@v9`);
    expect(v.status).toBe(1);
    expect(v.stderr).toContain(`LoRA adapter \`${ORG}/lora\``);
    expect(v.stderr).toContain('v9');
  });

  it('a gated adapter without a token: HTTP 401 and how to get access', async () => {
    hub.addFolder(`${ORG}/gated-lora`, adapterV1);
    hub.gate(`${ORG}/gated-lora`);
    const r = await plan('gated', `${ORG}/gated-lora`, { HF_ENDPOINT: hub.url });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`LoRA adapter \`${ORG}/gated-lora\``);
    expect(r.stderr).toContain('HTTP 401');
    expect(r.stderr).toContain('HF_TOKEN');
    // With a token it resolves.
    expect((await plan('gated-ok', `${ORG}/gated-lora`)).status).toBe(0);
  });
});
