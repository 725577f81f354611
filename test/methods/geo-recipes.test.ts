/**
 * mergekit's example recipes that use the geometric methods (mergekit.md §2.8 gradient-slerp.yml
 * and arcee_fusion.yml, §4.1 the multi-stage example) plan with the fixture models in place of
 * the Hub models, with the documented parameter values per tensor; and every documented failure
 * mode of these methods is a clear recipe error (position, what, hint) at plan time.
 */
import { join } from 'node:path';
import { runCli } from '../support/cli.js';
import { EXAMPLE_MODELS, tempDir, writeRecipe } from '../support/tmp.js';

const t = tempDir();
afterAll(t.cleanup);

const BASE = join(EXAMPLE_MODELS, 'base');
const ADD = join(EXAMPLE_MODELS, 'add');
const REV = join(EXAMPLE_MODELS, 'rev');

interface PlanJson {
  method: string;
  tensors: { name: string; op: { kind: string; method?: string; params?: Record<string, unknown> }; inputs: { model: string }[] }[];
}

function plan(name: string, yaml: string): PlanJson {
  const r = runCli(['plan', writeRecipe(t.dir, `${name}.yml`, yaml), '--json']);
  if (r.status !== 0) throw new Error(`mergeops plan failed (${r.status}):\n${r.stderr}`);
  return JSON.parse(r.stdout) as PlanJson;
}

function expectPlanError(name: string, yaml: string, patterns: RegExp[]): void {
  const r = runCli(['plan', writeRecipe(t.dir, `${name}.yml`, yaml)]);
  expect(r.status).not.toBe(0);
  expect(r.stderr).toMatch(new RegExp(`${name}\\.yml:\\d+:\\d+: `));
  for (const p of patterns) expect(r.stderr).toMatch(p);
  expect(r.stderr).toMatch(/hint: /);
  expect(r.stderr).not.toMatch(/internal error/i);
}

describe('mergekit example recipes plan', () => {
  it('gradient-slerp.yml: t per layer from the filter gradients, 0.5 elsewhere', () => {
    // examples/gradient-slerp.yml with the fixtures (4 layers) for the 40-layer models
    const p = plan('gradient-slerp', `slices:
  - sources:
      - model: ${ADD}
        layer_range: [0, 4]
      - model: ${REV}
        layer_range: [0, 4]
merge_method: slerp
base_model: ${ADD}
parameters:
  t:
    - filter: self_attn
      value: [0, 0.5, 0.3, 0.7, 1]
    - filter: mlp
      value: [1, 0.5, 0.7, 0.3, 0]
    - value: 0.5 # fallback for rest of tensors
dtype: float16
`);
    expect(p.method).toBe('slerp');
    const tOf = (name: string): unknown => {
      const tensor = p.tensors.find((x) => x.name === name)!;
      expect(tensor.op).toMatchObject({ kind: 'program', method: 'slerp' });
      expect(tensor.inputs.map((i) => i.model)).toEqual([ADD, REV]); // the base first: t = 0 → base
      return tensor.op.params!.t;
    };
    // layer i of 4 sits at i/3 on the gradient: [0, .5, .3, .7, 1] at 0, 1/3, 2/3, 1
    const grad = (v: number[], x: number): number => {
      const s = x * (v.length - 1);
      const i = Math.trunc(s);
      const f = s - i;
      return (1 - f) * v[i] + f * v[Math.min(v.length - 1, i + 1)];
    };
    for (let l = 0; l < 4; l++) {
      expect(tOf(`model.layers.${l}.self_attn.q_proj.weight`)).toBeCloseTo(grad([0, 0.5, 0.3, 0.7, 1], l / 3), 12);
      expect(tOf(`model.layers.${l}.mlp.down_proj.weight`)).toBeCloseTo(grad([1, 0.5, 0.7, 0.3, 0], l / 3), 12);
      expect(tOf(`model.layers.${l}.input_layernorm.weight`)).toBe(0.5);
    }
    expect(tOf('model.embed_tokens.weight')).toBe(0.5);
  });

  it('arcee_fusion.yml', () => {
    const p = plan('arcee-fusion', `models:
  - model: ${BASE}
  - model: ${ADD}
merge_method: arcee_fusion
base_model: ${BASE}
dtype: bfloat16
`);
    expect(p.tensors.every((x) => x.op.kind === 'program' && x.op.method === 'arcee_fusion')).toBe(true);
    expect(p.tensors[0].inputs.map((i) => i.model)).toEqual([BASE, ADD]);
  });

  it('the multi-stage example (§4.1): a slerp stage on an earlier linear stage', () => {
    // The final stage of the example is dare_ties (another branch); task_arithmetic takes its
    // place here, with the same models and parameters.
    const text = `name: first-merge
merge_method: linear
models:
  - model: ${BASE}
  - model: ${ADD}
parameters:
  weight: 0.5
---
name: second-merge
merge_method: slerp
base_model: first-merge
models:
  - model: ${REV}
parameters:
  t: 0.5
---
merge_method: task_arithmetic          # unnamed = final output
base_model: ${BASE}
models:
  - model: second-merge
    parameters: {density: 0.6, weight: 0.5}
  - model: ${ADD}
    parameters: {density: 0.8, weight: 0.5}
`;
    const p = plan('multi', text);
    expect(p.method).toBe('task_arithmetic');
    const out = join(t.dir, 'multi-out');
    const r = runCli(['run', join(t.dir, 'multi.yml'), '--out', out]);
    if (r.status !== 0) throw new Error(`mergeops run failed (${r.status}):\n${r.stderr}`);
  });

  it.each([
    ['nuslerp', `merge_method: nuslerp\nbase_model: ${BASE}\nmodels:\n  - model: ${ADD}\n    parameters: {weight: 1}\n  - model: ${REV}\n    parameters: {weight: 3}\n`, { t: 0.75, rel: true, flatten: true }],
    ['nuslerp', `merge_method: nuslerp\nmodels:\n  - model: ${ADD}\n    parameters: {weight: 1}\n  - model: ${REV}\n    parameters: {weight: 1}\nparameters: {nuslerp_row_wise: true, nuslerp_flatten: false}\n`, { t: 0.5, rel: false, flatten: false, columns: true }],
    ['multislerp', `merge_method: multislerp\nmodels:\n  - model: ${ADD}\n    parameters: {weight: 1}\n  - model: ${REV}\n    parameters: {weight: 3}\n`, { weights: [0.25, 0.75], eps: 1e-8, rel: false }],
    ['karcher', `merge_method: karcher\nbase_model: ${BASE}\nmodels:\n  - model: ${ADD}\n  - model: ${REV}\n`, { max_iter: 10, tol: 1e-5 }],
    ['model_stock', `merge_method: model_stock\nbase_model: ${BASE}\nmodels:\n  - model: ${ADD}\n  - model: ${REV}\n`, { filter_wise: false }],
    ['nearswap', `merge_method: nearswap\nbase_model: ${BASE}\nmodels:\n  - model: ${ADD}\nparameters: {t: 0.001}\n`, { t: 0.001 }],
  ])('%s: mergekit defaults in the planned op', (method, yaml, params) => {
    const p = plan(`defaults-${method}`, yaml);
    expect(p.tensors[1].op).toEqual({ kind: 'program', method, params });
  });
});

