/**
 * `mergeops quantize` against llama.cpp's own pipeline: our BF16 conversion (convert_hf_to_gguf's
 * `--outtype auto` for a bf16 checkpoint) quantized by llama.cpp's `llama_model_quantize` (the
 * `llama-quantize` tool, called in-process through koffi) must equal our direct conversion byte
 * for byte: KV order, tensor order, per-tensor types (bumps, output/tied rules, fallbacks) and
 * every quantized block. Q8_0 is convert's own `--outtype q8_0` (convert's tensor and KV order),
 * so its tensors are compared by name. (Logits of quantized files: test/formats/gguf-convert.test.ts.)
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { quantizeFolder } from '../../src/quantize.js';
import { FILE_TYPES, type FileTypeName } from '../../src/quant/select.js';
import { generateModel } from '../support/generate-model.js';
import { readGGUF, readBytes } from '../support/gguf-read.js';
import { llamaQuantize, llamaQuantizeDefaults } from '../support/llama-quantize.js';
import { EXAMPLE_MODELS, tempDir } from '../support/tmp.js';

const { dir: TMP, cleanup } = tempDir('mergeops-quantize-');
afterAll(cleanup);

const MODEL = path.join(TMP, 'model');
let intermediate: string;

beforeAll(async () => {
  // n_embd and n_ff multiples of 256 (K-quants apply), 8 layers (use_more_bits picks 0, 3, 6, 7), tied and untied below
  await generateModel({ arch: 'llama', dir: MODEL, dtype: 'BF16', seed: 3, hiddenSize: 256, numLayers: 8, intermediateSize: 256, vocabSize: 320 });
  intermediate = (await quantizeFolder({ modelDir: MODEL, outDir: TMP, fileType: 'BF16', prefix: 'intermediate' })).files[0].path;
});

test('the llama_model_quantize_params layout matches the bundled llama.cpp', () => {
  const d = llamaQuantizeDefaults();
  expect([d.nthread, d.ftype, d.output_tensor_type, d.token_embedding_type, d.quantize_output_tensor, d.pure]).toEqual([0, 7, 43, 43, true, false]);
  expect(Number(d.max_buf_size)).toBe(8 * 1024 ** 3);
});

function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

const K_AND_LEGACY: FileTypeName[] = ['Q2_K', 'Q3_K_S', 'Q3_K_M', 'Q3_K_L', 'Q4_K_S', 'Q4_K_M', 'Q5_K_S', 'Q5_K_M', 'Q6_K', 'Q4_0', 'Q4_1', 'Q5_0', 'Q5_1'];

test.each(K_AND_LEGACY)('%s: byte-identical to llama-quantize of our BF16 conversion', async (ft) => {
  const theirs = path.join(TMP, `llama-${ft}.gguf`);
  expect(llamaQuantize(intermediate, theirs, FILE_TYPES[ft].id)).toBe(0);
  const ours = (await quantizeFolder({ modelDir: MODEL, outDir: TMP, fileType: ft, prefix: `ours-${ft}` })).files[0].path;
  const a = readFileSync(theirs);
  const b = readFileSync(ours);
  expect(firstDifference(a, b)).toBe(-1);
});

test('Q8_0: every tensor byte-identical to llama-quantize; names, shapes and types as convert --outtype q8_0', async () => {
  const theirs = path.join(TMP, 'llama-Q8_0.gguf');
  expect(llamaQuantize(intermediate, theirs, FILE_TYPES.Q8_0.id)).toBe(0);
  const ours = (await quantizeFolder({ modelDir: MODEL, outDir: TMP, fileType: 'Q8_0', prefix: 'ours-Q8_0' })).files[0].path;
  const [ga, gb] = [await readGGUF(theirs), await readGGUF(ours)];
  expect(gb.tensors.map((t) => t.name).sort()).toEqual(ga.tensors.map((t) => t.name).sort());
  // convert's order (sorted HF names) differs from llama-quantize's (§1.5)
  expect(gb.tensors.map((t) => t.name)).not.toEqual(ga.tensors.map((t) => t.name));
  for (const t of gb.tensors) {
    const o = ga.tensors.find((x) => x.name === t.name)!;
    expect([t.name, t.shape, t.type]).toEqual([o.name, o.shape, o.type]);
    const n = t.shape.reduce((x, y) => x * y, 1);
    const bytes = t.type === 8 ? (n / 32) * 34 : n * 4;
    expect(firstDifference(readBytes(ours, t.offset, bytes), readBytes(theirs, o.offset, bytes))).toBe(-1);
  }
  // convert writes general.file_type in the arch block and no trailing moves
  expect(gb.keys.indexOf('general.file_type')).toBeLessThan(gb.keys.indexOf('tokenizer.ggml.model'));
  expect(gb.typed['general.file_type'].value).toBe(7);
});

test('rows that are not whole 256-blocks fall back as llama-quantize does (fixture, n_embd 192)', async () => {
  const base = path.join(EXAMPLE_MODELS, 'base');
  const inter = (await quantizeFolder({ modelDir: base, outDir: TMP, fileType: 'BF16', prefix: 'fixture-bf16' })).files[0].path;
  for (const ft of ['Q4_K_M', 'Q3_K_S'] as const) {
    const theirs = path.join(TMP, `fixture-llama-${ft}.gguf`);
    expect(llamaQuantize(inter, theirs, FILE_TYPES[ft].id)).toBe(0);
    const ours = (await quantizeFolder({ modelDir: base, outDir: TMP, fileType: ft, prefix: `fixture-ours-${ft}` })).files[0].path;
    expect(firstDifference(readFileSync(theirs), readFileSync(ours))).toBe(-1);
    const g = await readGGUF(ours);
    const type = (n: string) => g.tensors.find((t) => t.name === n)!.type;
    // ne0 = 192: Q4_K → Q5_0 (6), Q3_K → Q4_0 (2), output → Q8_0 (8); ffn_down (ne0 512) keeps K types
    expect(type('blk.0.attn_q.weight')).toBe(ft === 'Q4_K_M' ? 6 : 2);
    expect(type('output.weight')).toBe(8);
    expect(type('blk.0.ffn_down.weight')).toBe(ft === 'Q4_K_M' ? 12 : 11);
  }
});

test('an F32 checkpoint goes through convert\'s auto F16 file first: Q4_K_M equals llama-quantize of our F16 conversion', async () => {
  const dir = path.join(TMP, 'f32-model');
  await generateModel({ arch: 'qwen3', dir, dtype: 'F32', seed: 9, hiddenSize: 256, numLayers: 2, intermediateSize: 256, vocabSize: 320 });
  const f16 = (await quantizeFolder({ modelDir: dir, outDir: TMP, fileType: 'F16', prefix: 'f32-model-f16', tokenizerPre: 'qwen2' })).files[0].path;
  const theirs = path.join(TMP, 'f32-model-llama-Q4_K_M.gguf');
  expect(llamaQuantize(f16, theirs, FILE_TYPES.Q4_K_M.id)).toBe(0);
  const ours = (await quantizeFolder({ modelDir: dir, outDir: TMP, fileType: 'Q4_K_M', prefix: 'f32-model-ours', tokenizerPre: 'qwen2' })).files[0].path;
  expect(firstDifference(readFileSync(theirs), readFileSync(ours))).toBe(-1);
});
