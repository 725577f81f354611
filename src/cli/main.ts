#!/usr/bin/env node
/** `mergeops` command line: a thin front end over parse → resolve → plan → execute. */
import { parseArgs } from 'node:util';
import { MergeopsError } from '../errors.js';
import { defaultMaxMemory } from '../execute/budget.js';
import { parseShardSize } from '../formats/safetensors.js';
import { hubOptionsFromEnv, maskTokens } from '../hub/hub-options.js';
import type { SourceMode } from '../hub/resolve.js';
import { parseFileType } from '../quant/select.js';
import { lockRecipeFile, prepareRecipeFile, runRecipeFile } from '../pipeline.js';
import { defaultCacheDir, ShardCache } from '../store/shard-cache.js';
import type { Plan } from '../plan/types.js';
import { bytes, duration, rate } from './format.js';
import { checkLine, quantizeCommand } from './quantize.js';
import { progressReporter } from './progress.js';

const VERSION = '0.1.0';

const USAGE = `mergeops ${VERSION} — merge models from mergekit recipes

Usage:
  mergeops plan <recipe.yml> [--out-shard-size SIZE] [--json]
  mergeops run  <recipe.yml> --out DIR [--max-memory SIZE] [--threads N]
                [--out-shard-size SIZE] [--overwrite] [--keep-intermediates DIR] [--gguf TYPES]
                [--tokenizer-pre NAME] [--skip-gguf-check] [--source-mode MODE] [--frozen]
                [--allow-nonfinite]
  mergeops lock <recipe.yml>   pin every model to a commit in mergeops.lock
  mergeops quantize <model folder> --type TYPE [--out DIR] [--name NAME] [--threads N]
                [--tokenizer-pre NAME] [--split-max-size SIZE] [--split-max-tensors N] [--overwrite] [--skip-gguf-check]

Options:
  --out DIR              output folder (written to a temporary sibling, renamed at the end)
  --max-memory SIZE      memory the whole process may use, e.g. 4G, 512MiB (default: half of RAM, ≤ 16 GiB)
  --threads N            kernel worker threads (default: one per core)
  --out-shard-size SIZE  safetensors shard size, e.g. 5B (default), 500M, 2GiB
  --overwrite            replace an existing output folder
  --json                 print the plan as JSON
  --gguf TYPES           also write GGUF files, e.g. Q4_K_M,Q8_0 (default: the recipe's mergeops.quantize)
  --keep-intermediates DIR
                         multi-stage recipes: also write each named stage to DIR/<name>
                         (by default earlier stages are computed in memory, never written)
  --json                 print the plan as JSON
  --type TYPE            GGUF file type: F32 F16 BF16 Q8_0 Q4_0 Q4_1 Q5_0 Q5_1 Q2_K Q3_K_S Q3_K_M Q3_K_L
                         Q4_K_S Q4_K_M Q5_K_S Q5_K_M Q6_K (quantize; --out defaults to the model folder)
  --name NAME            general.name of the GGUF (default: from the folder name)
  --tokenizer-pre NAME   tokenizer.ggml.pre for a BPE tokenizer llama.cpp does not recognise
  --skip-gguf-check      do not load each GGUF written with llama.cpp to decode a few tokens
  --allow-nonfinite      write output tensors that hold NaN or Inf instead of failing the run
  --split-max-size SIZE  split the GGUF (gguf-split format) into files of at most SIZE of tensors
  --split-max-tensors N  split the GGUF into files of at most N tensors
  --source-mode MODE     Hub models: stream (range requests while merging), download (whole
                         shards into the cache, verified by sha256, while merging) or auto
                         (download when inputs and output fit the disk with margin; default)
  --frozen               fail unless mergeops.lock matches the recipe and upstream still has the
                         locked commits
  --lock FILE            lockfile (default: mergeops.lock beside the recipe)
  --cache-dir DIR        shard cache (default: $MERGEOPS_CACHE, else ~/.cache/mergeops)
  --cache-size SIZE      evict least recently used cached files beyond this size
  -h, --help             this text
  -v, --version          the version
`;

function sizeOption(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  try {
    return parseShardSize(v);
  } catch {
    throw new MergeopsError('USAGE', `--${name} ${v} is not a size`, 'use a number of bytes or a suffix: 512M, 4G, 2GiB');
  }
}

