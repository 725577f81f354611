/**
 * Deterministic random tiny (or not so tiny) models of every architecture in `src/arch/table.ts`,
 * for tests and benchmarks: config.json, generation_config.json, safetensors (one file, or
 * shards with model.safetensors.index.json), and a small valid tokenizer.
 *
 * Values are streamed: a per-tensor xorshift32 generator (seeded from (seed, tensor name), so a
 * tensor's values do not depend on sharding or on which other tensors exist) indexes a
 * 65536-entry table of normal quantiles already encoded in the output dtype, two values per
 * draw, into one of two reusable chunk buffers; one buffer fills while the other is written.
 * Weights are ~N(0, 0.02²), norm weights ~1 + N(0, 0.02²).
 *
 * With `baseFrom`, the model is a "fine-tune" of an existing one: same config, tokenizer,
 * tensors and dtype, each value plus ~N(0, 0.002²) noise (read, perturbed and written chunk by
 * chunk). The dimension options are then ignored (they come from the base).
 */

import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import * as path from 'node:path';

import { findArchRow, substituteLayer } from '../../src/arch/detect.js';
import { ARCHITECTURES } from '../../src/arch/table.js';
import type { ArchDef, HFConfig } from '../../src/arch/types.js';
import { f16ToF32, f32ToBf16, f32ToF16, torchDTypeName } from '../../src/formats/dtype.js';
import {
  buildIndexJson,
  buildSafetensorsHeader,
  parseHeaderLength,
  parseIndexJson,
  parseSafetensorsHeader,
  planShards,
  type TensorEntry,
  type TensorSpec,
} from '../../src/formats/safetensors.js';

export interface GenerateOptions {
  /** table id: llama, mistral, qwen2, qwen3, gemma2, gemma3_text, phi3 */
  arch: string;
  dir: string;
  seed?: number;
  hiddenSize?: number;
  numLayers?: number;
  vocabSize?: number;
  intermediateSize?: number;
  numHeads?: number;
  numKvHeads?: number;
  dtype?: 'BF16' | 'F16' | 'F32';
  tieEmbeddings?: boolean;
  /** write sharded with model.safetensors.index.json when set */
  maxShardBytes?: number;
  /** optional: dir of a model to perturb (fine-tune-like: base + small noise) */
  baseFrom?: string;
  /**
   * Ordinary tokens placed at the end of the tokenizer's model vocabulary (before Qwen's special
   * tokens), in place of the last generated ones; the vocabulary size stays `vocabSize`.
   */
  extraTokens?: string[];
  /** Special added tokens at the very end of the vocabulary (within `vocabSize`). */
  addedTokens?: string[];
  /** tokenizer_config.json `chat_template` (null: none; default: the flavor's). */
  chatTemplate?: string | null;
}

/** Vocabulary customisations of generated tokenizers. */
interface TokExtras {
  extra: string[];
  added: string[];
  chatTemplate?: string | null;
}

type GenDType = 'BF16' | 'F16' | 'F32';

interface Dims {
  hidden: number;
  layers: number;
  vocab: number;
  inter: number;
  heads: number;
  kvHeads: number;
  headDim: number;
}

const WEIGHT_STD = 0.02;
const NOISE_STD = 0.002;
const CHUNK_BYTES = 4 << 20;
const TRANSFORMERS_VERSION = '4.51.0';

// ---------------------------------------------------------------------------------------------
// Random numbers
// ---------------------------------------------------------------------------------------------

/** FNV-1a of the string, mixed with the seed (murmur3 finalizer); never 0 (xorshift's fixed point). */
function hashSeed(seed: number, s: string): number {
  let h = 0x811c9dc5 ^ Math.imul(seed | 0, 0x9e3779b1);
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h === 0 ? 0x6d2b79f5 : h;
}

/** Inverse normal CDF (Acklam's rational approximation, |rel err| < 1.2e-9). */
function normalQuantile(p: number): number {
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - lo) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q)
    / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

let quantiles: Float64Array | undefined;
function normalTable(): Float64Array {
  if (!quantiles) {
    quantiles = new Float64Array(65536);
    for (let k = 0; k < 65536; k++) quantiles[k] = normalQuantile((k + 0.5) / 65536);
  }
  return quantiles;
}

/** 65536 values mean + std·N(0,1) quantiles, encoded as the dtype's bits (u16 for BF16/F16, u32 for F32). */
const encodedTables = new Map<string, Uint16Array | Uint32Array>();
function encodedTable(dtype: GenDType, mean: number, std: number): Uint16Array | Uint32Array {
  const key = `${dtype}:${mean}:${std}`;
  let t = encodedTables.get(key);
  if (!t) {
    const q = normalTable();
    if (dtype === 'F32') {
      const f = new Float32Array(65536);
      for (let k = 0; k < 65536; k++) f[k] = mean + std * q[k];
      t = new Uint32Array(f.buffer);
    } else {
      const u = new Uint16Array(65536);
      const enc = dtype === 'BF16' ? f32ToBf16 : f32ToF16;
      for (let k = 0; k < 65536; k++) u[k] = enc(Math.fround(mean + std * q[k]));
      t = u;
    }
    encodedTables.set(key, t);
  }
  return t;
}

