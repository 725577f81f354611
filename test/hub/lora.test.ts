/**
 * PEFT LoRA adapters: reading and validating adapter folders (real files written by the test),
 * mapping modules to base tensors with their scales, and `model+lora` references in resolve.
 */
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MergeopsError, RecipeError } from '../../src/errors.js';
import { buildSafetensorsHeader } from '../../src/formats/safetensors.js';
import { readLocalModel } from '../../src/hub/local.js';
import { applyLoraAdapter, moduleScale, parseLoraConfig, readLoraAdapter } from '../../src/hub/lora.js';
import { resolveRecipe } from '../../src/hub/resolve.js';
import { buildPlan } from '../../src/plan/plan.js';
import { parseRecipeText } from '../../src/recipe/index.js';
import type { Recipe } from '../../src/recipe/types.js';
import { runCli } from '../support/cli.js';
import { generateAdapter, peftConfig, type AdapterSpec } from '../support/generate-adapter.js';
import { generateModel } from '../support/generate-model.js';
import { EXAMPLE_MODELS, tempDir } from '../support/tmp.js';
import type { ResolvedTensor } from '../../src/model/resolved.js';

const BASE = join(EXAMPLE_MODELS, 'base');
const t = tempDir('mergeops-lora-');
afterAll(t.cleanup);

let n = 0;
/** A fresh adapter folder for the fixture base. */
function adapter(over: Partial<AdapterSpec> = {}, config: Record<string, unknown> = {}): string {
  const dir = join(t.dir, `a${n++}`);
  generateAdapter({
    dir, seed: n,
    modules: [
      { module: 'model.layers.0.self_attn.q_proj', rows: 192, cols: 192, rank: 8 },
      { module: 'model.layers.1.self_attn.v_proj', rows: 96, cols: 192, rank: 8 },
    ],
    config: peftConfig(config),
    ...over,
  });
  return dir;
}

async function baseTensors(): Promise<Map<string, ResolvedTensor>> {
  return (await readLocalModel(BASE)).tensors;
}

async function failure(p: Promise<unknown> | (() => unknown)): Promise<MergeopsError> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    expect(e).toBeInstanceOf(MergeopsError);
    expect((e as MergeopsError).hint.length).toBeGreaterThan(10);
    return e as MergeopsError;
  }
  throw new Error('expected an error');
}

describe('adapter_config.json', () => {
  it('scales are alpha/r, alpha/√r with rslora, with rank and alpha patterns matched like PEFT', () => {
    const c = parseLoraConfig({ r: 16, lora_alpha: 32, rank_pattern: { 'layers.1.mlp.down_proj': 4, q_proj: 8 }, alpha_pattern: { v_proj: 8 } }, 'x.json');
    expect(moduleScale(c, 'model.layers.0.self_attn.k_proj')).toEqual({ rank: 16, alpha: 32, scale: 2 });
    expect(moduleScale(c, 'model.layers.0.self_attn.q_proj')).toEqual({ rank: 8, alpha: 32, scale: 4 });
    expect(moduleScale(c, 'model.layers.1.mlp.down_proj')).toEqual({ rank: 4, alpha: 32, scale: 8 });
    // The pattern must match whole dot-separated components at the end of the name.
    expect(moduleScale(c, 'model.layers.11.mlp.down_proj').rank).toBe(16);
    expect(moduleScale(c, 'model.layers.0.self_attn.v_proj')).toEqual({ rank: 16, alpha: 8, scale: 0.5 });
    const rs = parseLoraConfig({ r: 16, lora_alpha: 32, use_rslora: true }, 'x.json');
    expect(moduleScale(rs, 'a.q_proj').scale).toBe(8);
    // PEFT's defaults: r = 8, lora_alpha = 8.
    expect(moduleScale(parseLoraConfig({}, 'x.json'), 'q').scale).toBe(1);
  });

  it.each([
    [{ use_dora: true }, /DoRA.*use_dora/],
    [{ peft_type: 'IA3' }, /peft_type.*IA3.*only LoRA/],
    [{ r: 0 }, /`r` must be a positive integer/],
    [{ r: 2.5 }, /`r` must be a positive integer/],
    [{ lora_alpha: 'big' }, /`lora_alpha` must be a positive number/],
    [{ rank_pattern: { q_proj: -1 } }, /rank_pattern.q_proj/],
    [{ rank_pattern: { '(': 4 } }, /not a valid regular expression/],
    [{ layer_replication: [[0, 2]] }, /layer_replication/],
    [{ lora_bias: true }, /lora_bias/],
  ])('refuses %j', async (cfg, re) => {
    const e = await failure(() => parseLoraConfig(cfg, '/x/adapter_config.json'));
    expect(e.message).toMatch(re);
    expect(e.message).toContain('/x/adapter_config.json');
  });
});

