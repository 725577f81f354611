/**
 * HF → GGUF conversion tables (convert_hf_to_gguf.py, gguf-py tensor_mapping.py/constants.py):
 * per architecture, the GGUF architecture name, tensor names, the per-tensor transforms and
 * the `{arch}.*` metadata keys in convert's write order. Adding an architecture is adding a row.
 */
import { MergeopsError } from '../errors.js';
import { kv, type GGUFMetadata } from '../formats/gguf.js';
import type { HFConfig } from './types.js';

/** Which tokenizer path convert takes (`set_vocab` of the architecture's class in convert_hf_to_gguf). */
export type GGUFVocabPath =
  /** tokenizer.model → SentencePiece, else tokenizer.json byte-level BPE (Llama/Mistral) */
  | 'llama'
  /** tokenizer.model → SentencePiece, else byte-level BPE (Qwen2, Qwen3: `Qwen2Model.set_vocab`) */
  | 'qwen'
  /** SentencePiece, then `add_space_prefix = false` (Gemma) */
  | 'gemma'
  /** GPT2Tokenizer class → BPE, else SentencePiece (Phi-3) */
  | 'phi3';

export interface GGUFArchRow {
  /** row id in src/arch/table.ts */
  id: string;
  /** `general.architecture` */
  ggufArch: string;
  /** HF `architectures[0]` values */
  hfArchitectures: readonly string[];
  /** HF layer-tensor suffix (after `model.layers.N.`, without .weight/.bias) → GGUF suffix (after `blk.N.`) */
  layerNames: Readonly<Record<string, string>>;
  /** HF tensors dropped (convert's `filter_tensors`) */
  drop: readonly string[];
  /** Llama/Mistral: q/k rows from rotate-half to interleaved pairs (see permuteQK) */
  permuteQK: boolean;
  /** Gemma: `+shift` on every tensor whose HF name ends in `norm.weight` */
  normShift: number;
  vocab: GGUFVocabPath;
  /** writes the `{arch}.*` block (with `general.file_type` where convert puts it) */
  params(meta: GGUFMetadata, c: HFConfig, fileType: number): void;
  /** tensors convert computes from the config (`generate_extra_tensors`), written first */
  extra?(c: HFConfig): GGUFExtraTensor[];
}

/** A tensor computed from the config rather than read from the checkpoint (always F32). */
export interface GGUFExtraTensor {
  ggufName: string;
  data: Float32Array;
}

/** HF tensors outside the layers. */
export const GLOBAL_NAMES: Readonly<Record<string, string>> = {
  'model.embed_tokens.weight': 'token_embd.weight',
  'model.norm.weight': 'output_norm.weight',
  'lm_head.weight': 'output.weight',
};

const COMMON_LAYER: Record<string, string> = {
  input_layernorm: 'attn_norm',
  'self_attn.q_proj': 'attn_q',
  'self_attn.k_proj': 'attn_k',
  'self_attn.v_proj': 'attn_v',
  'self_attn.qkv_proj': 'attn_qkv',
  'self_attn.o_proj': 'attn_output',
  post_attention_layernorm: 'ffn_norm',
  'mlp.gate_proj': 'ffn_gate',
  'mlp.up_proj': 'ffn_up',
  'mlp.down_proj': 'ffn_down',
};
const QK_NORM: Record<string, string> = { 'self_attn.q_norm': 'attn_q_norm', 'self_attn.k_norm': 'attn_k_norm' };
const GEMMA_LAYER: Record<string, string> = {
  ...COMMON_LAYER,
  post_attention_layernorm: 'post_attention_norm',
  pre_feedforward_layernorm: 'ffn_norm',
  post_feedforward_layernorm: 'post_ffw_norm',
};

// ---------------------------------------------------------------------------------------------
// Hyperparameters as convert reads them
// ---------------------------------------------------------------------------------------------

type Json = Record<string, unknown>;

function find(c: HFConfig, keys: readonly string[]): unknown {
  for (const k of keys) if (c[k] !== undefined && c[k] !== null) return c[k];
  return undefined;
}