/** Per-tensor stream: xorshift32 state, and the upper half of a draw not yet used (-1: none). */
interface Stream {
  s: number;
  spare: number;
}

function newStream(seed: number, name: string): Stream {
  return { s: hashSeed(seed, name), spare: -1 };
}

/**
 * Writes `n` table entries picked by the stream into `out[at .. at+n)`. Every draw yields two
 * 16-bit indices; an odd tail keeps the second for the next call, so the values of a tensor
 * do not depend on how it is cut into chunks.
 */
function fillFromTable(out: Uint16Array | Uint32Array, at: number, n: number, table: Uint16Array | Uint32Array, st: Stream): void {
  let i = at;
  const end = at + n;
  if (i < end && st.spare >= 0) {
    out[i++] = table[st.spare];
    st.spare = -1;
  }
  let s = st.s;
  const pairsEnd = i + ((end - i) & ~1);
  while (i < pairsEnd) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = table[s & 0xffff];
    out[i + 1] = table[(s >>> 16) & 0xffff];
    i += 2;
  }
  if (i < end) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = table[s & 0xffff];
    st.spare = (s >>> 16) & 0xffff;
  }
  st.s = s;
}

/** Draws `n` indices from the stream into `idx` (same sequence rules as fillFromTable). */
function drawIndices(idx: Uint16Array, n: number, st: Stream): void {
  const ident = identityTable();
  fillFromTable(idx, 0, n, ident, st);
}

let ident16: Uint16Array | undefined;
function identityTable(): Uint16Array {
  if (!ident16) {
    ident16 = new Uint16Array(65536);
    for (let k = 0; k < 65536; k++) ident16[k] = k;
  }
  return ident16;
}

// ---------------------------------------------------------------------------------------------
// Tensors
// ---------------------------------------------------------------------------------------------

function shapeOf(name: string, d: Dims): number[] {
  const q = d.heads * d.headDim;
  const kv = d.kvHeads * d.headDim;
  const rules: Array<[RegExp, number[]]> = [
    [/(^|\.)embed_tokens\.weight$|(^|\.)lm_head\.weight$/, [d.vocab, d.hidden]],
    [/\.(q_norm|k_norm)\.weight$/, [d.headDim]],
    [/norm\.weight$/, [d.hidden]],
    [/\.q_proj\.weight$/, [q, d.hidden]],
    [/\.q_proj\.bias$/, [q]],
    [/\.[kv]_proj\.weight$/, [kv, d.hidden]],
    [/\.[kv]_proj\.bias$/, [kv]],
    [/\.o_proj\.weight$/, [d.hidden, q]],
    [/\.qkv_proj\.weight$/, [q + 2 * kv, d.hidden]],
    [/\.(gate_proj|up_proj)\.weight$/, [d.inter, d.hidden]],
    [/\.gate_up_proj\.weight$/, [2 * d.inter, d.hidden]],
    [/\.down_proj\.weight$/, [d.hidden, d.inter]],
  ];
  for (const [re, shape] of rules) if (re.test(name)) return shape;
  throw new Error(`generate-model: no shape rule for tensor ${name}; add one to shapeOf`);
}

function isNorm(name: string): boolean {
  return name.endsWith('norm.weight');
}

function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function tensorSpecs(def: ArchDef, d: Dims, dtype: GenDType, tie: boolean): TensorSpec[] {
  const names: string[] = [];
  for (const w of def.preWeights) names.push(w.name);
  for (let i = 0; i < d.layers; i++) for (const w of def.layerWeights) names.push(substituteLayer(w.name, i, d.layers));
  for (const w of def.postWeights) {
    if (tie && w.tiedNames && w.tiedNames.length > 0) continue;
    names.push(w.name);
  }
  // save_pretrained writes names sorted (code point order: layers.1 < layers.10 < layers.2).
  names.sort(byCodePoint);
  return names.map((name) => ({ name, dtype, shape: shapeOf(name, d) }));
}

// ---------------------------------------------------------------------------------------------
// Streaming writer
// ---------------------------------------------------------------------------------------------

class ChunkWriter {
  private readonly bufs: [Buffer, Buffer];
  private cur = 0;
  pos = 0;
  private fh: FileHandle | undefined;
  private filePos = 0;
  private pending: Promise<unknown> | undefined;

  constructor() {
    // allocUnsafeSlow: own ArrayBuffer at offset 0, so typed views are aligned.
    this.bufs = [Buffer.allocUnsafeSlow(CHUNK_BYTES), Buffer.allocUnsafeSlow(CHUNK_BYTES)];
  }

  get buf(): Buffer {
    return this.bufs[this.cur];
  }

  async open(file: string, header: Uint8Array): Promise<void> {
    this.fh = await fsp.open(file, 'w');
    await this.fh.write(header, 0, header.length, 0);
    this.filePos = header.length;
    this.pos = 0;
  }

  /** Writes the filled part of the current buffer while the caller fills the other one. */
  async flush(): Promise<void> {
    if (this.pos === 0) return;
    if (this.pending) await this.pending;
    const fh = this.fh!;
    const b = this.bufs[this.cur];
    const len = this.pos;
    const at = this.filePos;
    this.pending = (async () => {
      let off = 0;
      while (off < len) {
        const { bytesWritten } = await fh.write(b, off, len - off, at + off);
        off += bytesWritten;
      }
    })();
    this.filePos += len;
    this.cur ^= 1;
    this.pos = 0;
  }