function printPlan(plan: Plan): void {
  const out = process.stdout;
  out.write(`method: ${plan.methodName}\n`);
  out.write(`models: ${[...new Set(plan.tensors.flatMap((t) => t.inputs.map((i) => i.modelKey)))].join(', ')}\n`);
  out.write(`output: ${plan.tensors.length} tensors in ${plan.shards.length} shard(s), ${bytes(plan.estimates.outputBytes)}\n`);
  out.write(`reads: ${bytes(plan.estimates.inputBytes)}; largest tensor ${bytes(plan.estimates.largestTensorBytes)}; `
    + `disk needed ${bytes(plan.estimates.diskBytes)}; memory: bounded by --max-memory (default ${bytes(defaultMaxMemory())})\n`);
  const tk = plan.tokenizer;
  if (tk) {
    out.write(`tokenizer: ${tk.source}${tk.vocabSize !== undefined ? `, ${tk.vocabSize} rows (${tk.added ?? 0} tokens added), embeddings remapped` : ''}`
      + `${tk.chatTemplate !== undefined ? ', chat template set' : ''}\n`);
  }
  out.write('\n  tensor                                              shape            dtype  op                  inputs\n');
  for (const t of plan.tensors) {
    const op = t.op.kind === 'linear' ? `linear ${t.op.weights.map((w) => +w.toFixed(4)).join('/')}`
      : t.op.kind === 'task_arithmetic' ? `task_arith λ${+t.op.lambda.toFixed(4)}`
        : t.op.kind === 'program' ? t.op.method
          : t.op.scale !== undefined ? `copy ×${t.op.scale}` : 'copy';
    out.write(`  ${t.name.padEnd(51)} ${`[${t.shape.join(',')}]`.padEnd(16)} ${t.dtype.padEnd(6)} ${op.padEnd(19)} `
      + `${t.inputs.map((i) => (i.tensor === t.name ? i.modelKey : `${i.modelKey}:${i.tensor}`)
        + (i.lora ? ` (LoRA r${i.lora.rank} ×${+i.lora.scale.toFixed(4)})` : '')).join(' ')}\n`);
  }
  for (const w of plan.warnings) out.write(`warning: ${w}\n`);
}

