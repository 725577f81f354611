/** mergeops.lock with local models: stable sorted text, outputs recorded by `run`, --frozen checks. */
import { cpSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { serializeLock, type Lockfile } from '../../src/hub/lockfile.js';
import { lockIsCurrent } from '../../src/pipeline.js';
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
    // The recipe as data (what the hash covers), so a stale lock can say what changed.
    expect(lock.recipe.content).toEqual([{
      merge_method: 'linear',
      models: [{ model: './models/add', parameters: { weight: 0.5 } }, { model: './models/rev', parameters: { weight: 0.5 } }],
    }]);
    expect(lock.recipe.sha256).toBe(createHash('sha256').update(JSON.stringify(lock.recipe.content)).digest('hex'));
    expect(lock.outputs).toBeUndefined();

    const r = runCli(['run', recipe, '--out', join(t.dir, 'out')], t.dir);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('recorded the outputs');
    const after = JSON.parse(readFileSync(lockPath, 'utf8')) as Lockfile;
    const out = after.outputs!.find((f) => f.path === 'model.safetensors')!;
    expect(out.sha256).toBe(createHash('sha256').update(readFileSync(join(t.dir, 'out', 'model.safetensors'))).digest('hex'));
    expect(after.models).toEqual(lock.models);
  });

  it('a --frozen run leaves the lockfile untouched (a CI checkout stays clean) unless --record', () => {
    const before = readFileSync(lockPath, 'utf8');
    // Outputs that differ from the recorded ones (another dtype): still not written by --frozen.
    const recorded = JSON.parse(before) as Lockfile;
    writeFileSync(lockPath, serializeLock({ ...recorded, outputs: recorded.outputs!.map((f) => ({ ...f, sha256: '0'.repeat(64) })) }));
    const changed = readFileSync(lockPath, 'utf8');
    const mtime = statSync(lockPath).mtimeMs;
    const r = runCli(['run', recipe, '--out', join(t.dir, 'out-frozen'), '--frozen'], t.dir);
    expect(r.status).toBe(0);
    expect(r.stdout).not.toContain('recorded the outputs');
    expect(r.stderr).toMatch(/outputs differ from those recorded .*not recorded: --frozen .*--record/);
    expect(readFileSync(lockPath, 'utf8')).toBe(changed);
    expect(statSync(lockPath).mtimeMs).toBe(mtime);
    const rec = runCli(['run', recipe, '--out', join(t.dir, 'out-record'), '--frozen', '--record'], t.dir);
    expect(rec.status).toBe(0);
    expect(rec.stdout).toContain('recorded the outputs');
    expect(readFileSync(lockPath, 'utf8')).toBe(before);
  });

  it('a comment, reformatting or `0.50` for `0.5` is not drift', () => {
    const text = readFileSync(recipe, 'utf8');
    writeFileSync(recipe, `# merged for the demo\nmodels:\n  - model: ./models/add   # the adder\n    parameters:\n      weight: 0.50\n`
      + `  - {model: ./models/rev, parameters: {weight: 5.0e-1}}\nmerge_method: "linear"\n`);
    try {
      const r = runCli(['run', recipe, '--out', join(t.dir, 'out-reformatted'), '--frozen'], t.dir);
      expect(r.stderr).not.toContain('changed');
      expect(r.status).toBe(0);
    } finally {
      writeFileSync(recipe, text);
    }
  });

  it('lockIsCurrent (what the Action asks before re-locking): true for the same recipe reformatted, false once it changed', () => {
    const text = readFileSync(recipe, 'utf8');
    expect(lockIsCurrent(recipe, lockPath)).toBe(true);
    writeFileSync(recipe, `# a comment\n${text}`);
    expect(lockIsCurrent(recipe, lockPath)).toBe(true);
    writeFileSync(recipe, text.replace('weight: 0.5}', 'weight: 0.4}'));
    expect(lockIsCurrent(recipe, lockPath)).toBe(false);
    writeFileSync(recipe, text);
    expect(lockIsCurrent(recipe, join(t.dir, 'no.lock'))).toBe(false);
  });

  it('a lockfile written before the canonical hash (hash of the text, no content) still matches the same text', () => {
    const lock = JSON.parse(readFileSync(lockPath, 'utf8')) as Lockfile;
    const legacy: Lockfile = { ...lock, recipe: { file: lock.recipe.file, sha256: createHash('sha256').update(readFileSync(recipe)).digest('hex') } };
    writeFileSync(lockPath, serializeLock(legacy));
    try {
      expect(runCli(['run', recipe, '--out', join(t.dir, 'out-legacy'), '--frozen'], t.dir).status).toBe(0);
      writeFileSync(recipe, readFileSync(recipe, 'utf8') + 'dtype: float32\n');
      const r = runCli(['run', recipe, '--out', join(t.dir, 'out-legacy2'), '--frozen'], t.dir);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('only its hash is known to differ');
    } finally {
      writeFileSync(recipe, readFileSync(recipe, 'utf8').replace('dtype: float32\n', ''));
      writeFileSync(lockPath, serializeLock(lock));
    }
  });

  it('--frozen fails when the recipe changed since the lock, and says what changed', () => {
    writeFileSync(recipe, readFileSync(recipe, 'utf8').replace('weight: 0.5}\n  - model: ./models/rev', 'weight: 0.6}\n  - model: ./models/rev') + 'dtype: float32\n');
    const r = runCli(['run', recipe, '--out', join(t.dir, 'out2'), '--frozen'], t.dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('the recipe changed since');
    expect(r.stderr).toContain('model `./models/add`, parameters.weight: 0.5 → 0.6');
    expect(r.stderr).toContain('dtype added: "float32"');
    expect(r.stderr).not.toMatch(/[0-9a-f]{64}/);
    expect(r.stderr).toContain('mergeops lock');
    // Without --frozen the stale lock is ignored, with a warning saying the same.
    const ok = runCli(['run', recipe, '--out', join(t.dir, 'out2')], t.dir);
    expect(ok.status).toBe(0);
    expect(ok.stderr).toMatch(/is for another version of the recipe \(dtype added: "float32"; model `\.\/models\/add`, parameters\.weight: 0\.5 → 0\.6\)/);
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
