/**
 * ggml tensor types as GGUF stores them: id, block size (elements) and bytes per block
 * (ggml/include/ggml.h, gguf-py constants.py). Only what the GGUF codec needs to lay a file
 * out. The quantization kernels' own table (src/quant/types.ts, branch quant-kernels) carries
 * the same numbers; this one exists so the codec builds without the kernels.
 */

export interface GGMLTypeInfo {
  name: GGMLTypeName;
  id: number;
  blockSize: number;
  typeSize: number;
}

export const GGML_TYPES = {
  F32: { id: 0, blockSize: 1, typeSize: 4 },
  F16: { id: 1, blockSize: 1, typeSize: 2 },
  Q4_0: { id: 2, blockSize: 32, typeSize: 18 },
  Q4_1: { id: 3, blockSize: 32, typeSize: 20 },
  Q5_0: { id: 6, blockSize: 32, typeSize: 22 },
  Q5_1: { id: 7, blockSize: 32, typeSize: 24 },
  Q8_0: { id: 8, blockSize: 32, typeSize: 34 },
  Q2_K: { id: 10, blockSize: 256, typeSize: 84 },
  Q3_K: { id: 11, blockSize: 256, typeSize: 110 },
  Q4_K: { id: 12, blockSize: 256, typeSize: 144 },
  Q5_K: { id: 13, blockSize: 256, typeSize: 176 },
  Q6_K: { id: 14, blockSize: 256, typeSize: 210 },
  IQ4_NL: { id: 20, blockSize: 32, typeSize: 18 },
  BF16: { id: 30, blockSize: 1, typeSize: 2 },
} as const;

export type GGMLTypeName = keyof typeof GGML_TYPES;

export function ggmlType(name: GGMLTypeName): GGMLTypeInfo {
  return { name, ...GGML_TYPES[name] };
}

export function ggmlTypeById(id: number): GGMLTypeInfo | undefined {
  for (const [name, t] of Object.entries(GGML_TYPES)) if (t.id === id) return { name: name as GGMLTypeName, ...t };
  return undefined;
}

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