function planJson(plan: Plan): unknown {
  return {
    method: plan.methodName,
    shards: plan.shards.map((s) => ({ file: s.fileName, bytes: s.size })),
    tensors: plan.tensors.map((t) => ({
      name: t.name, shape: t.shape, dtype: t.dtype, op: t.op, shard: plan.shards[t.shard].fileName,
      inputs: t.inputs.map((i) => ({
        model: i.modelKey, tensor: i.tensor, dtype: i.dtype,
        ...(i.lora ? { lora: { adapter: i.lora.adapter, rank: i.lora.rank, scale: i.lora.scale, a: i.lora.a.tensor, b: i.lora.b.tensor } } : {}),
      })),
    })),
    estimates: plan.estimates,
    tokenizer: plan.tokenizer,
    warnings: plan.warnings,
  };
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      out: { type: 'string', short: 'o' },
      'max-memory': { type: 'string' },
      threads: { type: 'string', short: 'j' },
      'out-shard-size': { type: 'string' },
      overwrite: { type: 'boolean' },
      json: { type: 'boolean' },
      type: { type: 'string', short: 't' },
      name: { type: 'string' },
      'tokenizer-pre': { type: 'string' },
      'skip-gguf-check': { type: 'boolean' },
      'allow-nonfinite': { type: 'boolean' },
      'split-max-size': { type: 'string' },
      'split-max-tensors': { type: 'string' },
      'keep-intermediates': { type: 'string' },
      gguf: { type: 'string' },
      'source-mode': { type: 'string' },
      frozen: { type: 'boolean' },
      lock: { type: 'string' },
      'cache-dir': { type: 'string' },
      'cache-size': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
  });
  if (values.version) { process.stdout.write(`${VERSION}\n`); return 0; }
  const [command, recipeFile] = positionals;
  if (values.help || !command) { process.stdout.write(USAGE); return command || values.help ? 0 : 2; }
  if (command === 'quantize') return quantizeCommand(recipeFile, values);
  if (command !== 'plan' && command !== 'run' && command !== 'lock') {
    throw new MergeopsError('USAGE', `unknown command \`${command}\``, 'use `mergeops plan`, `mergeops run`, `mergeops lock` or `mergeops quantize` (see --help)');
  }
  if (!recipeFile) throw new MergeopsError('USAGE', `\`mergeops ${command}\` needs a recipe file`, `mergeops ${command} recipe.yml`);
  const mode = values['source-mode'] ?? 'auto';
  if (mode !== 'stream' && mode !== 'download' && mode !== 'auto') {
    throw new MergeopsError('USAGE', `--source-mode ${mode} is not a mode`, 'use stream, download or auto');
  }
  const hub = hubOptionsFromEnv(process.env);
  const log = (line: string): void => { process.stderr.write(`${maskTokens(line, hub)}\n`); };
  const common = {
    hub, log, sourceMode: mode as SourceMode, lockPath: values.lock, frozen: values.frozen ?? false,
    cache: new ShardCache(values['cache-dir'] ?? defaultCacheDir(), sizeOption(values['cache-size'], 'cache-size')),
    outShardSize: sizeOption(values['out-shard-size'], 'out-shard-size'),
  };
  if (command === 'lock') {
    const { lockPath, lock } = await lockRecipeFile(recipeFile, common);
    process.stdout.write(`wrote ${lockPath}: ${Object.keys(lock.models).length} model(s) pinned\n`);
    for (const [k, m] of Object.entries(lock.models)) {
      const lora = m.lora ? `${m.sha ?? m.path ? ' ' : ''}adapter ${m.lora.sha ?? m.lora.path ?? ''}` : '';
      process.stdout.write(`  ${k.padEnd(40)} ${m.sha ?? m.path ?? ''}${lora}\n`);
    }
    return 0;
  }
  if (command === 'plan') {
    const { plan } = await prepareRecipeFile(recipeFile, common);
    if (values.json) process.stdout.write(JSON.stringify(planJson(plan), null, 2) + '\n');
    else printPlan(plan);
    return 0;
  }
  if (!values.out) throw new MergeopsError('USAGE', '`mergeops run` needs --out DIR', 'mergeops run recipe.yml --out ./merged');
  const threads = values.threads === undefined ? undefined : Number(values.threads);
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1)) {
    throw new MergeopsError('USAGE', `--threads ${values.threads} is not a positive whole number`, 'e.g. --threads 2');
  }
  const result = await runRecipeFile(recipeFile, {
    ...common,
    outDir: values.out,
    maxMemory: sizeOption(values['max-memory'], 'max-memory'),
    threads,
    overwrite: values.overwrite ?? false,
    onProgress: progressReporter(process.stderr),
    keepIntermediates: values['keep-intermediates'],
    gguf: values.gguf === undefined ? undefined : values.gguf.split(',').map((x) => parseFileType(x.trim())),
    tokenizerPre: values['tokenizer-pre'],
    ggufCheck: !(values['skip-gguf-check'] ?? false),
    allowNonfinite: values['allow-nonfinite'] ?? false,
    onGGUF: (type) => process.stderr.write(`writing GGUF ${type}\n`),
    onPlan: (plan) => {
      for (const w of plan.warnings) process.stderr.write(`warning: ${w}\n`);
      if (values['keep-intermediates'] === undefined && plan.stages?.length) {
        process.stderr.write(`fusing ${plan.stages.length} earlier stage(s) in memory: ${plan.stages.map((s) => s.name).join(', ')}\n`);
      }
      process.stderr.write(`merging ${plan.tensors.length} tensors (${bytes(plan.estimates.inputBytes)} to read) with ${plan.methodName}\n`);
    },
  });
  for (const st of result.stages) process.stdout.write(`wrote stage ${st.name} to ${st.outDir} in ${duration(st.seconds)}\n`);
  process.stdout.write(`wrote ${result.outDir} in ${duration(result.seconds)} (${rate(result.bytesRead / result.seconds)} read)\n`);
  for (const f of result.files) process.stdout.write(`  ${f.name.padEnd(40)} ${bytes(f.bytes)}\n`);
  for (const c of result.ggufChecks) process.stdout.write(`${checkLine(c.file, c)}\n`);
  if (result.lockPath) process.stdout.write(`recorded the outputs in ${result.lockPath}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e: unknown) => {
    if (e instanceof MergeopsError) process.stderr.write(maskTokens(e.format()) + '\n');
    else if (e instanceof Error && 'code' in e && String((e as { code: unknown }).code).startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`error: ${e.message}\n  hint: see \`mergeops --help\`\n`);
    } else process.stderr.write(`internal error: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exitCode = e instanceof MergeopsError && e.code === 'USAGE' ? 2 : 1;
  },
);
