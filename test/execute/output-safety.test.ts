/**
 * Output safety, as a user meets it: `--out` never overlaps what the run reads, `--overwrite`
 * replaces only an earlier mergeops output, links are followed, one writer per output, stale
 * partial folders of dead processes are removed. Every refusal leaves the inputs byte-identical.
 */
import { createHash } from 'node:crypto';
import {
  cpSync, existsSync, mkdirSync, readdirSync, readFileSync, lstatSync, statSync, symlinkSync, writeFileSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { join, relative } from 'node:path';
import { runCli } from '../support/cli.js';
import { EXAMPLE_MODELS, tempDir, writeRecipe } from '../support/tmp.js';

const t = tempDir('mergeops-output-safety-');
afterAll(t.cleanup);

/** Every file under `dir` with its sha256 (relative path → hash). */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[relative(dir, p)] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

/** A project folder: recipe.yml beside models/a and models/b (copies of the fixtures). */
function project(name: string): { root: string; recipe: string; a: string; b: string; cache: string } {
  const root = join(t.dir, name);
  const a = join(root, 'models', 'a');
  const b = join(root, 'models', 'b');
  cpSync(join(EXAMPLE_MODELS, 'base'), a, { recursive: true });
  cpSync(join(EXAMPLE_MODELS, 'add'), b, { recursive: true });
  const recipe = writeRecipe(root, 'recipe.yml', `merge_method: linear
models:
  - model: ${a}
    parameters: {weight: 0.5}
  - model: ${b}
    parameters: {weight: 0.5}
`);
  return { root, recipe, a, b, cache: join(t.dir, `${name}-cache`) };
}

function refused(args: string[], patterns: RegExp[], cwd?: string): string {
  const r = runCli(args, cwd);
  expect(r.stderr).not.toMatch(/internal error/);
  expect(r.status).not.toBe(0);
  for (const p of patterns) expect(r.stderr).toMatch(p);
  expect(r.stderr).toMatch(/hint: /);
  return r.stderr;
}

const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('--out may not overlap what the run reads', () => {
  const p = project('overlap');
  const before = snapshot(p.root);
  afterAll(() => {
    // Every refusal below left the project untouched.
    expect(snapshot(p.root)).toEqual(before);
  });
  const run = (out: string, extra: string[] = [], cwd?: string): string[] =>
    ['run', p.recipe, '--out', out, '--cache-dir', p.cache, ...extra];

  it('an input model folder, with --overwrite too', () => {
    const err = refused(run(p.a, ['--overwrite']), [/--out .* is input model/, new RegExp(esc(p.a))]);
    expect(err).toMatch(/output may not overlap/);
    refused(run(p.b, ['--force-overwrite']), [/is input model/, new RegExp(esc(p.b))]);
  });

  it('a folder inside an input model folder', () => {
    refused(run(join(p.a, 'merged')), [/lies inside input model/, new RegExp(esc(p.a))]);
    expect(existsSync(join(p.a, 'merged'))).toBe(false);
  });

  it('the folder holding the recipe and the inputs, or a parent of it', () => {
    refused(run(p.root, ['--overwrite']), [/contains (input model|the recipe)/, new RegExp(esc(p.root))]);
    refused(run(t.dir, ['--force-overwrite']), [/contains/]);
    refused(run(join(p.root, 'models'), ['--overwrite']), [/contains input model/]);
  });

  it('the working directory when it holds inputs', () => {
    refused(['run', p.recipe, '--out', '.', '--overwrite', '--cache-dir', p.cache], [/contains/], join(p.root, 'models'));
  });

  it('the shard cache, or a folder inside it', () => {
    mkdirSync(p.cache, { recursive: true });
    refused(run(p.cache), [/is the shard cache/, new RegExp(esc(p.cache))]);
    refused(run(join(p.cache, 'x')), [/lies inside the shard cache/]);
  });

  it('a link to an input folder is followed', () => {
    const link = join(t.dir, 'link-to-a');
    symlinkSync(p.a, link);
    refused(run(link, ['--overwrite']), [/is input model/, new RegExp(esc(p.a))]);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
  });

  it('a regular file as --out: a clear error, no stack trace', () => {
    const f = join(t.dir, 'a-file');
    writeFileSync(f, 'keep me');
    refused(run(f), [/is a file, not a folder/]);
    expect(readFileSync(f, 'utf8')).toBe('keep me');
    refused(run(join(f, 'sub')), [/is a file, not a folder|is a file where a folder is needed/]);
  });
});

describe('--overwrite replaces only what mergeops wrote', () => {
  const p = project('overwrite');
  const run = (out: string, extra: string[] = []) => runCli(['run', p.recipe, '--out', out, '--cache-dir', p.cache, ...extra]);

  it('every output carries the marker; --overwrite replaces an earlier output', () => {
    const out = join(t.dir, 'ow-out');
    expect(run(out).status).toBe(0);
    const marker = JSON.parse(readFileSync(join(out, '.mergeops-output.json'), 'utf8')) as Record<string, unknown>;
    expect(marker).toEqual({ tool: 'mergeops', version: 1, command: 'run' });
    const r = run(out, ['--overwrite']);
    expect(r.stderr).not.toMatch(/error/);
    expect(r.status).toBe(0);
    expect(r.stdout).not.toMatch(/\.mergeops-output\.json/); // not listed among the model files
  });

  it('a folder without the marker is refused, untouched; --force-overwrite replaces it', () => {
    const out = join(t.dir, 'precious');
    mkdirSync(out);
    writeFileSync(join(out, 'thesis.tex'), 'years of work');
    const err = refused(['run', p.recipe, '--out', out, '--overwrite', '--cache-dir', p.cache],
      [/was not written by mergeops/, /\.mergeops-output\.json/, /--force-overwrite/]);
    expect(err).toMatch(new RegExp(esc(out)));
    expect(readdirSync(out)).toEqual(['thesis.tex']);
    const r = run(out, ['--force-overwrite']);
    expect(r.status).toBe(0);
    expect(existsSync(join(out, 'thesis.tex'))).toBe(false);
    expect(existsSync(join(out, 'model.safetensors'))).toBe(true);
  });

  it('a link as --out: the target is written, the link stays', () => {
    const target = join(t.dir, 'link-target');
    const link = join(t.dir, 'out-link');
    symlinkSync(target, link); // dangling: the target does not exist yet
    const r = run(link);
    expect(r.stderr).not.toMatch(/error/);
    expect(r.status).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(statSync(join(target, 'model.safetensors')).isFile()).toBe(true);
    expect(run(link, ['--overwrite']).status).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
  });
});

describe('one writer per output, stale partial outputs removed', () => {
  const p = project('lock');

  it('a live lock holder: the second run fails at once naming it; a dead one is taken over', () => {
    const out = join(t.dir, 'locked-out');
    const lock = join(t.dir, '.locked-out.lock');
    // This test process is alive: it holds the lock.
    writeFileSync(lock, JSON.stringify({ pid: process.pid, host: hostname(), started: 'now' }));
    const t0 = Date.now();
    const err = refused(['run', p.recipe, '--out', out, '--cache-dir', p.cache],
      [/being written by another mergeops process/, new RegExp(`pid ${process.pid}`), new RegExp(esc(lock))]);
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(err).not.toMatch(/merging/);
    expect(existsSync(out)).toBe(false);
    // A holder that is gone: taken over, and released at the end.
    writeFileSync(lock, JSON.stringify({ pid: 2 ** 22 + 17, host: hostname(), started: 'long ago' }));
    const r = runCli(['run', p.recipe, '--out', out, '--cache-dir', p.cache]);
    expect(r.status).toBe(0);
    expect(existsSync(lock)).toBe(false);
  });

  it('partial siblings of dead processes go, those of live ones stay', () => {
    const out = join(t.dir, 'stale-out');
    const dead = join(t.dir, `.stale-out.partial-${2 ** 22 + 19}`);
    const deadOld = join(t.dir, `.other.partial-${2 ** 22 + 23}.old`);
    const live = join(t.dir, `.stale-out.partial-${process.pid}`);
    for (const d of [dead, deadOld, live]) {
      mkdirSync(d);
      writeFileSync(join(d, 'model.safetensors'), Buffer.alloc(4096));
    }
    const r = runCli(['run', p.recipe, '--out', out, '--cache-dir', p.cache]);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/removed .*partial-\d+, left by an interrupted run/);
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(deadOld)).toBe(false);
    expect(existsSync(live)).toBe(true);
  });
});

