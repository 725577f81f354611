import { promises as fsp, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { checkSameLayout, detectArch, findArchRow, findTensorName, substituteLayer } from '../../src/arch/detect.js';
import { ARCHITECTURES } from '../../src/arch/table.js';
import type { HFConfig } from '../../src/arch/types.js';
import { MergeopsError } from '../../src/errors.js';
import { generateModel } from '../support/generate-model.js';

const FIXTURE = '/work/shared/fixtures/models/base';

/** Safetensors header by hand: 8-byte little-endian length, then JSON. */
function headerOf(file: string): Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }> {
  const buf = readFileSync(file);
  const len = Number(buf.readBigUInt64LE(0));
  const h = JSON.parse(buf.subarray(8, 8 + len).toString('utf8')) as Record<string, never>;
  delete h['__metadata__'];
  return h;
}

async function tensorNamesOf(dir: string): Promise<string[]> {
  const files = await fsp.readdir(dir);
  if (files.includes('model.safetensors.index.json')) {
    const idx = JSON.parse(await fsp.readFile(path.join(dir, 'model.safetensors.index.json'), 'utf8')) as {
      weight_map: Record<string, string>;
    };
    return Object.keys(idx.weight_map);
  }
  return Object.keys(headerOf(path.join(dir, 'model.safetensors')));
}

async function configOf(dir: string): Promise<HFConfig> {
  return JSON.parse(await fsp.readFile(path.join(dir, 'config.json'), 'utf8')) as HFConfig;
}

function archError(f: () => unknown): MergeopsError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(MergeopsError);
    expect((e as MergeopsError).code).toBe('ARCH');
    return e as MergeopsError;
  }
  throw new Error('expected an ARCH error');
}

let tmp: string;
beforeAll(async () => {
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'mergeops-arch-'));
});
afterAll(async () => {
  await fsp.rm(tmp, { recursive: true, force: true });
});

const llamaLayer = (i: number) => [
  `model.layers.${i}.input_layernorm.weight`,
  `model.layers.${i}.self_attn.q_proj.weight`,
  `model.layers.${i}.self_attn.k_proj.weight`,
  `model.layers.${i}.self_attn.v_proj.weight`,
  `model.layers.${i}.self_attn.o_proj.weight`,
  `model.layers.${i}.post_attention_layernorm.weight`,
  `model.layers.${i}.mlp.gate_proj.weight`,
  `model.layers.${i}.mlp.up_proj.weight`,
  `model.layers.${i}.mlp.down_proj.weight`,
];
const llamaNames = (layers: number, head = true) => [
  'model.embed_tokens.weight',
  ...Array.from({ length: layers }, (_, i) => llamaLayer(i)).flat(),
  'model.norm.weight',
  ...(head ? ['lm_head.weight'] : []),
];
const llamaConfig = (layers: number): HFConfig => ({
  architectures: ['LlamaForCausalLM'], model_type: 'llama', num_hidden_layers: layers, vocab_size: 320,
});

