/**
 * mergekit's own test suite, ported: the merge configs of its tests/test_basic_merges.py,
 * test_tokenizer.py and test_chat_template.py (written out as YAML in test/mergekit/configs/),
 * run on small models generated as its tests/common.py makes them (pico Llama, Granite, LLaVA,
 * a GPT-2 of 12 layers, the tokenizers of test_tokenizer.py), with the same assertions:
 * run_and_check_merge (output present, config.json present, no NaN, every weight of the
 * architecture present) and each test's own validation (layer counts, scales, tokenizer sizes
 * and added tokens, embedding rows, chat template contents). della_invalid_epsilon is the one
 * case where mergekit's test expects the merge to fail.
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tokenizer } from '@huggingface/tokenizers';
import { runRecipeFile } from '../../src/pipeline.js';
import { generateCustomModel, generateModel } from '../support/generate-model.js';
import { readModelF64, type F64Tensor } from '../support/reference.js';
import { tempDir } from '../support/tmp.js';

const CONFIGS = fileURLToPath(new URL('../../../test/mergekit/configs/', import.meta.url));
const t = tempDir('mergeops-mergekit-tests-');
afterAll(t.cleanup);
const MODELS = join(t.dir, 'models');

const json = <T>(dir: string, f: string): T => JSON.parse(readFileSync(join(dir, f), 'utf8')) as T;

// ---------------------------------------------------------------------------------------------
// tests/common.py's models
// ---------------------------------------------------------------------------------------------

/** make_picollama: LlamaConfig(vocab_size, hidden 32, intermediate 48, 16 heads, 2 layers). */
const picollama = (name: string, seed: number, vocabSize = 64): Promise<unknown> => generateModel({
  arch: 'llama', dir: join(MODELS, name), seed, hiddenSize: 32, intermediateSize: 48, numHeads: 16, numKvHeads: 16,
  numLayers: 2, vocabSize, dtype: 'F32',
});

const llamaLayer = (p: string, i: number, h: number, inter: number): { name: string; shape: number[] }[] => [
  ...['q_proj', 'k_proj', 'v_proj', 'o_proj'].map((n) => ({ name: `${p}.layers.${i}.self_attn.${n}.weight`, shape: [h, h] })),
  { name: `${p}.layers.${i}.mlp.gate_proj.weight`, shape: [inter, h] },
  { name: `${p}.layers.${i}.mlp.up_proj.weight`, shape: [inter, h] },
  { name: `${p}.layers.${i}.mlp.down_proj.weight`, shape: [h, inter] },
  { name: `${p}.layers.${i}.input_layernorm.weight`, shape: [h] },
  { name: `${p}.layers.${i}.post_attention_layernorm.weight`, shape: [h] },
];

/** make_picogranite: GraniteConfig(vocab 64, hidden 32, intermediate 48, 2 heads, 2 layers): not in the table, inferred. */
const picogranite = (name: string, seed: number): Promise<unknown> => generateCustomModel({
  dir: join(MODELS, name), seed, dtype: 'F32', vocabSize: 64,
  config: {
    architectures: ['GraniteForCausalLM'], model_type: 'granite', vocab_size: 64, hidden_size: 32, intermediate_size: 48,
    num_attention_heads: 2, num_key_value_heads: 2, num_hidden_layers: 2, max_position_embeddings: 2048, rms_norm_eps: 1e-6,
    rope_theta: 10000, attention_multiplier: 1, embedding_multiplier: 1, residual_multiplier: 1, logits_scaling: 1,
    tie_word_embeddings: false, torch_dtype: 'float32', bos_token_id: 1, eos_token_id: 2,
  },
  tensors: [
    { name: 'model.embed_tokens.weight', shape: [64, 32] }, { name: 'model.norm.weight', shape: [32] }, { name: 'lm_head.weight', shape: [64, 32] },
    ...[0, 1].flatMap((i) => llamaLayer('model', i, 32, 48)),
  ],
});