function num(c: HFConfig, keys: readonly string[], what: string): number {
  const v = find(c, keys);
  if (typeof v !== 'number') {
    throw new MergeopsError('ARCH', `config.json has no ${what} (${keys.join(' / ')})`, `add ${keys[0]} to config.json`);
  }
  return v;
}

/** convert's `self.rope_parameters`: rope_parameters|rope_scaling, with the global values mirrored in. */
export function ropeParameters(c: HFConfig): Json {
  const base = (c['rope_parameters'] ?? c['rope_scaling'] ?? {}) as Json;
  const rp: Json = { ...base };
  if (!('full_attention' in rp) && !('sliding_attention' in rp)) {
    const theta = find(c, ['global_rope_theta', 'rope_global_theta', 'rope_theta_global', 'rope_theta', 'rotary_emb_base']);
    const local = find(c, ['local_rope_theta', 'rope_local_theta', 'rope_theta_local', 'swa_rope_theta', 'rope_local_base_freq']);
    const prf = find(c, ['partial_rotary_factor', 'rope_pct', 'rope_percent']);
    const omp = find(c, ['original_max_position_embeddings']);
    if (local !== undefined) rp['sliding_attention'] = { rope_theta: local };
    if (!('rope_theta' in rp) && theta !== undefined) rp['rope_theta'] = theta;
    if (!('rope_type' in rp) && rp['type'] !== undefined) rp['rope_type'] = rp['type'];
    if (!('partial_rotary_factor' in rp) && prf !== undefined) rp['partial_rotary_factor'] = prf;
    if (!('original_max_position_embeddings' in rp) && omp !== undefined) rp['original_max_position_embeddings'] = omp;
  }
  return rp;
}

/**
 * transformers' config-class defaults that convert sees through `AutoConfig` (a raw
 * config.json lacks them). Only the keys that change the written metadata; per model_type.
 */
const CONFIG_DEFAULTS: Record<string, (c: HFConfig) => Json> = {
  llama: (c) => ({ max_position_embeddings: 2048, rms_norm_eps: 1e-6, rope_theta: 10000.0,
    num_key_value_heads: c['num_attention_heads'], head_dim: Number(c['hidden_size']) / Number(c['num_attention_heads']) }),
  mistral: (c) => ({ max_position_embeddings: 131072, rms_norm_eps: 1e-6, rope_theta: 10000.0,
    num_key_value_heads: 8, head_dim: Number(c['hidden_size']) / Number(c['num_attention_heads']) }),
  qwen2: (c) => ({ max_position_embeddings: 32768, rms_norm_eps: 1e-6, rope_theta: 10000.0, num_key_value_heads: c['num_attention_heads'] }),
  qwen3: () => ({ max_position_embeddings: 32768, rms_norm_eps: 1e-6, rope_theta: 10000.0, head_dim: 128 }),
  gemma2: () => ({ head_dim: 256, max_position_embeddings: 8192, rms_norm_eps: 1e-6, attn_logit_softcapping: 50.0,
    final_logit_softcapping: 30.0, sliding_window: 4096 }),
  gemma3_text: () => ({}),
  phi3: () => ({ rms_norm_eps: 1e-5, rope_theta: 10000.0 }),
};

/** config.json with the config class defaults filled in where keys are missing. */
export function withConfigDefaults(c: HFConfig): HFConfig {
  const mt = typeof c.model_type === 'string' ? c.model_type : '';
  const d = CONFIG_DEFAULTS[mt]?.(c) ?? {};
  const out: HFConfig = { ...c };
  for (const [k, v] of Object.entries(d)) if (out[k] === undefined || out[k] === null) out[k] = v;
  return out;
}