describe('table', () => {
  test('rows are well formed', () => {
    const ids = new Set<string>();
    for (const r of ARCHITECTURES) {
      expect(ids.has(r.id)).toBe(false);
      ids.add(r.id);
      expect(r.preWeights[0]).toEqual({ name: 'model.embed_tokens.weight', isEmbed: true });
      expect(r.postWeights.map((w) => w.name)).toEqual(['model.norm.weight', 'lm_head.weight']);
      const head = r.postWeights[1];
      expect(head.isEmbed && head.optional).toBe(true);
      expect(head.tiedNames).toEqual(['model.embed_tokens.weight']);
      expect(r.numLayersKey).toBe('num_hidden_layers');
      expect(r.vocabSizeKey).toBe('vocab_size');
      for (const w of r.layerWeights) expect(w.name.startsWith('model.layers.${layer_index}.')).toBe(true);
      expect(new Set(r.layerWeights.map((w) => w.name)).size).toBe(r.layerWeights.length);
    }
    expect([...ids].sort()).toEqual(['gemma2', 'gemma3_text', 'llama', 'mistral', 'phi3', 'qwen2', 'qwen3']);
  });

  test('architecture-specific tensors', () => {
    const layer = (id: string) => ARCHITECTURES.find((r) => r.id === id)!.layerWeights.map((w) => w.name.split('${layer_index}.')[1]);
    expect(layer('qwen2')).toEqual(expect.arrayContaining(['self_attn.q_proj.bias', 'self_attn.k_proj.bias', 'self_attn.v_proj.bias']));
    expect(layer('qwen3')).toEqual(expect.arrayContaining(['self_attn.q_norm.weight', 'self_attn.k_norm.weight']));
    expect(layer('qwen3')).not.toContain('self_attn.q_proj.bias');
    for (const g of ['gemma2', 'gemma3_text']) {
      expect(layer(g)).toEqual(expect.arrayContaining(['pre_feedforward_layernorm.weight', 'post_feedforward_layernorm.weight']));
    }
    expect(layer('gemma3_text')).toContain('self_attn.q_norm.weight');
    expect(layer('phi3')).toEqual(['input_layernorm.weight', 'self_attn.qkv_proj.weight', 'self_attn.o_proj.weight',
      'post_attention_layernorm.weight', 'mlp.gate_up_proj.weight', 'mlp.down_proj.weight']);
  });

  test('lookup by architectures[0], by model_type without one', () => {
    expect(findArchRow({ architectures: ['Gemma3ForCausalLM'], model_type: 'gemma3_text' })?.id).toBe('gemma3_text');
    expect(findArchRow({ architectures: ['LLaMaForCausalLM'] })?.id).toBe('llama');
    expect(findArchRow({ model_type: 'qwen3' })?.id).toBe('qwen3');
    expect(findArchRow({ architectures: ['FooForCausalLM'], model_type: 'llama' })).toBeUndefined();
  });
});

describe('detectArch on generated models', () => {
  for (const row of ARCHITECTURES) {
    for (const tie of [false, true]) {
      test(`${row.id}${tie ? ' (tied embeddings)' : ''}`, async () => {
        const dir = path.join(tmp, `${row.id}-${tie}`);
        const g = await generateModel({ arch: row.id, dir, numLayers: 3, seed: 1, tieEmbeddings: tie });
        const names = await tensorNamesOf(dir);
        expect([...names].sort()).toEqual(g.tensorNames);
        expect(names.includes('lm_head.weight')).toBe(!tie);
        const config = await configOf(dir);
        expect(config.architectures).toEqual([row.architectures[0]]);
        expect(config.model_type).toBe(row.modelTypes[0]);
        expect(config.tie_word_embeddings).toBe(tie);
        const info = detectArch(config, names, row.id);
        expect(info.inferred).toBe(false);
        expect(info.def).toBe(row);
        expect(info.numLayers).toBe(3);
        const available = new Set(names);
        for (let i = 0; i < 3; i++) for (const n of info.layerNames(i)) expect(available.has(n)).toBe(true);
        const head = row.postWeights.find((w) => w.name === 'lm_head.weight')!;
        expect(findTensorName(head, undefined, available)).toBe(tie ? 'model.embed_tokens.weight' : 'lm_head.weight');
        // Every tensor of the checkpoint is accounted for by the row.
        const covered = new Set([
          ...row.preWeights.map((w) => w.name),
          ...[0, 1, 2].flatMap((i) => info.layerNames(i)),
          ...row.postWeights.map((w) => w.name),
        ]);
        for (const n of names) expect(covered.has(n)).toBe(true);
      });
    }
  }

  test('layerNames(i) follows the template order and substitutes the index', async () => {
    const dir = path.join(tmp, 'qwen2-order');
    await generateModel({ arch: 'qwen2', dir, numLayers: 12 });
    const info = detectArch(await configOf(dir), await tensorNamesOf(dir), 'q');
    expect(info.layerNames(10)).toEqual(ARCHITECTURES.find((r) => r.id === 'qwen2')!.layerWeights.map((w) =>
      w.name.replace('${layer_index}', '10')));
  });
});

