/**
 * llama-quantize's per-tensor type selection (src/llama-quant.cpp, release v0.5.0) for the
 * file types mergeops writes, without imatrix, `--pure` or overrides: which tensors are
 * quantized, the default type per file type, the attn_v / ffn_down bumps, the output and tied
 * embedding rules and the fallback for rows that are not whole blocks. Also the tensor order
 * llama-quantize writes (its loader's sorted map), which the layer counters depend on.
 */
import { MergeopsError } from '../errors.js';
import { ggmlType, type QuantTypeName } from './types.js';

export interface FileTypeRow {
  /** `general.file_type` (llama_ftype) */
  id: number;
  /** default ggml type of quantized tensors */
  base: QuantTypeName;
}

/** The file types `mergeops quantize --type` accepts. */
export const FILE_TYPES = {
  F32: { id: 0, base: 'F32' },
  F16: { id: 1, base: 'F16' },
  BF16: { id: 32, base: 'BF16' },
  Q8_0: { id: 7, base: 'Q8_0' },
  Q4_0: { id: 2, base: 'Q4_0' },
  Q4_1: { id: 3, base: 'Q4_1' },
  Q5_0: { id: 8, base: 'Q5_0' },
  Q5_1: { id: 9, base: 'Q5_1' },
  Q2_K: { id: 10, base: 'Q2_K' },
  Q3_K_S: { id: 11, base: 'Q3_K' },
  Q3_K_M: { id: 12, base: 'Q3_K' },
  Q3_K_L: { id: 13, base: 'Q3_K' },
  Q4_K_S: { id: 14, base: 'Q4_K' },
  Q4_K_M: { id: 15, base: 'Q4_K' },
  Q5_K_S: { id: 16, base: 'Q5_K' },
  Q5_K_M: { id: 17, base: 'Q5_K' },
  Q6_K: { id: 18, base: 'Q6_K' },
} as const satisfies Record<string, FileTypeRow>;

export type FileTypeName = keyof typeof FILE_TYPES;

/** llama-quantize's aliases. */
const ALIASES: Record<string, FileTypeName> = { Q3_K: 'Q3_K_M', Q4_K: 'Q4_K_M', Q5_K: 'Q5_K_M' };

export function parseFileType(s: string): FileTypeName {
  const u = s.toUpperCase();
  if (u in FILE_TYPES) return u as FileTypeName;
  if (u in ALIASES) return ALIASES[u];
  throw new MergeopsError('USAGE', `unknown GGUF file type ${s}`, `use one of ${Object.keys(FILE_TYPES).join(', ')}`);
}

/** Types convert_hf_to_gguf writes itself (`--outtype`); the others come from llama-quantize. */
export function isConvertType(t: FileTypeName): boolean {
  return t === 'F32' || t === 'F16' || t === 'BF16' || t === 'Q8_0';
}

// ---------------------------------------------------------------------------------------------
// Order
// ---------------------------------------------------------------------------------------------

const BLK_RE = /^blk\.(\d+)\./;

