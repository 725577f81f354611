/**
 * Interruption of a real `mergeops run` process in the middle of a merge (a generated model of
 * ~200 MB, one worker, a Q4_K_M GGUF written alongside): each signal stops it within seconds
 * with 128 + the signal number, and leaves no partial folder, no GGUF part, no lock, and the
 * inputs byte-identical. A second Ctrl-C exits at once; after a SIGKILL the next run removes
 * what was left.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { CLI, runCli } from '../support/cli.js';
import { generateModel } from '../support/generate-model.js';
import { EXAMPLE_MODELS, tempDir, writeRecipe } from '../support/tmp.js';

const t = tempDir('mergeops-interrupt-');
afterAll(t.cleanup);

const model = join(t.dir, 'models', 'big');
let recipe: string;
let inputHash: string;

function hashDir(dir: string): string {
  const h = createHash('sha256');
  for (const f of readdirSync(dir).sort()) h.update(f).update(readFileSync(join(dir, f)));
  return h.digest('hex');
}

beforeAll(async () => {
  await generateModel({
    arch: 'llama', dir: model, seed: 3, hiddenSize: 768, numLayers: 6, vocabSize: 8192, intermediateSize: 2048, numHeads: 8, numKvHeads: 4, dtype: 'F32',
  });
  recipe = writeRecipe(t.dir, 'big.yml', `merge_method: linear
models:
  - model: ${model}
    parameters: {weight: 0.5}
  - model: ${model}
    parameters: {weight: 0.5}
`);
  inputHash = hashDir(model);
}, 120_000);

interface Started {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

/** Starts a merge and resolves once it is well inside the merge (progress reported, partial folder present). */
async function startMerge(out: string): Promise<Started> {
  const child = spawn(process.execPath, [CLI, 'run', recipe, '--out', out, '--threads', '1', '--gguf', 'Q4_K_M', '--skip-gguf-check'],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stdout!.resume();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((res) => {
    child.on('exit', (code, signal) => res({ code, signal, at: Date.now() }));
  });
  await new Promise<void>((res, rej) => {
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      err += d;
      if (/progress: +[1-9]\d?%/.test(err)) res();
    });
    void exited.then(() => rej(new Error(`the merge ended before it could be interrupted:\n${err}`)));
  });
  return { child, stderr: () => err, exited };
}

function leftovers(): string[] {
  return readdirSync(t.dir).filter((f) => f.startsWith('.'));
}

describe.each([
  ['SIGINT', 130],
  ['SIGTERM', 143],
  ['SIGHUP', 129],
] as const)('%s in the middle of a merge', (sig, code) => {
  it(`exits ${code} within seconds, removing the partial output`, async () => {
    const out = join(t.dir, `out-${sig}`);
    const run = await startMerge(out);
    // Inside the merge: the partial folder holds the shard and the GGUF being written.
    const partial = leftovers().filter((f) => f.startsWith(`.out-${sig}.partial-`));
    expect(partial).toHaveLength(1);
    expect(readdirSync(join(t.dir, partial[0])).some((f) => /\.gguf\.partial-\d+$/.test(f))).toBe(true);
    expect(existsSync(join(t.dir, `.out-${sig}.lock`))).toBe(true);
    const sent = Date.now();
    run.child.kill(sig);
    const { code: exitCode, at } = await run.exited;
    expect(exitCode).toBe(code);
    expect(at - sent).toBeLessThan(5000);
    expect(run.stderr()).toMatch(new RegExp(`interrupted \\(${sig}\\): stopping and removing partial output`));
    expect(run.stderr()).not.toMatch(/internal error|^error:/m);
    expect(existsSync(out)).toBe(false);
    expect(leftovers()).toEqual([]);
  });
});

it('a second Ctrl-C exits at once; the next run removes what it left', async () => {
  const out = join(t.dir, 'out-twice');
  const run = await startMerge(out);
  const sent = Date.now();
  run.child.kill('SIGINT');
  run.child.kill('SIGINT');
  const { code, at } = await run.exited;
  expect(code).toBe(130);
  expect(at - sent).toBeLessThan(2000);
  // Whatever was left is removed by the next run writing beside it.
  const small = writeRecipe(t.dir, 'small.yml', `merge_method: linear\nmodels:\n  - model: ${join(EXAMPLE_MODELS, 'base')}\n    parameters: {weight: 1}\n`);
  const r = runCli(['run', small, '--out', out]);
  expect(r.status).toBe(0);
  expect(leftovers()).toEqual([]);
});