describe('inference for unknown architectures', () => {
  test('a llama renamed FooForCausalLM', async () => {
    const dir = path.join(tmp, 'foo');
    await generateModel({ arch: 'llama', dir, numLayers: 3 });
    const config = { ...(await configOf(dir)), architectures: ['FooForCausalLM'], model_type: 'foo' };
    const names = await tensorNamesOf(dir);
    const info = detectArch(config, names, 'foo');
    expect(info.inferred).toBe(true);
    expect(info.def.id).toBe('inferred:FooForCausalLM');
    expect(info.def.architectures).toEqual(['FooForCausalLM']);
    expect(info.numLayers).toBe(3);
    const llama = ARCHITECTURES.find((r) => r.id === 'llama')!;
    const templates = info.def.layerWeights.map((w) => w.name);
    expect([...templates].sort()).toEqual(llama.layerWeights.map((w) => w.name).sort());
    expect(templates).toEqual([...templates].sort()); // canonical (sorted) order
    expect(info.def.layerWeights.every((w) => !w.optional)).toBe(true);
    expect(info.def.preWeights).toEqual([{ name: 'model.embed_tokens.weight', isEmbed: true }]);
    // Final norm and head are post-weights, so slices take them from the last slice.
    expect(info.def.postWeights).toEqual([
      { name: 'lm_head.weight', isEmbed: true, optional: true, tiedNames: ['model.embed_tokens.weight'] },
      { name: 'model.norm.weight' },
    ]);
    const available = new Set(names);
    for (const n of info.layerNames(2)) expect(available.has(n)).toBe(true);
    // Order of the header does not matter.
    const again = detectArch(config, [...names].reverse(), 'foo');
    expect(again.def).toEqual(info.def);
  });

  test('layer count from tensor names when config has none; other layer keys are read', () => {
    const names = llamaNames(5);
    const noKey = detectArch({ architectures: ['BarForCausalLM'] }, names, 'bar');
    expect(noKey.numLayers).toBe(5);
    const nLayer = detectArch({ architectures: ['BarForCausalLM'], n_layer: 5 }, names, 'bar');
    expect(nLayer.def.numLayersKey).toBe('n_layer');
    const e = archError(() => detectArch({ architectures: ['BarForCausalLM'], n_layer: 4 }, names, 'bar'));
    expect(e.message).toContain('model.layers.4.');
  });

  test('experts keep their index; other layer modules become whole tensors; buffers are ignored', () => {
    const names = [
      'model.embed_tokens.weight',
      ...[0, 1].flatMap((i) => [
        `model.layers.${i}.mlp.experts.0.w1.weight`,
        `model.layers.${i}.mlp.experts.1.w1.weight`,
        `model.layers.${i}.self_attn.rotary_emb.inv_freq`,
      ]),
      'vision.blocks.0.attn.weight',
      'model.norm.weight',
    ];
    const info = detectArch({ architectures: ['MoeThing'] }, names, 'moe');
    expect(info.def.layerWeights.map((w) => w.name)).toEqual([
      'model.layers.${layer_index}.mlp.experts.0.w1.weight',
      'model.layers.${layer_index}.mlp.experts.1.w1.weight',
    ]);
    expect(info.def.preWeights.map((w) => w.name)).toEqual(['model.embed_tokens.weight', 'vision.blocks.0.attn.weight']);
    expect(info.numLayers).toBe(2);
  });

  test('a template missing from some layers is optional', () => {
    const names = [...llamaNames(2), 'model.layers.1.extra.weight'];
    const info = detectArch({ architectures: ['X'] }, names, 'x');
    expect(info.def.layerWeights.find((w) => w.name.endsWith('extra.weight'))?.optional).toBe(true);
  });
});

