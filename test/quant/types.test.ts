/** The ggml type table: ids, block sizes and block bytes as ggml.h / gguf-py define them. */
import { GGML_TYPES, ggmlTypeById, ggmlTypeByName, isQuantTypeName, QUANT_TYPE_NAMES, rowBytes } from '../../src/quant/types.js';

test('ids and names are unique and look each other up', () => {
  expect(new Set(GGML_TYPES.map((t) => t.id)).size).toBe(GGML_TYPES.length);
  expect(new Set(GGML_TYPES.map((t) => t.name)).size).toBe(GGML_TYPES.length);
  for (const t of GGML_TYPES) {
    expect(ggmlTypeById(t.id)).toBe(t);
    expect(ggmlTypeByName(t.name.toLowerCase())).toBe(t);
  }
  expect(ggmlTypeById(4)).toBeUndefined(); // Q4_2, removed from ggml
});

test('block layouts follow from the ggml structs', () => {
  // bytes = f16 scales + packed quants, per ggml-common.h
  const f16 = 2;
  const expected: Record<string, [number, number]> = {
    Q4_0: [32, f16 + 16], Q4_1: [32, 2 * f16 + 16], Q5_0: [32, f16 + 4 + 16], Q5_1: [32, 2 * f16 + 4 + 16], Q8_0: [32, f16 + 32],
    Q2_K: [256, 2 * f16 + 16 + 64], Q3_K: [256, f16 + 32 + 64 + 12], Q4_K: [256, 2 * f16 + 12 + 128],
    Q5_K: [256, 2 * f16 + 12 + 32 + 128], Q6_K: [256, f16 + 128 + 64 + 16], F16: [1, 2], BF16: [1, 2], F32: [1, 4],
  };
  for (const [name, [block, bytes]] of Object.entries(expected)) {
    const t = ggmlTypeByName(name)!;
    expect([name, t.blockSize, t.typeSize]).toEqual([name, block, bytes]);
  }
  expect(rowBytes(ggmlTypeByName('Q4_K')!, 4096)).toBe(16 * 144);
});

test('every writable type except F32 names its kernel', () => {
  for (const name of QUANT_TYPE_NAMES) {
    expect(isQuantTypeName(name)).toBe(true);
    const t = ggmlTypeByName(name)!;
    if (name === 'F32') expect(t.kernel).toBeUndefined();
    else expect(t.kernel).toBe(`quantize_${name.toLowerCase()}`);
  }
  expect(isQuantTypeName('IQ4_NL')).toBe(false);
});