describe('failure modes of the geometric methods are recipe errors', () => {
  const two = (method: string, extra = ''): string => `merge_method: ${method}\nmodels:\n  - model: ${ADD}\n  - model: ${REV}\n${extra}`;

  it('slerp without a base model', () => {
    expectPlanError('slerp-no-base', two('slerp', 'parameters: {t: 0.5}\n'), [/merge method `slerp` needs a base model/]);
  });
  it('slerp with three models', () => {
    expectPlanError('slerp-three', `${two('slerp', 'parameters: {t: 0.5}\n')}base_model: ${BASE}\n`, [/slerp interpolates exactly two models.* has 3/]);
  });
  it('slerp without t', () => {
    expectPlanError('slerp-no-t', `${two('slerp')}base_model: ${ADD}\n`, [/missing required parameter `t` of slerp/]);
  });
  it('nuslerp whose base model is one of the two models to merge', () => {
    expectPlanError('nuslerp-base-in', `merge_method: nuslerp\nbase_model: ${ADD}\nmodels:\n  - model: ${ADD}\n    parameters: {weight: 1}\n  - model: ${REV}\n    parameters: {weight: 1}\n`,
      [/the base model cannot be one of the two models to merge/]);
  });
  it('nuslerp with three models', () => {
    expectPlanError('nuslerp-three', `merge_method: nuslerp\nmodels:\n  - model: ${ADD}\n    parameters: {weight: 1}\n  - model: ${REV}\n    parameters: {weight: 1}\n  - model: ${BASE}\n    parameters: {weight: 1}\n`,
      [/nuslerp merges exactly two models, but .* has 3/]);
  });
  it('model_stock with fewer than two other models', () => {
    expectPlanError('model-stock-one', `merge_method: model_stock\nbase_model: ${BASE}\nmodels:\n  - model: ${ADD}\n`, [/model_stock needs the base model and at least two other models/]);
  });
  it('nearswap with two other models', () => {
    expectPlanError('nearswap-two', `${two('nearswap', 'parameters: {t: 0.001}\n')}base_model: ${BASE}\n`, [/nearswap merges the base model with exactly one other model, but .* has 2/]);
  });
  it('arcee_fusion with three models', () => {
    expectPlanError('fusion-three', `${two('arcee_fusion')}base_model: ${BASE}\n`, [/arcee_fusion merges exactly two models.* has 3/]);
  });
  it('linear weights summing to 0 (mergekit divides by zero)', () => {
    expectPlanError('linear-zero', `merge_method: linear\nmodels:\n  - model: ${ADD}\n    parameters: {weight: 1}\n  - model: ${REV}\n    parameters: {weight: -1}\n`,
      [/the weights of linear sum to 0/, /normalize: false/]);
  });
  it('multislerp weights summing to 0', () => {
    expectPlanError('multislerp-zero', `merge_method: multislerp\nmodels:\n  - model: ${ADD}\n    parameters: {weight: 1}\n  - model: ${REV}\n    parameters: {weight: -1}\n`,
      [/the weights of multislerp sum to 0/]);
  });
});
