/**
 * Reads a written GGUF back with an independent parser (@huggingface/gguf) and checks that its
 * metadata keys and tensor table are the ones planned: a cheap guard run on every file written.
 */
import { stat } from 'node:fs/promises';
import { MergeopsError } from '../errors.js';
import { ggmlType } from '../quant/types.js';
import type { GGUFLayout, GGUFMetadata } from '../formats/gguf.js';

const HEADER_FIELDS = new Set(['version', 'tensor_count', 'kv_count']);

export async function verifyGGUF(file: string, layout: GGUFLayout, metadata: GGUFMetadata): Promise<void> {
  const fail = (what: string): never => {
    throw new MergeopsError('INTERNAL', `${file} does not read back as written: ${what}`,
      'this is a bug in the GGUF writer; please report it with the command that produced the file');
  };
  const { gguf } = await import('@huggingface/gguf'); // only runs that write GGUF need it
  let r: Awaited<ReturnType<typeof gguf>>;
  try {
    r = await gguf(file, { allowLocalFile: true });
  } catch (e) {
    return fail(`@huggingface/gguf cannot parse it (${(e as Error).message})`);
  }
  // As strict as the safetensors reader: the file is exactly header + tensors, no byte more or less.
  const { size } = await stat(file);
  if (size !== layout.fileSize) fail(`the file is ${size} bytes, ${layout.fileSize} planned`);
  const names = new Set<string>();
  for (const t of r.tensorInfos) {
    if (names.has(t.name)) fail(`tensor ${t.name} appears twice`);
    names.add(t.name);
  }
  const keys = Object.keys(r.metadata).filter((k) => !HEADER_FIELDS.has(k));
  const want = metadata.entries().map((e) => e.key);
  if (layout.alignment !== 32) want.push('general.alignment');
  if (keys.join('\n') !== want.join('\n')) fail(`metadata keys differ (${keys.length} read, ${want.length} written)`);
  if (r.tensorInfos.length !== layout.tensors.length) fail(`${r.tensorInfos.length} tensors read, ${layout.tensors.length} written`);
  const base = Number(r.tensorDataOffset);
  if (base !== layout.dataOffset) fail(`data starts at ${base}, planned ${layout.dataOffset}`);
  r.tensorInfos.forEach((t, i) => {
    const s = layout.tensors[i];
    const shape = t.shape.map(Number).reverse();
    if (t.name !== s.name || shape.join(',') !== s.shape.join(',') || Number(t.dtype) !== ggmlType(s.type).id
      || base + Number(t.offset) !== s.offset) {
      fail(`tensor ${i} reads as ${t.name} [${shape.join(', ')}] type ${Number(t.dtype)}, written as ${s.name} [${s.shape.join(', ')}] ${s.type}`);
    }
  });
}