describe('cross-checks', () => {
  test('checkpoint has more layers than config says', () => {
    const e = archError(() => detectArch(llamaConfig(2), llamaNames(3), 'm1'));
    expect(e.message).toContain('m1');
    expect(e.message).toContain('layer 2');
    expect(e.message).toContain('num_hidden_layers = 2');
    expect(e.hint).toContain('should be 3');
  });

  test('checkpoint has fewer layers than config says', () => {
    const e = archError(() => detectArch(llamaConfig(4), llamaNames(3), 'm2'));
    expect(e.message).toContain('`model.layers.3.input_layernorm.weight` is missing');
    expect(e.message).toContain('9 required tensors');
    expect(e.hint).toContain('should be 3');
  });

  test('a required tensor is missing', () => {
    const names = llamaNames(2).filter((n) => n !== 'model.layers.1.mlp.up_proj.weight' && n !== 'model.norm.weight');
    const e = archError(() => detectArch(llamaConfig(2), names, 'm3'));
    expect(e.message).toContain('`model.layers.1.mlp.up_proj.weight` is missing');
    expect(e.message).toContain('2 required tensors');
  });

  test('config without a layer count', () => {
    const e = archError(() => detectArch({ architectures: ['LlamaForCausalLM'] }, llamaNames(2), 'm4'));
    expect(e.message).toContain('num_hidden_layers');
  });

  test('a Phi-3 config over unfused weights', () => {
    const e = archError(() => detectArch({ architectures: ['Phi3ForCausalLM'], num_hidden_layers: 1 }, llamaNames(1), 'p'));
    expect(e.message).toContain('model.layers.0.self_attn.qkv_proj.weight');
  });

  test('tensors the row does not list are kept as optional extras', () => {
    const names = [...llamaNames(2), 'model.layers.0.self_attn.q_proj.bias', 'model.layers.1.self_attn.q_proj.bias',
      'model.layers.0.self_attn.rotary_emb.inv_freq'];
    const info = detectArch(llamaConfig(2), names, 'biased');
    expect(info.def.id).toBe('llama');
    expect(info.inferred).toBe(false);
    expect(info.def.layerWeights.at(-1)).toEqual({ name: 'model.layers.${layer_index}.self_attn.q_proj.bias', optional: true });
    expect(info.layerNames(1)).toContain('model.layers.1.self_attn.q_proj.bias');
    expect(info.layerNames(1)).not.toContain('model.layers.1.self_attn.rotary_emb.inv_freq');
  });
});

describe('findTensorName', () => {
  const available = new Set(['model.embed_tokens.weight', 'model.lm_head.weight', 'model.layers.7.mlp.up_proj.weight']);
  test('name, aliases, tied names, layer substitution', () => {
    expect(findTensorName({ name: 'model.layers.${layer_index}.mlp.up_proj.weight' }, 7, available)).toBe('model.layers.7.mlp.up_proj.weight');
    expect(findTensorName({ name: 'model.layers.${layer_index}.mlp.up_proj.weight' }, 6, available)).toBeUndefined();
    expect(findTensorName({ name: 'lm_head.weight', aliases: ['model.lm_head.weight'], tiedNames: ['model.embed_tokens.weight'] },
      undefined, available)).toBe('model.lm_head.weight');
    expect(findTensorName({ name: 'lm_head.weight', tiedNames: ['model.embed_tokens.weight'] }, undefined, available))
      .toBe('model.embed_tokens.weight');
    expect(findTensorName({ name: 'lm_head.weight' }, undefined, available)).toBeUndefined();
  });
  test('template variables', () => {
    expect(substituteLayer('a.${layer_index}.b.${layer_index+1}.c.${num_layers-1}', 3, 10)).toBe('a.3.b.4.c.9');
  });
});