/** make_gpt2size, made small: GPT-2 with 12 layers (the stack test needs 12), 32 wide, tied head. */
const gpt2like = (name: string): Promise<unknown> => {
  const e = 32;
  return generateCustomModel({
    dir: join(MODELS, name), seed: 9, dtype: 'F32',
    config: {
      architectures: ['GPT2LMHeadModel'], model_type: 'gpt2', n_ctx: 64, n_embd: e, n_head: 4, n_layer: 12, n_positions: 64,
      vocab_size: 64, layer_norm_epsilon: 1e-5, torch_dtype: 'float32', bos_token_id: 0, eos_token_id: 0,
    },
    tensors: [
      { name: 'transformer.wte.weight', shape: [64, e] }, { name: 'transformer.wpe.weight', shape: [64, e] },
      { name: 'transformer.ln_f.weight', shape: [e] }, { name: 'transformer.ln_f.bias', shape: [e] },
      ...Array.from({ length: 12 }, (_, i) => [
        ['ln_1.weight', [e]], ['ln_1.bias', [e]], ['attn.c_attn.weight', [e, 3 * e]], ['attn.c_attn.bias', [3 * e]],
        ['attn.c_proj.weight', [e, e]], ['attn.c_proj.bias', [e]], ['ln_2.weight', [e]], ['ln_2.bias', [e]],
        ['mlp.c_fc.weight', [e, 4 * e]], ['mlp.c_fc.bias', [4 * e]], ['mlp.c_proj.weight', [4 * e, e]], ['mlp.c_proj.bias', [e]],
      ].map(([n, shape]) => ({ name: `transformer.h.${i}.${n as string}`, shape: shape as number[] }))).flat(),
    ],
  });
};

/** make_picoLlaVa: a CLIP vision tower (2 layers, 64 wide, 4×4 patches of 32×32 images), a projector, a pico Llama; nested config. */
const picollava = (name: string, seed: number): Promise<unknown> => {
  const v = 64;
  const vision = 'model.vision_tower.vision_model';
  return generateCustomModel({
    dir: join(MODELS, name), seed, dtype: 'F32',
    config: {
      architectures: ['LlavaForConditionalGeneration'], model_type: 'llava', image_seq_length: 16, image_token_index: 32000,
      projector_hidden_act: 'gelu', vision_feature_layer: -2, vision_feature_select_strategy: 'default', tie_word_embeddings: false,
      torch_dtype: 'float32',
      text_config: {
        model_type: 'llama', vocab_size: 64, hidden_size: 32, intermediate_size: 48, num_attention_heads: 16, num_key_value_heads: 16,
        num_hidden_layers: 2, rms_norm_eps: 1e-6, rope_theta: 10000, max_position_embeddings: 2048,
      },
      vision_config: {
        model_type: 'clip_vision_model', image_size: 32, patch_size: 4, num_hidden_layers: 2, num_attention_heads: 2, hidden_size: v,
        intermediate_size: 128, layer_norm_eps: 1e-5, projection_dim: 512,
      },
    },
    tensors: [
      { name: 'model.language_model.embed_tokens.weight', shape: [64, 32] }, { name: 'model.language_model.norm.weight', shape: [32] },
      { name: 'lm_head.weight', shape: [64, 32] },
      ...[0, 1].flatMap((i) => llamaLayer('model.language_model', i, 32, 48)),
      { name: 'model.multi_modal_projector.linear_1.weight', shape: [32, v] }, { name: 'model.multi_modal_projector.linear_1.bias', shape: [32] },
      { name: 'model.multi_modal_projector.linear_2.weight', shape: [32, 32] }, { name: 'model.multi_modal_projector.linear_2.bias', shape: [32] },
      { name: `${vision}.embeddings.class_embedding`, shape: [v] },
      { name: `${vision}.embeddings.patch_embedding.weight`, shape: [v, 3, 4, 4] },
      { name: `${vision}.embeddings.position_embedding.weight`, shape: [65, v] },
      { name: `${vision}.pre_layrnorm.weight`, shape: [v] }, { name: `${vision}.pre_layrnorm.bias`, shape: [v] },
      { name: `${vision}.post_layernorm.weight`, shape: [v] }, { name: `${vision}.post_layernorm.bias`, shape: [v] },
      ...[0, 1].flatMap((i) => [
        ...['q_proj', 'k_proj', 'v_proj', 'out_proj'].flatMap((n) => [
          { name: `${vision}.encoder.layers.${i}.self_attn.${n}.weight`, shape: [v, v] },
          { name: `${vision}.encoder.layers.${i}.self_attn.${n}.bias`, shape: [v] }]),
        ...['layer_norm1', 'layer_norm2'].flatMap((n) => [
          { name: `${vision}.encoder.layers.${i}.${n}.weight`, shape: [v] }, { name: `${vision}.encoder.layers.${i}.${n}.bias`, shape: [v] }]),
        { name: `${vision}.encoder.layers.${i}.mlp.fc1.weight`, shape: [128, v] }, { name: `${vision}.encoder.layers.${i}.mlp.fc1.bias`, shape: [128] },
        { name: `${vision}.encoder.layers.${i}.mlp.fc2.weight`, shape: [v, 128] }, { name: `${vision}.encoder.layers.${i}.mlp.fc2.bias`, shape: [v] },
      ]),
    ],
  });
};

