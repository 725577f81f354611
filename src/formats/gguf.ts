/**
 * GGUF v3 codec (ggml/src/gguf.cpp, gguf-py gguf_writer.py): typed KV metadata, tensor infos
 * and the file layout, all computed before any tensor data exists. The layout is pure; the
 * file writer (gguf-file.ts) puts each tensor's bytes at its offset in any order.
 *
 * Layout (little endian): "GGUF", u32 version 3, u64 n_tensors, u64 n_kv, KVs, tensor infos,
 * zero padding to ALIGNMENT, then the tensors in info order, each padded with zeros to
 * ALIGNMENT (llama.cpp rejects any other offsets).
 */
import { MergeopsError } from '../errors.js';
import { ggmlTensorBytes, ggmlType, isQuantTypeName, type QuantTypeName } from '../quant/types.js';

export const GGUF_MAGIC = 0x46554747; // "GGUF" read as u32 LE
export const GGUF_VERSION = 3;
export const GGUF_DEFAULT_ALIGNMENT = 32;
/** llama.cpp's GGML_MAX_NAME: names must be shorter. */
export const GGUF_MAX_NAME = 64;

export enum GGUFValueType {
  UINT8 = 0, INT8 = 1, UINT16 = 2, INT16 = 3, UINT32 = 4, INT32 = 5, FLOAT32 = 6, BOOL = 7,
  STRING = 8, ARRAY = 9, UINT64 = 10, INT64 = 11, FLOAT64 = 12,
}

export type GGUFScalarType = Exclude<GGUFValueType, GGUFValueType.ARRAY>;

export type GGUFScalar = number | bigint | boolean | string;

export type GGUFKV =
  | { key: string; type: GGUFScalarType; value: GGUFScalar }
  | { key: string; type: GGUFValueType.ARRAY; itemType: GGUFScalarType; value: readonly GGUFScalar[] };

/**
 * Ordered KV metadata. `set` follows gguf-py (a key set again keeps its first position, empty
 * strings and arrays are not written); `setLast` follows gguf.cpp (the key moves to the end),
 * which is what llama-quantize and gguf-split do.
 */
export class GGUFMetadata {
  private readonly kvs = new Map<string, GGUFKV>();

  set(kv: GGUFKV): this {
    if (kv.type === GGUFValueType.STRING && kv.value === '') return this;
    if (kv.type === GGUFValueType.ARRAY && kv.value.length === 0) return this;
    this.kvs.set(kv.key, kv);
    return this;
  }

  setLast(kv: GGUFKV): this {
    this.kvs.delete(kv.key);
    this.kvs.set(kv.key, kv);
    return this;
  }

  delete(key: string): this {
    this.kvs.delete(key);
    return this;
  }

  get(key: string): GGUFKV | undefined {
    return this.kvs.get(key);
  }

  has(key: string): boolean {
    return this.kvs.has(key);
  }

  entries(): GGUFKV[] {
    return [...this.kvs.values()];
  }

  clone(): GGUFMetadata {
    const m = new GGUFMetadata();
    for (const kv of this.kvs.values()) m.kvs.set(kv.key, kv);
    return m;
  }

  get size(): number {
    return this.kvs.size;
  }
}

/** Typed KV constructors, named after the GGUF value types. */
export const kv = {
  u8: (key: string, value: number): GGUFKV => ({ key, type: GGUFValueType.UINT8, value }),
  u16: (key: string, value: number): GGUFKV => ({ key, type: GGUFValueType.UINT16, value }),
  u32: (key: string, value: number): GGUFKV => ({ key, type: GGUFValueType.UINT32, value }),
  i32: (key: string, value: number): GGUFKV => ({ key, type: GGUFValueType.INT32, value }),
  u64: (key: string, value: bigint): GGUFKV => ({ key, type: GGUFValueType.UINT64, value }),
  f32: (key: string, value: number): GGUFKV => ({ key, type: GGUFValueType.FLOAT32, value }),
  bool: (key: string, value: boolean): GGUFKV => ({ key, type: GGUFValueType.BOOL, value }),
  str: (key: string, value: string): GGUFKV => ({ key, type: GGUFValueType.STRING, value }),
  strs: (key: string, value: readonly string[]): GGUFKV => ({ key, type: GGUFValueType.ARRAY, itemType: GGUFValueType.STRING, value }),
  f32s: (key: string, value: readonly number[]): GGUFKV => ({ key, type: GGUFValueType.ARRAY, itemType: GGUFValueType.FLOAT32, value }),
  i32s: (key: string, value: readonly number[]): GGUFKV => ({ key, type: GGUFValueType.ARRAY, itemType: GGUFValueType.INT32, value }),
};

