#!/usr/bin/env node
/** `mergeops` command line: a thin front end over parse → resolve → plan → execute. */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MergeopsError } from '../errors.js';
import { executePlan } from '../execute/execute.js';
import { defaultMaxMemory } from '../execute/budget.js';
import { parseShardSize } from '../formats/safetensors.js';
import { planRecipeFile } from '../pipeline.js';
import type { Plan } from '../plan/types.js';
import { bytes, duration, rate } from './format.js';
import { progressReporter } from './progress.js';

const VERSION = '0.1.0';

const USAGE = `mergeops ${VERSION} — merge models from mergekit recipes

Usage:
  mergeops plan <recipe.yml> [--out-shard-size SIZE] [--json]
  mergeops run  <recipe.yml> --out DIR [--max-memory SIZE] [--threads N]
                [--out-shard-size SIZE] [--overwrite] [--keep-intermediates DIR]

Options:
  --out DIR              output folder (written to a temporary sibling, renamed at the end)
  --max-memory SIZE      memory the whole process may use, e.g. 4G, 512MiB (default: half of RAM, ≤ 16 GiB)
  --threads N            kernel worker threads (default: one per core)
  --out-shard-size SIZE  safetensors shard size, e.g. 5B (default), 500M, 2GiB
  --overwrite            replace an existing output folder
  --keep-intermediates DIR
                         multi-stage recipes: also write each named stage to DIR/<name>
                         (by default earlier stages are computed in memory, never written)
  --json                 print the plan as JSON
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
  out.write('\n  tensor                                              shape            dtype  op                  inputs\n');
  for (const t of plan.tensors) {
    const op = t.op.kind === 'linear' ? `linear ${t.op.weights.map((w) => +w.toFixed(4)).join('/')}`
      : t.op.kind === 'task_arithmetic' ? `task_arith λ${+t.op.lambda.toFixed(4)}`
        : t.op.kind === 'program' ? t.op.method
          : t.op.scale !== undefined ? `copy ×${t.op.scale}` : 'copy';
    out.write(`  ${t.name.padEnd(51)} ${`[${t.shape.join(',')}]`.padEnd(16)} ${t.dtype.padEnd(6)} ${op.padEnd(19)} `
      + `${t.inputs.map((i) => (i.tensor === t.name ? i.modelKey : `${i.modelKey}:${i.tensor}`)).join(' ')}\n`);
  }
  for (const w of plan.warnings) out.write(`warning: ${w}\n`);
}

function planJson(plan: Plan): unknown {
  return {
    method: plan.methodName,
    shards: plan.shards.map((s) => ({ file: s.fileName, bytes: s.size })),
    tensors: plan.tensors.map((t) => ({
      name: t.name, shape: t.shape, dtype: t.dtype, op: t.op, shard: plan.shards[t.shard].fileName,
      inputs: t.inputs.map((i) => ({ model: i.modelKey, tensor: i.tensor, dtype: i.dtype })),
    })),
    estimates: plan.estimates,
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
      'keep-intermediates': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
  });
  if (values.version) { process.stdout.write(`${VERSION}\n`); return 0; }
  const [command, recipeFile] = positionals;
  if (values.help || !command) { process.stdout.write(USAGE); return command || values.help ? 0 : 2; }
  if (command !== 'plan' && command !== 'run') {
    throw new MergeopsError('USAGE', `unknown command \`${command}\``, 'use `mergeops plan` or `mergeops run` (see --help)');
  }
  if (!recipeFile) throw new MergeopsError('USAGE', `\`mergeops ${command}\` needs a recipe file`, `mergeops ${command} recipe.yml`);
  const plan = await planRecipeFile(recipeFile, { outShardSize: sizeOption(values['out-shard-size'], 'out-shard-size') });
  if (command === 'plan') {
    if (values.json) process.stdout.write(JSON.stringify(planJson(plan), null, 2) + '\n');
    else printPlan(plan);
    return 0;
  }
  if (!values.out) throw new MergeopsError('USAGE', '`mergeops run` needs --out DIR', 'mergeops run recipe.yml --out ./merged');
  const threads = values.threads === undefined ? undefined : Number(values.threads);
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1)) {
    throw new MergeopsError('USAGE', `--threads ${values.threads} is not a positive whole number`, 'e.g. --threads 2');
  }
  for (const w of plan.warnings) process.stderr.write(`warning: ${w}\n`);
  process.stderr.write(`merging ${plan.tensors.length} tensors (${bytes(plan.estimates.inputBytes)} to read) with ${plan.methodName}\n`);
  const execOpts = {
    maxMemory: sizeOption(values['max-memory'], 'max-memory'),
    threads,
    overwrite: values.overwrite ?? false,
    onProgress: progressReporter(process.stderr),
  };
  const keep = values['keep-intermediates'];
  if (keep !== undefined) {
    // Each named stage written on its own (computed from its inputs again), before the final output.
    for (const s of plan.stages ?? []) {
      process.stderr.write(`stage ${s.name}: ${s.plan.tensors.length} tensors with ${s.plan.methodName}\n`);
      const r = await executePlan(s.plan, { ...execOpts, outDir: join(keep, s.name) });
      process.stdout.write(`wrote stage ${s.name} to ${r.outDir} in ${duration(r.seconds)}\n`);
    }
  } else if (plan.stages?.length) {
    process.stderr.write(`fusing ${plan.stages.length} earlier stage(s) in memory: ${plan.stages.map((s) => s.name).join(', ')}\n`);
  }
  const result = await executePlan(plan, { ...execOpts, outDir: values.out });
  process.stdout.write(`wrote ${result.outDir} in ${duration(result.seconds)} (${rate(result.bytesRead / result.seconds)} read)\n`);
  for (const f of result.files) process.stdout.write(`  ${f.name.padEnd(40)} ${bytes(f.bytes)}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e: unknown) => {
    if (e instanceof MergeopsError) process.stderr.write(e.format() + '\n');
    else if (e instanceof Error && 'code' in e && String((e as { code: unknown }).code).startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`error: ${e.message}\n  hint: see \`mergeops --help\`\n`);
    } else process.stderr.write(`internal error: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exitCode = e instanceof MergeopsError && e.code === 'USAGE' ? 2 : 1;
  },
);
