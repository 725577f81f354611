/**
 * The safetensors codec: header parsing/validation, header building, shard planning and the
 * `model.safetensors.index.json` file. Pure functions over bytes and strings: no file system.
 *
 * File layout: u64 little-endian header length N, then N bytes of UTF-8 JSON, then the data
 * section. JSON entries are `{"dtype", "shape", "data_offsets": [begin, end]}` with offsets
 * relative to the start of the data section (8 + N), plus an optional `__metadata__` string map.
 */

import { MergeopsError, SafetensorsError } from '../errors.js';
import { DTYPE_SIZE, DTYPES, isDType, type DType } from './dtype.js';
import { firstDuplicateKey } from './json-keys.js';

export interface TensorEntry {
  name: string;
  dtype: DType;
  shape: number[];
  /** absolute byte offsets in the file */
  start: number;
  end: number;
}

export interface SafetensorsHeader {
  headerLength: number;
  /** 8 + headerLength */
  dataStart: number;
  /** in file offset order */
  tensors: TensorEntry[];
  metadata: Record<string, string> | null;
}

/** Same cap as the Rust safetensors crate. */
export const MAX_HEADER_BYTES = 100 * 1024 * 1024;

export interface TensorSpec {
  name: string;
  dtype: DType;
  shape: number[];
}

export interface ShardPlan {
  fileName: string;
  tensors: TensorSpec[];
  totalBytes: number;
}

// ---------------------------------------------------------------------------------------------
// Writer side
// ---------------------------------------------------------------------------------------------

/** Byte size of a tensor; throws on shapes that are not arrays of non-negative safe integers. */
export function tensorByteSize(dtype: DType, shape: readonly number[]): number {
  let n = DTYPE_SIZE[dtype];
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new MergeopsError('INTERNAL', `invalid tensor dimension ${String(d)} in shape [${shape.join(', ')}]`,
        'shapes are arrays of non-negative integers');
    }
    n *= d;
  }
  if (!Number.isSafeInteger(n)) {
    throw new MergeopsError('INTERNAL', `tensor of shape [${shape.join(', ')}] is too large (${n} bytes)`,
      'tensor byte sizes must stay below 2^53');
  }
  return n;
}

/**
 * Builds a complete safetensors header (8-byte length + JSON, space-padded so the data section
 * starts at a multiple of 8). Tensors are laid out contiguously in the given order, so every
 * offset is known before any data is written. Default metadata is `{format: 'pt'}`.
 */
export function buildSafetensorsHeader(
  tensors: TensorSpec[],
  metadata?: Record<string, string>,
): { header: Uint8Array; dataStart: number; entries: TensorEntry[] } {
  const meta = metadata ?? { format: 'pt' };
  const obj: Record<string, unknown> = {};
  const seen = new Set<string>();
  if (Object.keys(meta).length > 0) obj['__metadata__'] = { ...meta };
  let offset = 0;
  const rel: Array<{ spec: TensorSpec; begin: number; end: number }> = [];
  for (const t of tensors) {
    if (t.name === '__metadata__') {
      throw new MergeopsError('INTERNAL', 'a tensor cannot be named __metadata__', 'rename the tensor');
    }
    if (seen.has(t.name)) {
      throw new MergeopsError('INTERNAL', `duplicate tensor name ${JSON.stringify(t.name)} in one safetensors file`,
        'each tensor name must appear once per file');
    }
    if (!isDType(t.dtype)) {
      throw new MergeopsError('INTERNAL', `unknown dtype ${JSON.stringify(t.dtype)} for tensor ${t.name}`,
        `use one of ${DTYPES.join(', ')}`);
    }
    seen.add(t.name);
    const size = tensorByteSize(t.dtype, t.shape);
    const begin = offset;
    const end = begin + size;
    if (!Number.isSafeInteger(end)) {
      throw new MergeopsError('INTERNAL', 'safetensors data section exceeds 2^53 bytes', 'split the model into shards');
    }
    obj[t.name] = { dtype: t.dtype, shape: [...t.shape], data_offsets: [begin, end] };
    rel.push({ spec: t, begin, end });
    offset = end;
  }
  const json = new TextEncoder().encode(JSON.stringify(obj));
  const headerLength = Math.ceil(json.length / 8) * 8;
  const header = new Uint8Array(8 + headerLength);
  new DataView(header.buffer).setBigUint64(0, BigInt(headerLength), true);
  header.set(json, 8);
  header.fill(0x20, 8 + json.length);
  const dataStart = 8 + headerLength;
  const entries: TensorEntry[] = rel.map(({ spec, begin, end }) => ({
    name: spec.name,
    dtype: spec.dtype,
    shape: [...spec.shape],
    start: dataStart + begin,
    end: dataStart + end,
  }));
  return { header, dataStart, entries };
}

