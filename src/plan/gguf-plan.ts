/**
 * Plans a GGUF file from a model's tensor headers, config and tokenizer metadata, the way
 * convert_hf_to_gguf (+ llama-quantize for K/legacy quant types) would produce it: tensor
 * names, order, types, per-tensor transforms, the full KV metadata and the byte layout, before
 * any tensor data is read. Pure: no I/O.
 *
 * Emulated pipeline for a file type:
 * - F32/F16/BF16/Q8_0 (convert's `--outtype`): convert's tensor order (shards by file name, then
 *   tensor names in code-point order) and KV order; norms, 1-D tensors and biases F32.
 * - every other type: convert with `--outtype auto` (BF16 for BF16 checkpoints, else F16), then
 *   llama-quantize: values pass through that intermediate type, tensors re-sorted by
 *   llama-quantize's order and typed by src/quant/select.ts, `general.quantization_version`
 *   and `general.file_type` moved to the end of the KVs.
 *
 * These plans are a `Plan.gguf` (buildPlan through plan/gguf-files.ts, before any tensor is
 * computed): a merge's files (of its output folder as it will be) or `mergeops quantize`'s (of the
 * input folder, a GGUF-only plan); each kernel worker encodes the chunks it computes into every
 * file (src/execute/gguf-outputs.ts) with one encoder (src/kernels/gguf-encode.ts: chunks of whole
 * rows, whole heads for Q/K → f32 → transform → intermediate rounding → type).
 * `generated` tensors (Llama 3 rope_freqs) are written as they are, by whoever opens the files.
 */
import { ggufArchFor, ggufTensorName, tensorTransform, withConfigDefaults, type GGUFArchRow, type TensorTransform } from '../arch/gguf-arch.js';
import { applyModelId, setGeneralMetadata, type GGUFGeneralInfo } from '../arch/gguf-general.js';
import type { HFConfig } from '../arch/types.js';
import { isIgnoredTensor } from '../arch/detect.js';
import { MergeopsError } from '../errors.js';
import type { DType } from '../formats/dtype.js';
import { ggmlType, type QuantTypeName } from '../quant/types.js';
import { GGUFMetadata, kv, layoutGGUF, splitGGUF, type GGUFKV, type GGUFSplitFile, type GGUFSplitOptions } from '../formats/gguf.js';
import { FILE_TYPES, isConvertType, selectTypes, type FileTypeName } from '../quant/select.js';

export interface GGUFSourceTensor {
  /** HF name */
  name: string;
  dtype: DType;
  shape: readonly number[];
  /** shard file name (convert orders tensors by shard file name first) */
  shard: string;
}

export interface GGUFPlanInput {
  config: HFConfig;
  tensors: readonly GGUFSourceTensor[];
  fileType: FileTypeName;
  /** `general.*` values known for sure (recipe, model card, --name) */
  general: Partial<GGUFGeneralInfo>;
  /**
   * ids whose parts fill the `general.*` values still unset, in order, as convert does with
   * config.json `_name_or_path` and the folder name (`Name-7B-Instruct-v0.3` → basename,
   * size label, finetune, version); the last one is also the fallback name
   */
  modelIds?: readonly string[];
  /** the `tokenizer.ggml.*` block (src/tokenizer/gguf-vocab.ts), in write order */
  vocab: readonly GGUFKV[];
  /** file name prefix without `.gguf`, and split limits */
  prefix: string;
  split?: GGUFSplitOptions;
}

export interface GGUFPlannedTensor {
  /** checkpoint tensor name; '' for tensors computed from the config (`generated`) */
  hfName: string;
  /** values of a tensor convert computes itself (e.g. Llama 3 `rope_freqs`) */
  generated?: Float32Array;
  ggufName: string;
  shape: readonly number[];
  srcDtype: DType;
  /** type written to the file */
  type: QuantTypeName;
  /** values are rounded through this type first (the emulated convert output), when set */
  intermediate?: 'F16' | 'BF16';
  transform: TensorTransform;
}

export interface GGUFPlan {
  arch: GGUFArchRow;
  fileType: FileTypeName;
  tensors: GGUFPlannedTensor[];
  files: GGUFSplitFile[];
  metadata: GGUFMetadata;
}

/** What a merge's GGUF files are planned from besides the plan: their names and `general.*` depend on it. */
export interface GGUFRequest {
  types: readonly FileTypeName[];
  /** stands for the output folder's name (file names, `general.name` when nothing else gives one) */
  modelId: string;
  /** the title the run records in the folder's marker (`general.name` below the model card) */
  title?: string;
  tokenizerPre?: string;
  /** gguf-split sets instead of single files */
  split?: GGUFSplitOptions;
  /** `general.*` values known for sure (the model card's, `quantize --name`), above `title` */
  general?: Partial<GGUFGeneralInfo>;
  /** file name prefix without `.gguf` (one type); default `<modelId>-<TYPE>` */
  prefix?: string;
  /**
   * The folder the files convert: the run's output as it will be written (a merge, the default),
   * or the input model's own folder (`mergeops quantize`: its config, its tokenizer files, its
   * shard names).
   */
  folder?: 'output' | 'input';
}