  async close(): Promise<void> {
    await this.flush();
    if (this.pending) await this.pending;
    this.pending = undefined;
    await this.fh!.close();
    this.fh = undefined;
  }
}

/** Produces bytes [done, done+n) of one tensor into `buf` at byte offset `at`. */
type Producer = (buf: Buffer, at: number, n: number, done: number) => Promise<void> | void;

async function writeShards(
  dir: string,
  specs: TensorSpec[],
  maxShardBytes: number | undefined,
  producerFor: (spec: TensorSpec) => Producer,
): Promise<number> {
  const shards = planShards(specs, maxShardBytes ?? Number.MAX_SAFE_INTEGER);
  const w = new ChunkWriter();
  let bytes = 0;
  const weightMap: Record<string, string> = {};
  let totalSize = 0;
  for (const shard of shards) {
    const { header, entries } = buildSafetensorsHeader(shard.tensors, { format: 'pt' });
    const file = path.join(dir, shard.fileName);
    await w.open(file, header);
    const specByName = new Map(shard.tensors.map((t) => [t.name, t]));
    for (const e of entries) {
      const produce = producerFor(specByName.get(e.name)!);
      const size = e.end - e.start;
      let done = 0;
      while (done < size) {
        const n = Math.min(size - done, CHUNK_BYTES - w.pos);
        await produce(w.buf, w.pos, n, done);
        w.pos += n;
        done += n;
        if (w.pos === CHUNK_BYTES) await w.flush();
      }
      weightMap[e.name] = shard.fileName;
    }
    await w.close();
    bytes += header.length + shard.totalBytes;
    totalSize += shard.totalBytes;
  }
  if (shards.length > 1) {
    await fsp.writeFile(path.join(dir, 'model.safetensors.index.json'), buildIndexJson(weightMap, totalSize));
  }
  return bytes;
}

function view(buf: Buffer, elemSize: number): Uint16Array | Uint32Array {
  return elemSize === 2
    ? new Uint16Array(buf.buffer, buf.byteOffset, buf.length >>> 1)
    : new Uint32Array(buf.buffer, buf.byteOffset, buf.length >>> 2);
}

function randomProducer(spec: TensorSpec, seed: number): Producer {
  const dtype = spec.dtype as GenDType;
  const table = encodedTable(dtype, isNorm(spec.name) ? 1 : 0, WEIGHT_STD);
  const st = newStream(seed, spec.name);
  const es = dtype === 'F32' ? 4 : 2;
  return (buf, at, n) => {
    fillFromTable(view(buf, es), at / es, n / es, table, st);
  };
}

// ---------------------------------------------------------------------------------------------
// Perturbing a base model
// ---------------------------------------------------------------------------------------------

interface BaseTensor {
  file: string;
  entry: TensorEntry;
}

async function readHeader(file: string): Promise<TensorEntry[]> {
  const fh = await fsp.open(file, 'r');
  try {
    const size = (await fh.stat()).size;
    const first = Buffer.alloc(8);
    await fh.read(first, 0, 8, 0);
    const len = parseHeaderLength(first, size, file);
    const json = Buffer.alloc(len);
    await fh.read(json, 0, len, 8);
    return parseSafetensorsHeader(json, len, size, file).tensors;
  } finally {
    await fh.close();
  }
}

async function readBaseTensors(dir: string): Promise<Map<string, BaseTensor>> {
  const out = new Map<string, BaseTensor>();
  const indexFile = path.join(dir, 'model.safetensors.index.json');
  let files: string[];
  try {
    const wm = parseIndexJson(await fsp.readFile(indexFile, 'utf8'), indexFile);
    files = [...new Set(Object.values(wm))].sort(byCodePoint);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    files = ['model.safetensors'];
  }
  for (const f of files) {
    const file = path.join(dir, f);
    for (const entry of await readHeader(file)) out.set(entry.name, { file, entry });
  }
  return out;
}

function perturbProducer(spec: TensorSpec, base: BaseTensor, seed: number, handles: Map<string, Promise<FileHandle>>): Producer {
  const st = newStream(seed ^ 0x5bd1e995, spec.name);
  const noise = noiseTable();
  const dtype = spec.dtype as GenDType;
  const es = dtype === 'F32' ? 4 : 2;
  let idx = new Uint16Array(0);
  return async (buf, at, n, done) => {
    let fhp = handles.get(base.file);
    if (!fhp) handles.set(base.file, (fhp = fsp.open(base.file, 'r')));
    const fh = await fhp;
    let got = 0;
    while (got < n) {
      const { bytesRead } = await fh.read(buf, at + got, n - got, base.entry.start + done + got);
      if (bytesRead === 0) throw new Error(`generate-model: ${base.file} is truncated`);
      got += bytesRead;
    }
    const count = n / es;
    if (idx.length < count) idx = new Uint16Array(count);
    drawIndices(idx, count, st);
    if (dtype === 'BF16') {
      const { f, u } = scratch(count);
      perturbBf16(new Uint16Array(buf.buffer, buf.byteOffset + at, count), idx, noise, f, u, count);
    } else if (dtype === 'F16') {
      const v = new Uint16Array(buf.buffer, buf.byteOffset + at, count);
      for (let k = 0; k < count; k++) v[k] = f32ToF16(Math.fround(f16ToF32(v[k]) + noise[idx[k]]));
    } else {
      const fv = new Float32Array(buf.buffer, buf.byteOffset + at, count);
      for (let k = 0; k < count; k++) fv[k] += noise[idx[k]];
    }
  };
}

