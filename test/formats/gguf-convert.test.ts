/**
 * HF → GGUF conversion of the fixture Llama (examples/models/base), checked against
 * convert_hf_to_gguf's documented behaviour (names, order, types, shapes, data, metadata) and
 * against an independent float64 forward pass through the real llama.cpp.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { quantizeFolder } from '../../src/quantize.js';
import { ggufPlanBytes, minMaxMemory } from '../../src/execute/budget.js';
import { bf16ToF32, f32ToBf16, f32ToF16 } from '../../src/formats/dtype.js';
import { readGGUF, readBytes, type ReadGGUF } from '../support/gguf-read.js';
import { loadReference, type ReferenceModel } from '../support/forward.js';
import { loadGGUF, logitError } from '../support/llama-cpp.js';
import { readModelF64 } from '../support/reference.js';
import { EXAMPLE_MODELS, tempDir } from '../support/tmp.js';

const BASE = path.join(EXAMPLE_MODELS, 'base');
const { dir: OUT, cleanup } = tempDir('mergeops-gguf-');
afterAll(cleanup);

interface EvalTask { prompt: string; answer: string; input_ids: number[] }
const EVAL = JSON.parse(readFileSync(path.join(EXAMPLE_MODELS, 'eval-prompts.json'), 'utf8')) as {
  tasks: Record<string, EvalTask[]>;
  greedy_outputs: Record<string, Record<string, { outputs?: string[] } | string[] | unknown>>;
};

/** The KV keys convert_hf_to_gguf writes for this folder, in order (llamacpp.md §4.5, §5, §6). */
const CONVERT_KEYS = [
  'general.architecture', 'general.type', 'general.name', 'general.size_label',
  'llama.block_count', 'llama.context_length', 'llama.embedding_length', 'llama.feed_forward_length',
  'llama.attention.head_count', 'llama.attention.head_count_kv', 'llama.rope.freq_base',
  'llama.attention.layer_norm_rms_epsilon', 'llama.attention.key_length', 'llama.attention.value_length',
  'general.file_type', 'llama.vocab_size', 'llama.rope.dimension_count', 'general.quantization_version',
  'tokenizer.ggml.model', 'tokenizer.ggml.pre', 'tokenizer.ggml.tokens', 'tokenizer.ggml.scores', 'tokenizer.ggml.token_type',
  'tokenizer.ggml.bos_token_id', 'tokenizer.ggml.eos_token_id', 'tokenizer.ggml.unknown_token_id',
  'tokenizer.ggml.add_bos_token', 'tokenizer.ggml.add_sep_token', 'tokenizer.ggml.add_eos_token',
];

/** convert's tensor order: names sorted in code-point order, mapped (§4.2, §4.3). */
function convertTensorOrder(): string[] {
  const hf: string[] = ['lm_head.weight', 'model.embed_tokens.weight'];
  for (const l of [0, 1, 2, 3]) {
    for (const s of ['input_layernorm', 'mlp.down_proj', 'mlp.gate_proj', 'mlp.up_proj', 'post_attention_layernorm',
      'self_attn.k_proj', 'self_attn.o_proj', 'self_attn.q_proj', 'self_attn.v_proj']) hf.push(`model.layers.${l}.${s}.weight`);
  }
  hf.push('model.norm.weight');
  const map: Record<string, string> = {
    input_layernorm: 'attn_norm', 'mlp.down_proj': 'ffn_down', 'mlp.gate_proj': 'ffn_gate', 'mlp.up_proj': 'ffn_up',
    post_attention_layernorm: 'ffn_norm', 'self_attn.k_proj': 'attn_k', 'self_attn.o_proj': 'attn_output',
    'self_attn.q_proj': 'attn_q', 'self_attn.v_proj': 'attn_v',
  };
  return hf.map((n) => {
    if (n === 'lm_head.weight') return 'output.weight';
    if (n === 'model.embed_tokens.weight') return 'token_embd.weight';
    if (n === 'model.norm.weight') return 'output_norm.weight';
    const m = /^model\.layers\.(\d+)\.(.+)\.weight$/.exec(n)!;
    return `blk.${m[1]}.${map[m[2]]}.weight`;
  });
}

const TYPE_ID = { F32: 0, F16: 1, BF16: 30 } as const;
const FILES: Record<string, string> = {};
const READ: Record<string, ReadGGUF> = {};
let ref: ReferenceModel;

beforeAll(async () => {
  for (const t of ['F32', 'F16', 'BF16'] as const) {
    const r = await quantizeFolder({ modelDir: BASE, outDir: OUT, fileType: t });
    FILES[t] = r.files[0].path;
    READ[t] = await readGGUF(FILES[t]);
  }
  ref = await loadReference(BASE);
});