describe('readLoraAdapter + applyLoraAdapter', () => {
  it('maps every module to `<module>.weight` of the base, with its factors, rank and scale', async () => {
    const dir = join(t.dir, 'mapped');
    generateAdapter({
      dir, seed: 3, dtype: 'BF16', adapterName: 'default',
      modules: [
        { module: 'model.layers.0.self_attn.q_proj', rows: 192, cols: 192, rank: 8 },
        { module: 'model.layers.2.mlp.down_proj', rows: 192, cols: 512, rank: 4 },
        { module: 'model.embed_tokens', rows: 320, cols: 192, rank: 8, embedding: true },
      ],
      replacements: [{ name: 'lm_head.weight', shape: [320, 192] }],
      config: peftConfig({ r: 8, lora_alpha: 16, rank_pattern: { down_proj: 4 }, target_modules: ['q_proj', 'down_proj', 'embed_tokens'], modules_to_save: ['lm_head'] }),
    });
    const a = await readLoraAdapter(dir);
    expect(a.modules.map((m) => [m.module, m.embedding]).sort()).toEqual([
      ['model.embed_tokens', true], ['model.layers.0.self_attn.q_proj', false], ['model.layers.2.mlp.down_proj', false],
    ]);
    const base = await baseTensors();
    const out = applyLoraAdapter(a, base, 'the base');
    expect([...out.keys()]).toEqual([...base.keys()]);
    const q = out.get('model.layers.0.self_attn.q_proj.weight')!;
    expect(q.file).toBe(base.get('model.layers.0.self_attn.q_proj.weight')!.file);
    expect(q.lora).toMatchObject({ rank: 8, scale: 2, embedding: false });
    expect(q.lora!.a.tensor).toBe('base_model.model.model.layers.0.self_attn.q_proj.lora_A.default.weight');
    expect(q.lora!.a.shape).toEqual([8, 192]);
    expect(q.lora!.b.shape).toEqual([192, 8]);
    expect(q.lora!.a.dtype).toBe('BF16');
    expect(out.get('model.layers.2.mlp.down_proj.weight')!.lora).toMatchObject({ rank: 4, scale: 4 });
    const e = out.get('model.embed_tokens.weight')!.lora!;
    expect(e).toMatchObject({ rank: 8, embedding: true });
    expect(e.b.tensor).toMatch(/lora_embedding_A\.default$/);
    expect(e.a.tensor).toMatch(/lora_embedding_B\.default$/);
    // modules_to_save: read whole from the adapter file.
    const head = out.get('lm_head.weight')!;
    expect(head.file).toBe(join(dir, 'adapter_model.safetensors'));
    expect(head.lora).toBeUndefined();
    // Untouched tensors stay as they are.
    expect(out.get('model.layers.0.self_attn.k_proj.weight')).toEqual(base.get('model.layers.0.self_attn.k_proj.weight'));
  });

  it('missing folder, config or weights: says which file and what to do', async () => {
    expect((await failure(readLoraAdapter(join(t.dir, 'nope')))).message).toMatch(/adapter folder .*nope does not exist/);
    const noWeights = adapter();
    rmSync(join(noWeights, 'adapter_model.safetensors'));
    expect((await failure(readLoraAdapter(noWeights))).message).toMatch(/has no adapter_model\.safetensors/);
    writeFileSync(join(noWeights, 'adapter_model.bin'), 'pickle');
    const pickle = await failure(readLoraAdapter(noWeights));
    expect(pickle.message).toMatch(/only the pickle adapter_model\.bin/);
    expect(pickle.hint).toMatch(/safe_serialization=True/);
    const noConfig = adapter();
    rmSync(join(noConfig, 'adapter_config.json'));
    expect((await failure(readLoraAdapter(noConfig))).message).toMatch(/has no adapter_config\.json/);
    // A full model given as adapter.
    const model = join(t.dir, 'model-as-adapter');
    mkdirSync(model);
    copyFileSync(join(BASE, 'config.json'), join(model, 'config.json'));
    expect((await failure(readLoraAdapter(model))).hint).toMatch(/full model/);
  });

  it('rank in the config differing from the factors is an error naming the module', async () => {
    const dir = adapter({}, { r: 16 });
    const e = await failure(async () => applyLoraAdapter(await readLoraAdapter(dir), await baseTensors(), 'the base'));
    expect(e.message).toMatch(/gives module `model.layers.0.self_attn.q_proj` rank 16 \(`r`\), but its lora_A has rank 8/);
  });

  it('a module the base does not have, or target_modules matching nothing, is refused', async () => {
    const ghost = adapter({ modules: [{ module: 'model.layers.7.self_attn.q_proj', rows: 192, cols: 192, rank: 8 }] });
    const e1 = await failure(async () => applyLoraAdapter(await readLoraAdapter(ghost), await baseTensors(), 'the base'));
    expect(e1.message).toMatch(/patches module `model.layers.7.self_attn.q_proj`, but the base has no tensor `model.layers.7.self_attn.q_proj.weight`/);
    expect(e1.hint).toMatch(/fixtures\/base/); // names the model the adapter was trained for
    const unknown = adapter({}, { target_modules: ['q_proj', 'query_key_value'] });
    const e2 = await failure(async () => applyLoraAdapter(await readLoraAdapter(unknown), await baseTensors(), 'the base'));
    expect(e2.message).toMatch(/`target_modules` names `query_key_value`, which matches no module of the base/);
  });

  it('target_modules as a regular expression (or all-linear) is checked against the base modules', async () => {
    const ok = adapter({}, { target_modules: '.*\\.(q_proj|v_proj)' });
    expect(applyLoraAdapter(await readLoraAdapter(ok), await baseTensors(), 'the base').get('model.layers.0.self_attn.q_proj.weight')!.lora).toBeDefined();
    const all = adapter({}, { target_modules: 'all-linear' });
    expect(applyLoraAdapter(await readLoraAdapter(all), await baseTensors(), 'the base').size).toBe((await baseTensors()).size);
    const none = adapter({}, { target_modules: '.*\\.query' });
    const e = await failure(async () => applyLoraAdapter(await readLoraAdapter(none), await baseTensors(), 'the base'));
    expect(e.message).toMatch(/`target_modules` names `\.\*\\\.query`, which matches no module/);
  });

  it('a LoRA on a tied lm_head is refused with the reason', async () => {
    const tiedDir = join(t.dir, 'tied');
    await generateModel({ arch: 'llama', dir: tiedDir, seed: 2, dtype: 'BF16', tieEmbeddings: true, hiddenSize: 32, numLayers: 1, vocabSize: 48, intermediateSize: 64, numHeads: 2, numKvHeads: 1 });
    const dir = adapter({ modules: [{ module: 'lm_head', rows: 48, cols: 32, rank: 8 }] }, { target_modules: null });
    const e = await failure(async () => applyLoraAdapter(await readLoraAdapter(dir), (await readLocalModel(tiedDir)).tensors, 'the base'));
    expect(e.message).toMatch(/patches module `lm_head`, but the base has no tensor `lm_head.weight`/);
    expect(e.hint).toMatch(/ties its output head to the input embeddings/);
  });

  it('factors that do not fit the base weight are refused', async () => {
    const wrong = adapter({ modules: [{ module: 'model.layers.0.self_attn.k_proj', rows: 192, cols: 192, rank: 8 }] }, { target_modules: ['k_proj'] });
    const e = await failure(async () => applyLoraAdapter(await readLoraAdapter(wrong), await baseTensors(), 'the base'));
    expect(e.message).toMatch(/lora_A \[8, 192\] and lora_B \[192, 8\] of `model.layers.0.self_attn.k_proj` do not fit .* \[96, 192\]/);
  });

  it('a lone lora_A, DoRA magnitudes and foreign tensor names are refused', async () => {
    // An adapter folder whose safetensors file holds just the given (zero) tensors.
    const only = join(t.dir, 'lone');
    generateAdapter({ dir: only, seed: 1, modules: [], config: peftConfig({}) });
    const write = (names: string[], shape: number[]): void => {
      const { header, entries } = buildSafetensorsHeader(names.map((name) => ({ name, dtype: 'F32', shape })));
      const buf = new Uint8Array(Math.max(header.length, ...entries.map((x) => x.end)));
      buf.set(header);
      writeFileSync(join(only, 'adapter_model.safetensors'), buf);
    };
    write(['base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight'], [8, 192]);
    expect((await failure(readLoraAdapter(only))).message).toMatch(/module `model.layers.0.self_attn.q_proj` has lora_A but no lora_B/);
    write(['base_model.model.model.layers.0.self_attn.q_proj.lora_magnitude_vector'], [192]);
    expect((await failure(readLoraAdapter(only))).message).toMatch(/DoRA magnitude vector/);
    write(['model.layers.0.self_attn.q_proj.lora_A.weight'], [8, 192]);
    expect((await failure(readLoraAdapter(only))).message).toMatch(/does not start with `base_model.model.`/);
  });

  it('modules_to_save of another shape (resized vocabulary) is refused', async () => {
    const dir = adapter({ replacements: [{ name: 'lm_head.weight', shape: [330, 192] }] });
    const e = await failure(async () => applyLoraAdapter(await readLoraAdapter(dir), await baseTensors(), 'the base'));
    expect(e.message).toMatch(/saves `lm_head.weight` with shape \[330, 192\].*\[320, 192\]/);
    expect(e.hint).toMatch(/vocabulary/);
  });
});