/** One tensor of a GGUF file, before layout. */
export interface GGUFTensorSpec {
  name: string;
  /** outermost first (PyTorch order); the file stores the reverse (ne[0] = row length) */
  shape: readonly number[];
  type: QuantTypeName;
}

export interface GGUFTensorSlot extends GGUFTensorSpec {
  /** absolute byte offset of the tensor's data in the file */
  offset: number;
  nbytes: number;
}

export interface GGUFLayout {
  /** magic … tensor infos … padding: the first `dataOffset` bytes of the file */
  header: Uint8Array;
  dataOffset: number;
  tensors: GGUFTensorSlot[];
  /** total file length */
  fileSize: number;
  alignment: number;
}

const pad = (x: number, n: number): number => Math.ceil(x / n) * n;
const utf8 = new TextEncoder();

/** Growable little-endian byte sink. */
class ByteWriter {
  private buf = new Uint8Array(1 << 16);
  private dv = new DataView(this.buf.buffer);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.dv = new DataView(next.buffer);
  }

  u8(v: number): void { this.reserve(1); this.dv.setUint8(this.length, v); this.length += 1; }
  i8(v: number): void { this.reserve(1); this.dv.setInt8(this.length, v); this.length += 1; }
  u16(v: number): void { this.reserve(2); this.dv.setUint16(this.length, v, true); this.length += 2; }
  i16(v: number): void { this.reserve(2); this.dv.setInt16(this.length, v, true); this.length += 2; }
  u32(v: number): void { this.reserve(4); this.dv.setUint32(this.length, v, true); this.length += 4; }
  i32(v: number): void { this.reserve(4); this.dv.setInt32(this.length, v, true); this.length += 4; }
  f32(v: number): void { this.reserve(4); this.dv.setFloat32(this.length, v, true); this.length += 4; }
  f64(v: number): void { this.reserve(8); this.dv.setFloat64(this.length, v, true); this.length += 8; }
  u64(v: bigint | number): void {
    this.reserve(8);
    // Plain numbers as two words: no BigInt per string length (a vocabulary has 100k+ of them).
    if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) {
      this.dv.setUint32(this.length, v % 2 ** 32, true);
      this.dv.setUint32(this.length + 4, Math.floor(v / 2 ** 32), true);
    } else this.dv.setBigUint64(this.length, BigInt(v), true);
    this.length += 8;
  }
  i64(v: bigint | number): void { this.reserve(8); this.dv.setBigInt64(this.length, BigInt(v), true); this.length += 8; }
  bytes(b: Uint8Array): void { this.reserve(b.length); this.buf.set(b, this.length); this.length += b.length; }
  str(s: string): void {
    // Encoded straight into the buffer after room for the length, ASCII byte by byte: a
    // vocabulary writes 100k+ strings, and a view or array per string is garbage that grows the heap.
    this.reserve(8 + 3 * s.length);
    const at = this.length + 8;
    let n = 0;
    while (n < s.length && s.charCodeAt(n) < 0x80) {
      this.buf[at + n] = s.charCodeAt(n);
      n++;
    }
    if (n < s.length) n = utf8.encodeInto(s, this.buf.subarray(at)).written;
    this.u64(n);
    this.length += n;
  }
  zeros(n: number): void { this.reserve(n); this.buf.fill(0, this.length, this.length + n); this.length += n; }
  result(): Uint8Array { return this.buf.slice(0, this.length); }
}

function badValue(key: string, type: GGUFValueType, value: unknown): MergeopsError {
  return new MergeopsError('INTERNAL', `GGUF key ${key}: ${String(value)} is not a valid ${GGUFValueType[type]}`,
    'this is a bug in the metadata table that produced the key; report it');
}

function num(key: string, type: GGUFScalarType, v: GGUFScalar): number {
  if (typeof v !== 'number' || Number.isNaN(v)) throw badValue(key, type, v);
  return v;
}