describe.each(['F32', 'F16', 'BF16'] as const)('fixture Llama → %s GGUF', (t) => {
  test('metadata keys, order, types and values are convert_hf_to_gguf\'s', () => {
    const g = READ[t];
    expect(g.keys).toEqual(CONVERT_KEYS);
    const v = (k: string) => g.typed[k].value;
    expect(v('general.architecture')).toBe('llama');
    expect(v('general.type')).toBe('model');
    expect(v('general.name')).toBe('Base');
    expect(v('general.size_label')).toBe('1.7M');
    expect(v('general.file_type')).toBe({ F32: 0, F16: 1, BF16: 32 }[t]);
    expect(v('llama.block_count')).toBe(4);
    expect(v('llama.context_length')).toBe(256);
    expect(v('llama.embedding_length')).toBe(192);
    expect(v('llama.feed_forward_length')).toBe(512);
    expect(v('llama.attention.head_count')).toBe(4);
    expect(v('llama.attention.head_count_kv')).toBe(2);
    expect(v('llama.rope.freq_base')).toBe(10000);
    expect(v('llama.attention.layer_norm_rms_epsilon')).toBe(Math.fround(1e-5));
    expect(v('llama.attention.key_length')).toBe(48);
    expect(v('llama.rope.dimension_count')).toBe(48);
    expect(v('llama.vocab_size')).toBe(320);
    expect(v('general.quantization_version')).toBe(2);
    // value types (§1.4: counts UINT32, eps/freq FLOAT32, ids UINT32, flags BOOL, token_type INT32 array)
    const ty = (k: string) => g.typed[k].type;
    expect(ty('llama.block_count')).toBe(4);
    expect(ty('llama.rope.freq_base')).toBe(6);
    expect(ty('tokenizer.ggml.bos_token_id')).toBe(4);
    expect(ty('tokenizer.ggml.add_bos_token')).toBe(7);
    expect(g.typed['tokenizer.ggml.token_type'].subType).toBe(5);
    expect(g.typed['tokenizer.ggml.scores'].subType).toBe(6);
    expect(v('tokenizer.ggml.model')).toBe('llama');
    expect(v('tokenizer.ggml.pre')).toBe('default');
    const tokens = v('tokenizer.ggml.tokens') as string[];
    expect(tokens.length).toBe(320);
    expect(tokens.slice(0, 4)).toEqual(['<unk>', '<s>', '</s>', '<0x00>']);
    expect(tokens[271]).toBe('▁');
    expect(tokens[276]).toBe('=');
    const types = v('tokenizer.ggml.token_type') as number[];
    expect(types.slice(0, 4)).toEqual([2, 3, 3, 6]);
    expect(types[258]).toBe(6);
    expect(types[259]).toBe(1);
    expect([v('tokenizer.ggml.bos_token_id'), v('tokenizer.ggml.eos_token_id'), v('tokenizer.ggml.unknown_token_id')]).toEqual([1, 2, 0]);
    expect([v('tokenizer.ggml.add_bos_token'), v('tokenizer.ggml.add_sep_token'), v('tokenizer.ggml.add_eos_token')]).toEqual([true, false, false]);
  });

  test('tensor names, order, shapes and types are convert_hf_to_gguf\'s', () => {
    const g = READ[t];
    expect(g.tensors.map((x) => x.name)).toEqual(convertTensorOrder());
    for (const x of g.tensors) {
      const isNorm = x.name.endsWith('_norm.weight');
      expect(x.type).toBe(isNorm ? TYPE_ID.F32 : TYPE_ID[t]);
      if (isNorm) expect(x.shape).toEqual([192]);
    }
    const shape = (n: string) => g.tensors.find((x) => x.name === n)!.shape;
    expect(shape('token_embd.weight')).toEqual([320, 192]);
    expect(shape('output.weight')).toEqual([320, 192]);
    expect(shape('blk.0.attn_q.weight')).toEqual([192, 192]);
    expect(shape('blk.0.attn_k.weight')).toEqual([96, 192]);
    expect(shape('blk.0.ffn_down.weight')).toEqual([192, 512]);
    // offsets: contiguous, 32-aligned, in tensor order
    for (let i = 1; i < g.tensors.length; i++) expect(g.tensors[i].offset % 32).toBe(0);
  });

  test('tensor data: Q/K rows permuted, every value rounded once to the type', async () => {
    const src = await readModelF64(BASE);
    const g = READ[t];
    const check = (ggufName: string, hfName: string, heads: number | undefined) => {
      const s = src.get(hfName)!;
      const info = g.tensors.find((x) => x.name === ggufName)!;
      const n = s.data.length;
      const isNorm = ggufName.endsWith('_norm.weight');
      const size = t === 'F32' || isNorm ? 4 : 2;
      const bytes = readBytes(FILES[t], info.offset, n * size);
      const dv = new DataView(bytes.buffer);
      const [rows, cols] = s.shape.length === 2 ? s.shape : [1, s.shape[0]];
      const hd = heads ? rows / heads : 0;
      let bad = 0;
      for (let r = 0; r < rows; r++) {
        // out_row[h*hd + 2j + i] = in_row[h*hd + i*hd/2 + j]   (llamacpp.md §4.4)
        let from = r;
        if (heads) {
          const h = Math.floor(r / hd); const k = r % hd; const j = k >> 1; const i = k & 1;
          from = h * hd + i * (hd / 2) + j;
        }
        for (let c = 0; c < cols; c++) {
          const x = s.data[from * cols + c];
          const o = r * cols + c;
          const ok = size === 4 ? dv.getFloat32(4 * o, true) === Math.fround(x)
            : t === 'F16' ? dv.getUint16(2 * o, true) === f32ToF16(x) : dv.getUint16(2 * o, true) === f32ToBf16(x);
          if (!ok) bad++;
        }
      }
      expect(bad).toBe(0);
    };
    check('blk.1.attn_q.weight', 'model.layers.1.self_attn.q_proj.weight', 4);
    check('blk.2.attn_k.weight', 'model.layers.2.self_attn.k_proj.weight', 2);
    check('blk.0.attn_v.weight', 'model.layers.0.self_attn.v_proj.weight', undefined);
    check('token_embd.weight', 'model.embed_tokens.weight', undefined);
    check('blk.3.ffn_norm.weight', 'model.layers.3.post_attention_layernorm.weight', undefined);
    // bf16 checkpoints are exact in BF16 output
    if (t === 'BF16') expect(bf16ToF32(f32ToBf16(src.get('lm_head.weight')!.data[7]))).toBe(src.get('lm_head.weight')!.data[7]);
  });
});

