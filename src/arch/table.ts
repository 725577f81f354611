/**
 * The architectures mergeops knows by name, as data (the shape of mergekit's
 * `mergekit/_data/architectures/*.json`). Supporting a new architecture is adding a row.
 *
 * Conventions shared by every row:
 * - `layerWeights` are listed in one canonical order, the order of the forward pass:
 *   input norm, q (+bias, +norm), k (+bias, +norm), v (+bias), o, post-attention norm,
 *   pre-feedforward norm, gate, up, down, post-feedforward norm. The planner pairs the i-th
 *   template of the output with the i-th template of every input, so this order must never
 *   depend on the checkpoint (mergekit's JSONs use a different order per file; the order
 *   itself does not change any result, only the order of output tensors).
 * - `lm_head.weight` is `isEmbed`, `optional` and `tiedNames: ['model.embed_tokens.weight']`:
 *   checkpoints with tied embeddings do not store it, and a model that does store it can be
 *   merged with one that does not (the missing one reads its embedding matrix instead).
 * - The final norm and `lm_head` are post-weights: in slice (passthrough) merges they come
 *   from the last slice, the embedding (a pre-weight) from the first.
 */

import type { ArchDef, WeightDef } from './types.js';

const L = 'model.layers.${layer_index}';

const EMBED: WeightDef = { name: 'model.embed_tokens.weight', isEmbed: true };
const FINAL_NORM: WeightDef = { name: 'model.norm.weight' };
const LM_HEAD: WeightDef = {
  name: 'lm_head.weight',
  isEmbed: true,
  optional: true,
  tiedNames: ['model.embed_tokens.weight'],
};

const w = (suffix: string): WeightDef => ({ name: `${L}.${suffix}` });

/** Llama / Mistral layer: separate q/k/v/o, SwiGLU MLP, two RMS norms. */
const LLAMA_LAYER: WeightDef[] = [
  w('input_layernorm.weight'),
  w('self_attn.q_proj.weight'),
  w('self_attn.k_proj.weight'),
  w('self_attn.v_proj.weight'),
  w('self_attn.o_proj.weight'),
  w('post_attention_layernorm.weight'),
  w('mlp.gate_proj.weight'),
  w('mlp.up_proj.weight'),
  w('mlp.down_proj.weight'),
];

export const ARCHITECTURES: readonly ArchDef[] = [
  {
    id: 'llama',
    architectures: ['LlamaForCausalLM', 'LLaMaForCausalLM'],
    modelTypes: ['llama'],
    preWeights: [EMBED],
    layerWeights: LLAMA_LAYER,
    postWeights: [
      FINAL_NORM,
      // Some Llama conversions nest the head under `model.` (mergekit's llama.json lists the alias).
      { ...LM_HEAD, aliases: ['model.lm_head.weight'] },
    ],
    numLayersKey: 'num_hidden_layers',
    vocabSizeKey: 'vocab_size',
  },
  {
    id: 'mistral',
    architectures: ['MistralForCausalLM'],
    modelTypes: ['mistral'],
    preWeights: [EMBED],
    layerWeights: LLAMA_LAYER,
    postWeights: [FINAL_NORM, LM_HEAD],
    numLayersKey: 'num_hidden_layers',
    vocabSizeKey: 'vocab_size',
  },
  {
    id: 'qwen2',
    architectures: ['Qwen2ForCausalLM'],
    modelTypes: ['qwen2'],
    preWeights: [EMBED],
    layerWeights: [
      w('input_layernorm.weight'),
      w('self_attn.q_proj.weight'),
      w('self_attn.q_proj.bias'),
      w('self_attn.k_proj.weight'),
      w('self_attn.k_proj.bias'),
      w('self_attn.v_proj.weight'),
      w('self_attn.v_proj.bias'),
      w('self_attn.o_proj.weight'),
      w('post_attention_layernorm.weight'),
      w('mlp.gate_proj.weight'),
      w('mlp.up_proj.weight'),
      w('mlp.down_proj.weight'),
    ],
    postWeights: [FINAL_NORM, LM_HEAD],
    numLayersKey: 'num_hidden_layers',
    vocabSizeKey: 'vocab_size',
  },
  {
    id: 'qwen3',
    architectures: ['Qwen3ForCausalLM'],
    modelTypes: ['qwen3'],
    preWeights: [EMBED],
    layerWeights: [
      w('input_layernorm.weight'),
      w('self_attn.q_proj.weight'),
      w('self_attn.q_norm.weight'),
      w('self_attn.k_proj.weight'),
      w('self_attn.k_norm.weight'),
      w('self_attn.v_proj.weight'),
      w('self_attn.o_proj.weight'),
      w('post_attention_layernorm.weight'),
      w('mlp.gate_proj.weight'),
      w('mlp.up_proj.weight'),
      w('mlp.down_proj.weight'),
    ],
    postWeights: [FINAL_NORM, LM_HEAD],
    numLayersKey: 'num_hidden_layers',
    vocabSizeKey: 'vocab_size',
  },
  {
    id: 'gemma2',
    architectures: ['Gemma2ForCausalLM'],
    modelTypes: ['gemma2'],
    preWeights: [EMBED],
    layerWeights: [
      w('input_layernorm.weight'),
      w('self_attn.q_proj.weight'),
      w('self_attn.k_proj.weight'),
      w('self_attn.v_proj.weight'),
      w('self_attn.o_proj.weight'),
      w('post_attention_layernorm.weight'),
      w('pre_feedforward_layernorm.weight'),
      w('mlp.gate_proj.weight'),
      w('mlp.up_proj.weight'),
      w('mlp.down_proj.weight'),
      w('post_feedforward_layernorm.weight'),
    ],
    postWeights: [FINAL_NORM, LM_HEAD],
    numLayersKey: 'num_hidden_layers',
    vocabSizeKey: 'vocab_size',
  },
  {
    id: 'gemma3_text',
    architectures: ['Gemma3ForCausalLM'],
    modelTypes: ['gemma3_text'],
    preWeights: [EMBED],
    layerWeights: [
      w('input_layernorm.weight'),
      w('self_attn.q_proj.weight'),
      w('self_attn.q_norm.weight'),
      w('self_attn.k_proj.weight'),
      w('self_attn.k_norm.weight'),
      w('self_attn.v_proj.weight'),
      w('self_attn.o_proj.weight'),
      w('post_attention_layernorm.weight'),
      w('pre_feedforward_layernorm.weight'),
      w('mlp.gate_proj.weight'),
      w('mlp.up_proj.weight'),
      w('mlp.down_proj.weight'),
      w('post_feedforward_layernorm.weight'),
    ],
    postWeights: [FINAL_NORM, LM_HEAD],
    numLayersKey: 'num_hidden_layers',
    vocabSizeKey: 'vocab_size',
  },
  {
    id: 'phi3',
    architectures: ['Phi3ForCausalLM'],
    modelTypes: ['phi3'],
    preWeights: [EMBED],
    layerWeights: [
      w('input_layernorm.weight'),
      // rows: q (heads × head_dim), then k and v (kv_heads × head_dim each)
      w('self_attn.qkv_proj.weight'),
      w('self_attn.o_proj.weight'),
      w('post_attention_layernorm.weight'),
      // rows: gate (intermediate), then up (intermediate)
      w('mlp.gate_up_proj.weight'),
      w('mlp.down_proj.weight'),
    ],
    postWeights: [FINAL_NORM, LM_HEAD],
    numLayersKey: 'num_hidden_layers',
    vocabSizeKey: 'vocab_size',
  },
];