let noiseF32: Float32Array | undefined;
function noiseTable(): Float32Array {
  if (!noiseF32) {
    const q = normalTable();
    noiseF32 = new Float32Array(65536);
    for (let k = 0; k < 65536; k++) noiseF32[k] = NOISE_STD * q[k];
  }
  return noiseF32;
}

let scratchF = new Float32Array(0);
let scratchU = new Int32Array(scratchF.buffer);
function scratch(count: number): { f: Float32Array; u: Int32Array } {
  if (scratchF.length < count) {
    scratchF = new Float32Array(count);
    scratchU = new Int32Array(scratchF.buffer);
  }
  return { f: scratchF, u: scratchU };
}

/** v (BF16 bits) += noise[idx], rounded to nearest even; `f`/`u` are one scratch buffer seen as float/int. */
function perturbBf16(v: Uint16Array, idx: Uint16Array, noise: Float32Array, f: Float32Array, u: Int32Array, count: number): void {
  for (let k = 0; k < count; k++) u[k] = v[k] << 16;
  for (let k = 0; k < count; k++) f[k] += noise[idx[k]];
  for (let k = 0; k < count; k++) {
    const x = u[k];
    v[k] = (x >>> 16) + (((x & 0xffff) + 0x7fff + ((x >>> 16) & 1)) >>> 16);
  }
}

// ---------------------------------------------------------------------------------------------
// Config files
// ---------------------------------------------------------------------------------------------

type TokFlavor = 'llama' | 'gemma' | 'qwen';

const FLAVOR: Readonly<Record<string, TokFlavor>> = {
  llama: 'llama', mistral: 'llama', phi3: 'llama', gemma2: 'gemma', gemma3_text: 'gemma', qwen2: 'qwen', qwen3: 'qwen',
};

interface SpecialIds {
  bos: number | null;
  eos: number;
  pad: number | null;
}

function specialIds(flavor: TokFlavor, vocab: number): SpecialIds {
  if (flavor === 'llama') return { bos: 1, eos: 2, pad: null };
  if (flavor === 'gemma') return { bos: 2, eos: 1, pad: 0 };
  return { bos: vocab - 3, eos: vocab - 3, pad: null }; // <|endoftext|>
}

