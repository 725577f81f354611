/**
 * `node build/bench/gguf.js [hidden] [layers]`: `mergeops quantize` throughput (single thread,
 * the standalone path) for F16, Q8_0 and Q4_K_M on a generated Llama-shaped bf16 model, against
 * llama.cpp's own `llama_model_quantize` (1 thread) quantizing our BF16 conversion of it.
 * Prints a table; parameters per second are over the model's element count.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { quantizeFolder } from '../src/quantize.js';
import { FILE_TYPES, type FileTypeName } from '../src/quant/select.js';
import { generateModel } from '../test/support/generate-model.js';
import { llamaQuantize } from '../test/support/llama-quantize.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const WORK = join(ROOT, '.bench-work', 'gguf');
const hidden = Number(process.argv[2] ?? 1024);
const layers = Number(process.argv[3] ?? 8);

rmSync(WORK, { recursive: true, force: true });
mkdirSync(WORK, { recursive: true });
const model = join(WORK, 'model');
await generateModel({ arch: 'llama', dir: model, dtype: 'BF16', hiddenSize: hidden, numLayers: layers, intermediateSize: hidden * 2.75, vocabSize: 32000, numHeads: hidden / 64, numKvHeads: hidden / 256 });
const bf16 = await quantizeFolder({ modelDir: model, outDir: WORK, fileType: 'BF16', prefix: 'intermediate' });
const params = bf16.plan.tensors.reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0);
process.stdout.write(`model: hidden ${hidden}, ${layers} layers, vocab 32000: ${(params / 1e6).toFixed(1)} M parameters\n\n`);
process.stdout.write('| type | mergeops quantize (1 thread) | llama_model_quantize from BF16 (1 thread) |\n|---|---|---|\n');
for (const ft of ['F16', 'Q8_0', 'Q4_K_M'] as FileTypeName[]) {
  let t0 = performance.now();
  await quantizeFolder({ modelDir: model, outDir: WORK, fileType: ft, prefix: `ours-${ft}` });
  const ours = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const rc = llamaQuantize(bf16.files[0].path, join(WORK, `llama-${ft}.gguf`), FILE_TYPES[ft].id);
  const theirs = (performance.now() - t0) / 1000;
  if (rc !== 0) throw new Error(`llama_model_quantize failed (${rc})`);
  process.stdout.write(`| ${ft} | ${ours.toFixed(2)} s (${(params / ours / 1e6).toFixed(1)} M params/s) | ${theirs.toFixed(2)} s (${(params / theirs / 1e6).toFixed(1)} M params/s) |\n`);
}
rmSync(WORK, { recursive: true, force: true });