describe('model+lora in a recipe', () => {
  function recipeFor(ref: string): Recipe {
    return parseRecipeText(`merge_method: linear\nmodels:\n  - model: ${ref}\n    parameters: {weight: 0.5}\n  - model: ${join(EXAMPLE_MODELS, 'add')}\n    parameters: {weight: 0.5}\n`, join(t.dir, 'r.yml'))[0];
  }

  it('resolves to the base model with the adapted tensors marked; the plan carries the patch', async () => {
    const dir = adapter();
    const recipe = recipeFor(`${BASE}+${dir}`);
    const resolved = await resolveRecipe(recipe);
    const m = resolved.models.get(`${BASE}+${dir}`)!;
    expect(m.dir).toBe(BASE);
    expect(m.loraDir).toBe(dir);
    const marked = [...m.tensors.values()].filter((x) => x.lora).map((x) => x.name).sort();
    expect(marked).toEqual(['model.layers.0.self_attn.q_proj.weight', 'model.layers.1.self_attn.v_proj.weight']);
    const plan = buildPlan(resolved);
    const q = plan.tensors.find((x) => x.name === 'model.layers.0.self_attn.q_proj.weight')!;
    expect(q.inputs[0].lora?.scale).toBe(2);
    expect(q.inputs[1].lora).toBeUndefined();
    expect(plan.tensors.find((x) => x.name === 'model.layers.0.self_attn.k_proj.weight')!.inputs[0].lora).toBeUndefined();
  });

  it('the dict form `{model, lora}` resolves like `model+lora`', async () => {
    const dir = adapter();
    const recipe = parseRecipeText(`merge_method: linear\nmodels:\n  - model: {model: {path: ${BASE}}, lora: {path: ${dir}}}\n    parameters: {weight: 1.0}\n`, join(t.dir, 'd.yml'))[0];
    const m = [...(await resolveRecipe(recipe)).models.values()][0];
    expect(m.key).toBe(`${BASE}+${dir}`);
    expect(m.tensors.get('model.layers.1.self_attn.v_proj.weight')!.lora?.rank).toBe(8);
  });

  it('`mergeops plan` shows which inputs the adapter patches', () => {
    const dir = adapter();
    const recipe = join(t.dir, 'plan.yml');
    writeFileSync(recipe, `merge_method: linear\nmodels:\n  - model: ${BASE}+${dir}\n  - model: ${join(EXAMPLE_MODELS, 'add')}\nparameters: {weight: 0.5}\n`);
    const text = runCli(['plan', recipe]);
    expect(text.status).toBe(0);
    const q = text.stdout.split('\n').find((l) => l.includes('layers.0.self_attn.q_proj.weight'))!;
    expect(q).toContain(`${BASE}+${dir} (LoRA r8 ×2)`);
    expect(text.stdout.split('\n').find((l) => l.includes('layers.0.self_attn.k_proj.weight'))).not.toContain('LoRA');
    const json = runCli(['plan', recipe, '--json']);
    expect(json.status).toBe(0);
    const plan = JSON.parse(json.stdout) as { tensors: { name: string; inputs: { lora?: { rank: number; scale: number; a: string } }[] }[] };
    const v = plan.tensors.find((x) => x.name === 'model.layers.1.self_attn.v_proj.weight')!;
    expect(v.inputs[0].lora).toMatchObject({ rank: 8, scale: 2, a: 'base_model.model.model.layers.1.self_attn.v_proj.lora_A.weight' });
    expect(v.inputs[1].lora).toBeUndefined();
  });

  it('a modules_to_save tensor stored in another dtype is written in the base dtype by default', async () => {
    const dir = adapter({ dtype: 'F32', replacements: [{ name: 'lm_head.weight', shape: [320, 192] }] });
    const plan = buildPlan(await resolveRecipe(recipeFor(`${BASE}+${dir}`)));
    const head = plan.tensors.find((x) => x.name === 'lm_head.weight')!;
    expect(head.inputs[0].dtype).toBe('F32');
    expect(head.inputs[0].file).toBe(join(dir, 'adapter_model.safetensors'));
    expect(head.dtype).toBe('BF16');
  });

  it('a missing adapter is a recipe error at the reference', async () => {
    const e = await failure(resolveRecipe(recipeFor(`${BASE}+${join(t.dir, 'missing-adapter')}`)));
    expect(e).toBeInstanceOf(RecipeError);
    expect(e.message).toMatch(/r\.yml:3:12: LoRA adapter `.*missing-adapter` of `.*` not found/);
  });

  it('an adapter error is reported at the reference, with the adapter folder', async () => {
    const dir = adapter({}, { r: 4 });
    const e = await failure(resolveRecipe(recipeFor(`${BASE}+${dir}`)));
    expect(e).toBeInstanceOf(RecipeError);
    expect(e.message).toMatch(/r\.yml:3:12: model `.*`: LoRA adapter .*: adapter_config.json gives module .* rank 4/);
  });
});