function int(key: string, type: GGUFScalarType, v: GGUFScalar, lo: number, hi: number): number {
  const n = num(key, type, v);
  if (!Number.isInteger(n) || n < lo || n > hi) throw badValue(key, type, v);
  return n;
}

// Plain functions, no closures per value: a vocabulary writes 100k+ values per array.
function writeScalar(w: ByteWriter, key: string, type: GGUFScalarType, v: GGUFScalar): void {
  switch (type) {
    case GGUFValueType.UINT8: w.u8(int(key, type, v, 0, 0xff)); break;
    case GGUFValueType.INT8: w.i8(int(key, type, v, -0x80, 0x7f)); break;
    case GGUFValueType.UINT16: w.u16(int(key, type, v, 0, 0xffff)); break;
    case GGUFValueType.INT16: w.i16(int(key, type, v, -0x8000, 0x7fff)); break;
    case GGUFValueType.UINT32: w.u32(int(key, type, v, 0, 0xffffffff)); break;
    case GGUFValueType.INT32: w.i32(int(key, type, v, -0x80000000, 0x7fffffff)); break;
    case GGUFValueType.FLOAT32: w.f32(num(key, type, v)); break;
    case GGUFValueType.FLOAT64: w.f64(num(key, type, v)); break;
    case GGUFValueType.BOOL:
      if (typeof v !== 'boolean') throw badValue(key, type, v);
      w.u8(v ? 1 : 0);
      break;
    case GGUFValueType.STRING:
      if (typeof v !== 'string') throw badValue(key, type, v);
      w.str(v);
      break;
    case GGUFValueType.UINT64:
    case GGUFValueType.INT64: {
      if (typeof v !== 'bigint' && !(typeof v === 'number' && Number.isSafeInteger(v))) throw badValue(key, type, v);
      if (type === GGUFValueType.UINT64) w.u64(v); else w.i64(v);
      break;
    }
    default:
      throw badValue(key, type, v);
  }
}

function writeKV(w: ByteWriter, e: GGUFKV): void {
  w.str(e.key);
  w.u32(e.type);
  if (e.type === GGUFValueType.ARRAY) {
    w.u32(e.itemType);
    w.u64(e.value.length);
    for (const item of e.value) writeScalar(w, e.key, e.itemType, item);
  } else {
    writeScalar(w, e.key, e.type, e.value);
  }
}

function checkTensors(tensors: readonly GGUFTensorSpec[]): void {
  const seen = new Set<string>();
  for (const t of tensors) {
    if (utf8.encode(t.name).length >= GGUF_MAX_NAME) {
      throw new MergeopsError('USAGE', `GGUF tensor name ${t.name} is ${t.name.length} bytes; llama.cpp allows at most ${GGUF_MAX_NAME - 1}`,
        'rename the tensor in the architecture table');
    }
    if (seen.has(t.name)) {
      throw new MergeopsError('INTERNAL', `GGUF tensor ${t.name} appears twice`, 'two source tensors map to the same GGUF name; fix the name table');
    }
    seen.add(t.name);
    if (t.shape.length < 1 || t.shape.length > 4) {
      throw new MergeopsError('USAGE', `GGUF tensor ${t.name} has ${t.shape.length} dimensions; GGUF allows 1 to 4`,
        'reshape the tensor before writing it');
    }
    if (!isQuantTypeName(t.type)) {
      throw new MergeopsError('INTERNAL', `GGUF tensor ${t.name}: unknown type ${t.type}`, 'use a type from src/quant/types.ts');
    }
  }
}

/**
 * Computes a whole GGUF file's header and every tensor's offset from metadata, names, shapes
 * and types; nothing else is needed before data is written. The header size does not depend
 * on the tensor types, only on names and dimensions (so retyping tensors keeps offsets of the
 * header but not of the data).
 */