/** `TextModel.set_gguf_parameters` (dense models). */
function textModelParams(meta: GGUFMetadata, a: string, c: HFConfig, fileType: number): void {
  const opt = (key: string, keys: string[], mk: (k: string, v: number) => ReturnType<typeof kv.u32>): void => {
    const v = find(c, keys);
    if (typeof v === 'number') meta.set(mk(`${a}.${key}`, v));
  };
  meta.set(kv.u32(`${a}.block_count`, num(c, ['n_layers', 'num_hidden_layers', 'n_layer', 'num_layers'], 'layer count')));
  opt('context_length', ['max_position_embeddings', 'n_ctx', 'n_positions', 'max_length', 'max_sequence_length', 'model_max_length'], kv.u32);
  opt('embedding_length', ['hidden_size', 'n_embd', 'dim'], kv.u32);
  opt('feed_forward_length', ['prefix_dense_intermediate_size', 'dense_intermediate_size', 'intermediate_size', 'n_inner', 'hidden_dim'], kv.u32);
  opt('attention.head_count', ['num_attention_heads', 'n_head', 'n_heads'], kv.u32);
  opt('attention.head_count_kv', ['num_key_value_heads', 'n_kv_heads'], kv.u32);
  if (c['is_causal'] === false) meta.set(kv.bool(`${a}.attention.causal`, false));
  const rpAll = ropeParameters(c);
  const rp = (rpAll['full_attention'] ?? rpAll) as Json;
  const rt = rp['rope_type'];
  const factor = rp['factor'];
  if (rt === 'linear' && typeof factor === 'number') {
    meta.set(kv.str(`${a}.rope.scaling.type`, 'linear'));
    meta.set(kv.f32(`${a}.rope.scaling.factor`, factor));
  } else if (rt === 'yarn' && typeof factor === 'number') {
    meta.set(kv.str(`${a}.rope.scaling.type`, 'yarn'));
    meta.set(kv.f32(`${a}.rope.scaling.factor`, factor));
    meta.set(kv.u32(`${a}.rope.scaling.original_context_length`, Number(rp['original_max_position_embeddings'])));
    const f = (k: string, v: unknown): void => { if (typeof v === 'number') meta.set(kv.f32(`${a}.rope.scaling.${k}`, v)); };
    f('yarn_ext_factor', rp['extrapolation_factor']);
    f('yarn_attn_factor', rp['attention_factor'] ?? rp['attn_factor']);
    f('yarn_beta_fast', rp['beta_fast']);
    f('yarn_beta_slow', rp['beta_slow']);
  } else if (rt === 'su' || rt === 'longrope') {
    meta.set(kv.str(`${a}.rope.scaling.type`, 'longrope'));
  } else if (typeof rt === 'string' && !['default', 'dynamic', 'llama3'].includes(rt.toLowerCase())) {
    throw new MergeopsError('ARCH', `unsupported rope_type ${rt}`, 'convert_hf_to_gguf would warn and ignore it; remove rope scaling or use a supported type');
  }
  if (typeof rp['rope_theta'] === 'number') meta.set(kv.f32(`${a}.rope.freq_base`, rp['rope_theta']));
  const swa = (rpAll['sliding_attention'] as Json | undefined)?.['rope_theta'];
  if (typeof swa === 'number') meta.set(kv.f32(`${a}.rope.freq_base_swa`, swa));
  opt('attention.layer_norm_rms_epsilon', ['rms_norm_eps', 'norm_eps'], kv.f32);
  opt('attention.layer_norm_epsilon', ['layer_norm_eps', 'layer_norm_epsilon', 'norm_epsilon'], kv.f32);
  if (typeof c['head_dim'] === 'number') {
    meta.set(kv.u32(`${a}.attention.key_length`, c['head_dim']));
    meta.set(kv.u32(`${a}.attention.value_length`, c['head_dim']));
  }
  meta.set(kv.u32('general.file_type', fileType));
}

// ---------------------------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------------------------

const llamaParams = (meta: GGUFMetadata, c: HFConfig, ft: number): void => {
  textModelParams(meta, 'llama', c, ft);
  meta.set(kv.u32('llama.vocab_size', num(c, ['vocab_size'], 'vocab_size')));
  const rd = typeof c['head_dim'] === 'number' ? c['head_dim'] : Math.floor(num(c, ['hidden_size'], 'hidden size') / num(c, ['num_attention_heads'], 'head count'));
  meta.set(kv.u32('llama.rope.dimension_count', rd));
};

/**
 * Llama 3.1+ (`rope_type: llama3`): `rope_freqs.weight`, one factor per rotary frequency
 * (`LlamaModel.generate_extra_tensors`). convert computes in torch float32, so every step here
 * is rounded to float32; `base ** x` is torch's vectorised pow (about 1 ulp), which
 * Math.pow + fround may differ from in the last bit of a frequency.
 */