describe('checkSameLayout', () => {
  const info = (config: HFConfig, names: string[], label: string) => ({ label, arch: detectArch(config, names, label), tensorNames: names });

  // Phi-2 as transformers ships it today, and an early fine-tune saved with the old remote code.
  const phiNew = (layers: number) => [
    'model.embed_tokens.weight',
    ...Array.from({ length: layers }, (_, i) => ['input_layernorm.weight', 'input_layernorm.bias', 'self_attn.q_proj.weight',
      'self_attn.q_proj.bias', 'self_attn.k_proj.weight', 'self_attn.k_proj.bias', 'self_attn.v_proj.weight',
      'self_attn.v_proj.bias', 'self_attn.dense.weight', 'self_attn.dense.bias', 'mlp.fc1.weight', 'mlp.fc1.bias',
      'mlp.fc2.weight', 'mlp.fc2.bias'].map((s) => `model.layers.${i}.${s}`)).flat(),
    'model.final_layernorm.weight', 'model.final_layernorm.bias', 'lm_head.weight', 'lm_head.bias',
  ];
  const phiOld = (layers: number) => [
    'transformer.embd.wte.weight',
    ...Array.from({ length: layers }, (_, i) => ['ln.weight', 'ln.bias', 'mixer.Wqkv.weight', 'mixer.Wqkv.bias',
      'mixer.out_proj.weight', 'mixer.out_proj.bias', 'mlp.fc1.weight', 'mlp.fc1.bias', 'mlp.fc2.weight',
      'mlp.fc2.bias'].map((s) => `transformer.h.${i}.${s}`)).flat(),
    'lm_head.ln.weight', 'lm_head.ln.bias', 'lm_head.linear.weight', 'lm_head.linear.bias',
  ];

  test('old Phi-2 `transformer.` names against current `model.` names', () => {
    const base = info({ architectures: ['PhiForCausalLM'], model_type: 'phi', num_hidden_layers: 2 }, phiNew(2), 'microsoft/phi-2');
    const old = info({ architectures: ['PhiForCausalLM'], model_type: 'phi-msft', n_layer: 2 }, phiOld(2), 'someone/phi-2-ft');
    expect(old.arch.inferred).toBe(true);
    expect(old.arch.def.postWeights.map((w) => w.name)).toEqual(['lm_head.linear.bias', 'lm_head.linear.weight', 'lm_head.ln.bias', 'lm_head.ln.weight']);
    const e = archError(() => checkSameLayout([base, old]));
    expect(e.message).toContain('`someone/phi-2-ft` and `microsoft/phi-2` name their tensors differently');
    expect(e.message).toContain('`model.layers.N.*`');
    expect(e.message).toContain('`transformer.h.N.*`');
    expect(e.message).toContain('top-level prefixes: lm_head., model.');
    expect(e.message).toContain('top-level prefixes: lm_head., transformer.');
    expect(e.message).toContain('model.final_layernorm.bias');
    expect(e.message).toContain('transformer.embd.wte.weight');
    expect(e.message).toContain('only in `microsoft/phi-2` (18): model.embed_tokens.weight, model.final_layernorm.bias');
    expect(e.hint).toContain('convert `someone/phi-2-ft`');
    expect(e.hint).toContain('save_pretrained');
    expect(e.hint).toContain('one family');
    // The odd model is the one outside the majority, whatever the order.
    const base2 = info({ architectures: ['PhiForCausalLM'], model_type: 'phi', num_hidden_layers: 3 }, phiNew(3), 'other/phi-2-ft');
    const e2 = archError(() => checkSameLayout([old, base, base2]));
    expect(e2.hint).toContain('convert `someone/phi-2-ft`');
  });

  test('a GPT-2 / Phi-2 style checkpoint beside Llama ones: the error names the layout found next to the one expected', () => {
    // config.json says Llama, the tensors are laid out as transformer.h.N.*
    const e = archError(() => detectArch(llamaConfig(2), phiOld(2), 'someone/odd-llama'));
    expect(e.message).toContain("the checkpoint's layers are named `transformer.h.N.*` (e.g. `transformer.h.0.ln.weight`), the llama (LlamaForCausalLM) layout expects `model.layers.N.*`");
    expect(e.message).not.toContain('highest layer index');
    expect(e.hint).toContain('another architecture than its config.json says');
    // an old Phi-2 (layout inferred) beside a Llama model
    const llama = info(llamaConfig(2), llamaNames(2), 'org/llama');
    const old = info({ architectures: ['PhiForCausalLM'], model_type: 'phi-msft', n_layer: 2 }, phiOld(2), 'someone/phi-2-ft');
    const e2 = archError(() => checkSameLayout([llama, old]));
    expect(e2.message).toContain('`someone/phi-2-ft` is PhiForCausalLM (layout inferred from tensor names) with layers named `transformer.h.N.*`');
    expect(e2.message).toContain('`org/llama` is llama (LlamaForCausalLM) with layers named `model.layers.N.*`');
  });

  test('same family passes: different depths, tied against untied heads', async () => {
    const a = info(llamaConfig(2), llamaNames(2), 'a');
    const b = info(llamaConfig(4), llamaNames(4, false), 'b');
    expect(() => checkSameLayout([a, b])).not.toThrow();
    expect(() => checkSameLayout([a])).not.toThrow();
    const dir = path.join(tmp, 'same-1');
    await generateModel({ arch: 'gemma2', dir, numLayers: 2 });
    const dir2 = path.join(tmp, 'same-2');
    await generateModel({ arch: 'gemma2', dir: dir2, numLayers: 2, tieEmbeddings: false, seed: 5 });
    const g1 = info(await configOf(dir), await tensorNamesOf(dir), 'g1');
    const g2 = info(await configOf(dir2), await tensorNamesOf(dir2), 'g2');
    expect(() => checkSameLayout([g1, g2])).not.toThrow();
  });

  test('different architectures need allowCrimes', () => {
    const llama = info(llamaConfig(2), llamaNames(2), 'llama-ft');
    const mistral = info({ ...llamaConfig(2), architectures: ['MistralForCausalLM'], model_type: 'mistral' }, llamaNames(2), 'mistral-ft');
    const e = archError(() => checkSameLayout([llama, mistral]));
    expect(e.message).toContain('`mistral-ft` is mistral (MistralForCausalLM)');
    expect(e.message).toContain('`llama-ft` is llama (LlamaForCausalLM)');
    expect(e.hint).toContain('allow-crimes');
    expect(() => checkSameLayout([llama, mistral], { allowCrimes: true })).not.toThrow();
  });

  test('with allowCrimes, extra tensors are tolerated but missing ones are not', () => {
    const qwenNames = llamaNames(2).flatMap((n) => n.endsWith('q_proj.weight')
      ? [n, n.replace('.weight', '.bias'), n.replace('q_proj.weight', 'k_proj.bias'), n.replace('q_proj.weight', 'v_proj.bias')]
      : [n]);
    const llama = info(llamaConfig(2), llamaNames(2), 'llama');
    const qwen = info({ architectures: ['Qwen2ForCausalLM'], model_type: 'qwen2', num_hidden_layers: 2 }, qwenNames, 'qwen');
    expect(() => checkSameLayout([llama, qwen], { allowCrimes: true })).not.toThrow();
    const e = archError(() => checkSameLayout([qwen, llama], { allowCrimes: true }));
    expect(e.message).toContain('only in `qwen` (3)');
    expect(e.message).toContain('model.layers.N.self_attn.k_proj.bias');
  });

  test('same architecture, different tensors', () => {
    const a = info({ architectures: ['X'] }, llamaNames(2), 'a');
    const b = info({ architectures: ['X'] }, [...llamaNames(2), 'model.layers.0.mlp.extra.weight', 'model.layers.1.mlp.extra.weight'], 'b');
    const e = archError(() => checkSameLayout([a, b]));
    expect(e.message).toContain('do not have the same tensors');
    expect(e.message).toContain('only in `b` (1): model.layers.N.mlp.extra.weight');
  });
});