export function layoutGGUF(metadata: GGUFMetadata, tensors: readonly GGUFTensorSpec[], alignment = GGUF_DEFAULT_ALIGNMENT): GGUFLayout {
  checkTensors(tensors);
  if (!(alignment > 0 && (alignment & (alignment - 1)) === 0)) {
    throw new MergeopsError('USAGE', `GGUF alignment ${alignment} is not a power of two`, 'use 32 (the default) or another power of two');
  }
  const meta = metadata.clone();
  if (alignment !== GGUF_DEFAULT_ALIGNMENT) meta.set(kv.u32('general.alignment', alignment));
  const w = new ByteWriter();
  w.u32(GGUF_MAGIC);
  w.u32(GGUF_VERSION);
  w.u64(tensors.length);
  w.u64(meta.size);
  for (const e of meta.entries()) writeKV(w, e);
  const slots: GGUFTensorSlot[] = [];
  let rel = 0;
  for (const t of tensors) {
    let nbytes: number;
    try {
      nbytes = ggmlTensorBytes(t.type, t.shape);
    } catch (e) {
      throw new MergeopsError('USAGE', `GGUF tensor ${t.name} [${t.shape.join(', ')}]: ${(e as Error).message}`,
        'choose a type whose block size divides the row length (the type selection falls back to such a type)');
    }
    w.str(t.name);
    w.u32(t.shape.length);
    for (let i = t.shape.length - 1; i >= 0; i--) w.u64(t.shape[i]);
    w.u32(ggmlType(t.type).id);
    w.u64(rel);
    slots.push({ ...t, offset: rel, nbytes });
    rel += pad(nbytes, alignment);
  }
  const dataOffset = pad(w.length, alignment);
  w.zeros(dataOffset - w.length);
  for (const s of slots) s.offset += dataOffset;
  return { header: w.result(), dataOffset, tensors: slots, fileSize: dataOffset + rel, alignment };
}

// ---------------------------------------------------------------------------------------------
// Splits (llama.cpp gguf-split format)
// ---------------------------------------------------------------------------------------------

export interface GGUFSplitOptions {
  /** most tensor bytes (each padded to the alignment) per file, as `gguf-split --split-max-size` */
  maxBytes?: number;
  /** most tensors per file, as `gguf-split --split-max-tensors` */
  maxTensors?: number;
}

export interface GGUFSplitFile {
  /** `<prefix>-00001-of-00003.gguf` */
  fileName: string;
  layout: GGUFLayout;
  /** this file's KVs (split files carry their own `split.*` keys) */
  metadata: GGUFMetadata;
}

/** llama.cpp's `llama_split_path`: `%s-%05d-of-%05d.gguf` with a 1-based index. */
export function ggufSplitName(prefix: string, index: number, count: number): string {
  return `${prefix}-${String(index + 1).padStart(5, '0')}-of-${String(count).padStart(5, '0')}.gguf`;
}

/**
 * Splits one model over several GGUF files the way `gguf-split --split` does: tensors stay in
 * order; a new file starts when the next tensor would exceed `maxBytes` (or every `maxTensors`
 * tensors); the first file carries all metadata, every file then gets `split.no` (u16),
 * `split.tensors.count` (i32, the total) and `split.count` (u16) in that order (gguf.cpp moves a
 * re-set key to the end, which is what happens to `split.count`). One file → no split keys.
 */
export function splitGGUF(metadata: GGUFMetadata, tensors: readonly GGUFTensorSpec[], prefix: string, o: GGUFSplitOptions,
  alignment = GGUF_DEFAULT_ALIGNMENT): GGUFSplitFile[] {
  checkTensors(tensors);
  const groups: GGUFTensorSpec[][] = [[]];
  let cur = 0;
  tensors.forEach((t, i) => {
    const n = pad(ggmlTensorBytes(t.type, t.shape), alignment);
    const bySize = o.maxBytes !== undefined && cur + n > o.maxBytes && groups[groups.length - 1].length > 0;
    const byCount = o.maxTensors !== undefined && i > 0 && i % o.maxTensors === 0;
    if (bySize || byCount) {
      groups.push([]);
      cur = n;
    } else {
      cur += n;
    }
    groups[groups.length - 1].push(t);
  });
  if (groups.length === 1) return [{ fileName: `${prefix}.gguf`, layout: layoutGGUF(metadata, tensors, alignment), metadata }];
  return groups.map((g, i) => {
    const m = i === 0 ? metadata.clone() : new GGUFMetadata();
    m.setLast(kv.u16('split.no', i));
    m.setLast(kv.i32('split.tensors.count', tensors.length));
    m.setLast(kv.u16('split.count', groups.length));
    return { fileName: ggufSplitName(prefix, i, groups.length), layout: layoutGGUF(m, g, alignment), metadata: m };
  });
}
