/**
 * The merged model's config.json, generation_config.json and tokenizer_config.json are the
 * donor's files byte for byte, except the keys the merge sets: transformers refuses a config whose
 * float fields (`1.0`, `10000.0`) come back as integers, and a 31-digit `model_max_length` must
 * not become `1e+30`. Every generated test architecture (written as transformers writes them) and
 * the trained fixtures.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { planRecipeFile } from '../../src/pipeline.js';
import type { Plan } from '../../src/plan/types.js';
import { runCli } from '../support/cli.js';
import { generateModel, GENERATABLE_ARCHS } from '../support/generate-model.js';
import { EXAMPLE_MODELS, tempDir, writeRecipe } from '../support/tmp.js';

const t = tempDir('mergeops-config-roundtrip-');
afterAll(t.cleanup);

const read = (dir: string, f: string): string => readFileSync(join(dir, f), 'utf8');
const outFile = (plan: Plan, name: string): string | undefined => plan.outFiles?.find((f) => f.name === name)?.text;

describe.each(GENERATABLE_ARCHS.map((a) => [a]))('%s', (arch) => {
  const base = join(t.dir, `${arch}-base`);
  const ft = join(t.dir, `${arch}-ft`);
  beforeAll(async () => {
    await generateModel({ arch, dir: base, seed: 3, hiddenSize: 32, numLayers: 2, vocabSize: 300 });
    await generateModel({ arch, dir: ft, seed: 4, baseFrom: base });
  });

  it('writes the donor config.json and generation_config.json unchanged', async () => {
    expect(read(base, 'config.json')).toMatch(/\.0,\n/); // the generator writes Python's float literals
    const plan = await planRecipeFile(writeRecipe(t.dir, `${arch}-linear.yml`,
      `merge_method: linear\nmodels:\n  - model: ${base}\n    parameters: {weight: 0.5}\n  - model: ${ft}\n    parameters: {weight: 0.5}\n`));
    expect(plan.outConfigText).toBe(read(base, 'config.json'));
    expect(plan.donor.files).toContain('generation_config.json');
    expect(plan.donor.files).toContain('tokenizer_config.json');
  });

  it('changes only torch_dtype for out_dtype, only chat_template for a template, only the layer count for a stack', async () => {
    const plan = await planRecipeFile(writeRecipe(t.dir, `${arch}-dtype.yml`,
      `merge_method: linear\nout_dtype: float32\nchat_template: chatml\nmodels:\n  - model: ${base}\n    parameters: {weight: 0.5}\n  - model: ${ft}\n    parameters: {weight: 0.5}\n`));
    const cfg = read(base, 'config.json');
    expect(plan.outConfigText).toBe(cfg.replace('"torch_dtype": "bfloat16"', '"torch_dtype": "float32"'));
    const tc = read(base, 'tokenizer_config.json');
    const out = outFile(plan, 'tokenizer_config.json')!;
    const template = (JSON.parse(out) as { chat_template: string }).chat_template;
    expect(template).toContain('<|im_start|>');
    const donorTemplate = (JSON.parse(tc) as { chat_template?: string }).chat_template;
    expect(out).toBe(donorTemplate === undefined
      ? tc.replace(/\n}\n$/, `,\n  "chat_template": ${JSON.stringify(template)}\n}\n`)
      : tc.replace(`"chat_template": ${JSON.stringify(donorTemplate)}`, `"chat_template": ${JSON.stringify(template)}`));

    const stack = await planRecipeFile(writeRecipe(t.dir, `${arch}-stack.yml`,
      `merge_method: passthrough\nslices:\n  - sources: [{model: ${base}, layer_range: [0, 2]}]\n  - sources: [{model: ${ft}, layer_range: [0, 2]}]\n`));
    expect(stack.outConfigText).toBe(cfg.replace('"num_hidden_layers": 2', '"num_hidden_layers": 4'));
  });
});

describe('trained fixtures', () => {
  it('a run writes config.json, generation_config.json and tokenizer_config.json byte for byte', () => {
    const out = join(t.dir, 'fixtures-out');
    const r = runCli(['run', writeRecipe(t.dir, 'fixtures.yml', `merge_method: slerp\nbase_model: ${join(EXAMPLE_MODELS, 'add')}\nmodels:\n  - model: ${join(EXAMPLE_MODELS, 'add')}\n  - model: ${join(EXAMPLE_MODELS, 'rev')}\nparameters: {t: 0.5}\n`), '--out', out]);
    if (r.status !== 0) throw new Error(r.stderr);
    for (const f of ['config.json', 'generation_config.json', 'tokenizer_config.json']) {
      expect(`${f}:\n${read(out, f)}`).toBe(`${f}:\n${read(join(EXAMPLE_MODELS, 'add'), f)}`);
    }
    expect(read(out, 'config.json')).toContain('"rope_theta": 10000.0');
  });
});
