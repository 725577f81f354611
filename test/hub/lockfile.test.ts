/** mergeops.lock with local models: stable sorted text, outputs recorded by `run`, --frozen checks. */
import { readFileSync, writeFileSync, cpSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { serializeLock, type Lockfile } from '../../src/hub/lockfile.js';
import { runCli } from '../support/cli.js';
import { EXAMPLE_MODELS, tempDir, writeRecipe } from '../support/tmp.js';

const t = tempDir('mergeops-lock-');
afterAll(t.cleanup);

describe('serializeLock', () => {
  it('sorts keys at every level and puts each file on one line', () => {
    const lock: Lockfile = {
      version: 1, recipe: { sha256: 'ab', file: 'r.yml' },
      models: { 'z/m': { sha: 'c'.repeat(40), repo: 'z/m', revision: 'main', files: [{ size: 3, sha256: 'ff', path: 'config.json' }] }, 'a/m': { path: '/x', files: [] } },
    };
    const text = serializeLock(lock);
    expect(text.indexOf('"a/m"')).toBeLessThan(text.indexOf('"z/m"'));
    expect(text.indexOf('"recipe"')).toBeGreaterThan(text.indexOf('"models"'));
    expect(text).toContain('{"path": "config.json", "sha256": "ff", "size": 3}');
    expect(JSON.parse(text)).toEqual(lock);
    // Same lock, keys in another order: same text.
    expect(serializeLock(JSON.parse(JSON.stringify({ ...lock, version: 1 })) as Lockfile)).toBe(text);
  });
});

describe('lock, run and --frozen with local models', () => {
  const models = join(t.dir, 'models');
  cpSync(join(EXAMPLE_MODELS, 'add'), join(models, 'add'), { recursive: true });
  cpSync(join(EXAMPLE_MODELS, 'rev'), join(models, 'rev'), { recursive: true });
  const recipe = writeRecipe(t.dir, 'linear.yml', `merge_method: linear\nmodels:\n  - model: ./models/add\n    parameters: {weight: 0.5}\n  - model: ./models/rev\n    parameters: {weight: 0.5}\n`);
  const lockPath = join(t.dir, 'mergeops.lock');

  it('pins every used file with its sha256, and `run` records the outputs', () => {
    const l = runCli(['lock', recipe], t.dir);
    expect(l.status).toBe(0);
    const lock = JSON.parse(readFileSync(lockPath, 'utf8')) as Lockfile;
    const add = lock.models['./models/add'];
    expect(add.path).toBe('models/add');
    const shard = add.files.find((f) => f.path === 'model.safetensors')!;
    expect(shard.sha256).toBe(createHash('sha256').update(readFileSync(join(models, 'add', 'model.safetensors'))).digest('hex'));
    expect(lock.recipe.sha256).toBe(createHash('sha256').update(readFileSync(recipe)).digest('hex'));
    expect(lock.outputs).toBeUndefined();

    const r = runCli(['run', recipe, '--out', join(t.dir, 'out'), '--frozen'], t.dir);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('recorded the outputs');
    const after = JSON.parse(readFileSync(lockPath, 'utf8')) as Lockfile;
    const out = after.outputs!.find((f) => f.path === 'model.safetensors')!;
    expect(out.sha256).toBe(createHash('sha256').update(readFileSync(join(t.dir, 'out', 'model.safetensors'))).digest('hex'));
    expect(after.models).toEqual(lock.models);
  });

  it('--frozen fails when the recipe changed since the lock', () => {
    writeFileSync(recipe, readFileSync(recipe, 'utf8').replace('weight: 0.5}\n  - model: ./models/rev', 'weight: 0.6}\n  - model: ./models/rev'));
    const r = runCli(['run', recipe, '--out', join(t.dir, 'out2'), '--frozen'], t.dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('the recipe changed since');
    expect(r.stderr).toContain('mergeops lock');
    // Without --frozen the stale lock is ignored, with a warning.
    const ok = runCli(['run', recipe, '--out', join(t.dir, 'out2')], t.dir);
    expect(ok.status).toBe(0);
    expect(ok.stderr).toContain('is for another version of the recipe');
  });

  it('--frozen fails when a local model file changed size', () => {
    expect(runCli(['lock', recipe], t.dir).status).toBe(0);
    writeFileSync(join(models, 'rev', 'generation_config.json'), '{"changed": true, "padding": "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}');
    const r = runCli(['run', recipe, '--out', join(t.dir, 'out3'), '--frozen'], t.dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('model `./models/rev`');
    expect(r.stderr).toContain('generation_config.json');
  });

  it('says how to create a missing lockfile', () => {
    const other = writeRecipe(join(t.dir, 'models'), 'x.yml', 'merge_method: linear\nmodels:\n  - model: ./add\n    parameters: {weight: 1}\n');
    const r = runCli(['run', other, '--out', join(t.dir, 'out4'), '--frozen'], t.dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('no lockfile at');
    expect(r.stderr).toContain('mergeops lock');
  });
});
