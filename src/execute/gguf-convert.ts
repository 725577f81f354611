/**
 * `mergeops quantize`: a local safetensors model folder → one GGUF file (or gguf-split parts).
 * Reads the headers and tokenizer files, plans the file (src/plan/gguf-plan.ts), then streams
 * tensor by tensor: read → f32 (kernels) → architecture transform → output type → write at the
 * tensor's offset. Memory: one tensor at a time.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ggufArchFor, applyTransform, withConfigDefaults, type GGUFArchRow } from '../arch/gguf-arch.js';
import { generalFromModelCard, type GGUFGeneralInfo } from '../arch/gguf-general.js';
import { parse as parseYaml } from 'yaml';
import type { HFConfig } from '../arch/types.js';
import { MergeopsError } from '../errors.js';
import { DTYPE_SIZE, KERNEL_DTYPE_CODE, type FloatDType } from '../formats/dtype.js';
import { ggmlTensorBytes } from '../formats/ggml-type.js';
import { kv, type GGUFKV, type GGUFSplitOptions } from '../formats/gguf.js';
import type { GGMLTypeName } from '../formats/ggml-type.js';
import { readLocalModel } from '../hub/local.js';
import { quantizeF32Array } from '../kernels/quantize.js';
import { instantiateKernels, loadKernelModuleSync, type KernelExports } from '../kernels/wasm-module.js';
import { planGGUFConversion, type GGUFPlan, type GGUFPlannedTensor } from '../plan/gguf-plan.js';
import type { FileTypeName } from '../quant/select.js';
import { bpeKVs, sentencePieceKVs, type VocabSources } from '../tokenizer/gguf-vocab.js';
import { GGUFFileSink } from './gguf-sink.js';
import { verifyGGUF } from './gguf-verify.js';

export interface ConvertOptions {
  modelDir: string;
  /** output folder (created) */
  outDir: string;
  fileType: FileTypeName;
  /** file name prefix; default `<folder name>-<TYPE>` */
  prefix?: string;
  /** `general.*` values; default: name from the folder name (as convert) */
  general?: Partial<GGUFGeneralInfo>;
  /** `tokenizer.ggml.pre` for BPE tokenizers whose fingerprint llama.cpp does not know */
  tokenizerPre?: string;
  split?: GGUFSplitOptions;
  overwrite?: boolean;
  /** Stands for the folder name where convert would use it (a merge converts its temporary folder). */
  modelId?: string;
  /** elements per processing chunk (whole rows; whole heads for Q/K); bounds memory */
  chunkElements?: number;
}

/** 16 Mi elements: 64 MiB of f32 per chunk (a few times that with the source and output copies). */
const CHUNK_ELEMENTS = 16 << 20;

export interface ConvertResult {
  files: { path: string; bytes: number }[];
  plan: GGUFPlan;
}

async function readOptional(file: string): Promise<Buffer | undefined> {
  try {
    return await fs.readFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new MergeopsError('IO', `cannot read ${file}: ${(e as Error).message}`, 'check that the file is readable');
  }
}