/**
 * test_tokenizer.py's make_tokenizer: a BPE of `<unk>`, `<s>`, `</s>`, `_tok_3` … without merges,
 * saved by LlamaTokenizerFast (whose special tokens become added tokens), plus `added` tokens
 * (add_tokens: normalized, not special) with the next ids.
 */
function writeMakeTokenizer(dir: string, vocabSize: number, added: string[]): void {
  const tokens = ['<unk>', '<s>', '</s>', ...Array.from({ length: vocabSize - 3 }, (_, i) => `_tok_${i + 3}`)];
  const flags = { single_word: false, lstrip: false, rstrip: false };
  const addedTokens = [
    ...tokens.slice(0, 3).map((content, id) => ({ id, content, ...flags, normalized: false, special: true })),
    ...added.map((content, i) => ({ id: vocabSize + i, content, ...flags, normalized: true, special: false })),
  ];
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify({
    version: '1.0', truncation: null, padding: null, added_tokens: addedTokens, normalizer: null, pre_tokenizer: null,
    post_processor: null, decoder: null,
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false,
      byte_fallback: false, ignore_merges: false, vocab: Object.fromEntries(tokens.map((tk, i) => [tk, i])), merges: [] },
  }, null, 2));
  const decoder = Object.fromEntries(addedTokens.map(({ id, ...a }) => [String(id), a]));
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({
    add_bos_token: true, add_eos_token: false, added_tokens_decoder: decoder, bos_token: '<s>', clean_up_tokenization_spaces: false,
    eos_token: '</s>', legacy: true, model_max_length: 1e30, pad_token: null, tokenizer_class: 'LlamaTokenizer', unk_token: '<unk>',
  }, null, 2).replace('1e+30', '1000000000000000019884624838656') + '\n');
  writeFileSync(join(dir, 'special_tokens_map.json'), JSON.stringify({ bos_token: '<s>', eos_token: '</s>', unk_token: '<unk>' }, null, 2));
  rmSync(join(dir, 'tokenizer.model'), { force: true });
}

beforeAll(async () => {
  await Promise.all([
    picollama('model_a', 1), picollama('model_b', 2), picollama('model_c', 3),
    picollava('vlm_a', 4), picollava('vlm_b', 5), picollava('vlm_c', 6),
    gpt2like('gpt2_like'), picogranite('granite_a', 7), picogranite('granite_b', 8),
    picollama('model_base', 10), picollama('model_chatml', 11, 66), picollama('model_padded', 12),
  ]);
  writeMakeTokenizer(join(MODELS, 'model_base'), 64, []);
  writeMakeTokenizer(join(MODELS, 'model_chatml'), 64, ['<|im_start|>', '<|im_end|>']);
  writeMakeTokenizer(join(MODELS, 'model_padded'), 64, ['<UNUSED_0>', '<UNUSED_1>', '<UNUSED_2>', '<UNUSED_3>']);
});

// ---------------------------------------------------------------------------------------------
// tests/common.py's run_and_check_merge
// ---------------------------------------------------------------------------------------------

/** The config's models, read from the YAML (bare names of the generated models). */
function modelsOf(file: string): string[] {
  return [...new Set([...readFileSync(file, 'utf8').matchAll(/model: (\w+)$/gm)].map((m) => m[1]))];
}

