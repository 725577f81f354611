/**
 * An independent float64 forward pass of the HF decoder architectures mergeops converts
 * (Llama, Mistral, Qwen2, Qwen3, Gemma2, Gemma3 text, Phi-3), written from the transformers
 * modeling code, in HF tensor layout (rotate-half RoPE, unpermuted q/k). Test code: the
 * reference the GGUF's logits (through llama.cpp) are compared with. Short prompts only (no
 * sliding-window masking: prompts are far shorter than any window).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { readModelF64, type F64Tensor } from './reference.js';

type Config = Record<string, unknown>;

function rmsnorm(x: Float64Array, w: Float64Array | undefined, eps: number, plusOne: boolean): Float64Array {
  let ss = 0;
  for (let i = 0; i < x.length; i++) ss += x[i] * x[i];
  const r = 1 / Math.sqrt(ss / x.length + eps);
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i] * r * (w ? (plusOne ? 1 + w[i] : w[i]) : 1);
  return out;
}

/** y = W x (+ b), W [rows, cols] row-major. */
function matvec(w: F64Tensor, x: Float64Array, bias?: F64Tensor): Float64Array {
  const [rows, cols] = w.shape;
  const y = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    const o = r * cols;
    for (let c = 0; c < cols; c++) s += w.data[o + c] * x[c];
    y[r] = s + (bias ? bias.data[r] : 0);
  }
  return y;
}

/** transformers `_compute_llama3_parameters`: per-frequency divisors (1 where unscaled). */
function llama3Divisors(rp: Config, hd: number, theta: number): Float64Array {
  const factor = Number(rp['factor'] ?? 8);
  const low = Number(rp['low_freq_factor'] ?? 1);
  const high = Number(rp['high_freq_factor'] ?? 4);
  const old = Number(rp['original_max_position_embeddings'] ?? 8192);
  const out = new Float64Array(hd / 2).fill(1);
  for (let i = 0; i < hd / 2; i++) {
    const inv = 1 / Math.pow(theta, (2 * i) / hd);
    const wavelen = (2 * Math.PI) / inv;
    if (wavelen > old / low) out[i] = factor;
    else if (wavelen >= old / high) {
      const smooth = (old / wavelen - low) / (high - low);
      out[i] = 1 / ((1 - smooth) / factor + smooth);
    }
  }
  return out;
}

function ropeInPlace(v: Float64Array, off: number, hd: number, pos: number, theta: number, div?: Float64Array): void {
  const half = hd / 2;
  for (let i = 0; i < half; i++) {
    const f = pos / Math.pow(theta, (2 * i) / hd) / (div ? div[i] : 1);
    const c = Math.cos(f);
    const s = Math.sin(f);
    const a = v[off + i];
    const b = v[off + i + half];
    v[off + i] = a * c - b * s;
    v[off + i + half] = b * c + a * s;
  }
}

const silu = (x: number): number => x / (1 + Math.exp(-x));
const geluTanh = (x: number): number => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));

export interface ReferenceModel {
  logits(tokens: readonly number[]): Float64Array[];
}

