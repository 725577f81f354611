/**
 * Reads a model from a local folder: config.json plus the safetensors headers of its shards
 * (names, dtypes, shapes, byte ranges). Tensor data is never read here, and pickled weights
 * (pytorch_model.bin and friends) are never loaded.
 */

import { promises as fs } from 'node:fs';
import path from 'node:path';
import { MergeopsError, SafetensorsError } from '../errors.js';
import type { DType } from '../formats/dtype.js';
import {
  parseHeaderLength,
  parseIndexJson,
  parseSafetensorsHeader,
  type SafetensorsHeader,
} from '../formats/safetensors.js';
import { readRange } from '../io/file-range.js';
import type { ResolvedTensor } from '../model/resolved.js';
import type { ByteSource } from '../model/tensor.js';

export interface LocalModel {
  /** absolute path of the folder */
  dir: string;
  config: Record<string, unknown>;
  /** config.json as written (number literals and all), for the merged config. */
  configText: string;
  /** insertion order = order in the index (weight_map), else in the file(s) */
  tensors: Map<string, ResolvedTensor>;
  /** file names (relative to `dir`) of the safetensors shards the tensors come from, sorted */
  shardFiles: string[];
  /**
   * Every other regular file name in the folder (tokenizer files, generation_config.json, ...),
   * sorted. Excludes config.json, the shards and index, and any other weight files
   * (*.safetensors, *.bin, *.pt, *.pth, *.ckpt, *.h5, *.msgpack, *.gguf, *.onnx and their indexes).
   */
  otherFiles: string[];
}

const INDEX_FILE = 'model.safetensors.index.json';
const SINGLE_FILE = 'model.safetensors';
const WEIGHT_FILE = /\.(safetensors|bin|pt|pth|ckpt|h5|msgpack|gguf|onnx)(\.index\.json)?$/i;
const PICKLE_FILE = /\.(bin|pt|pth|ckpt)$/i;

function errnoCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : undefined;
}

/** Reads and validates a safetensors file's header: one 8-byte read, then exactly the header. */
export async function readSafetensorsHeader(file: string): Promise<SafetensorsHeader> {
  let fh: fs.FileHandle;
  try {
    fh = await fs.open(file, 'r');
  } catch (e) {
    throw new MergeopsError(errnoCode(e) === 'ENOENT' ? 'MODEL_NOT_FOUND' : 'IO',
      `cannot open ${file}: ${e instanceof Error ? e.message : String(e)}`,
      'check that the file exists and is readable');
  }
  try {
    const { size } = await fh.stat();
    const first8 = await readRange(fh, Math.min(8, size), 0, file);
    const headerLength = parseHeaderLength(first8, size, file);
    const json = await readRange(fh, headerLength, 8, file);
    return parseSafetensorsHeader(json, headerLength, size, file);
  } finally {
    await fh.close();
  }
}

async function readText(file: string): Promise<string> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (e) {
    throw new MergeopsError('IO', `cannot read ${file}: ${e instanceof Error ? e.message : String(e)}`,
      'check that the file is readable');
  }
}

/**
 * A model's files, however they are stored: the assembler below turns them into a tensor table
 * the same way for a local folder and for a Hub repo.
 */
export interface ModelFileAccess {
  /** Names the model in messages: a folder path, or `org/name@sha`. */
  label: string;
  /** Top-level file names, sorted. */
  names: string[];
  /** `label`-relative name → what errors should call it (an absolute path, or `repo@sha/name`). */
  display(name: string): string;
  readText(name: string): Promise<string>;
  readHeader(name: string): Promise<SafetensorsHeader>;
  source(name: string): ByteSource;
}

export interface AssembledModel {
  config: Record<string, unknown>;
  configText: string;
  tensors: Map<string, ResolvedTensor>;
  shardFiles: string[];
  otherFiles: string[];
}

/**
 * Reads `config.json`, then `model.safetensors.index.json` and every shard it names, else
 * `model.safetensors`, else every `*.safetensors` file.
 */