// ---------------------------------------------------------------------------------------------
// Reader side
// ---------------------------------------------------------------------------------------------

const HEADER_HINT = 'the file is not a valid safetensors file (truncated download or a different format?); '
  + 're-download it, or re-save the model with the `safetensors` library';

/**
 * Reads the u64 little-endian header length from the first 8 bytes of a file and checks it
 * against MAX_HEADER_BYTES and the file size.
 */
export function parseHeaderLength(first8: Uint8Array, fileSize: number, file: string): number {
  if (fileSize < 8 || first8.length < 8) {
    throw new SafetensorsError(file,
      `file is truncated: ${Math.min(fileSize, first8.length)} bytes, but a safetensors file starts with an 8-byte header length`,
      HEADER_HINT);
  }
  const big = new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true);
  if (big > BigInt(MAX_HEADER_BYTES)) {
    throw new SafetensorsError(file,
      `header length ${big} bytes exceeds the ${MAX_HEADER_BYTES}-byte limit (100 MiB, as in the Rust safetensors crate)`,
      HEADER_HINT);
  }
  const len = Number(big);
  if (len < 2) {
    throw new SafetensorsError(file, `header length ${len} is too small to hold a JSON object`, HEADER_HINT);
  }
  if (8 + len > fileSize) {
    throw new SafetensorsError(file,
      `header length ${len} runs past the end of the file (8 + ${len} = ${8 + len} > file size ${fileSize})`,
      HEADER_HINT + '; a file cut short is usually an interrupted download');
  }
  return len;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `a string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  if (typeof v === 'number') return `the number ${v}`;
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/** A name or value shortened for a message. */
function excerpt(s: string, max = 80): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const ENTRY_HINT = 'each tensor entry must be {"dtype": "<DTYPE>", "shape": [..], "data_offsets": [begin, end]}; '
  + 'the file was written by a non-conforming tool or is corrupted: re-save it with the `safetensors` library';

/**
 * Validates a safetensors JSON header (the `headerLength` bytes after the length prefix) against
 * the spec and the file size, and returns the tensors in file offset order with absolute offsets.
 */
export function parseSafetensorsHeader(
  json: Uint8Array,
  headerLength: number,
  fileSize: number,
  file: string,
): SafetensorsHeader {
  if (json.length !== headerLength) {
    throw new SafetensorsError(file,
      `header is truncated: expected ${headerLength} bytes of JSON, got ${json.length}`, HEADER_HINT);
  }
  const dataStart = 8 + headerLength;
  if (dataStart > fileSize) {
    throw new SafetensorsError(file,
      `header length ${headerLength} runs past the end of the file (file size ${fileSize})`, HEADER_HINT);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(json);
  } catch {
    throw new SafetensorsError(file, 'header is not valid UTF-8', HEADER_HINT);
  }
  // The spec requires the header to start with '{'; trailing spaces are padding.
  if (text.charCodeAt(0) !== 0x7b) {
    throw new SafetensorsError(file,
      `header is not a JSON object (it starts with ${JSON.stringify(text.slice(0, 16))})`, HEADER_HINT);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new SafetensorsError(file, `header is not valid JSON: ${why.slice(0, 200)}`, HEADER_HINT);
  }
  if (!isPlainObject(parsed)) {
    throw new SafetensorsError(file, `header is not a JSON object (got ${describe(parsed)})`, HEADER_HINT);
  }
  // JSON.parse keeps the last of duplicate keys silently; the safetensors library refuses them.
  const dup = firstDuplicateKey(text);
  if (dup !== undefined) {
    throw new SafetensorsError(file, `${JSON.stringify(excerpt(dup))} appears twice in one object of the header`,
      'a safetensors file names each tensor (and each field of an entry) once; the safetensors library refuses this file: re-save it with the `safetensors` library');
  }

  let metadata: Record<string, string> | null = null;
  const tensors: TensorEntry[] = [];
  const dataSize = fileSize - dataStart;
  for (const [name, value] of Object.entries(parsed)) {
    if (name === '__metadata__') {
      if (value === null) continue;
      if (!isPlainObject(value)) {
        throw new SafetensorsError(file, `__metadata__ must be an object of strings, got ${describe(value)}`,
          'safetensors metadata maps string keys to string values');
      }
      const m: Array<[string, string]> = [];
      for (const [k, v] of Object.entries(value)) {
        if (typeof v !== 'string') {
          throw new SafetensorsError(file, `__metadata__[${JSON.stringify(k)}] must be a string, got ${describe(v)}`,
            'safetensors metadata maps string keys to string values; store numbers and objects as strings');
        }
        m.push([k, v]);
      }
      metadata = Object.fromEntries(m);
      continue;
    }
    const where = `tensor ${JSON.stringify(name)}`;
    if (!isPlainObject(value)) {
      throw new SafetensorsError(file, `${where}: entry must be an object, got ${describe(value)}`, ENTRY_HINT);
    }
    for (const k of Object.keys(value)) {
      if (k !== 'dtype' && k !== 'shape' && k !== 'data_offsets') {
        throw new SafetensorsError(file, `${where}: unexpected key ${JSON.stringify(k)}`, ENTRY_HINT);
      }
    }
    const { dtype, shape, data_offsets: offsets } = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (dtype === undefined || shape === undefined || offsets === undefined) {
      const missing = (['dtype', 'shape', 'data_offsets'] as const).filter((k) => value[k] === undefined);
      throw new SafetensorsError(file, `${where}: missing ${missing.join(', ')}`, ENTRY_HINT);
    }
    if (typeof dtype !== 'string' || !isDType(dtype)) {
      throw new SafetensorsError(file, `${where}: unknown dtype ${typeof dtype === 'string' ? JSON.stringify(dtype.slice(0, 40)) : describe(dtype)}`,
        `mergeops reads the dtypes ${DTYPES.join(', ')}; convert the model (e.g. to bfloat16) before merging`);
    }
    if (!Array.isArray(shape)) {
      throw new SafetensorsError(file, `${where}: shape must be an array of integers, got ${describe(shape)}`, ENTRY_HINT);
    }
    // Element count; a zero dimension makes it 0, anything past 2^53 cannot match a valid byte range.
    let elements = 1;
    let zero = false;
    for (let i = 0; i < shape.length; i++) {
      const d: unknown = shape[i];
      if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
        throw new SafetensorsError(file,
          `${where}: shape[${i}] must be a non-negative integer, got ${describe(d)}`, ENTRY_HINT);
      }
      if (d === 0) zero = true;
      else if (elements <= Number.MAX_SAFE_INTEGER) elements *= d;
    }
    if (zero) elements = 0;
    if (!Array.isArray(offsets) || offsets.length !== 2) {
      throw new SafetensorsError(file,
        `${where}: data_offsets must be [begin, end], got ${Array.isArray(offsets) ? `an array of ${offsets.length}` : describe(offsets)}`,
        ENTRY_HINT);
    }
    const [begin, end] = offsets as unknown[];
    for (const [label, v] of [['begin', begin], ['end', end]] as const) {
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
        throw new SafetensorsError(file,
          `${where}: data_offsets ${label} must be a non-negative integer below 2^53, got ${describe(v)}`, ENTRY_HINT);
      }
    }
    const b = begin as number;
    const e = end as number;
    if (b > e) {
      throw new SafetensorsError(file, `${where}: data_offsets begin ${b} is after end ${e}`, ENTRY_HINT);
    }
    const expected = elements * DTYPE_SIZE[dtype];
    if (expected !== e - b) {
      const shown = Number.isSafeInteger(expected) ? String(expected) : 'more than 2^53';
      throw new SafetensorsError(file,
        `${where}: byte length mismatch: shape [${shape.join(', ')}] × ${dtype} (${DTYPE_SIZE[dtype]} bytes) = ${shown} bytes, `
        + `but data_offsets [${b}, ${e}] span ${e - b} bytes`,
        ENTRY_HINT);
    }
    if (e > dataSize) {
      throw new SafetensorsError(file,
        `${where}: data_offsets [${b}, ${e}] run past the end of the data section (${dataSize} bytes; `
        + `file size ${fileSize}, data starts at ${dataStart})`,
        'the file is truncated (interrupted download?) or its header is corrupted; re-download it');
    }
    tensors.push({ name, dtype, shape: shape as number[], start: dataStart + b, end: dataStart + e });
  }

  tensors.sort((x, y) => x.start - y.start || x.end - y.end);
  // As the safetensors library validates: the tensors tile the data section exactly, in offset
  // order, from its first byte to the end of the file (no overlap, no gap, nothing after).
  let at = dataStart;
  for (let i = 0; i < tensors.length; i++) {
    const cur = tensors[i];
    if (cur.start < at) {
      const prev = tensors[i - 1];
      throw new SafetensorsError(file,
        `tensors ${JSON.stringify(excerpt(prev.name))} [${prev.start - dataStart}, ${prev.end - dataStart}] and `
        + `${JSON.stringify(excerpt(cur.name))} [${cur.start - dataStart}, ${cur.end - dataStart}] overlap`,
        'tensor byte ranges in a safetensors file must not overlap; the file is corrupted or was written by a non-conforming tool');
    }
    if (cur.start > at) {
      throw new SafetensorsError(file,
        `data bytes [${at - dataStart}, ${cur.start - dataStart}) belong to no tensor (before ${JSON.stringify(excerpt(cur.name))})`,
        'every byte of a safetensors data section belongs to exactly one tensor (the safetensors library refuses gaps); '
        + 'the file is corrupted or was written by a non-conforming tool: re-save it with the `safetensors` library');
    }
    at = cur.end;
  }
  if (at !== fileSize) {
    throw new SafetensorsError(file,
      `the last ${fileSize - at} byte(s) of the file (data bytes [${at - dataStart}, ${fileSize - dataStart})) belong to no tensor`,
      'a safetensors file ends with its last tensor (the safetensors library refuses trailing bytes); '
      + 'the file was appended to or corrupted: re-download it or re-save it with the `safetensors` library');
  }
  return { headerLength, dataStart, tensors, metadata };
}

// ---------------------------------------------------------------------------------------------
// Sharding
// ---------------------------------------------------------------------------------------------

/** Shard file name as Hugging Face writes it: `model-00001-of-00003.safetensors`. */
export function shardFileName(index: number, count: number): string {
  if (count === 1) return 'model.safetensors';
  const pad = (n: number) => String(n).padStart(5, '0');
  return `model-${pad(index + 1)}-of-${pad(count)}.safetensors`;
}

/**
 * Splits tensors into shards greedily, in order (as mergekit's writer does): a new shard starts
 * when adding the next tensor would push the current one past `maxShardBytes`; a tensor larger
 * than the limit gets a shard of its own. `totalBytes` counts tensor data only (no header).
 */
export function planShards(tensors: TensorSpec[], maxShardBytes: number): ShardPlan[] {
  if (!(maxShardBytes > 0) || !Number.isFinite(maxShardBytes)) {
    throw new MergeopsError('USAGE', `maximum shard size must be a positive number of bytes, got ${maxShardBytes}`,
      'pass a size such as 5B (5 billion bytes), 2GiB or 500M');
  }
  const groups: Array<{ tensors: TensorSpec[]; totalBytes: number }> = [];
  let cur: { tensors: TensorSpec[]; totalBytes: number } | null = null;
  for (const t of tensors) {
    const size = tensorByteSize(t.dtype, t.shape);
    if (cur === null || (cur.tensors.length > 0 && cur.totalBytes + size > maxShardBytes)) {
      cur = { tensors: [], totalBytes: 0 };
      groups.push(cur);
    }
    cur.tensors.push(t);
    cur.totalBytes += size;
  }
  if (groups.length === 0) groups.push({ tensors: [], totalBytes: 0 });
  return groups.map((g, i) => ({ fileName: shardFileName(i, groups.length), tensors: g.tensors, totalBytes: g.totalBytes }));
}

// ---------------------------------------------------------------------------------------------
// model.safetensors.index.json
// ---------------------------------------------------------------------------------------------

/** JSON string literal with non-ASCII escaped, as Python's json.dumps (ensure_ascii) writes it. */
function pyJsonString(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * `model.safetensors.index.json` text as transformers writes it (json.dumps(indent=2,
 * sort_keys=True) + "\n"): `{"metadata": {"total_size": N, ...}, "weight_map": {...}}`.
 */
export function buildIndexJson(
  weightMap: Record<string, string>,
  totalSize: number,
  extraMetadata?: Record<string, string>,
): string {
  const meta: Array<[string, string]> = [];
  for (const [k, v] of Object.entries(extraMetadata ?? {})) {
    if (k !== 'total_size') meta.push([k, pyJsonString(v)]);
  }
  meta.push(['total_size', String(totalSize)]);
  meta.sort((a, b) => byCodePoint(a[0], b[0]));
  const wm = Object.keys(weightMap).sort(byCodePoint).map((k) => [k, pyJsonString(weightMap[k])] as const);
  const obj = (entries: ReadonlyArray<readonly [string, string]>, indent: string): string =>
    entries.length === 0
      ? '{}'
      : '{\n' + entries.map(([k, v]) => `${indent}  ${pyJsonString(k)}: ${v}`).join(',\n') + `\n${indent}}`;
  return obj([['metadata', obj(meta, '  ')], ['weight_map', obj(wm, '  ')]], '') + '\n';
}

const INDEX_HINT = 'model.safetensors.index.json must be {"metadata": {...}, "weight_map": {"<tensor name>": "<shard file name>", ...}}; '
  + 're-download it or regenerate it with transformers';

/** Parses `model.safetensors.index.json` and returns its weight_map (tensor name → shard file name). */
export function parseIndexJson(text: string, file: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new SafetensorsError(file, `index is not valid JSON: ${why.slice(0, 200)}`, INDEX_HINT);
  }
  if (!isPlainObject(parsed)) {
    throw new SafetensorsError(file, `index is not a JSON object (got ${describe(parsed)})`, INDEX_HINT);
  }
  const wm = parsed['weight_map'];
  if (!isPlainObject(wm)) {
    throw new SafetensorsError(file,
      wm === undefined ? 'index has no "weight_map"' : `"weight_map" must be an object, got ${describe(wm)}`, INDEX_HINT);
  }
  const out: Array<[string, string]> = [];
  for (const [name, shard] of Object.entries(wm)) {
    if (typeof shard !== 'string' || shard.length === 0) {
      throw new SafetensorsError(file,
        `weight_map[${JSON.stringify(name)}] must be a shard file name, got ${describe(shard)}`, INDEX_HINT);
    }
    if (shard.includes('/') || shard.includes('\\') || shard === '.' || shard === '..' || shard.includes('\0')) {
      throw new SafetensorsError(file,
        `weight_map[${JSON.stringify(name)}] = ${JSON.stringify(shard)} is not a plain file name`,
        'shards must sit next to the index; paths with directories are refused');
    }
    out.push([name, shard]);
  }
  return Object.fromEntries(out);
}
