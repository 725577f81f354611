/**
 * config.json values checked against the checkpoint: vocabulary size and hidden size must agree
 * with the tensors found (as the layer count does), with an error naming the config value, the
 * tensor, its shape and its file — in the engine, and as a user meets it from the CLI.
 */
import { cpSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { checkConfigShapes, detectArch } from '../../src/arch/detect.js';
import type { HFConfig } from '../../src/arch/types.js';
import { MergeopsError } from '../../src/errors.js';
import { runCli } from '../support/cli.js';
import { EXAMPLE_MODELS, tempDir, writeRecipe } from '../support/tmp.js';

const V = 320;
const H = 192;
const F = '/models/m/model.safetensors';

/** A one-layer Llama checkpoint's tensors, with shapes. */
function llama(over: Record<string, number[]> = {}): Map<string, { shape: number[]; file: string }> {
  const shapes: Record<string, number[]> = {
    'model.embed_tokens.weight': [V, H],
    'model.norm.weight': [H],
    'lm_head.weight': [V, H],
    'model.layers.0.input_layernorm.weight': [H],
    'model.layers.0.post_attention_layernorm.weight': [H],
    'model.layers.0.self_attn.q_proj.weight': [H, H],
    'model.layers.0.self_attn.k_proj.weight': [96, H],
    'model.layers.0.self_attn.v_proj.weight': [96, H],
    'model.layers.0.self_attn.o_proj.weight': [H, H],
    'model.layers.0.mlp.gate_proj.weight': [512, H],
    'model.layers.0.mlp.up_proj.weight': [512, H],
    'model.layers.0.mlp.down_proj.weight': [H, 512],
    ...over,
  };
  return new Map(Object.entries(shapes).map(([n, shape]) => [n, { shape, file: F }]));
}

const config = (over: Partial<HFConfig> = {}): HFConfig =>
  ({ architectures: ['LlamaForCausalLM'], model_type: 'llama', num_hidden_layers: 1, vocab_size: V, hidden_size: H, ...over });

function check(c: HFConfig, tensors: Map<string, { shape: number[]; file: string }>): void {
  checkConfigShapes(c, detectArch(c, [...tensors.keys()], 'm'), tensors, 'm');
}

function refused(c: HFConfig, tensors: Map<string, { shape: number[]; file: string }>): MergeopsError {
  try { check(c, tensors); } catch (e) {
    expect(e).toBeInstanceOf(MergeopsError);
    expect((e as MergeopsError).code).toBe('ARCH');
    return e as MergeopsError;
  }
  throw new Error('expected an ARCH error');
}

describe('checkConfigShapes', () => {
  it('accepts a config that agrees with its tensors, and one without the keys', () => {
    expect(() => check(config(), llama())).not.toThrow();
    expect(() => check(config({ vocab_size: undefined, hidden_size: undefined }), llama())).not.toThrow();
  });

  it('vocab_size against the embedding rows', () => {
    const e = refused(config({ vocab_size: 32000 }), llama());
    expect(e.message).toBe(`m: config.json says vocab_size = 32000, but tensor \`model.embed_tokens.weight\` in ${F} has shape [320, 192] (rows: vocabulary 320)`);
    expect(e.hint).toMatch(/vocab_size should be 320/);
  });

  it('vocab_size against the output head', () => {
    const e = refused(config(), llama({ 'lm_head.weight': [321, H] }));
    expect(e.message).toMatch(/vocab_size = 320, but tensor `lm_head\.weight` in .* has shape \[321, 192\] \(rows: vocabulary 321\)/);
  });

  it('a tied head is checked once, through the embedding', () => {
    const t = llama();
    t.delete('lm_head.weight');
    expect(() => check(config(), t)).not.toThrow();
    expect(refused(config({ vocab_size: 3 }), t).message).toMatch(/model\.embed_tokens\.weight/);
  });

  it('hidden_size against the embedding columns', () => {
    const e = refused(config({ hidden_size: 4096 }), llama());
    expect(e.message).toBe(`m: config.json says hidden_size = 4096, but tensor \`model.embed_tokens.weight\` in ${F} has shape [320, 192] (columns: hidden size 192)`);
    expect(e.hint).toMatch(/hidden_size should be 192/);
  });

  it('hidden_size against the final norm', () => {
    const e = refused(config(), llama({ 'model.norm.weight': [191] }));
    expect(e.message).toMatch(/hidden_size = 192, but tensor `model\.norm\.weight` in .* has shape \[191\] \(length: hidden size 191\)/);
  });

  it('hidden_size against a layer norm and the projections into the residual stream', () => {
    expect(refused(config(), llama({ 'model.layers.0.input_layernorm.weight': [100] })).message)
      .toMatch(/`model\.layers\.0\.input_layernorm\.weight` .* shape \[100\]/);
    expect(refused(config(), llama({ 'model.layers.0.self_attn.o_proj.weight': [100, H] })).message)
      .toMatch(/`model\.layers\.0\.self_attn\.o_proj\.weight` .* shape \[100, 192\] \(rows: hidden size 100\)/);
    expect(refused(config(), llama({ 'model.layers.0.mlp.down_proj.weight': [100, 512] })).message)
      .toMatch(/`model\.layers\.0\.mlp\.down_proj\.weight` .* shape \[100, 512\]/);
  });

  it('an inferred architecture: n_embd and its embedding', () => {
    const tensors = new Map(Object.entries({
      'transformer.wte.weight': [V, 64], 'transformer.ln_f.weight': [64],
      'transformer.h.0.attn.c_attn.weight': [64, 192],
    }).map(([n, shape]) => [n, { shape, file: F }]));
    const c: HFConfig = { architectures: ['SomeGPT'], n_layer: 1, vocab_size: V, n_embd: 64 };
    expect(() => check(c, tensors)).not.toThrow();
    expect(refused({ ...c, n_embd: 65 }, tensors).message).toMatch(/n_embd = 65, but tensor `transformer\.wte\.weight`/);
    expect(refused({ ...c, vocab_size: 1 }, tensors).message).toMatch(/vocab_size = 1, but tensor `transformer\.wte\.weight`/);
  });
});

describe('from the CLI', () => {
  const t = tempDir('mergeops-config-shapes-');
  afterAll(t.cleanup);

  function run(key: string, value: number): { status: number; stderr: string; out: string; configPath: string } {
    const root = join(t.dir, key);
    const a = join(root, 'a');
    const b = join(root, 'b');
    cpSync(join(EXAMPLE_MODELS, 'base'), a, { recursive: true });
    cpSync(join(EXAMPLE_MODELS, 'add'), b, { recursive: true });
    const configPath = join(b, 'config.json');
    const c = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
    c[key] = value;
    writeFileSync(configPath, JSON.stringify(c, null, 2));
    const recipe = writeRecipe(root, 'r.yml', `merge_method: linear\nmodels:\n  - model: ${a}\n    parameters: {weight: 0.5}\n  - model: ${b}\n    parameters: {weight: 0.5}\n`);
    const out = join(root, 'out');
    const r = runCli(['run', recipe, '--out', out, '--cache-dir', join(root, 'cache')]);
    return { status: r.status, stderr: r.stderr, out, configPath };
  }

  it.each([['vocab_size', 32000, /vocab_size = 32000, but tensor `model\.embed_tokens\.weight` in .*\/b\/model\.safetensors has shape \[320, 192\]/],
    ['hidden_size', 4096, /hidden_size = 4096, but tensor `model\.embed_tokens\.weight` in .*\/b\/model\.safetensors has shape \[320, 192\]/]] as const)(
    '%s disagreeing with the weights: a clear error, no output', (key, value, pattern) => {
      const r = run(key, value);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(pattern);
      expect(r.stderr).toMatch(/hint: .*should be/);
      expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
      expect(existsSync(r.out)).toBe(false);
    });
});