it('after SIGKILL, the next run removes the partial folder and takes over the lock', async () => {
  const out = join(t.dir, 'out-killed');
  const run = await startMerge(out);
  run.child.kill('SIGKILL');
  const { signal } = await run.exited;
  expect(signal).toBe('SIGKILL');
  const left = leftovers();
  expect(left.some((f) => f.startsWith('.out-killed.partial-'))).toBe(true);
  expect(left).toContain('.out-killed.lock');
  const small = writeRecipe(t.dir, 'small.yml', `merge_method: linear\nmodels:\n  - model: ${join(EXAMPLE_MODELS, 'base')}\n    parameters: {weight: 1}\n`);
  const r = runCli(['run', small, '--out', out]);
  expect(r.stderr).toMatch(/removed .*\.out-killed\.partial-\d+, left by an interrupted run/);
  expect(r.status).toBe(0);
  expect(leftovers()).toEqual([]);
});

it('a second process writing the same output fails at once', async () => {
  const out = join(t.dir, 'out-busy');
  const run = await startMerge(out);
  const t0 = Date.now();
  const r = runCli(['run', recipe, '--out', out]);
  expect(Date.now() - t0).toBeLessThan(10_000);
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(new RegExp(`being written by another mergeops process \\(pid ${run.child.pid}`));
  run.child.kill('SIGTERM');
  expect((await run.exited).code).toBe(143);
  expect(leftovers()).toEqual([]);
});


it('the Action, cancelled (SIGINT) mid-merge, exits 130 and leaves no partial output', async () => {
  const action = CLI.replace(/cli[\\/]main\.js$/, join('action', 'main.js'));
  const withGGUF = writeRecipe(t.dir, 'big-gguf.yml', `${readFileSync(recipe, 'utf8')}mergeops:\n  quantize: [Q4_K_M]\n`);
  // Build mode writes each recipe to <out>/<recipe name>.
  const out = join(t.dir, 'big-gguf');
  const child = spawn(process.execPath, [action], {
    cwd: t.dir, stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env, INPUT_MODE: 'build', INPUT_RECIPES: basename(withGGUF), INPUT_OUT: t.dir, INPUT_THREADS: '1', INPUT_EVAL: 'false', INPUT_CACHE: 'false',
      GITHUB_WORKSPACE: t.dir, GITHUB_EVENT_NAME: 'workflow_dispatch', MERGEOPS_CACHE: join(t.dir, 'cache'),
    },
  });
  let log = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => { log += d; });
  child.stderr.setEncoding('utf8').on('data', (d: string) => { log += d; });
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  // Inside the merge: the GGUF part is being written in the partial folder.
  for (let i = 0; i < 300; i++) {
    const partial = leftovers().find((f) => f.startsWith('.big-gguf.partial-'));
    if (partial && readdirSync(join(t.dir, partial)).some((f) => f.includes('.gguf.partial-'))) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, 300));
  child.kill('SIGINT');
  expect(await exited).toBe(130);
  expect(log).toMatch(/::warning::interrupted \(SIGINT\)/);
  expect(log).not.toMatch(/::error/);
  expect(existsSync(out)).toBe(false);
  expect(leftovers()).toEqual([]);
});

it('every interrupted run left the input model byte-identical', () => {
  expect(hashDir(model)).toBe(inputHash);
});

describe.each([
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const)('%s in the middle of `mergeops quantize`', (sig, code) => {
  it(`exits ${code} within seconds; no partial GGUF, no lock, no folder it created`, async () => {
    const out = join(t.dir, `q-${sig}`);
    const child = spawn(process.execPath, [CLI, 'quantize', model, '--type', 'Q4_K_M', '--out', out, '--threads', '1', '--skip-gguf-check'],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stdout!.resume();
    child.stderr!.setEncoding('utf8').on('data', (d: string) => { err += d; });
    const exited = new Promise<{ code: number | null; at: number }>((res) => child.on('exit', (c) => res({ code: c, at: Date.now() })));
    let done = false;
    void exited.then(() => { done = true; });
    // Mid-run: the partial GGUF exists and is being written.
    const partial = (): string[] => (existsSync(out) ? readdirSync(out).filter((f) => /\.gguf\.partial-\d+$/.test(f)) : []);
    while (!done && partial().length === 0) await new Promise((r) => setTimeout(r, 10));
    expect(done).toBe(false);
    await new Promise((r) => setTimeout(r, 100));
    expect(done).toBe(false);
    const sent = Date.now();
    child.kill(sig);
    const { code: exitCode, at } = await exited;
    expect(exitCode).toBe(code);
    expect(at - sent).toBeLessThan(5000);
    expect(err).toMatch(new RegExp(`interrupted \\(${sig}\\)`));
    expect(err).not.toMatch(/internal error|^error:/m);
    // The folder was created by this run: it goes, with the partial GGUF and the lock.
    expect(existsSync(out)).toBe(false);
    expect(leftovers()).toEqual([]);
    expect(hashDir(model)).toBe(inputHash);
  });
});
