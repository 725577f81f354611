/** `mergeops quantize <model folder> --type TYPE`: options read and checked here, then one call. */
import { MergeopsError } from '../errors.js';
import { convertModelToGGUF } from '../execute/gguf-convert.js';
import { requireByteSize } from '../model/byte-size.js';
import { parseFileType } from '../quant/select.js';
import { bytes, duration } from './format.js';
import type { SmokeResult } from '../execute/gguf-smoke.js';

export interface QuantizeFlags {
  type?: string;
  out?: string;
  name?: string;
  'tokenizer-pre'?: string;
  'split-max-size'?: string;
  'split-max-tensors'?: string;
  overwrite?: boolean;
  threads?: string;
  'skip-gguf-check'?: boolean;
}

/** What llama.cpp made of a written GGUF file, for the log. */
export function checkLine(file: string, c: SmokeResult): string {
  return c.ran ? `  llama.cpp loads ${file} and decodes ${JSON.stringify(c.text)} after a short prompt`
    : `  ${file}: not loaded with llama.cpp (node-llama-cpp is not installed here)`;
}

export async function quantizeCommand(modelDir: string | undefined, f: QuantizeFlags): Promise<number> {
  if (!modelDir) throw new MergeopsError('USAGE', '`mergeops quantize` needs a model folder', 'mergeops quantize ./my-model --type Q4_K_M');
  if (!f.type) throw new MergeopsError('USAGE', '`mergeops quantize` needs --type', 'e.g. --type Q4_K_M, Q8_0 or F16 (see --help)');
  const fileType = parseFileType(f.type);
  let maxBytes: number | undefined;
  if (f['split-max-size'] !== undefined) {
    maxBytes = requireByteSize(f['split-max-size'], '--split-max-size');
  }
  let maxTensors: number | undefined;
  if (f['split-max-tensors'] !== undefined) {
    maxTensors = Number(f['split-max-tensors']);
    if (!(Number.isInteger(maxTensors) && maxTensors >= 1)) {
      throw new MergeopsError('USAGE', `--split-max-tensors ${f['split-max-tensors']} is not a positive whole number`, 'e.g. --split-max-tensors 128');
    }
  }
  let threads: number | undefined;
  if (f.threads !== undefined) {
    threads = Number(f.threads);
    if (!(Number.isInteger(threads) && threads >= 1)) {
      throw new MergeopsError('USAGE', `--threads ${f.threads} is not a positive whole number`, 'e.g. --threads 2 (default: one per core)');
    }
  }
  const t0 = performance.now();
  const r = await convertModelToGGUF({
    modelDir,
    outDir: f.out ?? modelDir,
    fileType,
    general: f.name !== undefined ? { name: f.name } : {},
    tokenizerPre: f['tokenizer-pre'],
    split: maxBytes !== undefined || maxTensors !== undefined ? { maxBytes, maxTensors } : undefined,
    overwrite: f.overwrite ?? false,
    threads,
    check: !(f['skip-gguf-check'] ?? false),
  });
  process.stdout.write(`wrote ${r.plan.tensors.length} tensors as ${fileType} in ${duration((performance.now() - t0) / 1000)}\n`);
  for (const file of r.files) process.stdout.write(`  ${file.path}  ${bytes(file.bytes)}\n`);
  if (r.check) process.stdout.write(`${checkLine(r.files[0].path, r.check)}\n`);
  return 0;
}
