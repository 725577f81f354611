/** `mergeops quantize <model folder> --type TYPE`: a safetensors model folder to a GGUF file. */
import { smokeTestGGUF } from '../../eval/load-check.js';
import { MergeopsError } from '../../errors.js';
import { quantizeFolder } from '../../quantize.js';
import { readRunOptions } from '../../options/run-options.js';
import { CLI_NAMING, fileTypeValue } from '../../options/validate.js';
import { defineCommand } from '../command.js';
import { onePositional } from '../common.js';
import { checkLine } from '../format.js';
import { bytes, duration } from '../../units.js';

export const quantizeCommand = defineCommand({
  name: 'quantize',
  summary: 'convert a safetensors model folder to a GGUF file (any quant type)',
  help: `Usage: mergeops quantize <model folder> --type TYPE [options]

Writes <name>-<TYPE>.gguf from a folder of safetensors shards, config.json and tokenizer files, with
llama.cpp's tensor names, metadata and vocabulary, then loads it with llama.cpp to decode a few tokens.

Options:
  -t, --type TYPE        GGUF file type (required): F32 F16 BF16 Q8_0 Q4_0 Q4_1 Q5_0 Q5_1 Q2_K Q3_K_S
                         Q3_K_M Q3_K_L Q4_K_S Q4_K_M Q5_K_S Q5_K_M Q6_K
  -o, --out DIR          folder for the GGUF file(s) (default: the model folder)
  --name NAME            general.name of the GGUF (default: from the folder name)
  -j, --threads N        encoder threads (default: one per core)
  --tokenizer-pre NAME   tokenizer.ggml.pre for a BPE tokenizer llama.cpp does not recognise
  --split-max-size SIZE  split the GGUF (gguf-split format) into files of at most SIZE of tensors
  --split-max-tensors N  split the GGUF into files of at most N tensors
  --overwrite            replace existing GGUF files of that name
  --force-overwrite      replace existing files of that name even when they are not GGUF files
  --skip-gguf-check      do not load the GGUF with llama.cpp to decode a few tokens
  -h, --help             this text
`,
  options: {
    type: { type: 'string', short: 't' },
    out: { type: 'string', short: 'o' },
    name: { type: 'string' },
    threads: { type: 'string', short: 'j' },
    'tokenizer-pre': { type: 'string' },
    'split-max-size': { type: 'string' },
    'split-max-tensors': { type: 'string' },
    overwrite: { type: 'boolean' },
    'force-overwrite': { type: 'boolean' },
    'skip-gguf-check': { type: 'boolean' },
  },
  async run({ values: f, positionals }, io) {
    const modelDir = onePositional(positionals, 'quantize', 'a model folder', './my-model --type Q4_K_M');
    if (!f.type) throw new MergeopsError('USAGE', '`mergeops quantize` needs --type', 'e.g. --type Q4_K_M, Q8_0 or F16 (see --help)');
    const fileType = fileTypeValue(CLI_NAMING, 'type', f.type);
    const opts = readRunOptions(f, CLI_NAMING);
    const t0 = performance.now();
    const r = await quantizeFolder({
      modelDir,
      outDir: f.out ?? modelDir,
      fileType,
      general: f.name !== undefined ? { name: f.name } : {},
      tokenizerPre: f['tokenizer-pre'],
      split: opts.ggufSplit,
      overwrite: f.overwrite ?? false,
      forceOverwrite: f['force-overwrite'] ?? false,
      log: (line) => io.err(`${line}\n`),
      threads: opts.threads,
      check: !(f['skip-gguf-check'] ?? false),
      loadCheck: smokeTestGGUF,
    });
    io.out(`wrote ${r.plan.tensors.length} tensors as ${fileType} in ${duration((performance.now() - t0) / 1000)}\n`);
    for (const file of r.files) io.out(`  ${file.path}  ${bytes(file.bytes)}\n`);
    if (r.check) io.out(`${checkLine(r.files[0].path, r.check)}\n`);
    return 0;
  },
});