export function llama3RopeFreqs(c: HFConfig): GGUFExtraTensor[] {
  const rpAll = ropeParameters(c);
  const rp = (rpAll['full_attention'] ?? rpAll) as Json;
  if (typeof rp['rope_type'] !== 'string' || rp['rope_type'].toLowerCase() !== 'llama3') return [];
  const f = Math.fround;
  const n = (v: unknown, d: number): number => (typeof v === 'number' ? v : d);
  const base = n(rp['rope_theta'], 10000.0);
  const dim = typeof c['head_dim'] === 'number' ? c['head_dim'] : Math.floor(Number(c['hidden_size']) / Number(c['num_attention_heads']));
  const factor = n(rp['factor'], 8.0);
  const low = n(rp['low_freq_factor'], 1.0);
  const high = n(rp['high_freq_factor'], 4.0);
  const oldCtx = n(rp['original_max_position_embeddings'], 8192);
  const lowWavelen = oldCtx / low;
  const highWavelen = oldCtx / high;
  const out = new Float32Array(dim / 2);
  for (let k = 0; k < dim / 2; k++) {
    const freq = f(1 / f(Math.pow(base, f((2 * k) / dim))));
    const wavelen = f(f(2 * Math.PI) / freq);
    if (wavelen < f(highWavelen)) out[k] = 1;
    else if (wavelen > f(lowWavelen)) out[k] = f(factor);
    else {
      const smooth = f(f(f(oldCtx / wavelen) - f(low)) / f(high - low));
      out[k] = f(1 / f(f(f(1 - smooth) / f(factor)) + smooth));
    }
  }
  return [{ ggufName: 'rope_freqs.weight', data: out }];
}