async function runAndCheckMerge(config: string, validate?: (out: string, tensors: Map<string, F64Tensor>) => void | Promise<void>): Promise<void> {
  const file = join(CONFIGS, config);
  const out = join(t.dir, 'out', config.replace(/\.yml$/, ''));
  await runRecipeFile(file, { cwd: MODELS, outDir: out, threads: 1, eval: false, ggufCheck: false, gguf: [] });
  const files = readdirSync(out);
  expect(files.includes('model.safetensors') || files.includes('model.safetensors.index.json')).toBe(true); // "No model produced by merge"
  expect(existsSync(join(out, 'config.json'))).toBe(true); // "No config json produced by merge"
  const tensors = await readModelF64(out);
  for (const [name, x] of tensors) if (x.data.some(Number.isNaN)) throw new Error(`Output contains NaN (${name})`);
  // Every weight of the architecture: the inputs' tensors (an inferred architecture is exactly those).
  const want = new Set<string>();
  for (const m of modelsOf(file)) for (const n of (await readModelF64(join(MODELS, m))).keys()) want.add(n);
  for (const n of want) if (!tensors.has(n)) throw new Error(`Output missing tensor ${n}`);
  // config.json is the donor's (base_model, else the first model) byte for byte but for the keys
  // the merge sets; no key is added (a nested LLaVA config gets no top-level layer count).
  const text = readFileSync(file, 'utf8');
  const donor = /^base_model: (\w+)$/m.exec(text)?.[1] ?? modelsOf(file)[0];
  const setKeys = /^(\s*)"(torch_dtype|vocab_size|num_hidden_layers|n_layer)": .*\n/gm;
  const donorConfig = readFileSync(join(MODELS, donor, 'config.json'), 'utf8');
  const outConfig = readFileSync(join(out, 'config.json'), 'utf8');
  expect(outConfig.replace(setKeys, '')).toBe(donorConfig.replace(setKeys, ''));
  expect(Object.keys(JSON.parse(outConfig) as object)).toEqual(Object.keys(JSON.parse(donorConfig) as object));
  await validate?.(out, tensors);
}

// ---------------------------------------------------------------------------------------------
// test_basic_merges.py
// ---------------------------------------------------------------------------------------------

const BASIC = readdirSync(join(CONFIGS, 'basic_merges')).filter((f) => f.endsWith('.yml')).sort();

describe('test_basic_merges.py', () => {
  it('holds every config of the file', () => {
    expect(BASIC.length).toBe(49);
  });

  it.each(BASIC.filter((f) => !['gpt2_stack.yml', 'passthrough_scale.yml', 'della_invalid_epsilon.yml'].includes(f)))('%s', async (f) => {
    await runAndCheckMerge(`basic_merges/${f}`);
  });

  it('gpt2_stack.yml: n_layer == 24', async () => {
    await runAndCheckMerge('basic_merges/gpt2_stack.yml', (out, tensors) => {
      expect(json<{ n_layer: number }>(out, 'config.json').n_layer).toBe(24);
      expect(tensors.has('transformer.h.23.mlp.c_proj.weight')).toBe(true);
    });
  });

  it('passthrough_scale.yml: o_proj zeroed, lm_head not', async () => {
    await runAndCheckMerge('basic_merges/passthrough_scale.yml', (_out, tensors) => {
      let sawAny = false;
      for (const [name, x] of tensors) {
        if (name.includes('o_proj')) {
          expect(x.data.every((v) => v === 0)).toBe(true);
          sawAny = true;
        } else if (name.includes('lm_head')) {
          expect(x.data.some((v) => v !== 0)).toBe(true);
        }
      }
      expect(sawAny).toBe(true); // "No o_proj parameters found"
    });
  });

  it('della_invalid_epsilon.yml: refused, as mergekit raises ValueError', async () => {
    await expect(runAndCheckMerge('basic_merges/della_invalid_epsilon.yml')).rejects.toThrow(/epsilon/);
  });
});

// ---------------------------------------------------------------------------------------------
// test_tokenizer.py
// ---------------------------------------------------------------------------------------------

function tokenizerOf(dir: string): Tokenizer {
  return new Tokenizer(json(dir, 'tokenizer.json'), json(dir, 'tokenizer_config.json'));
}

/** check_tokenizer: vocabulary size (added tokens included), added-token count, tokens present and absent. */
function checkTokenizer(out: string, expectedSize: number, o: { added?: number; contain?: string[]; notContain?: string[] } = {}): void {
  const tok = tokenizerOf(out);
  const vocab = tok.get_vocab();
  expect(vocab.size).toBe(expectedSize);
  if (o.added !== undefined) expect(tok.get_added_tokens_decoder().size).toBe(o.added);
  for (const x of o.contain ?? []) expect(vocab.has(x)).toBe(true);
  for (const x of o.notContain ?? []) expect(vocab.has(x)).toBe(false);
}