async function readJsonOptional(file: string): Promise<Record<string, unknown> | undefined> {
  const b = await readOptional(file);
  if (b === undefined) return undefined;
  try {
    return JSON.parse(b.toString('utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new MergeopsError('IO', `${file} is not valid JSON: ${(e as Error).message}`, `fix or re-download ${path.basename(file)}`);
  }
}

/** The tokenizer files convert reads, from a model folder. */
export async function readVocabSources(dir: string, config: HFConfig): Promise<VocabSources> {
  const j = (f: string) => readJsonOptional(path.join(dir, f));
  const src: VocabSources = { config };
  const tm = await readOptional(path.join(dir, 'tokenizer.model'));
  if (tm) src.tokenizerModel = new Uint8Array(tm);
  src.tokenizerJson = await j('tokenizer.json');
  src.tokenizerConfig = await j('tokenizer_config.json');
  const added = await j('added_tokens.json');
  if (added) src.addedTokensJson = added as Record<string, number>;
  const jinja = await readOptional(path.join(dir, 'chat_template.jinja'));
  if (jinja) src.chatTemplateJinja = jinja.toString('utf8');
  src.chatTemplateJson = await j('chat_template.json');
  const merges = await readOptional(path.join(dir, 'merges.txt'));
  if (merges) src.mergesTxt = merges.toString('utf8');
  return src;
}

/** The tokenizer block for an architecture's `set_vocab` path. */
export function vocabKVsFor(row: GGUFArchRow, src: VocabSources, config: HFConfig, tokenizerPre?: string): GGUFKV[] {
  const vocabSize = typeof config['vocab_size'] === 'number' ? config['vocab_size'] : undefined;
  const bpe = (): GGUFKV[] => bpeKVs(src, vocabSize, tokenizerPre !== undefined ? { preOverride: tokenizerPre } : {});
  const needSpm = (): void => {
    if (!src.tokenizerModel) {
      throw new MergeopsError('IO', `a ${row.hfArchitectures[0]} model needs tokenizer.model (SentencePiece) for GGUF conversion`,
        'copy tokenizer.model from the base model into the model folder');
    }
  };
  switch (row.vocab) {
    case 'gpt2':
      return bpe();
    case 'gemma':
      if (!src.tokenizerModel && row.id === 'gemma3_text') return bpe();
      needSpm();
      return [...sentencePieceKVs(src, vocabSize), kv.bool('tokenizer.ggml.add_space_prefix', false)];
    case 'phi3':
      if (src.tokenizerConfig?.['tokenizer_class'] === 'GPT2Tokenizer') return bpe();
      needSpm();
      return sentencePieceKVs(src, vocabSize, 'phi3');
    case 'llama': {
      const out: GGUFKV[] = [];
      const aps = src.tokenizerConfig?.['add_prefix_space'];
      if (typeof aps === 'boolean') out.push(kv.bool('tokenizer.ggml.add_space_prefix', aps));
      if (src.tokenizerModel) return [...out, ...sentencePieceKVs(src, vocabSize)];
      const model = src.tokenizerJson?.['model'] as Record<string, unknown> | undefined;
      if (model?.['byte_fallback'] === true) {
        // convert's LlamaHfVocab path (SentencePiece-style BPE saved only as tokenizer.json)
        throw new MergeopsError('IO', 'this Llama/Mistral tokenizer is SentencePiece-style BPE but the folder has no tokenizer.model',
          'copy tokenizer.model from the base model into the folder (reading the vocabulary from tokenizer.json alone is not supported yet)');
      }
      return [...out, ...bpe()];
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------------

/** One kernel instance on this thread, its memory used as scratch: [src | f32 | out]. */
class Encoder {
  private readonly k: KernelExports = instantiateKernels(loadKernelModuleSync());
  private readonly base = this.k.heap_base() >>> 0;

  private reserve(bytes: number): void {
    const need = this.base + bytes;
    const have = this.k.memory.buffer.byteLength;
    if (need > have) this.k.memory.grow(Math.ceil((need - have) / 65536));
  }

  /** src bytes (F32/F16/BF16) → f32 values (a copy outside wasm memory). */
  toF32(dtype: FloatDType, bytes: Uint8Array, n: number): Float32Array {
    const a = this.base;
    const b = a + align16(bytes.length);
    this.reserve(b - a + n * 4);
    new Uint8Array(this.k.memory.buffer, a, bytes.length).set(bytes);
    this.k.convert(KERNEL_DTYPE_CODE[dtype], a, KERNEL_DTYPE_CODE.F32, b, n);
    return new Float32Array(this.k.memory.buffer.slice(b, b + n * 4));
  }

  /** f32 values rounded to `via` and back (the values an intermediate F16/BF16 file holds). */
  roundThrough(values: Float32Array, via: 'F16' | 'BF16'): Float32Array {
    const n = values.length;
    const a = this.base;
    const b = a + align16(n * 4);
    this.reserve(b - a + n * 4);
    new Float32Array(this.k.memory.buffer, a, n).set(values);
    this.k.convert(KERNEL_DTYPE_CODE.F32, a, KERNEL_DTYPE_CODE[via], b, n);
    this.k.convert(KERNEL_DTYPE_CODE[via], b, KERNEL_DTYPE_CODE.F32, a, n);
    return new Float32Array(this.k.memory.buffer.slice(a, a + n * 4));
  }

  /**
   * f32 rows of `rowLength` → `type` with the quantization kernels (ggml's `_ref` quantizers,
   * F16/BF16 as ggml rounds them), optionally through `via` first.
   */
  encode(values: Float32Array, type: GGMLTypeName, rowLength: number, via?: 'F16' | 'BF16'): Uint8Array {
    const v = via !== undefined ? this.roundThrough(values, via) : values;
    if (type === 'F32') return new Uint8Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength));
    return quantizeF32Array(this.k, type, v, rowLength);
  }
}

const align16 = (x: number): number => Math.ceil(x / 16) * 16;

function checkFinite(t: GGUFPlannedTensor, v: Float32Array): void {
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i])) {
      throw new MergeopsError('USAGE', `tensor ${t.hfName} has a non-finite value (${v[i]}) at element ${i}`,
        'llama-quantize rejects NaN/Inf weights ("quantized data validation failed"); fix the model first');
    }
  }
}