function buildConfig(id: string, def: ArchDef, d: Dims, dtype: GenDType, tie: boolean, ids: SpecialIds): HFConfig {
  const common = {
    architectures: [def.architectures[0]],
    model_type: def.modelTypes[0],
    vocab_size: d.vocab,
    hidden_size: d.hidden,
    intermediate_size: d.inter,
    num_hidden_layers: d.layers,
    num_attention_heads: d.heads,
    num_key_value_heads: d.kvHeads,
    bos_token_id: ids.bos,
    eos_token_id: ids.eos,
    pad_token_id: ids.pad,
    tie_word_embeddings: tie,
    torch_dtype: torchDTypeName(dtype),
    transformers_version: TRANSFORMERS_VERSION,
    use_cache: true,
    attention_dropout: 0.0,
    initializer_range: 0.02,
  };
  switch (id) {
    case 'llama':
      return {
        ...common, hidden_act: 'silu', head_dim: d.headDim, max_position_embeddings: 2048, rms_norm_eps: 1e-5,
        rope_theta: 10000.0, rope_scaling: null, attention_bias: false, mlp_bias: false, pretraining_tp: 1,
      };
    case 'mistral':
      return {
        ...common, hidden_act: 'silu', head_dim: d.headDim, max_position_embeddings: 32768, rms_norm_eps: 1e-5,
        rope_theta: 1000000.0, sliding_window: null,
      };
    case 'qwen2':
      return {
        ...common, hidden_act: 'silu', max_position_embeddings: 32768, rms_norm_eps: 1e-6, rope_theta: 1000000.0,
        rope_scaling: null, use_sliding_window: false, sliding_window: 32768, max_window_layers: d.layers,
      };
    case 'qwen3':
      return {
        ...common, hidden_act: 'silu', head_dim: d.headDim, max_position_embeddings: 40960, rms_norm_eps: 1e-6,
        rope_theta: 1000000.0, rope_scaling: null, attention_bias: false, use_sliding_window: false,
        sliding_window: null, max_window_layers: d.layers,
      };
    case 'gemma2':
      return {
        ...common, hidden_act: 'gelu_pytorch_tanh', hidden_activation: 'gelu_pytorch_tanh', head_dim: d.headDim,
        max_position_embeddings: 8192, rms_norm_eps: 1e-6, rope_theta: 10000.0, attention_bias: false,
        query_pre_attn_scalar: d.headDim, sliding_window: 4096, final_logit_softcapping: 30.0,
        attn_logit_softcapping: 50.0, cache_implementation: 'hybrid',
      };
    case 'gemma3_text':
      return {
        ...common, hidden_activation: 'gelu_pytorch_tanh', head_dim: d.headDim, max_position_embeddings: 32768,
        rms_norm_eps: 1e-6, rope_theta: 1000000.0, rope_local_base_freq: 10000.0, rope_scaling: null,
        attention_bias: false, query_pre_attn_scalar: d.headDim, sliding_window: 512, sliding_window_pattern: 6,
        final_logit_softcapping: null, attn_logit_softcapping: null,
      };
    case 'phi3':
      return {
        ...common, hidden_act: 'silu', max_position_embeddings: 4096, original_max_position_embeddings: 4096,
        rms_norm_eps: 1e-5, rope_theta: 10000.0, rope_scaling: null, sliding_window: 2047, embd_pdrop: 0.0,
        resid_pdrop: 0.0,
      };
    default:
      throw new Error(`generate-model: no config template for architecture ${id}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Tokenizer
// ---------------------------------------------------------------------------------------------

/** GPT-2's byte → printable character map (byte-level BPE). */
function bytesToUnicode(): string[] {
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const map: string[] = new Array<string>(256);
  for (const b of bs) map[b] = String.fromCharCode(b);
  let n = 0;
  for (let b = 0; b < 256; b++) if (map[b] === undefined) map[b] = String.fromCharCode(256 + n++);
  return map;
}

/**
 * Grows `vocab` up to `size` entries from `alphabet`, then strings of 2, 3, … alphabet
 * characters, each with the merge that makes it (`[prefix, last char]`, the array form
 * tokenizers ≥ 0.20 writes).
 */
function growVocab(vocab: string[], merges: [string, string][], alphabet: string[], mergeAlphabet: string[], size: number): void {
  const have = new Set(vocab);
  for (const c of alphabet) {
    if (vocab.length >= size) return;
    if (!have.has(c)) {
      vocab.push(c);
      have.add(c);
    }
  }
  let level = mergeAlphabet.filter((c) => have.has(c));
  const chars = level;
  while (vocab.length < size && level.length > 0) {
    const next: string[] = [];
    for (const t of level) {
      for (const c of chars) {
        if (vocab.length >= size) return;
        const p = t + c;
        if (have.has(p)) continue;
        vocab.push(p);
        have.add(p);
        merges.push([t, c]);
        next.push(p);
      }
    }
    level = next;
  }
}

interface TokenizerFiles {
  'tokenizer.json': unknown;
  'tokenizer_config.json': unknown;
  'special_tokens_map.json': unknown;
}

function addedToken(id: number, content: string) {
  return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true };
}

function tokenObj(content: string) {
  return { content, lstrip: false, normalized: false, rstrip: false, single_word: false };
}

function buildTokenizer(flavor: TokFlavor, size: number, x: TokExtras = { extra: [], added: [] }): TokenizerFiles {
  const files = buildBaseTokenizer(flavor, size - x.extra.length - x.added.length, x.extra);
  const tj = files['tokenizer.json'] as { added_tokens: ReturnType<typeof addedToken>[]; model: { vocab: Record<string, number> } };
  const tc = files['tokenizer_config.json'] as Record<string, unknown> & { added_tokens_decoder: Record<string, unknown> };
  let next = Math.max(...Object.values(tj.model.vocab), ...tj.added_tokens.map((a) => a.id)) + 1;
  for (const a of x.added) {
    const t = addedToken(next++, a);
    tj.added_tokens.push(t);
    tc.added_tokens_decoder[String(t.id)] = { ...tokenObj(a), special: true };
  }
  if (x.chatTemplate === null) delete tc.chat_template;
  else if (x.chatTemplate !== undefined) tc.chat_template = x.chatTemplate;
  return files;
}

function buildBaseTokenizer(flavor: TokFlavor, size: number, extra: string[]): TokenizerFiles {
  const printable: string[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(String.fromCharCode(b));
  if (flavor === 'qwen') {
    const specials = ['<|endoftext|>', '<|im_start|>', '<|im_end|>'];
    if (size < specials.length + 1) throw new Error(`generate-model: vocabulary of ${size} is too small`);
    const b2u = bytesToUnicode();
    const order = [...b2u.slice(33, 127), ...b2u.slice(161, 173), ...b2u.slice(174, 256),
      ...b2u.slice(0, 33), ...b2u.slice(127, 161), b2u[173]];
    const vocab: string[] = [];
    const merges: [string, string][] = [];
    const mergeAlphabet = [b2u[0x20], ...printable];
    growVocab(vocab, merges, order, mergeAlphabet, size - specials.length);
    vocab.push(...extra);
    const base = vocab.length;
    const added = specials.map((s, i) => addedToken(base + i, s));
    const decoder: Record<string, unknown> = {};
    for (const a of added) decoder[String(a.id)] = { ...tokenObj(a.content), special: true };
    return {
      'tokenizer.json': {
        version: '1.0', truncation: null, padding: null, added_tokens: added,
        normalizer: { type: 'NFC' },
        pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
        post_processor: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
        decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
        model: {
          type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '',
          fuse_unk: false, byte_fallback: false, ignore_merges: false,
          vocab: Object.fromEntries(vocab.map((t, i) => [t, i])), merges,
        },
      },
      'tokenizer_config.json': {
        add_prefix_space: false, added_tokens_decoder: decoder, additional_special_tokens: ['<|im_start|>', '<|im_end|>'],
        bos_token: null, eos_token: '<|endoftext|>', pad_token: '<|endoftext|>', unk_token: null,
        clean_up_tokenization_spaces: false, errors: 'replace', model_max_length: 32768,
        split_special_tokens: false, tokenizer_class: 'Qwen2Tokenizer',
        chat_template: "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}",
      },
      'special_tokens_map.json': {
        additional_special_tokens: ['<|im_start|>', '<|im_end|>'],
        eos_token: tokenObj('<|endoftext|>'), pad_token: tokenObj('<|endoftext|>'),
      },
    };
  }

  // SentencePiece-style BPE with byte fallback (Llama, Mistral, Phi-3, Gemma).
  const specials = flavor === 'gemma' ? ['<pad>', '<eos>', '<bos>', '<unk>'] : ['<unk>', '<s>', '</s>'];
  if (size < specials.length) throw new Error(`generate-model: vocabulary of ${size} is too small`);
  const [bos, eos, unk, pad] = flavor === 'gemma' ? ['<bos>', '<eos>', '<unk>', '<pad>'] : ['<s>', '</s>', '<unk>', null];
  const vocab = [...specials];
  for (let b = 0; b < 256 && vocab.length < size; b++) vocab.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
  const merges: [string, string][] = [];
  const alphabet = ['▁', ...printable];
  growVocab(vocab, merges, alphabet, alphabet, size);
  vocab.push(...extra);
  const added = specials.map((s, i) => addedToken(i, s));
  const decoder: Record<string, unknown> = {};
  for (const a of added) decoder[String(a.id)] = { ...tokenObj(a.content), special: true };
  const normalizer = flavor === 'gemma'
    ? { type: 'Replace', pattern: { String: ' ' }, content: '▁' }
    : { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: '▁' }, { type: 'Replace', pattern: { String: ' ' }, content: '▁' }] };
  const decoders: unknown[] = [{ type: 'Replace', pattern: { String: '▁' }, content: ' ' }, { type: 'ByteFallback' }, { type: 'Fuse' }];
  if (flavor !== 'gemma') decoders.push({ type: 'Strip', content: ' ', start: 1, stop: 0 });
  const bosId = specials.indexOf(bos);
  const stm: Record<string, unknown> = { bos_token: tokenObj(bos), eos_token: tokenObj(eos), unk_token: tokenObj(unk) };
  if (pad !== null) stm['pad_token'] = tokenObj(pad);
  return {
    'tokenizer.json': {
      version: '1.0', truncation: null, padding: null, added_tokens: added, normalizer, pre_tokenizer: null,
      post_processor: {
        type: 'TemplateProcessing',
        single: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
        pair: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } },
          { SpecialToken: { id: bos, type_id: 1 } }, { Sequence: { id: 'B', type_id: 1 } }],
        special_tokens: { [bos]: { id: bos, ids: [bosId], tokens: [bos] } },
      },
      decoder: { type: 'Sequence', decoders },
      model: {
        type: 'BPE', dropout: null, unk_token: unk, continuing_subword_prefix: null, end_of_word_suffix: null,
        fuse_unk: true, byte_fallback: true, ignore_merges: false,
        vocab: Object.fromEntries(vocab.map((t, i) => [t, i])), merges,
      },
    },
    'tokenizer_config.json': {
      add_bos_token: true, add_eos_token: false, added_tokens_decoder: decoder,
      bos_token: bos, eos_token: eos, unk_token: unk, pad_token: pad,
      clean_up_tokenization_spaces: false, legacy: flavor !== 'gemma' ? true : undefined,
      model_max_length: 1e30, sp_model_kwargs: {}, spaces_between_special_tokens: false,
      tokenizer_class: flavor === 'gemma' ? 'GemmaTokenizer' : 'LlamaTokenizer',
      use_default_system_prompt: false,
    },
    'special_tokens_map.json': stm,
  };
}

// ---------------------------------------------------------------------------------------------
// Entry point
// ---------------------------------------------------------------------------------------------

const json = (v: unknown) => JSON.stringify(v, null, 2) + '\n';

/** config keys transformers declares as floats: Python writes them as `1.0`, `10000.0`, `1e-05`. */
const FLOAT_KEYS = new Set([
  'attention_dropout', 'initializer_range', 'rms_norm_eps', 'rope_theta', 'rope_local_base_freq', 'final_logit_softcapping',
  'attn_logit_softcapping', 'embd_pdrop', 'resid_pdrop', 'partial_rotary_factor', 'layer_norm_eps', 'hidden_dropout',
]);

/** transformers' VERY_LARGE_INTEGER (int(1e30)), the `model_max_length` of tokenizers without a limit. */
const VERY_LARGE_INTEGER = '1000000000000000019884624838656';

/** A Python float's repr: `1.0`, `10000.0`, `1e-05`, `0.02`. */
function pyFloat(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e16) return `${n}.0`;
  return String(n).replace(/e([+-])(\d)$/, 'e$10$2');
}

/**
 * JSON as transformers' save_pretrained writes it (json.dumps, indent 2): float keys keep their
 * decimal point and Python's exponent form, and `model_max_length: 1e30` is the 31-digit integer.
 * The configs then carry the literals a merge must not rewrite.
 */
const pyJson = (v: unknown): string => json(v).replace(/^(\s*"([^"]+)": )(-?[\d.]+(?:e[-+]?\d+)?)(,?)$/gm,
  (m: string, pre: string, key: string, num: string, comma: string) => {
    if (key === 'model_max_length' && Number(num) === 1e30) return `${pre}${VERY_LARGE_INTEGER}${comma}`;
    return FLOAT_KEYS.has(key) ? `${pre}${pyFloat(Number(num))}${comma}` : m;
  });

function resolveDims(o: GenerateOptions): Dims {
  const hidden = o.hiddenSize ?? 64;
  const heads = o.numHeads ?? 4;
  const kvHeads = o.numKvHeads ?? Math.min(2, heads);
  const d: Dims = {
    hidden,
    layers: o.numLayers ?? 2,
    vocab: o.vocabSize ?? 384,
    inter: o.intermediateSize ?? hidden * 2,
    heads,
    kvHeads,
    headDim: hidden / heads,
  };
  for (const [k, v] of Object.entries(d)) {
    if (!Number.isSafeInteger(v) || v < (k === 'layers' ? 0 : 1)) {
      throw new Error(`generate-model: ${k} must be a positive integer (hidden size divisible by heads), got ${v}`);
    }
  }
  if (heads % kvHeads !== 0) throw new Error(`generate-model: numHeads ${heads} is not a multiple of numKvHeads ${kvHeads}`);
  return d;
}

/**
 * Writes a random model of table architecture `o.arch` into `o.dir` (created if needed).
 * Returns the tensor names (sorted) and the total bytes of the safetensors files.
 */
export async function generateModel(o: GenerateOptions): Promise<{ dir: string; tensorNames: string[]; bytes: number }> {
  const row = ARCHITECTURES.find((r) => r.id === o.arch);
  if (!row) throw new Error(`generate-model: unknown architecture ${o.arch} (known: ${ARCHITECTURES.map((r) => r.id).join(', ')})`);
  const seed = o.seed ?? 0;
  await fsp.mkdir(o.dir, { recursive: true });

  if (o.baseFrom !== undefined) {
    if (path.resolve(o.baseFrom) === path.resolve(o.dir)) throw new Error('generate-model: baseFrom and dir must differ');
    const config = JSON.parse(await fsp.readFile(path.join(o.baseFrom, 'config.json'), 'utf8')) as HFConfig;
    const baseRow = findArchRow(config);
    if (baseRow?.id !== row.id) {
      throw new Error(`generate-model: base model in ${o.baseFrom} is ${baseRow?.id ?? 'not in the table'}, not ${row.id}`);
    }
    const base = await readBaseTensors(o.baseFrom);
    const specs: TensorSpec[] = [...base.values()]
      .map((b) => ({ name: b.entry.name, dtype: b.entry.dtype, shape: b.entry.shape }))
      .sort((a, b) => byCodePoint(a.name, b.name));
    for (const s of specs) {
      if (s.dtype !== 'BF16' && s.dtype !== 'F16' && s.dtype !== 'F32') {
        throw new Error(`generate-model: cannot perturb ${s.name} of dtype ${s.dtype}`);
      }
      if (o.dtype !== undefined && s.dtype !== o.dtype) {
        throw new Error(`generate-model: base tensor ${s.name} is ${s.dtype}; perturbed models keep the base dtype`);
      }
    }
    const handles = new Map<string, Promise<FileHandle>>();
    let bytes: number;
    try {
      bytes = await writeShards(o.dir, specs, o.maxShardBytes, (s) => perturbProducer(s, base.get(s.name)!, seed, handles));
    } finally {
      for (const h of handles.values()) await (await h).close();
    }
    for (const f of ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json',
      'special_tokens_map.json', 'tokenizer.model']) {
      try {
        await fsp.copyFile(path.join(o.baseFrom, f), path.join(o.dir, f));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }
    return { dir: o.dir, tensorNames: specs.map((s) => s.name), bytes };
  }

  const d = resolveDims(o);
  const dtype: GenDType = o.dtype ?? 'BF16';
  const tie = o.tieEmbeddings ?? (row.id === 'gemma2' || row.id === 'gemma3_text');
  const flavor = FLAVOR[row.id] ?? 'llama';
  const ids = specialIds(flavor, d.vocab);
  const specs = tensorSpecs(row, d, dtype, tie);
  const bytes = await writeShards(o.dir, specs, o.maxShardBytes, (s) => randomProducer(s, seed));

  const config = buildConfig(row.id, row, d, dtype, tie, ids);
  const gen: Record<string, unknown> = { _from_model_config: true, bos_token_id: ids.bos, eos_token_id: ids.eos };
  if (ids.pad !== null) gen['pad_token_id'] = ids.pad;
  gen['transformers_version'] = TRANSFORMERS_VERSION;
  const tok = buildTokenizer(flavor, d.vocab, { extra: o.extraTokens ?? [], added: o.addedTokens ?? [], chatTemplate: o.chatTemplate });
  await fsp.writeFile(path.join(o.dir, 'config.json'), pyJson(config));
  await fsp.writeFile(path.join(o.dir, 'generation_config.json'), pyJson(gen));
  await fsp.writeFile(path.join(o.dir, 'tokenizer.json'), json(tok['tokenizer.json']));
  await fsp.writeFile(path.join(o.dir, 'tokenizer_config.json'), pyJson(tok['tokenizer_config.json']));
  await fsp.writeFile(path.join(o.dir, 'special_tokens_map.json'), json(tok['special_tokens_map.json']));
  if (flavor !== 'qwen') await fsp.writeFile(path.join(o.dir, 'tokenizer.model'), sentencePieceModel(tok['tokenizer.json']));
  return { dir: o.dir, tensorNames: specs.map((s) => s.name), bytes };
}

/**
 * A SentencePiece `tokenizer.model` (ModelProto with only its pieces: field 1, each
 * {1: piece, 2: score, 3: type}) for the SentencePiece-style vocabularies above, as Llama,
 * Mistral, Gemma and Phi-3 checkpoints ship one: `<unk>` UNKNOWN (2), other specials CONTROL
 * (3), `<0xNN>` BYTE (6), merged pieces NORMAL (1) with score −rank.
 */
function sentencePieceModel(tokenizerJson: unknown): Uint8Array {
  const tj = tokenizerJson as { model: { vocab: Record<string, number>; unk_token: string }; added_tokens: { content: string }[] };
  const specials = new Set(tj.added_tokens.map((a) => a.content));
  const pieces = Object.entries(tj.model.vocab).sort((a, b) => a[1] - b[1]).map(([t]) => t);
  const varint = (out: number[], v: number): void => {
    while (v >= 0x80) { out.push((v & 0x7f) | 0x80); v = Math.floor(v / 128); }
    out.push(v);
  };
  const enc = new TextEncoder();
  const f32 = new DataView(new ArrayBuffer(4));
  const parts: Uint8Array[] = [];
  let rank = 0;
  for (const p of pieces) {
    const type = p === tj.model.unk_token ? 2 : specials.has(p) ? 3 : /^<0x[0-9A-F]{2}>$/.test(p) ? 6 : 1;
    const score = type === 1 ? -rank++ : 0;
    const text = enc.encode(p);
    const body: number[] = [];
    varint(body, 0x0a); varint(body, text.length);
    for (const b of text) body.push(b);
    body.push(0x15); f32.setFloat32(0, score, true);
    for (let i = 0; i < 4; i++) body.push(f32.getUint8(i));
    varint(body, 0x18); varint(body, type);
    const head: number[] = [];
    varint(head, 0x0a); varint(head, body.length);
    parts.push(Uint8Array.from(head), Uint8Array.from(body));
  }
  const out = new Uint8Array(parts.reduce((n, x) => n + x.length, 0));
  let o = 0;
  for (const x of parts) { out.set(x, o); o += x.length; }
  return out;
}

/** The table ids the generator supports (every row). */
export const GENERATABLE_ARCHS: readonly string[] = ARCHITECTURES.map((r) => r.id);

export interface CustomModelOptions {
  dir: string;
  /** config.json (written as transformers writes it). */
  config: Record<string, unknown>;
  /** Tensor names and shapes (random values; names with `norm` ~1). */
  tensors: { name: string; shape: number[] }[];
  seed?: number;
  dtype?: GenDType;
  /** A llama-flavoured tokenizer of this many tokens (none when undefined). */
  vocabSize?: number;
  /** With `vocabSize`: special added tokens at the end of the vocabulary (within `vocabSize`). */
  addedTokens?: string[];
}

/**
 * A model of any architecture, outside the table (GPT-2, Granite, LLaVA-style nested configs):
 * random tensors of the given names and shapes, the config, optionally a tokenizer.
 */
export async function generateCustomModel(o: CustomModelOptions): Promise<{ dir: string; tensorNames: string[] }> {
  await fsp.mkdir(o.dir, { recursive: true });
  const dtype = o.dtype ?? 'BF16';
  const specs: TensorSpec[] = o.tensors.map((t) => ({ name: t.name, dtype, shape: t.shape }))
    .sort((a, b) => byCodePoint(a.name, b.name));
  await writeShards(o.dir, specs, undefined, (s) => randomProducer(s, o.seed ?? 0));
  await fsp.writeFile(path.join(o.dir, 'config.json'), pyJson(o.config));
  if (o.vocabSize !== undefined) {
    const tok = buildTokenizer('llama', o.vocabSize, { extra: [], added: o.addedTokens ?? [] });
    await fsp.writeFile(path.join(o.dir, 'tokenizer.json'), json(tok['tokenizer.json']));
    await fsp.writeFile(path.join(o.dir, 'tokenizer_config.json'), pyJson(tok['tokenizer_config.json']));
    await fsp.writeFile(path.join(o.dir, 'special_tokens_map.json'), json(tok['special_tokens_map.json']));
  }
  return { dir: o.dir, tensorNames: specs.map((s) => s.name) };
}
