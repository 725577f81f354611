/**
 * A plain float64 Llama forward pass with greedy decoding, for tests only: checks that a merged
 * fixture model loads and runs (HF LlamaForCausalLM semantics: RMSNorm, default RoPE with
 * rotate-half, grouped-query causal attention, SwiGLU MLP, untied or tied head), with a KV cache.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readModelF64 } from './reference.js';

interface LlamaConfig {
  hidden_size: number;
  intermediate_size: number;
  num_attention_heads: number;
  num_key_value_heads: number;
  num_hidden_layers: number;
  head_dim?: number;
  rms_norm_eps: number;
  rope_theta?: number;
  rope_parameters?: { rope_theta?: number };
  vocab_size: number;
  tie_word_embeddings?: boolean;
  eos_token_id: number;
}

export interface LlamaModel {
  cfg: LlamaConfig;
  w: (name: string) => Float64Array;
  /** id → piece (SentencePiece, ▁ for a space). */
  pieces: string[];
}

export async function loadLlama(dir: string): Promise<LlamaModel> {
  const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as LlamaConfig;
  const tensors = await readModelF64(dir);
  const tok = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')) as { model: { vocab: Record<string, number> | [string, number][] } };
  const pieces: string[] = [];
  const vocab = tok.model.vocab;
  if (Array.isArray(vocab)) vocab.forEach(([p], i) => { pieces[i] = p; });
  else for (const [p, i] of Object.entries(vocab)) pieces[i] = p;
  return {
    cfg,
    pieces,
    w: (name) => {
      const t = tensors.get(name) ?? (name === 'lm_head.weight' ? tensors.get('model.embed_tokens.weight') : undefined);
      if (!t) throw new Error(`no tensor ${name}`);
      return t.data;
    },
  };
}

/** y = W x for W of shape [out, in]. */
function matvec(W: Float64Array, x: Float64Array, out: number): Float64Array {
  const n = x.length;
  const y = new Float64Array(out);
  for (let o = 0; o < out; o++) {
    let s = 0;
    const row = o * n;
    for (let i = 0; i < n; i++) s += W[row + i] * x[i];
    y[o] = s;
  }
  return y;
}

function rmsnorm(x: Float64Array, w: Float64Array, eps: number): Float64Array {
  let ss = 0;
  for (const v of x) ss += v * v;
  const r = 1 / Math.sqrt(ss / x.length + eps);
  return x.map((v, i) => v * r * w[i]);
}

function rope(x: Float64Array, heads: number, d: number, pos: number, theta: number): void {
  const half = d / 2;
  for (let h = 0; h < heads; h++) {
    const o = h * d;
    for (let i = 0; i < half; i++) {
      const f = pos * theta ** (-(2 * i) / d);
      const c = Math.cos(f), s = Math.sin(f);
      const a = x[o + i], b = x[o + i + half];
      x[o + i] = a * c - b * s;
      x[o + i + half] = b * c + a * s;
    }
  }
}

/** Greedy decoding of at most `maxNew` tokens after `ids`; stops at EOS (not included). */
export function greedy(m: LlamaModel, ids: readonly number[], maxNew = 8): number[] {
  const { cfg } = m;
  const H = cfg.hidden_size, nh = cfg.num_attention_heads, nkv = cfg.num_key_value_heads;
  const d = cfg.head_dim ?? H / nh;
  const theta = cfg.rope_parameters?.rope_theta ?? cfg.rope_theta ?? 10000;
  const L = cfg.num_hidden_layers;
  const kc: Float64Array[][] = Array.from({ length: L }, () => []);
  const vc: Float64Array[][] = Array.from({ length: L }, () => []);
  const embed = m.w('model.embed_tokens.weight');
  const step = (tok: number, pos: number): Float64Array => {
    let x = Float64Array.from(embed.subarray(tok * H, (tok + 1) * H));
    for (let l = 0; l < L; l++) {
      const p = `model.layers.${l}.`;
      const h = rmsnorm(x, m.w(`${p}input_layernorm.weight`), cfg.rms_norm_eps);
      const q = matvec(m.w(`${p}self_attn.q_proj.weight`), h, nh * d);
      const k = matvec(m.w(`${p}self_attn.k_proj.weight`), h, nkv * d);
      const v = matvec(m.w(`${p}self_attn.v_proj.weight`), h, nkv * d);
      rope(q, nh, d, pos, theta);
      rope(k, nkv, d, pos, theta);
      kc[l].push(k);
      vc[l].push(v);
      const att = new Float64Array(nh * d);
      for (let hh = 0; hh < nh; hh++) {
        const g = Math.floor(hh / (nh / nkv));
        const scores = kc[l].map((kk) => {
          let s = 0;
          for (let i = 0; i < d; i++) s += q[hh * d + i] * kk[g * d + i];
          return s / Math.sqrt(d);
        });
        const mx = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - mx));
        const z = e.reduce((a, b) => a + b, 0);
        e.forEach((wt, t) => { for (let i = 0; i < d; i++) att[hh * d + i] += (wt / z) * vc[l][t][g * d + i]; });
      }
      const o = matvec(m.w(`${p}self_attn.o_proj.weight`), att, H);
      x = x.map((v2, i) => v2 + o[i]);
      const h2 = rmsnorm(x, m.w(`${p}post_attention_layernorm.weight`), cfg.rms_norm_eps);
      const gate = matvec(m.w(`${p}mlp.gate_proj.weight`), h2, cfg.intermediate_size);
      const up = matvec(m.w(`${p}mlp.up_proj.weight`), h2, cfg.intermediate_size);
      const act = gate.map((gv, i) => (gv / (1 + Math.exp(-gv))) * up[i]);
      const down = matvec(m.w(`${p}mlp.down_proj.weight`), act, H);
      x = x.map((v2, i) => v2 + down[i]);
    }
    return matvec(m.w('lm_head.weight'), rmsnorm(x, m.w('model.norm.weight'), cfg.rms_norm_eps), cfg.vocab_size);
  };
  let logits: Float64Array = new Float64Array(0);
  ids.forEach((t, pos) => { logits = step(t, pos); });
  const out: number[] = [];
  for (let n = 0; n < maxNew; n++) {
    let best = 0;
    for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
    if (best === cfg.eos_token_id) break;
    out.push(best);
    logits = step(best, ids.length + out.length - 1);
  }
  return out;
}

/** Decodes SentencePiece pieces (▁ → space, byte pieces <0xNN>), without the leading space. */
export function decode(m: LlamaModel, ids: readonly number[]): string {
  const bytes: number[] = [];
  for (const id of ids) {
    const p = m.pieces[id] ?? '';
    const byte = /^<0x([0-9A-Fa-f]{2})>$/.exec(p);
    if (byte) bytes.push(parseInt(byte[1], 16));
    else for (const b of Buffer.from(p.replaceAll('\u2581', ' '), 'utf8')) bytes.push(b);
  }
  return Buffer.from(bytes).toString('utf8').replace(/^ /, '');
}