/** Rows (outer dims) × row length (last dim) of a tensor. */
export function rowsOf(shape: readonly number[]): { rows: number; cols: number } {
  const cols = shape[shape.length - 1];
  return { rows: shape.reduce((a, b) => a * b, 1) / cols, cols };
}

/**
 * Row ranges to process a tensor in, at most `maxElements` each: whole rows (quantization
 * blocks never straddle rows) and, for the Q/K permutation, whole heads (rows only move inside
 * a head). Each range is independent: same bytes as processing the tensor at once.
 */
export function rowChunks(t: GGUFPlannedTensor, maxElements: number): { first: number; count: number }[] {
  const { rows, cols } = rowsOf(t.shape);
  const group = t.transform.permuteHeads !== undefined ? rows / t.transform.permuteHeads : 1;
  const per = Math.max(group, Math.floor(maxElements / cols / group) * group);
  const out: { first: number; count: number }[] = [];
  for (let r = 0; r < rows; r += per) out.push({ first: r, count: Math.min(per, rows - r) });
  return out;
}

/**
 * Transforms and encodes rows [first, first + count) of a planned tensor; `raw` holds exactly
 * those rows of the checkpoint. `first`/`count` must come from `rowChunks`.
 */
export function encodePlannedRows(enc: Encoder, t: GGUFPlannedTensor, raw: Uint8Array, count: number): Uint8Array {
  return encodePlannedF32Rows(enc, t, enc.toF32(t.srcDtype as FloatDType, raw, count * rowsOf(t.shape).cols), count);
}

/** As `encodePlannedRows`, from f32 values of those rows (e.g. a merge result); `v` may be modified. */
export function encodePlannedF32Rows(enc: Encoder, t: GGUFPlannedTensor, v: Float32Array, count: number): Uint8Array {
  const { rows, cols } = rowsOf(t.shape);
  const transform = t.transform.permuteHeads !== undefined
    ? { ...t.transform, permuteHeads: (t.transform.permuteHeads * count) / rows } : t.transform;
  v = applyTransform(transform, v, [count, cols]);
  // Gemma's +1 on an F16 checkpoint happens in F16 in convert (torch F16 add), then widened
  if (t.transform.shift !== undefined && t.srcDtype === 'F16') v = enc.roundThrough(v, 'F16');
  if (t.type !== 'F32' && t.type !== 'F16' && t.type !== 'BF16') checkFinite(t, v);
  return enc.encode(v, t.type, cols, t.intermediate);
}

export { Encoder };

