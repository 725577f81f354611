/**
 * llama-quantize's per-tensor type rules (llamacpp.md §3), as data. The whole-file comparison
 * with llama.cpp itself is in llama-quantize.heavy.test.ts (npm run test:heavy); these pin the rules one by one.
 */
import { MergeopsError } from '../../src/errors.js';
import { compareQuantizeOrder, fallbackType, ggmlNDims, parseFileType, selectTypes, type SelectTensor } from '../../src/quant/select.js';

function llamaTensors(nLayer: number, nEmbd: number, nFf: number, nKv: number, tied: boolean): SelectTensor[] {
  const t: SelectTensor[] = [{ name: 'token_embd.weight', shape: [320, nEmbd] }, { name: 'output_norm.weight', shape: [nEmbd] }];
  if (!tied) t.push({ name: 'output.weight', shape: [320, nEmbd] });
  for (let i = 0; i < nLayer; i++) {
    const b = `blk.${i}.`;
    t.push(
      { name: `${b}attn_norm.weight`, shape: [nEmbd] }, { name: `${b}attn_q.weight`, shape: [nEmbd, nEmbd] },
      { name: `${b}attn_k.weight`, shape: [nKv, nEmbd] }, { name: `${b}attn_v.weight`, shape: [nKv, nEmbd] },
      { name: `${b}attn_output.weight`, shape: [nEmbd, nEmbd] }, { name: `${b}ffn_norm.weight`, shape: [nEmbd] },
      { name: `${b}ffn_gate.weight`, shape: [nFf, nEmbd] }, { name: `${b}ffn_up.weight`, shape: [nFf, nEmbd] },
      { name: `${b}ffn_down.weight`, shape: [nEmbd, nFf] },
    );
  }
  // reversed: the counters must follow llama-quantize's sorted order, not the input order
  return t.reverse();
}

const MODEL8 = { nLayer: 8, nHead: 4, nHeadKv: 2, arch: 'llama' };

function typesOf(ft: Parameters<typeof selectTypes>[0], tensors: SelectTensor[], model = MODEL8): Map<string, string | null> {
  return new Map(selectTypes(ft, model, tensors).map((t) => [t.name, t.type]));
}

const perLayer = (m: Map<string, string | null>, what: string, n: number): (string | null)[] =>
  Array.from({ length: n }, (_, i) => m.get(`blk.${i}.${what}.weight`) ?? null);

test('llama-quantize order: non-block tensors by bytes, then blocks numerically, names by bytes', () => {
  const names = ['token_embd.weight', 'blk.10.attn_q.weight', 'output_norm.weight', 'blk.2.ffn_up.weight', 'output.weight',
    'blk.2.attn_k.weight', 'rope_freqs.weight', 'blk.2.attn_norm.weight'];
  expect([...names].sort(compareQuantizeOrder)).toEqual(['output.weight', 'output_norm.weight', 'rope_freqs.weight', 'token_embd.weight',
    'blk.2.attn_k.weight', 'blk.2.attn_norm.weight', 'blk.2.ffn_up.weight', 'blk.10.attn_q.weight']);
});

test('Q4_K_M: attn_v and ffn_down get Q6_K on use_more_bits layers (0, 3, 6, 7 of 8); output Q6_K; norms untouched', () => {
  const m = typesOf('Q4_K_M', llamaTensors(8, 256, 512, 128, false));
  expect(perLayer(m, 'attn_v', 8)).toEqual(['Q6_K', 'Q4_K', 'Q4_K', 'Q6_K', 'Q4_K', 'Q4_K', 'Q6_K', 'Q6_K']);
  expect(perLayer(m, 'ffn_down', 8)).toEqual(['Q6_K', 'Q4_K', 'Q4_K', 'Q6_K', 'Q4_K', 'Q4_K', 'Q6_K', 'Q6_K']);
  expect(perLayer(m, 'attn_q', 8).every((t) => t === 'Q4_K')).toBe(true);
  expect(m.get('output.weight')).toBe('Q6_K');
  expect(m.get('token_embd.weight')).toBe('Q4_K');
  expect(m.get('output_norm.weight')).toBeNull();
  expect(m.get('blk.3.ffn_norm.weight')).toBeNull();
  // the sorted order is what selectTypes returns
  const out = selectTypes('Q4_K_M', MODEL8, llamaTensors(8, 256, 512, 128, false)).map((t) => t.name);
  expect(out.slice(0, 4)).toEqual(['output.weight', 'output_norm.weight', 'token_embd.weight', 'blk.0.attn_k.weight']);
});

test('tied embeddings: token_embd takes the output rule', () => {
  expect(typesOf('Q4_K_M', llamaTensors(8, 256, 512, 128, true)).get('token_embd.weight')).toBe('Q6_K');
  expect(typesOf('Q4_0', llamaTensors(8, 256, 512, 128, true)).get('token_embd.weight')).toBe('Q6_K');
  expect(typesOf('Q8_0', llamaTensors(8, 256, 512, 128, true)).get('token_embd.weight')).toBe('Q8_0');
});