/** llama_model_loader's `weight_name_comparer`: layer number (−1 outside blocks), then bytes. */
export function compareQuantizeOrder(a: string, b: string): number {
  const la = BLK_RE.exec(a);
  const lb = BLK_RE.exec(b);
  const ia = la ? Number(la[1]) : -1;
  const ib = lb ? Number(lb[1]) : -1;
  if (ia !== ib) return ia - ib;
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// Rules
// ---------------------------------------------------------------------------------------------

export interface SelectTensor {
  /** GGUF name */
  name: string;
  /** outermost first; the row length is the last entry */
  shape: readonly number[];
}

export interface SelectModel {
  /** `{arch}.block_count` */
  nLayer: number;
  nHead: number;
  nHeadKv: number;
  /** `general.architecture` (FALCON rules are not needed for the supported archs) */
  arch: string;
}

type Category = 'OUTPUT' | 'TOKEN_EMBD' | 'ATTN_V' | 'ATTN_K' | 'ATTN_Q' | 'ATTN_OUTPUT' | 'FFN_UP' | 'FFN_GATE' | 'FFN_DOWN' | 'OTHER';

function category(name: string): Category {
  if (name === 'output.weight') return 'OUTPUT';
  if (name === 'token_embd.weight' || name === 'per_layer_token_embd.weight') return 'TOKEN_EMBD';
  if (name.includes('attn_qkv.weight') || name.includes('attn_kv_b.weight') || name.includes('attn_v.weight')) return 'ATTN_V';
  if (name.includes('attn_k.weight')) return 'ATTN_K';
  if (name.includes('attn_q.weight')) return 'ATTN_Q';
  if (name.includes('attn_output.weight')) return 'ATTN_OUTPUT';
  if (name.includes('ffn_up')) return 'FFN_UP';
  if (name.includes('ffn_gate')) return 'FFN_GATE';
  if (name.includes('ffn_down')) return 'FFN_DOWN';
  return 'OTHER';
}

/** `tensor_allows_quantization` for the supported architectures. */
export function allowsQuantization(t: SelectTensor): boolean {
  const n = t.name;
  if (ggmlNDims(t.shape) < 2) return false;
  if (!n.endsWith('weight')) return false;
  if (n.includes('_norm.weight')) return false;
  if (n.includes('ffn_gate_inp.weight') || n.includes('.position_embd') || n === 'token_types.weight') return false;
  return true;
}

/** `ggml_n_dims`: dimensions without trailing ones in ne order (leading ones of our shape), at least 1. */
export function ggmlNDims(shape: readonly number[]): number {
  let nd = shape.length;
  for (let i = 0; nd > 1 && shape[i] === 1; i++) nd--;
  return Math.max(1, nd);
}

function useMoreBits(i: number, n: number): boolean {
  const n8 = Math.floor(n / 8);
  return i < n8 || i >= Math.floor((7 * n) / 8) || (i - n8) % 3 === 2;
}

/** `tensor_type_fallback`: rows that are not whole blocks of the chosen type. */
export function fallbackType(type: QuantTypeName, ne0: number): QuantTypeName {
  if (ne0 % ggmlType(type).blockSize === 0) return type;
  let t: QuantTypeName;
  switch (type) {
    case 'Q2_K': case 'Q3_K': t = 'Q4_0'; break;
    case 'Q4_K': t = 'Q5_0'; break;
    case 'Q5_K': t = 'Q5_1'; break;
    case 'Q6_K': t = 'Q8_0'; break;
    default: t = type;
  }
  return ne0 % ggmlType(t).blockSize === 0 ? t : 'F16';
}

export interface TypedTensor extends SelectTensor {
  /** null: not quantized, keeps the type it comes in with (F32 for norms and biases) */
  type: QuantTypeName | null;
}

/**
 * Types every tensor as llama-quantize would for `ftype`. `tensors` may be in any order; the
 * counters run over llama-quantize's sorted order. Returns the tensors in that sorted order.
 */
export function selectTypes(ftype: FileTypeName, model: SelectModel, tensors: readonly SelectTensor[]): TypedTensor[] {
  const base = FILE_TYPES[ftype].base;
  const sorted = [...tensors].sort((a, b) => compareQuantizeOrder(a.name, b.name));
  const hasOutput = sorted.some((t) => t.name === 'output.weight');
  const nAttnV = sorted.filter((t) => category(t.name) === 'ATTN_V').length;
  const nGqa = model.nHeadKv > 0 ? model.nHead / model.nHeadKv : 1;
  const nLayer = model.nLayer;
  const is70B = (model.arch === 'llama' || model.arch === 'qwen2') && nLayer === 80 && model.nHead !== model.nHeadKv;
  let iAttnV = 0;
  let iFfnDown = 0;
  const quantized = !(base === 'F32' || base === 'F16' || base === 'BF16');
  return sorted.map((t) => {
    if (!allowsQuantization(t)) return { ...t, type: null };
    const ne0 = t.shape[t.shape.length - 1];
    if (!quantized) return { ...t, type: base };
    let type: QuantTypeName = base;
    const cat = category(t.name);
    if (cat === 'OUTPUT' || (cat === 'TOKEN_EMBD' && !hasOutput)) {
      if (ne0 % ggmlType(base).blockSize !== 0) type = 'Q8_0';
      else if (type !== 'Q8_0') type = 'Q6_K';
    } else if (cat === 'TOKEN_EMBD') {
      // untied: default type for every ftype handled here
    } else if (cat === 'ATTN_V') {
      const i = iAttnV;
      if (ftype === 'Q2_K') type = nGqa >= 4 ? 'Q4_K' : 'Q3_K';
      else if (ftype === 'Q3_K_M') type = i < 2 ? 'Q5_K' : 'Q4_K';
      else if (ftype === 'Q3_K_L') type = 'Q5_K';
      else if ((ftype === 'Q4_K_M' || ftype === 'Q5_K_M') && useMoreBits(i, nAttnV)) type = 'Q6_K';
      else if (ftype === 'Q4_K_S' && i < 4) type = 'Q5_K';
      if (is70B && (type === 'Q3_K' || type === 'Q4_K')) type = 'Q5_K';
      iAttnV++;
    } else if (cat === 'FFN_DOWN') {
      const i = iFfnDown;
      if (ftype === 'Q2_K') type = 'Q3_K';
      else if (ftype === 'Q3_K_M') type = i < Math.floor(nLayer / 16) ? 'Q5_K' : 'Q4_K';
      else if (ftype === 'Q3_K_L') type = 'Q5_K';
      else if ((ftype === 'Q4_K_M' || ftype === 'Q5_K_M') && useMoreBits(i, nLayer)) type = 'Q6_K';
      else if (ftype === 'Q4_K_S' && i < Math.floor(nLayer / 8)) type = 'Q5_K';
      iFfnDown++;
    } else if (cat === 'ATTN_OUTPUT') {
      if (ftype === 'Q2_K') type = 'Q3_K';
      else if (ftype === 'Q3_K_M') type = 'Q4_K';
      else if (ftype === 'Q3_K_L') type = 'Q5_K';
    }
    return { ...t, type: fallbackType(type, ne0) };
  });
}