/** The YAML front matter of a model card (README.md), as convert reads it; {} without one. */
export async function readModelCard(dir: string): Promise<Record<string, unknown>> {
  const b = await readOptional(path.join(dir, 'README.md'));
  if (!b) return {};
  const lines = b.toString('utf8').split(/\r?\n/);
  if (lines[0] !== '---') return {};
  const end = lines.indexOf('---', 1);
  const yaml = lines.slice(1, end < 0 ? undefined : end).join('\n').replace(/\t/g, '  ');
  try {
    const v = parseYaml(yaml, { version: '1.1' }) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch (e) {
    throw new MergeopsError('IO', `${path.join(dir, 'README.md')}: the model card's YAML header is invalid (${(e as Error).message})`,
      'fix the front matter between the --- lines, or pass --name');
  }
}

export async function convertModelToGGUF(o: ConvertOptions): Promise<ConvertResult> {
  const model = await readLocalModel(o.modelDir);
  const config = model.config as HFConfig;
  const row = ggufArchFor(config);
  const vocab = vocabKVsFor(row, await readVocabSources(model.dir, withConfigDefaults(config)), withConfigDefaults(config), o.tokenizerPre);
  const genCfg = await readJsonOptional(path.join(model.dir, 'generation_config.json'));
  // precedence as convert: explicit values, the model card, config `_name_or_path`, the folder name
  const general: Partial<GGUFGeneralInfo> = { ...generalFromModelCard(await readModelCard(model.dir)), ...o.general };
  if (genCfg) general.generationConfig = genCfg;
  const modelIds: string[] = [];
  const nop = config['_name_or_path'];
  if (typeof nop === 'string' && nop.split('/').length <= 2) modelIds.push(nop);
  const id = o.modelId ?? path.basename(model.dir);
  modelIds.push(id);
  const prefix = o.prefix ?? `${id}-${o.fileType}`;
  const plan = planGGUFConversion({
    config,
    tensors: [...model.tensors.values()].map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, shard: path.basename(t.file) })),
    fileType: o.fileType, general, modelIds, vocab, prefix, split: o.split,
  });

  await fs.mkdir(o.outDir, { recursive: true });
  for (const f of plan.files) {
    const p = path.join(o.outDir, f.fileName);
    if (!o.overwrite && (await fs.stat(p).then(() => true, () => false))) {
      throw new MergeopsError('USAGE', `${p} already exists`, 'pass --overwrite to replace it, or choose another --out folder');
    }
  }
  const sinks: GGUFFileSink[] = [];
  const fileOf = new Map<string, GGUFFileSink>();
  try {
    for (const f of plan.files) {
      const s = await GGUFFileSink.create(path.join(o.outDir, f.fileName), f.layout);
      sinks.push(s);
      for (const t of f.layout.tensors) fileOf.set(t.name, s);
    }
    const enc = new Encoder();
    const handles = new Map<string, fs.FileHandle>();
    try {
      for (const t of plan.tensors) {
        const sink = fileOf.get(t.ggufName)!;
        if (t.generated) {
          await sink.writeTensor(t.ggufName, new Uint8Array(t.generated.buffer.slice(0)));
          continue;
        }
        const src = model.tensors.get(t.hfName)!;
        let fh = handles.get(src.file);
        if (!fh) handles.set(src.file, (fh = await fs.open(src.file, 'r')));
        const { cols } = rowsOf(t.shape);
        const inRow = cols * DTYPE_SIZE[src.dtype];
        const outRow = ggmlTensorBytes(t.type, [cols]);
        for (const c of rowChunks(t, o.chunkElements ?? CHUNK_ELEMENTS)) {
          const raw = new Uint8Array(c.count * inRow);
          const { bytesRead } = await fh.read(raw, 0, raw.length, src.start + c.first * inRow);
          if (bytesRead !== raw.length) {
            throw new MergeopsError('IO', `${src.file}: tensor ${src.name} ends early`, 'the file was truncated or changed while being read; re-download it');
          }
          await sink.writeTensorPart(t.ggufName, c.first * outRow, encodePlannedRows(enc, t, raw, c.count));
        }
      }
    } finally {
      for (const h of handles.values()) await h.close();
    }
    for (const s of sinks) await s.finish();
  } catch (e) {
    for (const s of sinks) await s.abort();
    throw e;
  }
  for (const f of plan.files) await verifyGGUF(path.join(o.outDir, f.fileName), f.layout, f.metadata);
  return { files: plan.files.map((f) => ({ path: path.join(o.outDir, f.fileName), bytes: f.layout.fileSize })), plan };
}