describe('the real fixture', () => {
  test('base: Llama, 4 layers', async () => {
    const names = Object.keys(headerOf(path.join(FIXTURE, 'model.safetensors')));
    const config = await configOf(FIXTURE);
    const info = detectArch(config, names, 'fixtures/base');
    expect(info.inferred).toBe(false);
    expect(info.def).toBe(ARCHITECTURES.find((r) => r.id === 'llama'));
    expect(info.numLayers).toBe(4);
    expect(info.layerNames(3)).toEqual(llamaLayer(3));
    expect(new Set(names)).toEqual(new Set(llamaNames(4)));
    const inferred = detectArch({ ...config, architectures: ['Mystery'] }, names, 'fixtures/base');
    expect(inferred.numLayers).toBe(4);
    expect(() => checkSameLayout([
      { label: 'base', arch: info, tensorNames: names },
      { label: 'gen', arch: detectArch(llamaConfig(2), llamaNames(2), 'gen'), tensorNames: llamaNames(2) },
    ])).not.toThrow();
  });
});

describe('generated models', () => {
  const read = (file: string, name: string) => {
    const h = headerOf(file)[name];
    const buf = readFileSync(file);
    const start = 8 + Number(buf.readBigUInt64LE(0));
    return buf.subarray(start + h.data_offsets[0], start + h.data_offsets[1]);
  };
  const bf16 = (b: Buffer) => Array.from({ length: b.length / 2 }, (_, i) => {
    const f = new Float32Array(new Uint32Array([b.readUInt16LE(2 * i) << 16]).buffer);
    return f[0];
  });

  test('deterministic, sharding does not change values, statistics look like weights', async () => {
    const a = await generateModel({ arch: 'llama', dir: path.join(tmp, 'det-a'), seed: 42, hiddenSize: 32, vocabSize: 300 });
    const b = await generateModel({ arch: 'llama', dir: path.join(tmp, 'det-b'), seed: 42, hiddenSize: 32, vocabSize: 300, maxShardBytes: 20000 });
    const c = await generateModel({ arch: 'llama', dir: path.join(tmp, 'det-c'), seed: 43, hiddenSize: 32, vocabSize: 300 });
    const fa = path.join(a.dir, 'model.safetensors');
    const a2 = await generateModel({ arch: 'llama', dir: path.join(tmp, 'det-a2'), seed: 42, hiddenSize: 32, vocabSize: 300 });
    expect(readFileSync(path.join(a2.dir, 'model.safetensors')).equals(readFileSync(fa))).toBe(true);
    const idx = JSON.parse(readFileSync(path.join(b.dir, 'model.safetensors.index.json'), 'utf8')) as {
      metadata: { total_size: number }; weight_map: Record<string, string>;
    };
    expect(new Set(Object.values(idx.weight_map)).size).toBeGreaterThan(1);
    expect(b.tensorNames).toEqual(a.tensorNames);
    for (const n of a.tensorNames) {
      expect(read(path.join(b.dir, idx.weight_map[n]), n)).toEqual(read(fa, n));
    }
    expect(read(path.join(c.dir, 'model.safetensors'), 'model.norm.weight')).not.toEqual(read(fa, 'model.norm.weight'));
    const w = bf16(read(fa, 'model.embed_tokens.weight'));
    const mean = w.reduce((s, x) => s + x, 0) / w.length;
    const std = Math.sqrt(w.reduce((s, x) => s + (x - mean) ** 2, 0) / w.length);
    expect(Math.abs(mean)).toBeLessThan(0.002);
    expect(std).toBeGreaterThan(0.018);
    expect(std).toBeLessThan(0.022);
    const norm = bf16(read(fa, 'model.norm.weight'));
    expect(norm.reduce((s, x) => s + x, 0) / norm.length).toBeCloseTo(1, 1);
    expect(a.bytes).toBe((await fsp.stat(fa)).size);
  });

  test('F32 and F16, shapes and config keys', async () => {
    for (const dtype of ['F32', 'F16'] as const) {
      const g = await generateModel({ arch: 'phi3', dir: path.join(tmp, `phi3-${dtype}`), dtype, hiddenSize: 48,
        numHeads: 6, numKvHeads: 2, intermediateSize: 80, vocabSize: 270 });
      const h = headerOf(path.join(g.dir, 'model.safetensors'));
      expect(h['model.layers.0.self_attn.qkv_proj.weight']).toMatchObject({ dtype, shape: [48 + 2 * 16, 48] });
      expect(h['model.layers.0.mlp.gate_up_proj.weight'].shape).toEqual([160, 48]);
      expect(h['model.embed_tokens.weight'].shape).toEqual([270, 48]);
      const config = await configOf(g.dir);
      expect(config.torch_dtype).toBe(dtype === 'F32' ? 'float32' : 'float16');
      expect(config['original_max_position_embeddings']).toBe(4096);
    }
    const q = await generateModel({ arch: 'qwen3', dir: path.join(tmp, 'qwen3-shapes'), hiddenSize: 64, numHeads: 4, numKvHeads: 1 });
    const h = headerOf(path.join(q.dir, 'model.safetensors'));
    expect(h['model.layers.1.self_attn.q_norm.weight'].shape).toEqual([16]);
    expect(h['model.layers.1.self_attn.k_proj.weight'].shape).toEqual([16, 64]);
    expect((await configOf(q.dir))['head_dim']).toBe(16);
  });

  test('tokenizer: vocabSize entries, merges resolve, specials', async () => {
    for (const [arch, vocabSize] of [['llama', 1000], ['gemma2', 400], ['qwen2', 600], ['mistral', 64]] as const) {
      const g = await generateModel({ arch, dir: path.join(tmp, `tok-${arch}`), vocabSize });
      const tok = JSON.parse(readFileSync(path.join(g.dir, 'tokenizer.json'), 'utf8')) as {
        added_tokens: { id: number; content: string }[]; model: { vocab: Record<string, number>; merges: [string, string][] };
      };
      const ids = new Map<number, string>();
      for (const [t, i] of Object.entries(tok.model.vocab)) ids.set(i, t);
      for (const a of tok.added_tokens) {
        if (ids.has(a.id)) expect(ids.get(a.id)).toBe(a.content);
        ids.set(a.id, a.content);
      }
      expect(ids.size).toBe(vocabSize);
      expect([...ids.keys()].sort((x, y) => x - y)).toEqual(Array.from({ length: vocabSize }, (_, i) => i));
      for (const [l, r] of tok.model.merges) {
        expect(tok.model.vocab[l]).toBeDefined();
        expect(tok.model.vocab[r]).toBeDefined();
        expect(tok.model.vocab[l + r]).toBeDefined();
      }
      const config = await configOf(g.dir);
      const gen = JSON.parse(readFileSync(path.join(g.dir, 'generation_config.json'), 'utf8')) as Record<string, unknown>;
      expect(gen['eos_token_id']).toBe(config['eos_token_id']);
      expect(ids.get(config['eos_token_id'] as number)).toMatch(/^(<\/s>|<eos>|<\|endoftext\|>)$/);
      const tc = JSON.parse(readFileSync(path.join(g.dir, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
      expect(tc['eos_token']).toBe(ids.get(config['eos_token_id'] as number));
      expect(readFileSync(path.join(g.dir, 'special_tokens_map.json'), 'utf8')).toContain(tc['eos_token'] as string);
    }
  });

  test('baseFrom: a fine-tune-like perturbation of the base', async () => {
    const base = await generateModel({ arch: 'qwen2', dir: path.join(tmp, 'ft-base'), seed: 3, hiddenSize: 32, vocabSize: 300, maxShardBytes: 30000 });
    const ft = await generateModel({ arch: 'qwen2', dir: path.join(tmp, 'ft'), baseFrom: base.dir, seed: 9 });
    expect(ft.tensorNames).toEqual(base.tensorNames);
    expect(await fsp.readFile(path.join(ft.dir, 'tokenizer.json'), 'utf8')).toBe(await fsp.readFile(path.join(base.dir, 'tokenizer.json'), 'utf8'));
    const idx = JSON.parse(readFileSync(path.join(base.dir, 'model.safetensors.index.json'), 'utf8')) as { weight_map: Record<string, string> };
    const n = 'model.layers.1.mlp.down_proj.weight';
    const x = bf16(read(path.join(base.dir, idx.weight_map[n]), n));
    const y = bf16(read(path.join(ft.dir, 'model.safetensors'), n));
    const d = x.map((v, i) => y[i] - v);
    const dstd = Math.sqrt(d.reduce((s, v) => s + v * v, 0) / d.length);
    expect(dstd).toBeGreaterThan(0.0015);
    expect(dstd).toBeLessThan(0.0025);
    const info = detectArch(await configOf(ft.dir), ft.tensorNames, 'ft');
    expect(info.def.id).toBe('qwen2');
    await expect(generateModel({ arch: 'llama', dir: path.join(tmp, 'ft2'), baseFrom: base.dir })).rejects.toThrow(/qwen2/);
  });
});
