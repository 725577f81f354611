/**
 * End-to-end quantization of one of the 1 GB benchmark models to Q4_K_M: `mergeops quantize`
 * (safetensors in, GGUF out) against llama.cpp's `llama_model_quantize` with 2 threads (what
 * `llama-quantize` runs; prebuilt libllama of @node-llama-cpp/linux-x64 via koffi) from our BF16
 * GGUF of the same model, both as whole processes, alternated, in this run.
 */
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { quantizeFolder } from '../src/quantize.js';
import { FILE_TYPES } from '../src/quant/select.js';
import { median, runMeasured } from './measure.js';

/** The project's reference figure: llama-quantize, Q4_K_M of such a model, 2 threads. */
const LLAMA_QUANTIZE_SECONDS = 17.2;

export async function quantizeSection(root: string, work: string, modelDir: string): Promise<string[]> {
  const cli = join(root, 'dist/cli.js'); // the bundled CLI users run (npx mergeops)
  const llama = join(root, 'build/bench/llama-quantize-run.js');
  const dir = join(work, 'quantize');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const bf16 = await quantizeFolder({ modelDir, outDir: dir, fileType: 'BF16', prefix: 'bf16' });
  const ours: number[] = [], theirs: number[] = [], rss: number[] = [];
  let oursBytes = 0, theirsBytes = 0;
  for (let i = 0; i < 3; i++) {
    const r = runMeasured(process.execPath, [cli, 'quantize', modelDir, '--type', 'Q4_K_M', '--out', join(dir, 'ours'), '--overwrite']);
    ours.push(r.seconds); rss.push(r.maxRssBytes);
    const out = join(dir, 'llama-Q4_K_M.gguf');
    theirs.push(runMeasured(process.execPath, [llama, bf16.files[0].path, out, String(FILE_TYPES.Q4_K_M.id), '2']).seconds);
    theirsBytes = statSync(out).size;
  }
  oursBytes = statSync(join(dir, 'ours', `${modelDir.split('/').pop()}-Q4_K_M.gguf`)).size;
  rmSync(dir, { recursive: true, force: true });
  const o = median(ours), t = median(theirs);
  const f = (x: number, d = 2): string => x.toFixed(d);
  return [
    '## End to end: Q4_K_M of one model',
    '',
    'One of the three models above (bf16 safetensors, 0.97 GB) to a Q4_K_M GGUF. `mergeops quantize` reads the',
    'safetensors; llama.cpp\'s `llama_model_quantize` (2 threads) reads our BF16 GGUF of the same model (its input',
    'must be a GGUF). Whole processes, medians of 3, alternated; page cache warm.',
    '',
    '| run | seconds | output | peak RSS |',
    '|---|---|---|---|',
    `| \`mergeops quantize --type Q4_K_M\` | ${f(o)} | ${f(oursBytes / 1e9, 3)} GB | ${f(Math.max(...rss) / 1e9)} GB |`,
    `| llama.cpp \`llama_model_quantize\`, Q4_K_M, 2 threads | ${f(t)} | ${f(theirsBytes / 1e9, 3)} GB | |`,
    '',
    `- mergeops vs llama.cpp in this run: **${f(t / o)}×** (target ≥ 1.5×: ${t / o >= 1.5 ? 'met' : 'not met'});`,
    `  vs the project's reference figure (llama-quantize, 17.2 s on such a model with 2 threads): **${f(LLAMA_QUANTIZE_SECONDS / o)}×**.`,
    '',
  ];
}