test.each(['F16', 'Q4_K_M'] as const)('%s: processing in small row chunks (whole heads for Q/K) writes the same bytes', async (ft) => {
  const whole = await quantizeFolder({ modelDir: BASE, outDir: path.join(OUT, 'whole'), fileType: ft });
  // A budget of ~40 kB per worker: a few rows of 192 per chunk, one 48-row head per chunk for attn_q/attn_k.
  const headers = whole.plan.files.reduce((a, f) => a + f.layout.header.length, 0);
  const chunked = await quantizeFolder({
    modelDir: BASE, outDir: path.join(OUT, 'chunked'), fileType: ft, threads: 2, maxMemory: minMaxMemory(2) + 2 * 40_000 + ggufPlanBytes(headers),
  });
  expect(Buffer.compare(readFileSync(chunked.files[0].path), readFileSync(whole.files[0].path))).toBe(0);
});

test('general.* from the model card front matter, in convert\'s key order', async () => {
  const dir = path.join(OUT, 'carded');
  cpSync(BASE, dir, { recursive: true });
  writeFileSync(path.join(dir, 'README.md'), [
    '---', 'license: apache-2.0', 'base_model:', '- Qwen/Qwen2.5-7B-Instruct', '- https://huggingface.co/my-org/rev-model',
    'tags:', '- merge', '- mergekit', 'pipeline_tag: text-generation', 'language:', '- en', 'model_name: Add Rev Merge', '---', '# card', '',
  ].join('\n'));
  const g = await readGGUF((await quantizeFolder({ modelDir: dir, outDir: dir, fileType: 'F16' })).files[0].path);
  expect(g.keys.slice(0, 16)).toEqual([
    'general.architecture', 'general.type', 'general.name', 'general.size_label', 'general.license', 'general.base_model.count',
    'general.base_model.0.name', 'general.base_model.0.organization', 'general.base_model.0.repo_url',
    'general.base_model.1.name', 'general.base_model.1.organization', 'general.base_model.1.repo_url',
    'general.tags', 'general.languages', 'llama.block_count', 'llama.context_length',
  ]);
  const v = (k: string) => g.typed[k].value;
  expect(v('general.name')).toBe('Add Rev Merge');
  expect(v('general.license')).toBe('apache-2.0');
  expect([v('general.base_model.0.name'), v('general.base_model.0.organization'), v('general.base_model.0.repo_url')])
    .toEqual(['Qwen2.5 7B Instruct', 'Qwen', 'https://huggingface.co/Qwen/Qwen2.5-7B-Instruct']);
  expect([v('general.base_model.1.name'), v('general.base_model.1.organization'), v('general.base_model.1.repo_url')])
    .toEqual(['Rev Model', 'My Org', 'https://huggingface.co/my-org/rev-model']);
  expect(v('general.tags')).toEqual(['merge', 'mergekit', 'text-generation']);
  expect(v('general.languages')).toEqual(['en']);
});