export const GGUF_ARCHITECTURES: readonly GGUFArchRow[] = [
  {
    id: 'llama', ggufArch: 'llama', hfArchitectures: ['LlamaForCausalLM', 'LLaMAForCausalLM', 'LlamaModel'],
    layerNames: COMMON_LAYER, drop: [], permuteQK: true, normShift: 0, vocab: 'llama', params: llamaParams, extra: llama3RopeFreqs,
  },
  {
    id: 'mistral', ggufArch: 'llama', hfArchitectures: ['MistralForCausalLM'],
    layerNames: COMMON_LAYER, drop: [], permuteQK: true, normShift: 0, vocab: 'llama', params: llamaParams, extra: llama3RopeFreqs,
  },
  {
    id: 'qwen2', ggufArch: 'qwen2', hfArchitectures: ['Qwen2ForCausalLM', 'Qwen2Model'],
    layerNames: COMMON_LAYER, drop: [], permuteQK: false, normShift: 0, vocab: 'qwen',
    params: (m, c, ft) => textModelParams(m, 'qwen2', c, ft),
  },
  {
    id: 'qwen3', ggufArch: 'qwen3', hfArchitectures: ['Qwen3ForCausalLM', 'Qwen3Model'],
    layerNames: { ...COMMON_LAYER, ...QK_NORM }, drop: [], permuteQK: false, normShift: 0, vocab: 'qwen',
    params: (m, c, ft) => textModelParams(m, 'qwen3', c, ft),
  },
  {
    id: 'gemma2', ggufArch: 'gemma2', hfArchitectures: ['Gemma2ForCausalLM'],
    layerNames: GEMMA_LAYER, drop: ['lm_head.weight'], permuteQK: false, normShift: 1, vocab: 'gemma',
    params: (m, c, ft) => {
      const a = 'gemma2';
      m.set(kv.u32(`${a}.context_length`, num(c, ['max_position_embeddings'], 'context length')));
      m.set(kv.u32(`${a}.embedding_length`, num(c, ['hidden_size'], 'hidden size')));
      m.set(kv.u32(`${a}.block_count`, num(c, ['num_hidden_layers'], 'layer count')));
      m.set(kv.u32(`${a}.feed_forward_length`, num(c, ['intermediate_size'], 'intermediate size')));
      m.set(kv.u32(`${a}.attention.head_count`, num(c, ['num_attention_heads'], 'head count')));
      m.set(kv.u32(`${a}.attention.head_count_kv`, num(c, ['num_key_value_heads', 'num_attention_heads'], 'kv head count')));
      m.set(kv.f32(`${a}.attention.layer_norm_rms_epsilon`, num(c, ['rms_norm_eps'], 'rms_norm_eps')));
      m.set(kv.u32(`${a}.attention.key_length`, num(c, ['head_dim'], 'head_dim')));
      m.set(kv.u32(`${a}.attention.value_length`, num(c, ['head_dim'], 'head_dim')));
      m.set(kv.u32('general.file_type', ft));
      m.set(kv.f32(`${a}.attn_logit_softcapping`, num(c, ['attn_logit_softcapping'], 'attn_logit_softcapping')));
      m.set(kv.f32(`${a}.final_logit_softcapping`, num(c, ['final_logit_softcapping'], 'final_logit_softcapping')));
      m.set(kv.u32(`${a}.attention.sliding_window`, num(c, ['sliding_window'], 'sliding_window')));
    },
  },
  {
    id: 'gemma3_text', ggufArch: 'gemma3', hfArchitectures: ['Gemma3ForCausalLM'],
    layerNames: { ...GEMMA_LAYER, ...QK_NORM }, drop: [], permuteQK: false, normShift: 1, vocab: 'gemma',
    params: (m, c, ft) => {
      const a = 'gemma3';
      textModelParams(m, a, c, ft);
      const hd = typeof c['head_dim'] === 'number' ? c['head_dim'] : 256;
      // Gemma3Model overrides in place (gguf-py keeps a re-set key's position)
      m.set(kv.u32(`${a}.context_length`, typeof c['max_position_embeddings'] === 'number' ? c['max_position_embeddings'] : 131072));
      m.set(kv.u32(`${a}.attention.head_count`, typeof c['num_attention_heads'] === 'number' ? c['num_attention_heads'] : 8));
      m.set(kv.f32(`${a}.attention.layer_norm_rms_epsilon`, typeof c['rms_norm_eps'] === 'number' ? c['rms_norm_eps'] : 1e-6));
      m.set(kv.u32(`${a}.attention.key_length`, hd));
      m.set(kv.u32(`${a}.attention.value_length`, hd));
      const rp = ropeParameters(c);
      const theta = ((rp['full_attention'] ?? rp) as Json)['rope_theta'];
      m.set(kv.f32(`${a}.rope.freq_base`, typeof theta === 'number' ? theta : 1_000_000.0));
      if (c['attn_logit_softcapping'] !== undefined && c['attn_logit_softcapping'] !== null) {
        throw new MergeopsError('ARCH', 'Gemma 3 config has attn_logit_softcapping', 'Gemma 3 has no attention soft-capping; remove the key');
      }
      const fsc = c['final_logit_softcapping'];
      if (typeof fsc === 'number' && fsc !== 0) m.set(kv.f32(`${a}.final_logit_softcapping`, fsc));
      if (c['sliding_window_pattern'] !== 1) m.set(kv.u32(`${a}.attention.sliding_window`, num(c, ['sliding_window'], 'sliding_window')));
      m.set(kv.u32(`${a}.attention.head_count_kv`, typeof c['num_key_value_heads'] === 'number' ? c['num_key_value_heads'] : 4));
    },
  },
  {
    id: 'phi3', ggufArch: 'phi3', hfArchitectures: ['Phi3ForCausalLM'],
    layerNames: { ...COMMON_LAYER, 'mlp.gate_up_proj': 'ffn_up' }, drop: [], permuteQK: false, normShift: 0, vocab: 'phi3',
    params: (m, c, ft) => {
      const a = 'phi3';
      const rp = ropeParameters(c);
      const nEmbd = num(c, ['hidden_size', 'n_embd'], 'hidden size');
      const nHead = num(c, ['num_attention_heads', 'n_head'], 'head count');
      if (rp['long_factor'] !== undefined) {
        throw new MergeopsError('ARCH', 'long-context Phi-3 (rope long_factor/short_factor) is not supported yet',
          'use a 4k-context Phi-3, or convert with llama.cpp\'s convert_hf_to_gguf.py');
      }
      m.set(kv.u32(`${a}.context_length`, num(c, ['n_positions', 'max_position_embeddings'], 'context length')));
      m.set(kv.u32(`${a}.rope.scaling.original_context_length`, num(rp as HFConfig, ['original_max_position_embeddings'], 'original_max_position_embeddings')));
      m.set(kv.u32(`${a}.embedding_length`, nEmbd));
      m.set(kv.u32(`${a}.feed_forward_length`, num(c, ['intermediate_size'], 'intermediate size')));
      m.set(kv.u32(`${a}.block_count`, num(c, ['num_hidden_layers'], 'layer count')));
      m.set(kv.u32(`${a}.attention.head_count`, nHead));
      m.set(kv.u32(`${a}.attention.head_count_kv`, num(c, ['num_key_value_heads', 'n_head_kv'], 'kv head count')));
      m.set(kv.f32(`${a}.attention.layer_norm_rms_epsilon`, num(c, ['rms_norm_eps'], 'rms_norm_eps')));
      const prf = typeof rp['partial_rotary_factor'] === 'number' ? rp['partial_rotary_factor'] : 1.0;
      m.set(kv.u32(`${a}.rope.dimension_count`, Math.floor(Math.trunc(prf * nEmbd) / nHead)));
      m.set(kv.f32(`${a}.rope.freq_base`, num(((rp['full_attention'] ?? rp) as HFConfig), ['rope_theta'], 'rope_theta')));
      m.set(kv.u32('general.file_type', ft));
      m.set(kv.u32(`${a}.attention.sliding_window`, typeof c['sliding_window'] === 'number' ? c['sliding_window'] : 0));
    },
  },
];