export async function assembleModel(fa: ModelFileAccess): Promise<AssembledModel> {
  const { names } = fa;
  const nameSet = new Set(names);
  if (!nameSet.has('config.json')) {
    throw new MergeopsError('MODEL_NOT_FOUND', `model ${fa.label} has no config.json (${fa.display('config.json')})`,
      'a model folder needs the config.json of the model (as on the Hugging Face Hub); for a LoRA adapter, merge it into its base model first');
  }
  const configText = await fa.readText('config.json');
  const config = parseJson(configText, fa.display('config.json'), 'config.json');
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new MergeopsError('IO', `${fa.display('config.json')}: config.json must be a JSON object`,
      'fix or re-download config.json');
  }

  const tensors = new Map<string, ResolvedTensor>();
  const shardFiles: string[] = [];
  const usedFiles = new Set<string>(['config.json']);
  const tensorOf = (shard: string, t: SafetensorsHeader['tensors'][number], name = t.name): ResolvedTensor => (
    { name, dtype: t.dtype, shape: t.shape, file: fa.display(shard), source: fa.source(shard), start: t.start, end: t.end });

  const addShard = (shardName: string, header: SafetensorsHeader): void => {
    const file = fa.display(shardName);
    for (const t of header.tensors) {
      const prev = tensors.get(t.name);
      if (prev) {
        throw new SafetensorsError(file,
          `tensor ${JSON.stringify(t.name)} is also in ${path.basename(prev.file)}`,
          'each tensor must be stored in exactly one shard; remove the stray file or re-save the model');
      }
      tensors.set(t.name, tensorOf(shardName, t));
    }
  };

  if (nameSet.has(INDEX_FILE)) {
    const indexPath = fa.display(INDEX_FILE);
    usedFiles.add(INDEX_FILE);
    const weightMap = parseIndexJson(await fa.readText(INDEX_FILE), indexPath);
    const shardNames = [...new Set(Object.values(weightMap))].sort();
    for (const s of shardNames) {
      if (!nameSet.has(s)) {
        throw new MergeopsError('MODEL_NOT_FOUND',
          `${indexPath} lists shard ${s}, but ${fa.display(s)} does not exist`,
          'the download is incomplete: fetch every shard named in the index');
      }
    }
    const headers = new Map<string, SafetensorsHeader>();
    for (const s of shardNames) headers.set(s, await fa.readHeader(s));
    // Insertion order follows the index; tensors a shard holds beyond the index come after.
    const byShard = new Map<string, Map<string, SafetensorsHeader['tensors'][number]>>();
    for (const [s, h] of headers) byShard.set(s, new Map(h.tensors.map((t) => [t.name, t])));
    for (const [name, s] of Object.entries(weightMap)) {
      const t = byShard.get(s)?.get(name);
      if (!t) {
        throw new MergeopsError('TENSOR_MISSING',
          `${indexPath} says tensor ${JSON.stringify(name)} is in ${s}, but that shard has no such tensor`,
          'the index does not match the shards (mixed downloads of different revisions?); re-download the model');
      }
      tensors.set(name, tensorOf(s, t, name));
    }
    for (const s of shardNames) {
      const extra = headers.get(s)!.tensors.filter((t) => weightMap[t.name] !== s);
      addShard(s, { ...headers.get(s)!, tensors: extra });
      shardFiles.push(s);
      usedFiles.add(s);
    }
  } else {
    const files = nameSet.has(SINGLE_FILE) ? [SINGLE_FILE] : names.filter((n) => n.toLowerCase().endsWith('.safetensors'));
    if (files.length === 0) {
      const pickles = names.filter((n) => PICKLE_FILE.test(n) && !/^training_args\.bin$/i.test(n));
      if (pickles.length > 0) {
        throw new MergeopsError('MODEL_NOT_FOUND',
          `model ${fa.label} has only PyTorch pickle weights (${pickles.join(', ')}), no *.safetensors`,
          'mergeops never loads pickles (they can run arbitrary code); convert the model to safetensors '
          + '(e.g. `model.save_pretrained(dir, safe_serialization=True)` in transformers) or use a repo revision that has safetensors');
      }
      throw new MergeopsError('MODEL_NOT_FOUND', `model ${fa.label} has no *.safetensors weights`,
        'expected model.safetensors, or model.safetensors.index.json with its shards');
    }
    for (const s of files) {
      addShard(s, await fa.readHeader(s));
      shardFiles.push(s);
      usedFiles.add(s);
    }
  }

  const otherFiles = names.filter((n) => !usedFiles.has(n) && !WEIGHT_FILE.test(n));
  return { config: config as Record<string, unknown>, configText, tensors, shardFiles, otherFiles };
}

function parseJson(text: string, file: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new MergeopsError('IO', `${file}: ${what} is not valid JSON: ${e instanceof Error ? e.message : String(e)}`,
      `fix or re-download ${path.basename(file)}`);
  }
}

/** Reads a model folder (see assembleModel for which files count). */
export async function readLocalModel(dir: string): Promise<LocalModel> {
  const abs = path.resolve(dir);
  let names: string[];
  try {
    const st = await fs.stat(abs);
    if (!st.isDirectory()) {
      throw new MergeopsError('MODEL_NOT_FOUND', `model path ${abs} is not a folder`,
        'point to the folder that holds config.json and the *.safetensors files, not to a file');
    }
    const entries = await fs.readdir(abs, { withFileTypes: true });
    names = [];
    for (const e of entries) {
      // Hugging Face cache snapshots are folders of symlinks to blobs: follow them.
      if (e.isFile() || (e.isSymbolicLink() && (await fs.stat(path.join(abs, e.name)).then((s) => s.isFile(), () => false)))) {
        names.push(e.name);
      }
    }
    names.sort();
  } catch (e) {
    if (e instanceof MergeopsError) throw e;
    const code = errnoCode(e);
    throw new MergeopsError(code === 'ENOENT' ? 'MODEL_NOT_FOUND' : 'IO',
      code === 'ENOENT' ? `model folder ${abs} does not exist` : `cannot read model folder ${abs}: ${e instanceof Error ? e.message : String(e)}`,
      'check the path; a model folder holds config.json and *.safetensors files (as downloaded from the Hugging Face Hub)');
  }
  const m = await assembleModel({
    label: `folder ${abs}`,
    names,
    display: (n) => path.join(abs, n),
    readText: (n) => readText(path.join(abs, n)),
    readHeader: (n) => readSafetensorsHeader(path.join(abs, n)),
    source: (n) => ({ kind: 'file', path: path.join(abs, n) }),
  });
  return { dir: abs, ...m };
}

/** Reads one tensor's bytes (whole tensor in memory: for tests and small tensors only). */
export async function readTensorBytes(t: ResolvedTensor): Promise<Uint8Array> {
  const fh = await fs.open(t.file, 'r');
  try {
    return await readRange(fh, t.end - t.start, t.start, t.file);
  } finally {
    await fh.close();
  }
}