/** ModelEmbeddings: a token's row of model.embed_tokens.weight. */
async function embedding(dir: string, token: string | number): Promise<number[]> {
  const e = (await readModelF64(dir)).get('model.embed_tokens.weight')!;
  const id = typeof token === 'number' ? token : tokenizerOf(dir).get_vocab().get(token);
  if (id === undefined) throw new Error(`no token ${token} in ${dir}`);
  const h = e.shape[1];
  return [...e.data.subarray(id * h, (id + 1) * h)];
}

function expectAllClose(a: number[], b: number[], atol = 1e-8, rtol = 1e-5): void {
  expect(a.length).toBe(b.length);
  a.forEach((x, i) => expect(Math.abs(x - b[i])).toBeLessThanOrEqual(atol + rtol * Math.abs(b[i])));
}

describe('test_tokenizer.py', () => {
  const m = (name: string): string => join(MODELS, name);

  it('legacy_mode.yml: no tokenizer_source, the base model\'s tokenizer', async () => {
    await runAndCheckMerge('tokenizer/legacy_mode.yml', (out) => checkTokenizer(out, 64, { added: 3 }));
  });

  it('source_base.yml', async () => {
    await runAndCheckMerge('tokenizer/source_base.yml', (out) => checkTokenizer(out, 64, { added: 3 }));
  });

  it('source_union.yml: every used token, not the unused ones; ChatML rows from model_chatml', async () => {
    await runAndCheckMerge('tokenizer/source_union.yml', async (out) => {
      checkTokenizer(out, 66, { added: 5, contain: ['<|im_start|>', '<|im_end|>'], notContain: [0, 1, 2, 3].map((i) => `<UNUSED_${i}>`) });
      expectAllClose(await embedding(out, '<|im_start|>'), await embedding(m('model_chatml'), '<|im_start|>'));
      expectAllClose(await embedding(out, '<|im_end|>'), await embedding(m('model_chatml'), '<|im_end|>'), 1e-3, 1e-4);
    });
  });

  it('source_model.yml: model_chatml\'s tokenizer', async () => {
    await runAndCheckMerge('tokenizer/source_model.yml', (out) => checkTokenizer(out, 66, { contain: ['<|im_start|>', '<|im_end|>'] }));
  });

  it('slerp_union.yml', async () => {
    await runAndCheckMerge('tokenizer/slerp_union.yml', (out) => checkTokenizer(out, 66, { contain: ['<|im_start|>', '<|im_end|>'] }));
  });

  it('force_token.yml: forced rows from the named models', async () => {
    await runAndCheckMerge('tokenizer/force_token.yml', async (out) => {
      checkTokenizer(out, 66, { contain: ['<|im_start|>', '<|im_end|>'] });
      expectAllClose(await embedding(out, '_tok_10'), await embedding(m('model_chatml'), '_tok_10'));
      expectAllClose(await embedding(out, '_tok_11'), await embedding(m('model_base'), '_tok_11'));
    });
  });

  it('model_token_id.yml: rows of another model\'s token id and token', async () => {
    await runAndCheckMerge('tokenizer/model_token_id.yml', async (out) => {
      checkTokenizer(out, 64, { contain: ['_tok_10'] });
      expectAllClose(await embedding(out, '_tok_20'), await embedding(m('model_chatml'), 64));
      expectAllClose(await embedding(out, '_tok_21'), await embedding(m('model_base'), '<s>'));
    });
  });

  it('pad_to_multiple_of.yml: vocab_size and embedding rows 80, tokenizer 66', async () => {
    await runAndCheckMerge('tokenizer/pad_to_multiple_of.yml', (out, tensors) => {
      expect(json<{ vocab_size: number }>(out, 'config.json').vocab_size).toBe(80);
      checkTokenizer(out, 66, { contain: ['<|im_start|>', '<|im_end|>'] });
      expect(tensors.get('model.embed_tokens.weight')!.shape[0]).toBe(80);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// test_chat_template.py
// ---------------------------------------------------------------------------------------------

describe('test_chat_template.py', () => {
  const template = (out: string): string | undefined => json<{ chat_template?: string }>(out, 'tokenizer_config.json').chat_template;

  it('template_chatml.yml', async () => {
    await runAndCheckMerge('chat_template/template_chatml.yml', (out) => expect(template(out)).toContain('<|im_start|>'));
  });

  it('template_literal_jinja.yml', async () => {
    await runAndCheckMerge('chat_template/template_literal_jinja.yml', (out) => expect(template(out)).toContain("{{messages[0]['content']}}"));
  });
});