test('Q3_K_M / Q3_K_L / Q3_K_S / Q2_K / Q4_K_S / Q5_K_M / Q6_K rules', () => {
  const t = llamaTensors(8, 256, 512, 128, false);
  const q3m = typesOf('Q3_K_M', t);
  expect(perLayer(q3m, 'attn_v', 8)).toEqual(['Q5_K', 'Q5_K', 'Q4_K', 'Q4_K', 'Q4_K', 'Q4_K', 'Q4_K', 'Q4_K']);
  expect(perLayer(q3m, 'ffn_down', 8).every((x) => x === 'Q4_K')).toBe(true); // i < 8/16 = 0: none get Q5_K
  expect(q3m.get('blk.0.attn_output.weight')).toBe('Q4_K');
  expect(q3m.get('blk.0.ffn_up.weight')).toBe('Q3_K');
  const q3l = typesOf('Q3_K_L', t);
  expect([q3l.get('blk.5.attn_v.weight'), q3l.get('blk.5.ffn_down.weight'), q3l.get('blk.5.attn_output.weight'), q3l.get('blk.5.attn_q.weight')])
    .toEqual(['Q5_K', 'Q5_K', 'Q5_K', 'Q3_K']);
  const q3s = typesOf('Q3_K_S', t);
  expect([q3s.get('blk.0.attn_v.weight'), q3s.get('blk.0.ffn_down.weight'), q3s.get('output.weight')]).toEqual(['Q3_K', 'Q3_K', 'Q6_K']);
  const q2 = typesOf('Q2_K', t);
  expect([q2.get('blk.1.attn_v.weight'), q2.get('blk.1.ffn_down.weight'), q2.get('blk.1.attn_output.weight'), q2.get('blk.1.ffn_gate.weight')])
    .toEqual(['Q3_K', 'Q3_K', 'Q3_K', 'Q2_K']);
  // n_gqa ≥ 4 → attn_v Q4_K
  expect(typesOf('Q2_K', t, { ...MODEL8, nHead: 8, nHeadKv: 2 }).get('blk.1.attn_v.weight')).toBe('Q4_K');
  const q4s = typesOf('Q4_K_S', t);
  expect(perLayer(q4s, 'attn_v', 8)).toEqual(['Q5_K', 'Q5_K', 'Q5_K', 'Q5_K', 'Q4_K', 'Q4_K', 'Q4_K', 'Q4_K']);
  expect(perLayer(q4s, 'ffn_down', 8)).toEqual(['Q5_K', 'Q4_K', 'Q4_K', 'Q4_K', 'Q4_K', 'Q4_K', 'Q4_K', 'Q4_K']);
  const q5m = typesOf('Q5_K_M', t);
  expect(perLayer(q5m, 'attn_v', 8)).toEqual(['Q6_K', 'Q5_K', 'Q5_K', 'Q6_K', 'Q5_K', 'Q5_K', 'Q6_K', 'Q6_K']);
  expect([...typesOf('Q6_K', t).values()].filter((x) => x !== null).every((x) => x === 'Q6_K')).toBe(true);
});

test('F16/BF16/F32 file types: every quantizable tensor gets the base type, no bumps', () => {
  for (const ft of ['F16', 'BF16', 'F32'] as const) {
    const m = typesOf(ft, llamaTensors(8, 256, 512, 128, false));
    expect(new Set([...m.values()].filter((x) => x !== null))).toEqual(new Set([ft]));
  }
});

test('70B-class models (80 llama layers, GQA): attn_v Q3_K/Q4_K become Q5_K', () => {
  const m = typesOf('Q4_K_M', llamaTensors(80, 256, 256, 128, false), { nLayer: 80, nHead: 8, nHeadKv: 1, arch: 'llama' });
  expect(m.get('blk.11.attn_v.weight')).toBe('Q5_K'); // not a use_more_bits layer (i − 80/8 = 1)
  expect(m.get('blk.0.attn_v.weight')).toBe('Q6_K');
});

test('rows that are not whole blocks fall back (tensor_type_fallback)', () => {
  expect(['Q2_K', 'Q3_K', 'Q4_K', 'Q5_K', 'Q6_K', 'Q8_0', 'Q4_0'].map((t) => fallbackType(t as 'Q2_K', 192)))
    .toEqual(['Q4_0', 'Q4_0', 'Q5_0', 'Q5_1', 'Q8_0', 'Q8_0', 'Q4_0']);
  expect(fallbackType('Q4_K', 48)).toBe('F16');
  expect(fallbackType('Q4_K', 512)).toBe('Q4_K');
  // Qwen2.5-0.5B-like: n_embd 896 = 3.5 × 256; ffn_down rows (4864 = 19 × 256) keep K types
  const m = typesOf('Q4_K_M', llamaTensors(8, 896, 4864, 128, true));
  expect(m.get('token_embd.weight')).toBe('Q8_0');
  expect(m.get('blk.1.attn_q.weight')).toBe('Q5_0');
  expect(m.get('blk.0.attn_v.weight')).toBe('Q8_0');
  expect(m.get('blk.0.ffn_down.weight')).toBe('Q6_K');
  expect(m.get('blk.1.ffn_down.weight')).toBe('Q4_K');
});

test('n_dims and file type names', () => {
  expect([ggmlNDims([5]), ggmlNDims([1, 5]), ggmlNDims([3, 5]), ggmlNDims([1, 1, 5])]).toEqual([1, 1, 2, 1]);
  expect(parseFileType('q4_k_m')).toBe('Q4_K_M');
  expect(parseFileType('Q4_K')).toBe('Q4_K_M');
  expect(parseFileType('Q5_K')).toBe('Q5_K_M');
  expect(() => parseFileType('IQ2_XXS')).toThrow(MergeopsError);
  expect(() => parseFileType('IQ2_XXS')).toThrow(/unknown GGUF file type IQ2_XXS/);
});
