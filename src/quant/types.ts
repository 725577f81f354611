/**
 * GGUF tensor types (ggml_type): ids, block sizes and bytes per block, as in ggml.h and
 * gguf-py constants.py (reference: llamacpp.md §1.3). `kernel` names the WebAssembly export
 * that writes the type, for the types mergeops can produce.
 */

export interface GgmlTypeInfo {
  /** Name as llama.cpp prints it (`Q4_K`, `F16`, …). */
  readonly name: string;
  /** `enum ggml_type` value, written in GGUF tensor infos. */
  readonly id: number;
  /** Elements per block; a row length must be a multiple of it. */
  readonly blockSize: number;
  /** Bytes per block. */
  readonly typeSize: number;
  /** Kernel export (`quantize_<t>`) that produces this type, if mergeops can. */
  readonly kernel?: QuantKernelName;
}

/** The quantize exports of kernels.wasm (see wasm/src/quant_legacy.rs, quant_k.rs). */
export type QuantKernelName =
  | 'quantize_f16' | 'quantize_bf16'
  | 'quantize_q8_0' | 'quantize_q4_0' | 'quantize_q4_1' | 'quantize_q5_0' | 'quantize_q5_1'
  | 'quantize_q2_k' | 'quantize_q3_k' | 'quantize_q4_k' | 'quantize_q5_k' | 'quantize_q6_k';

const row = (name: string, id: number, blockSize: number, typeSize: number, kernel?: QuantKernelName): GgmlTypeInfo =>
  kernel ? { name, id, blockSize, typeSize, kernel } : { name, id, blockSize, typeSize };

/** Every ggml type a current GGUF file may contain (removed ids 4, 5, 31–33, 36–38 omitted). */
export const GGML_TYPES: readonly GgmlTypeInfo[] = [
  row('F32', 0, 1, 4),
  row('F16', 1, 1, 2, 'quantize_f16'),
  row('Q4_0', 2, 32, 18, 'quantize_q4_0'),
  row('Q4_1', 3, 32, 20, 'quantize_q4_1'),
  row('Q5_0', 6, 32, 22, 'quantize_q5_0'),
  row('Q5_1', 7, 32, 24, 'quantize_q5_1'),
  row('Q8_0', 8, 32, 34, 'quantize_q8_0'),
  row('Q8_1', 9, 32, 36),
  row('Q2_K', 10, 256, 84, 'quantize_q2_k'),
  row('Q3_K', 11, 256, 110, 'quantize_q3_k'),
  row('Q4_K', 12, 256, 144, 'quantize_q4_k'),
  row('Q5_K', 13, 256, 176, 'quantize_q5_k'),
  row('Q6_K', 14, 256, 210, 'quantize_q6_k'),
  row('Q8_K', 15, 256, 292),
  row('IQ2_XXS', 16, 256, 66),
  row('IQ2_XS', 17, 256, 74),
  row('IQ3_XXS', 18, 256, 98),
  row('IQ1_S', 19, 256, 50),
  row('IQ4_NL', 20, 32, 18),
  row('IQ3_S', 21, 256, 110),
  row('IQ2_S', 22, 256, 82),
  row('IQ4_XS', 23, 256, 136),
  row('I8', 24, 1, 1),
  row('I16', 25, 1, 2),
  row('I32', 26, 1, 4),
  row('I64', 27, 1, 8),
  row('F64', 28, 1, 8),
  row('IQ1_M', 29, 256, 56),
  row('BF16', 30, 1, 2, 'quantize_bf16'),
  row('TQ1_0', 34, 256, 54),
  row('TQ2_0', 35, 256, 66),
  row('MXFP4', 39, 32, 17),
  row('NVFP4', 40, 64, 36),
  row('Q1_0', 41, 128, 18),
  row('Q2_0', 42, 64, 18),
];

/** The types mergeops writes (F32 is a plain copy and needs no kernel). */
export const QUANT_TYPE_NAMES = ['F32', 'F16', 'BF16', 'Q8_0', 'Q4_0', 'Q4_1', 'Q5_0', 'Q5_1', 'Q2_K', 'Q3_K', 'Q4_K', 'Q5_K', 'Q6_K'] as const;
export type QuantTypeName = (typeof QUANT_TYPE_NAMES)[number];

const BY_NAME = new Map(GGML_TYPES.map((t) => [t.name, t]));
const BY_ID = new Map(GGML_TYPES.map((t) => [t.id, t]));

/** The row for a type name (`Q4_K`), or undefined. */
export function ggmlTypeByName(name: string): GgmlTypeInfo | undefined {
  return BY_NAME.get(name.toUpperCase());
}

/** The row for a ggml_type id, or undefined. */
export function ggmlTypeById(id: number): GgmlTypeInfo | undefined {
  return BY_ID.get(id);
}

export function isQuantTypeName(name: string): name is QuantTypeName {
  return (QUANT_TYPE_NAMES as readonly string[]).includes(name);
}

/** Bytes of one row of `nPerRow` elements (`ggml_row_size`); nPerRow must be a multiple of the block. */
export function rowBytes(t: GgmlTypeInfo, nPerRow: number): number {
  return (nPerRow / t.blockSize) * t.typeSize;
}

/** The row of a type mergeops writes. */
export function ggmlType(name: QuantTypeName): GgmlTypeInfo {
  return BY_NAME.get(name)!;
}

/** Bytes of a tensor of `shape` (outermost first, as PyTorch) stored as `type`; rows must be whole blocks. */
export function ggmlTensorBytes(type: QuantTypeName, shape: readonly number[]): number {
  const t = ggmlType(type);
  const ne0 = shape.length === 0 ? 1 : shape[shape.length - 1];
  if (ne0 % t.blockSize !== 0) {
    throw new RangeError(`a row of ${ne0} elements is not a whole number of ${type} blocks (${t.blockSize})`);
  }
  let rows = 1;
  for (let i = 0; i < shape.length - 1; i++) rows *= shape[i];
  return rowBytes(t, ne0) * rows;
}
