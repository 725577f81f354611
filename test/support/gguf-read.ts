/** Reads GGUF files back with @huggingface/gguf (an independent parser) for tests. */
import { openSync, readSync, closeSync } from 'node:fs';
import { gguf } from '@huggingface/gguf';

export interface ReadTensor {
  name: string;
  /** outermost first (the reverse of GGUF's ne) */
  shape: number[];
  /** ggml type id */
  type: number;
  /** absolute offset in the file */
  offset: number;
}

export interface ReadGGUF {
  /** KV keys in file order (without the header fields) */
  keys: string[];
  /** key → { value, type, subType? } as @huggingface/gguf types them */
  typed: Record<string, { value: unknown; type: number; subType?: number }>;
  tensors: ReadTensor[];
}

const HEADER_FIELDS = new Set(['version', 'tensor_count', 'kv_count']);

export async function readGGUF(file: string): Promise<ReadGGUF> {
  const r = await gguf(file, { allowLocalFile: true, typedMetadata: true });
  const typed = r.typedMetadata as unknown as Record<string, { value: unknown; type: number; subType?: number }>;
  const keys = Object.keys(typed).filter((k) => !HEADER_FIELDS.has(k));
  const base = Number(r.tensorDataOffset);
  const tensors = r.tensorInfos.map((t) => ({
    name: t.name, shape: t.shape.map(Number).reverse(), type: Number(t.dtype), offset: base + Number(t.offset),
  }));
  return { keys, typed, tensors };
}

export function readBytes(file: string, offset: number, length: number): Uint8Array {
  const fd = openSync(file, 'r');
  try {
    const b = new Uint8Array(length);
    let done = 0;
    while (done < length) done += readSync(fd, b, done, length - done, offset + done);
    return b;
  } finally {
    closeSync(fd);
  }
}