/** The GGUF files of a merge, planned: one file (or gguf-split set) per type. */
export interface PlannedGGUF {
  plans: GGUFPlan[];
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Convert's type for an emitted tensor (`prepare_tensors`): F32 for 1-D, norms and non-weights. */
function convertType(ggufName: string, shape: readonly number[], outtype: QuantTypeName): QuantTypeName {
  if (shape.length <= 1 || ggufName.endsWith('_norm.weight') || !ggufName.endsWith('.weight')) return 'F32';
  // QuantError fallback: a row that is not whole blocks → F16
  if (shape[shape.length - 1] % ggmlType(outtype).blockSize !== 0) return 'F16';
  return outtype;
}

/** `--outtype auto`: the first ≥2-D tensor's float type, BF16 or F16; F16 otherwise. */
export function autoOuttype(tensors: readonly GGUFSourceTensor[]): 'BF16' | 'F16' {
  for (const t of tensors) {
    if (t.shape.length < 2) continue;
    if (t.dtype === 'BF16') return 'BF16';
    if (t.dtype === 'F16') return 'F16';
  }
  return 'F16';
}

export function planGGUFConversion(p: GGUFPlanInput): GGUFPlan {
  const cfg = withConfigDefaults(p.config);
  const row = ggufArchFor(cfg);
  // convert's enumeration: part files by name, tensors by name within each
  const ordered = p.tensors.filter((t) => !isIgnoredTensor(t.name))
    .sort((a, b) => cmp(a.shard, b.shard) || cmp(a.name, b.name));
  for (const t of ordered) {
    if (t.dtype !== 'F32' && t.dtype !== 'F16' && t.dtype !== 'BF16') {
      throw new MergeopsError('USAGE', `tensor ${t.name} is ${t.dtype}; GGUF conversion reads F32, F16 and BF16 tensors`,
        'convert the checkpoint to a float dtype first');
    }
  }
  const direct = isConvertType(p.fileType);
  const outtype: QuantTypeName = direct ? FILE_TYPES[p.fileType].base : autoOuttype(ordered);
  const convertFileType = direct ? FILE_TYPES[p.fileType].id : FILE_TYPES[outtype as 'F16' | 'BF16'].id;

  // generate_extra_tensors come first; 1-D, so F32
  let tensors: GGUFPlannedTensor[] = (row.extra?.(cfg) ?? []).map((x) => ({
    hfName: '', ggufName: x.ggufName, shape: [x.data.length], srcDtype: 'F32', type: 'F32', transform: {}, generated: x.data,
  }));
  for (const t of ordered) {
    const ggufName = ggufTensorName(row, t.name);
    if (ggufName === null) continue;
    tensors.push({
      hfName: t.name, ggufName, shape: t.shape, srcDtype: t.dtype,
      type: convertType(ggufName, t.shape, outtype),
      transform: tensorTransform(row, cfg, t.name),
    });
  }

  const meta = new GGUFMetadata();
  meta.set(kv.str('general.architecture', row.ggufArch));
  meta.set(kv.str('general.type', 'model'));
  let params = 0;
  for (const t of tensors) params += t.shape.reduce((a, b) => a * b, 1);
  let g = p.general;
  for (const id of p.modelIds ?? []) g = applyModelId(g, id, params);
  setGeneralMetadata(meta, { ...g, name: g.name ?? p.modelIds?.[p.modelIds.length - 1] ?? 'model' }, params);
  row.params(meta, cfg, convertFileType);
  meta.set(kv.u32('general.quantization_version', 2));
  for (const e of p.vocab) meta.set(e);

  if (!direct) {
    const nHead = Number(cfg['num_attention_heads']);
    const typed = selectTypes(p.fileType, {
      nLayer: Number(cfg['num_hidden_layers']), nHead,
      nHeadKv: typeof cfg['num_key_value_heads'] === 'number' ? cfg['num_key_value_heads'] : nHead,
      arch: row.ggufArch,
    }, tensors.map((t) => ({ name: t.ggufName, shape: t.shape })));
    const byName = new Map(tensors.map((t) => [t.ggufName, t]));
    tensors = typed.map((s) => {
      const t = byName.get(s.name)!;
      // values reach llama-quantize as f32(outtype(x)); F32 tensors of the intermediate stay exact
      const intermediate = t.type === 'F32' ? undefined : (outtype as 'F16' | 'BF16');
      return { ...t, type: s.type ?? t.type, intermediate };
    });
    meta.setLast(kv.u32('general.quantization_version', 2));
    meta.setLast(kv.u32('general.file_type', FILE_TYPES[p.fileType].id));
  }

  const specs = tensors.map((t) => ({ name: t.ggufName, shape: t.shape, type: t.type }));
  const files = p.split ? splitGGUF(meta, specs, p.prefix, p.split) : [{ fileName: `${p.prefix}.gguf`, layout: layoutGGUF(meta, specs), metadata: meta }];
  return { arch: row, fileType: p.fileType, tensors, files, metadata: meta };
}
