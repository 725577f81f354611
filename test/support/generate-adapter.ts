/**
 * Deterministic PEFT LoRA adapters for tests: adapter_config.json + adapter_model.safetensors with
 * random factors, named and shaped as PEFT saves them. Returns every tensor's exact values (as
 * stored, decoded to float64) so a test can compute its own reference.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { f32ToBf16, f32ToF16 } from '../../src/formats/dtype.js';
import { buildSafetensorsHeader, type TensorSpec } from '../../src/formats/safetensors.js';
import { decode } from './reference.js';

export type AdapterDType = 'F32' | 'BF16' | 'F16';

export interface AdapterModuleSpec {
  /** Module name in the model, e.g. `model.layers.0.self_attn.q_proj`. */
  module: string;
  /** Shape of the base weight `<module>.weight`: [rows, cols]. */
  rows: number;
  cols: number;
  rank: number;
  /** Embedding LoRA (`lora_embedding_A` [r, rows], `lora_embedding_B` [cols, r]). */
  embedding?: boolean;
}

export interface AdapterSpec {
  dir: string;
  seed: number;
  modules: AdapterModuleSpec[];
  /** adapter_config.json (written as given). */
  config: Record<string, unknown>;
  dtype?: AdapterDType;
  /** modules_to_save: full tensors `base_model.model.<name>` of these shapes. */
  replacements?: { name: string; shape: number[] }[];
  /** Keep the adapter name in tensor names (`lora_A.default.weight`), as some tools do. */
  adapterName?: string;
  /** Magnitude of the random values (uniform in ±amp). */
  amp?: number;
}

export interface GeneratedTensor {
  shape: number[];
  /** Exact stored values. */
  data: Float64Array;
}

/** Deterministic uniform values in (-1, 1) (xorshift32). */
function uniform(seed: number, n: number): Float64Array {
  let x = (seed * 2654435761) >>> 0 || 0x9e3779b9;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    out[i] = x / 2 ** 31 - 1;
  }
  return out;
}

function encode(dtype: AdapterDType, v: Float64Array): Uint8Array {
  const size = dtype === 'F32' ? 4 : 2;
  const bytes = new Uint8Array(v.length * size);
  const dv = new DataView(bytes.buffer);
  for (let i = 0; i < v.length; i++) {
    if (dtype === 'F32') dv.setFloat32(4 * i, v[i], true);
    else dv.setUint16(2 * i, (dtype === 'BF16' ? f32ToBf16 : f32ToF16)(Math.fround(v[i])), true);
  }
  return bytes;
}

/** Writes the adapter folder; returns its tensors by file name. */
export function generateAdapter(spec: AdapterSpec): Map<string, GeneratedTensor> {
  const dtype = spec.dtype ?? 'F32';
  const amp = spec.amp ?? 0.05;
  const suffix = spec.adapterName ? `.${spec.adapterName}` : '';
  const tensors: { name: string; shape: number[] }[] = [];
  for (const m of spec.modules) {
    const p = `base_model.model.${m.module}`;
    if (m.embedding) {
      tensors.push({ name: `${p}.lora_embedding_A${suffix}`, shape: [m.rank, m.rows] });
      tensors.push({ name: `${p}.lora_embedding_B${suffix}`, shape: [m.cols, m.rank] });
    } else {
      tensors.push({ name: `${p}.lora_A${suffix}.weight`, shape: [m.rank, m.cols] });
      tensors.push({ name: `${p}.lora_B${suffix}.weight`, shape: [m.rows, m.rank] });
    }
  }
  for (const r of spec.replacements ?? []) tensors.push({ name: `base_model.model.${r.name}`, shape: r.shape });

  const specs: TensorSpec[] = tensors.map((t) => ({ name: t.name, dtype, shape: t.shape }));
  const { header, entries } = buildSafetensorsHeader(specs);
  const size = entries.length ? Math.max(...entries.map((e) => e.end)) : header.length;
  const file = new Uint8Array(size);
  file.set(header, 0);
  const out = new Map<string, GeneratedTensor>();
  tensors.forEach((t, i) => {
    const e = entries.find((x) => x.name === t.name)!;
    const n = t.shape.reduce((a, b) => a * b, 1);
    const raw = uniform(spec.seed * 7919 + i + 1, n).map((v) => v * amp);
    const bytes = encode(dtype, raw);
    file.set(bytes, e.start);
    out.set(t.name, { shape: t.shape, data: decode(dtype, bytes) });
  });
  mkdirSync(spec.dir, { recursive: true });
  writeFileSync(join(spec.dir, 'adapter_model.safetensors'), file);
  writeFileSync(join(spec.dir, 'adapter_config.json'), JSON.stringify(spec.config, null, 2));
  return out;
}

/** PEFT-like adapter_config.json with the given overrides. */
export function peftConfig(over: Record<string, unknown>): Record<string, unknown> {
  return {
    peft_type: 'LORA', task_type: 'CAUSAL_LM', base_model_name_or_path: 'fixtures/base', r: 8, lora_alpha: 16,
    lora_dropout: 0.0, bias: 'none', fan_in_fan_out: false, use_rslora: false, use_dora: false,
    target_modules: ['q_proj', 'v_proj'], modules_to_save: null, rank_pattern: {}, alpha_pattern: {}, inference_mode: true,
    ...over,
  };
}

/**
 * Float64 reference of a patched weight: W + scale·(B·A) (linear layout), or W + scale·(A_embᵀ·B_embᵀ)
 * (embedding layout: b = lora_embedding_A [r, rows], a = lora_embedding_B [cols, r]).
 */
export function patchedF64(w: Float64Array, rows: number, cols: number, rank: number, scale: number,
  a: Float64Array, b: Float64Array, embedding = false): Float64Array {
  const out = new Float64Array(w.length);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      let acc = 0;
      for (let k = 0; k < rank; k++) {
        acc += embedding ? b[k * rows + i] * a[j * rank + k] : b[i * rank + k] * a[k * cols + j];
      }
      out[i * cols + j] = w[i * cols + j] + scale * acc;
    }
  }
  return out;
}
