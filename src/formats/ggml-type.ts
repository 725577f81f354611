/**
 * The ggml tensor types GGUF files written by mergeops contain, keyed by name, with what the
 * GGUF layout needs (id, block size, bytes per block). The numbers come from the kernels'
 * table (src/quant/types.ts).
 */
import { ggmlTypeByName, QUANT_TYPE_NAMES, type QuantTypeName } from '../quant/types.js';

export type GGMLTypeName = QuantTypeName;

export interface GGMLTypeInfo {
  name: GGMLTypeName;
  id: number;
  blockSize: number;
  typeSize: number;
}

export const GGML_TYPES: Readonly<Record<GGMLTypeName, GGMLTypeInfo>> = Object.fromEntries(QUANT_TYPE_NAMES.map((n) => {
  const t = ggmlTypeByName(n)!;
  return [n, { name: n, id: t.id, blockSize: t.blockSize, typeSize: t.typeSize }];
})) as Record<GGMLTypeName, GGMLTypeInfo>;

/** Bytes of a tensor of `shape` (outermost first, as PyTorch) stored as `type`; rows must be whole blocks. */
export function ggmlTensorBytes(type: GGMLTypeName, shape: readonly number[]): number {
  const t = GGML_TYPES[type];
  const ne0 = shape.length === 0 ? 1 : shape[shape.length - 1];
  if (ne0 % t.blockSize !== 0) {
    throw new RangeError(`a row of ${ne0} elements is not a whole number of ${type} blocks (${t.blockSize})`);
  }
  let rows = 1;
  for (let i = 0; i < shape.length - 1; i++) rows *= shape[i];
  return (ne0 / t.blockSize) * t.typeSize * rows;
}