/** The conversion row for a config, or a clear error. */
export function ggufArchFor(c: HFConfig): GGUFArchRow {
  const tc = c['text_config'] as HFConfig | undefined;
  const arch = tc?.architectures?.[0] ?? c.architectures?.[0];
  const row = GGUF_ARCHITECTURES.find((r) => arch !== undefined && r.hfArchitectures.includes(arch));
  if (!row) {
    throw new MergeopsError('ARCH', `cannot convert ${arch ?? 'a model without `architectures`'} to GGUF`,
      `GGUF conversion supports ${GGUF_ARCHITECTURES.flatMap((r) => r.hfArchitectures).join(', ')}`);
  }
  return row;
}

const LAYER_RE = /^model\.layers\.(\d+)\.(.+)\.(weight|bias)$/;

/** GGUF name of an HF tensor, or null when convert drops it; throws for names it cannot map. */
export function ggufTensorName(row: GGUFArchRow, hfName: string): string | null {
  if (row.drop.includes(hfName)) return null;
  const g = GLOBAL_NAMES[hfName];
  if (g !== undefined) return g;
  const m = LAYER_RE.exec(hfName);
  const mapped = m ? row.layerNames[m[2]] : undefined;
  if (!m || mapped === undefined) {
    throw new MergeopsError('ARCH', `cannot map tensor ${hfName} of a ${row.hfArchitectures[0]} model to a GGUF name`,
      'the checkpoint has a tensor llama.cpp does not know for this architecture; remove it or add it to src/arch/gguf-arch.ts');
  }
  return `blk.${m[1]}.${mapped}.${m[3]}`;
}

// ---------------------------------------------------------------------------------------------
// Per-tensor transforms (pure, f32 in place)
// ---------------------------------------------------------------------------------------------

export interface TensorTransform {
  /** head count for the Q/K row permutation, when it applies */
  permuteHeads?: number;
  /** added to every element (Gemma norms) */
  shift?: number;
}

/** What convert does to an HF tensor before typing it (no-op: `{}`). */
export function tensorTransform(row: GGUFArchRow, c: HFConfig, hfName: string): TensorTransform {
  const t: TensorTransform = {};
  if (row.permuteQK) {
    const nHead = Number(c['num_attention_heads']);
    const nKv = typeof c['num_key_value_heads'] === 'number' ? c['num_key_value_heads'] : nHead;
    if (/q_proj\.(weight|bias)$/.test(hfName)) t.permuteHeads = nHead;
    else if (/k_proj\.(weight|bias)$/.test(hfName)) t.permuteHeads = nKv;
  }
  if (row.normShift !== 0 && hfName.endsWith('norm.weight')) t.shift = row.normShift;
  return t;
}