describe('fixture Llama GGUF through llama.cpp', () => {
  // The checkpoint is bf16, so F32 and BF16 GGUFs hold the exact weights (and F16 too, but for
  // weights below F16's normal range): the differences are llama.cpp's float32 arithmetic
  // (BF16/F16 matrices are multiplied with activations rounded to that type) against float64.
  const TOL = { F32: 0.06, BF16: 0.06, F16: 0.06 } as const;
  const prompts = [...EVAL.tasks['add'].slice(0, 3), ...EVAL.tasks['rev'].slice(0, 3)].map((x) => x.input_ids);

  test.each(['F32', 'F16', 'BF16'] as const)('%s: logits on 6 prompts match the float64 reference', async (t) => {
    const m = await loadGGUF(FILES[t]);
    try {
      let worst = { maxAbs: 0, refStd: 0, argmaxAgree: 1 };
      for (const p of prompts) {
        const e = logitError(await m.logits(p), ref.logits(p));
        if (e.maxAbs > worst.maxAbs) worst = { ...e, argmaxAgree: Math.min(worst.argmaxAgree, e.argmaxAgree) };
        else worst.argmaxAgree = Math.min(worst.argmaxAgree, e.argmaxAgree);
      }
      process.stdout.write(`${t}: max |Δlogit| ${worst.maxAbs.toExponential(2)} (logit std ${worst.refStd.toFixed(2)}), argmax agreement ${worst.argmaxAgree}\n`);
      expect(worst.maxAbs).toBeLessThan(TOL[t]);
      expect(worst.argmaxAgree).toBe(1);
    } finally {
      await m.dispose();
    }
  });

  // Quantized files of the trained fixture (n_embd 192: K types fall back to Q5_0/Q4_0/Q8_0 on
  // most matrices, as llama-quantize does). Bounds: max |Δlogit| as a fraction of the
  // reference's logit spread, and how often the top token is unchanged.
  const QTOL = {
    // measured: 0.058/1, 0.067/1, 0.37/0.98, 0.37/0.95, 0.72/0.91, 0.67/0.86 (F16: 0.003/1)
    Q8_0: { rel: 0.1, agree: 1 }, Q6_K: { rel: 0.12, agree: 1 }, Q5_K_M: { rel: 0.55, agree: 0.95 },
    Q4_K_M: { rel: 0.55, agree: 0.9 }, Q4_0: { rel: 1.0, agree: 0.85 }, Q3_K_M: { rel: 1.0, agree: 0.8 },
  } as const;
  test.each(Object.keys(QTOL) as (keyof typeof QTOL)[])('%s: logits on 6 prompts within the type\'s tolerance', async (ft) => {
    const file = (await quantizeFolder({ modelDir: BASE, outDir: OUT, fileType: ft })).files[0].path;
    const m = await loadGGUF(file);
    try {
      let rel = 0;
      let agree = 0;
      for (const p of prompts) {
        const e = logitError(await m.logits(p), ref.logits(p));
        rel = Math.max(rel, e.maxAbs / e.refStd);
        agree += e.argmaxAgree;
      }
      agree /= prompts.length;
      process.stdout.write(`${ft}: max |Δlogit| = ${rel.toFixed(4)} × logit std, argmax agreement ${agree.toFixed(3)}\n`);
      expect(rel).toBeLessThan(QTOL[ft].rel);
      expect(agree).toBeGreaterThanOrEqual(QTOL[ft].agree);
    } finally {
      await m.dispose();
    }
  });

  test('llama.cpp tokenizes the prompts as the fixture (SentencePiece metadata) and decodes the base model\'s answers', async () => {
    const m = await loadGGUF(FILES['F16']);
    try {
      const base = EVAL.greedy_outputs['base'] as unknown as Record<string, { outputs: string[] }>;
      let same = 0;
      let n = 0;
      for (const task of ['add', 'rev']) {
        const items = EVAL.tasks[task].slice(0, 10);
        for (let i = 0; i < items.length; i++) {
          expect([m.bos, ...m.tokenize(items[i].prompt)]).toEqual(items[i].input_ids);
          const out = m.detokenize(await m.greedy(items[i].input_ids, 8, 2));
          const want = base[task].outputs[i];
          if (!want.endsWith('…')) { n++; if (out === want) same++; } // '…': hit the 8-token limit
        }
      }
      expect(n).toBeGreaterThan(0);
      expect(same / n).toBeGreaterThanOrEqual(0.9);
    } finally {
      await m.dispose();
    }
  });
});