export async function loadReference(dir: string): Promise<ReferenceModel> {
  const c = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')) as Config;
  const W = await readModelF64(dir);
  const t = (n: string): F64Tensor => {
    const x = W.get(n);
    if (!x) throw new Error(`reference: no tensor ${n}`);
    return x;
  };
  const opt = (n: string): F64Tensor | undefined => W.get(n);
  const mt = String(c['model_type']);
  const gemma = mt === 'gemma2' || mt === 'gemma3_text';
  const H = Number(c['hidden_size']);
  const nH = Number(c['num_attention_heads']);
  const nKv = Number(c['num_key_value_heads'] ?? nH);
  const hd = Number(c['head_dim'] ?? H / nH);
  const L = Number(c['num_hidden_layers']);
  const eps = Number(c['rms_norm_eps']);
  const rp = (c['rope_parameters'] ?? c['rope_scaling'] ?? {}) as Config;
  const theta = Number(rp['rope_theta'] ?? c['rope_theta'] ?? 10000);
  const localTheta = c['rope_local_base_freq'] !== undefined ? Number(c['rope_local_base_freq']) : theta;
  const swPattern = Number(c['sliding_window_pattern'] ?? 0);
  const scale = gemma ? 1 / Math.sqrt(Number(c['query_pre_attn_scalar'] ?? hd)) : 1 / Math.sqrt(hd);
  const attnCap = typeof c['attn_logit_softcapping'] === 'number' ? c['attn_logit_softcapping'] : undefined;
  const finalCap = typeof c['final_logit_softcapping'] === 'number' ? c['final_logit_softcapping'] : undefined;
  const act = gemma ? geluTanh : silu;
  const div = rp['rope_type'] === 'llama3' ? llama3Divisors(rp, hd, theta) : undefined;
  const embed = t('model.embed_tokens.weight');
  const head = opt('lm_head.weight') ?? embed;
  const V = embed.shape[0];

  return {
    logits(tokens) {
      const T = tokens.length;
      let xs: Float64Array[] = tokens.map((id) => {
        const x = embed.data.slice(id * H, (id + 1) * H);
        if (gemma) { const s = Math.sqrt(H); for (let i = 0; i < H; i++) x[i] *= s; }
        return x;
      });
      for (let l = 0; l < L; l++) {
        const p = `model.layers.${l}.`;
        const layerTheta = mt === 'gemma3_text' && swPattern > 0 && (l + 1) % swPattern !== 0 ? localTheta : theta;
        const qs: Float64Array[] = [];
        const ks: Float64Array[] = [];
        const vs: Float64Array[] = [];
        for (let i = 0; i < T; i++) {
          const h = rmsnorm(xs[i], t(p + 'input_layernorm.weight').data, eps, gemma);
          let q: Float64Array; let k: Float64Array; let v: Float64Array;
          if (mt === 'phi3') {
            const qkv = matvec(t(p + 'self_attn.qkv_proj.weight'), h);
            q = qkv.slice(0, nH * hd); k = qkv.slice(nH * hd, (nH + nKv) * hd); v = qkv.slice((nH + nKv) * hd);
          } else {
            q = matvec(t(p + 'self_attn.q_proj.weight'), h, opt(p + 'self_attn.q_proj.bias'));
            k = matvec(t(p + 'self_attn.k_proj.weight'), h, opt(p + 'self_attn.k_proj.bias'));
            v = matvec(t(p + 'self_attn.v_proj.weight'), h, opt(p + 'self_attn.v_proj.bias'));
          }
          const qn = opt(p + 'self_attn.q_norm.weight');
          const kn = opt(p + 'self_attn.k_norm.weight');
          for (let hh = 0; hh < nH; hh++) {
            if (qn) q.set(rmsnorm(q.subarray(hh * hd, (hh + 1) * hd), qn.data, eps, gemma), hh * hd);
            ropeInPlace(q, hh * hd, hd, i, layerTheta, div);
          }
          for (let hh = 0; hh < nKv; hh++) {
            if (kn) k.set(rmsnorm(k.subarray(hh * hd, (hh + 1) * hd), kn.data, eps, gemma), hh * hd);
            ropeInPlace(k, hh * hd, hd, i, layerTheta, div);
          }
          qs.push(q); ks.push(k); vs.push(v);
        }
        const next: Float64Array[] = [];
        for (let i = 0; i < T; i++) {
          const att = new Float64Array(nH * hd);
          for (let hh = 0; hh < nH; hh++) {
            const kh = Math.floor(hh / (nH / nKv));
            const sc = new Float64Array(i + 1);
            let mx = -Infinity;
            for (let j = 0; j <= i; j++) {
              let s = 0;
              for (let d = 0; d < hd; d++) s += qs[i][hh * hd + d] * ks[j][kh * hd + d];
              s *= scale;
              if (attnCap !== undefined) s = Math.tanh(s / attnCap) * attnCap;
              sc[j] = s; mx = Math.max(mx, s);
            }
            let z = 0;
            for (let j = 0; j <= i; j++) { sc[j] = Math.exp(sc[j] - mx); z += sc[j]; }
            for (let j = 0; j <= i; j++) for (let d = 0; d < hd; d++) att[hh * hd + d] += (sc[j] / z) * vs[j][kh * hd + d];
          }
          let o = matvec(t(p + 'self_attn.o_proj.weight'), att);
          if (gemma) o = rmsnorm(o, t(p + 'post_attention_layernorm.weight').data, eps, true);
          const x = xs[i].map((a, d) => a + o[d]);
          const h2 = gemma ? rmsnorm(x, t(p + 'pre_feedforward_layernorm.weight').data, eps, true)
            : rmsnorm(x, t(p + 'post_attention_layernorm.weight').data, eps, false);
          let g: Float64Array; let u: Float64Array;
          if (mt === 'phi3') {
            const gu = matvec(t(p + 'mlp.gate_up_proj.weight'), h2);
            g = gu.slice(0, gu.length / 2); u = gu.slice(gu.length / 2);
          } else {
            g = matvec(t(p + 'mlp.gate_proj.weight'), h2);
            u = matvec(t(p + 'mlp.up_proj.weight'), h2);
          }
          const m = g.map((a, d) => act(a) * u[d]);
          let dn = matvec(t(p + 'mlp.down_proj.weight'), m);
          if (gemma) dn = rmsnorm(dn, t(p + 'post_feedforward_layernorm.weight').data, eps, true);
          next.push(x.map((a, d) => a + dn[d]));
        }
        xs = next;
      }
      return xs.map((x) => {
        const h = rmsnorm(x, t('model.norm.weight').data, eps, gemma);
        const lg = matvec(head, h);
        if (finalCap !== undefined) for (let i = 0; i < V; i++) lg[i] = Math.tanh(lg[i] / finalCap) * finalCap;
        return lg;
      });
    },
  };
}
