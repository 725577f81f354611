/**
 * The sparse/statistics methods at plan time: mergekit's TIES example plans, failure modes give
 * clear errors. Their merges against float64 references, thread and chunking sweeps:
 * sparse-methods.heavy.test.ts (`npm run test:heavy`).
 */
import { join } from 'node:path';
import { runCli } from '../support/cli.js';
import { EXAMPLE_MODELS, tempDir, writeRecipe } from '../support/tmp.js';
import { generateModel } from '../support/generate-model.js';

const BASE = join(EXAMPLE_MODELS, 'base');
const ADD = join(EXAMPLE_MODELS, 'add');
const REV = join(EXAMPLE_MODELS, 'rev');

function recipe(method: string, models: string, extra = ''): string {
  return `merge_method: ${method}\nbase_model: ${BASE}\nmodels:\n${models}${extra}`;
}

const TWO = (p1: string, p2: string): string => `  - model: ${ADD}\n    parameters: {${p1}}\n  - model: ${REV}\n    parameters: {${p2}}\n`;

describe('plans and errors', () => {
  const t = tempDir();
  afterAll(t.cleanup);
  let extra: string;
  beforeAll(async () => {
    extra = join(t.dir, 'wizardmath');
    await generateModel({ arch: 'llama', dir: extra, seed: 9, baseFrom: BASE });
  });

  it("mergekit's ties example (§2.8) plans, density and weight gradients and filters included", () => {
    const file = writeRecipe(t.dir, 'ties.yml', `models:
  - model: ${ADD}
    parameters:
      density: [1, 0.7, 0.1] # density gradient
      weight: 1.0
  - model: ${REV}
    parameters:
      density: 0.5
      weight: [0, 0.3, 0.7, 1] # weight gradient
  - model: ${extra}
    parameters:
      density: 0.33
      weight:
        - filter: mlp
          value: 0.5
        - value: 0
merge_method: ties
base_model: ${BASE}
parameters:
  normalize: true
  int8_mask: true
dtype: float16
`);
    const r = runCli(['plan', file, '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const plan = JSON.parse(r.stdout) as { tensors: { name: string; op: string }[] };
    expect(plan.tensors.length).toBeGreaterThan(0);
  });

  it("the final stage of mergekit's multi-stage example (§4.1, dare_ties) plans", () => {
    const file = writeRecipe(t.dir, 'dare.yml', `merge_method: dare_ties
base_model: ${BASE}
models:
  - model: ${ADD}
    parameters: {density: 0.6, weight: 0.5}
  - model: ${REV}
    parameters: {density: 0.8, weight: 0.5}
`);
    const r = runCli(['plan', file]);
    expect(r.status).toBe(0);
  });

  it('della with density ± epsilon outside (0, 1) says which model and what to change', () => {
    const file = writeRecipe(t.dir, 'della-bad.yml', recipe('della', TWO('weight: 1, density: 0.1', 'weight: 1, density: 0.5')));
    const r = runCli(['plan', file]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/della-bad\.yml:1:15: della: model `.*add` has density 0\.1 and epsilon 0\.15/);
    expect(r.stderr).toMatch(/hint: use an epsilon below 0\.1/);
  });

  it('ties without a base model, and bad option values, are recipe errors', () => {
    const noBase = writeRecipe(t.dir, 'nobase.yml', `merge_method: ties\nmodels:\n${TWO('weight: 1', 'weight: 1')}`);
    const r = runCli(['plan', noBase]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/merge method `ties` needs a base model/);
    const badOpt = writeRecipe(t.dir, 'badopt.yml', recipe('ties', TWO('weight: 1', 'weight: 1'), 'mergeops:\n  consensus_method: majority\n'));
    const r2 = runCli(['plan', badOpt]);
    expect(r2.status).not.toBe(0);
    expect(r2.stderr).toMatch(/unknown consensus_method `majority`/);
    expect(r2.stderr).toMatch(/`sum`, `count`/);
    const badDensity = writeRecipe(t.dir, 'baddensity.yml', recipe('ties', TWO('weight: 1, density: -0.5', 'weight: 1')));
    const r3 = runCli(['plan', badDensity]);
    expect(r3.status).not.toBe(0);
    expect(r3.stderr).toMatch(/density must be ≥ 0/);
  });
});
