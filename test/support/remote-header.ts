/** Reads a remote safetensors file's header with two range requests (no shard download). */
import { parseHeaderLength, parseSafetensorsHeader, type SafetensorsHeader } from '../../src/formats/safetensors.js';
import { rangeRead, type RangeReadOptions } from '../../src/io/range-read.js';
import type { HttpSource } from '../../src/model/tensor.js';

export async function readRemoteSafetensorsHeader(src: HttpSource, opts: RangeReadOptions = {}): Promise<SafetensorsHeader> {
  const first8 = new Uint8Array(Math.min(8, src.size));
  await rangeRead(src, 0, first8, opts);
  const headerLength = parseHeaderLength(first8, src.size, src.label);
  const json = new Uint8Array(headerLength);
  await rangeRead(src, 8, json, opts);
  return parseSafetensorsHeader(json, headerLength, src.size, src.label);
}
