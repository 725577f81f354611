/**
 * Multi-stage recipes: a fused run (earlier stages computed in memory) writes the same bytes as
 * running each stage on its own through an intermediate folder; graph errors point at the recipe.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, runCliMeasured } from '../support/cli.js';
import { EXAMPLE_MODELS, tempDir, writeRecipe } from '../support/tmp.js';

const m = (name: string): string => join(EXAMPLE_MODELS, name);

const STAGE1 = (add: string, rev: string): string => `merge_method: linear
models:
  - model: ${add}
    parameters: {weight: 0.5}
  - model: ${rev}
    parameters: {weight: 0.5}
dtype: float32
out_dtype: bfloat16
`;

const STAGE2 = (mix: string): string => `merge_method: task_arithmetic
base_model: ${m('base')}
models:
  - model: ${mix}
    parameters: {weight: 0.7}
  - model: ${m('add')}
    parameters: {weight: 0.3}
parameters:
  lambda: 0.9
`;

function ok(r: { status: number | null; stderr: string }): void {
  if (r.status !== 0) throw new Error(`mergeops failed (${r.status}):\n${r.stderr}`);
}

const weights = (dir: string): Buffer => readFileSync(join(dir, 'model.safetensors'));

describe('multi-stage recipes', () => {
  const t = tempDir();
  afterAll(t.cleanup);

  it('fused run equals the stages run one by one, and --keep-intermediates writes the stage', () => {
    const fused = writeRecipe(t.dir, 'two-stage.yml', `name: mix\n${STAGE1(m('add'), m('rev'))}---\n${STAGE2('mix')}`);
    const s1 = writeRecipe(t.dir, 'stage1.yml', STAGE1(m('add'), m('rev')));
    const staged1 = join(t.dir, 'staged-mix');
    ok(runCli(['run', s1, '--out', staged1]));
    const s2 = writeRecipe(t.dir, 'stage2.yml', STAGE2(staged1));
    ok(runCli(['run', s2, '--out', join(t.dir, 'staged-final')]));

    const r = runCli(['run', fused, '--out', join(t.dir, 'fused')]);
    ok(r);
    expect(r.stderr).toContain('fusing 1 earlier stage(s) in memory: mix');
    expect(existsSync(join(t.dir, 'mix'))).toBe(false);
    expect(weights(join(t.dir, 'fused')).equals(weights(join(t.dir, 'staged-final')))).toBe(true);
    expect(readFileSync(join(t.dir, 'fused', 'mergeops_recipe.yml'), 'utf8')).toContain('name: mix');

    ok(runCli(['run', fused, '--out', join(t.dir, 'fused2'), '--keep-intermediates', join(t.dir, 'inter')]));
    expect(weights(join(t.dir, 'inter', 'mix')).equals(weights(staged1))).toBe(true);
    expect(weights(join(t.dir, 'fused2')).equals(weights(join(t.dir, 'fused')))).toBe(true);
  });

  it('fused run under a small budget gives the same bytes, in no more memory than the largest stage', () => {
    const fused = join(t.dir, 'two-stage.yml');
    const budget = ['--max-memory', '160MiB', '--threads', '2'];
    const a = runCliMeasured(['run', fused, '--out', join(t.dir, 'fused-small'), ...budget]);
    ok(a);
    expect(weights(join(t.dir, 'fused-small')).equals(weights(join(t.dir, 'staged-final')))).toBe(true);
    const s1 = runCliMeasured(['run', join(t.dir, 'stage1.yml'), '--out', join(t.dir, 's1-small'), ...budget]);
    const s2 = runCliMeasured(['run', join(t.dir, 'stage2.yml'), '--out', join(t.dir, 's2-small'), ...budget]);
    ok(s1); ok(s2);
    const largest = Math.max(s1.maxRssBytes, s2.maxRssBytes);
    console.log(`peak RSS: fused ${(a.maxRssBytes / 2 ** 20).toFixed(1)} MiB, stages ${(s1.maxRssBytes / 2 ** 20).toFixed(1)} / ${(s2.maxRssBytes / 2 ** 20).toFixed(1)} MiB`);
    expect(a.maxRssBytes).toBeLessThanOrEqual(largest * 1.05);
    expect(a.maxRssBytes).toBeLessThan(160 * 2 ** 20);
  });

  it('reports a cycle between stages at the reference', () => {
    const f = writeRecipe(t.dir, 'cycle.yml', `name: a
merge_method: linear
models:
  - model: b
    parameters: {weight: 1}
---
name: b
merge_method: linear
models:
  - model: a
    parameters: {weight: 1}
---
merge_method: linear
models:
  - model: a
    parameters: {weight: 1}
`);
    const r = runCli(['plan', f]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/cycle\.yml:\d+:\d+: circular dependency between stages: (a → b → a|b → a → b)/);
  });

  it('rejects two unnamed documents and stage references with a revision', () => {
    const two = writeRecipe(t.dir, 'two-final.yml', `${STAGE1(m('add'), m('rev'))}---\n${STAGE1(m('add'), m('rev'))}`);
    const r = runCli(['plan', two]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/two-final\.yml:10:1: more than one unnamed document/);
    const rev = writeRecipe(t.dir, 'rev.yml', `name: mix\n${STAGE1(m('add'), m('rev'))}---\n${STAGE2('mix@main')}`);
    const r2 = runCli(['plan', rev]);
    expect(r2.status).toBe(1);
    expect(r2.stderr).toMatch(/rev\.yml:\d+:\d+: `mix@main` names the stage `mix`/);
  });

  it('warns about a stage the final merge does not use', () => {
    const f = writeRecipe(t.dir, 'unused.yml', `name: spare\n${STAGE1(m('add'), m('rev'))}---\n${STAGE2(m('rev'))}`);
    const r = runCli(['plan', f]);
    ok(r);
    expect(r.stdout).toContain('stage `spare` is not used by the final merge');
  });

  it('runs the practical shape: three 1:1 mixes, then a merge with another model, tokenizer from a sibling', () => {
    const mix = (name: string, a: string, b: string): string =>
      `name: ${name}\nmerge_method: linear\nmodels:\n  - model: ${m(a)}\n    parameters: {weight: 1}\n  - model: ${m(b)}\n    parameters: {weight: 1}\n---\n`;
    const final = (tok: string): string => `merge_method: linear
models:
  - model: mix-a
    parameters: {weight: 1}
  - model: mix-b
    parameters: {weight: 1}
  - model: mix-c
    parameters: {weight: 1}
  - model: ${m('base')}
    parameters: {weight: 1}
${tok}`;
    const stages = mix('mix-a', 'add', 'rev') + mix('mix-b', 'add', 'base') + mix('mix-c', 'rev', 'base');
    const withTok = writeRecipe(t.dir, 'practical.yml', stages + final(`tokenizer_source: ${m('rev')}\n`));
    const plain = writeRecipe(t.dir, 'practical-plain.yml', stages + final(''));
    ok(runCli(['run', withTok, '--out', join(t.dir, 'practical')]));
    ok(runCli(['run', plain, '--out', join(t.dir, 'practical-plain')]));
    // Same vocabulary everywhere: the weights are the plain merge's, the tokenizer is the sibling's.
    expect(weights(join(t.dir, 'practical')).equals(weights(join(t.dir, 'practical-plain')))).toBe(true);
    const tok = (dir: string): unknown => JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8'));
    expect(tok(join(t.dir, 'practical'))).toEqual(tok(m('rev')));
  });
});