describe('quantize outputs', () => {
  it('refuses to replace a non-GGUF file; stale partial files go; the model folder is untouched', () => {
    const model = join(t.dir, 'qmodel');
    cpSync(join(EXAMPLE_MODELS, 'base'), model, { recursive: true });
    const before = snapshot(model);
    const out = join(t.dir, 'q-out');
    mkdirSync(out);
    writeFileSync(join(out, 'qmodel-Q8_0.gguf'), 'not a gguf');
    refused(['quantize', model, '--type', 'Q8_0', '--out', out, '--overwrite', '--skip-gguf-check'], [/is not a GGUF file/, /--force-overwrite/]);
    expect(readFileSync(join(out, 'qmodel-Q8_0.gguf'), 'utf8')).toBe('not a gguf');
    const stale = join(out, `.qmodel-Q8_0.gguf.partial-${2 ** 22 + 29}`);
    writeFileSync(stale, Buffer.alloc(1024));
    const r = runCli(['quantize', model, '--type', 'Q8_0', '--out', out, '--force-overwrite', '--skip-gguf-check']);
    expect(r.status).toBe(0);
    expect(existsSync(stale)).toBe(false);
    expect(readFileSync(join(out, 'qmodel-Q8_0.gguf')).subarray(0, 4).toString()).toBe('GGUF');
    expect(readdirSync(out)).toEqual(['qmodel-Q8_0.gguf']);
    expect(snapshot(model)).toEqual(before);
  });
});

