/** `mergeops plan <recipe.yml>`: what a run would read, compute and write, without merging. */
import { defaultMaxMemory } from '../../execute/budget.js';
import { prepareRecipeFile } from '../../pipeline.js';
import { matrixJson } from '../../plan/matrix.js';
import { CLI_NAMING, countValue } from '../../options/validate.js';
import type { Plan } from '../../plan/types.js';
import { defineCommand } from '../command.js';
import { diskEstimate } from '../../plan/disk.js';
import { onePositional, prepareOptions, RECIPE_OPTIONS, RECIPE_OPTIONS_HELP } from '../common.js';
import { bytes } from '../../units.js';

export const planCommand = defineCommand({
  name: 'plan',
  summary: 'show what a recipe merges: tensors, shapes, operations, sizes (reads headers only)',
  help: `Usage: mergeops plan <recipe.yml> [options]

Resolves every model of the recipe (local folders or Hub ids, headers only), checks the recipe against
them and prints the merge plan: each output tensor with its shape, dtype, operation and inputs, the
output shards, the bytes to read and the disk needed.

Options:
  --json                 print the plan as JSON
  --matrix N             print the assignment of the output files to N matrix jobs instead
                         (each runs \`mergeops run --shard i/N\`; with --json, for a workflow's matrix)
${RECIPE_OPTIONS_HELP}`,
  options: { ...RECIPE_OPTIONS, json: { type: 'boolean' }, matrix: { type: 'string' } },
  async run({ values, positionals }, io) {
    const recipe = onePositional(positionals, 'plan', 'a recipe file', 'recipe.yml');
    const count = values.matrix === undefined ? undefined : countValue(CLI_NAMING, 'matrix', values.matrix, '3', 1024);
    const { plan } = await prepareRecipeFile(recipe, prepareOptions(values, io));
    if (count !== undefined) {
      const m = matrixJson(plan, count) as { jobs: { shard: string; files: string[]; bytes: number }[]; note: string };
      if (values.json) io.out(JSON.stringify(m, null, 2) + '\n');
      else io.out(m.jobs.map((j) => `${j.shard}: ${j.files.join(', ') || '(no shard)'} (${bytes(j.bytes)})`).join('\n') + `\n${m.note}\n`);
      return 0;
    }
    if (values.json) io.out(JSON.stringify(planJson(plan), null, 2) + '\n');
    else io.out(planText(plan));
    return 0;
  },
});

function planText(plan: Plan): string {
  const lines: string[] = [];
  lines.push(`method: ${plan.methodName}`);
  lines.push(`models: ${[...new Set(plan.tensors.flatMap((t) => t.inputs.map((i) => i.modelKey)))].join(', ')}`);
  lines.push(`output: ${plan.tensors.length} tensors in ${plan.shards.length} shard(s), ${bytes(plan.estimates.outputBytes)}`);
  const disk = diskEstimate(plan);
  lines.push(`reads: ${bytes(plan.estimates.inputBytes)}; largest tensor ${bytes(plan.estimates.largestTensorBytes)}; `
    + `memory: bounded by --max-memory (default ${bytes(defaultMaxMemory())})`);
  lines.push(`disk needed: ${bytes(disk.normal)}${disk.gguf > 0 ? ` (GGUF ~${bytes(disk.gguf)})` : ''}; `
    + `with run --publish --low-disk: ~${bytes(disk.lowDisk)} at the peak`);
  const tk = plan.tokenizer;
  if (tk) {
    lines.push(`tokenizer: ${tk.source}${tk.vocabSize !== undefined ? `, ${tk.vocabSize} rows (${tk.added ?? 0} tokens added), embeddings remapped` : ''}`
      + `${tk.chatTemplate !== undefined ? ', chat template set' : ''}`);
  }
  lines.push('', '  tensor                                              shape            dtype  op                  inputs');
  for (const t of plan.tensors) {
    const op = t.op.kind === 'linear' ? `linear ${t.op.weights.map((w) => +w.toFixed(4)).join('/')}`
      : t.op.kind === 'task_arithmetic' ? `task_arith λ${+t.op.lambda.toFixed(4)}`
        : t.op.kind === 'program' ? t.op.method
          : t.op.scale !== undefined ? `copy ×${t.op.scale}` : 'copy';
    lines.push(`  ${t.name.padEnd(51)} ${`[${t.shape.join(',')}]`.padEnd(16)} ${t.dtype.padEnd(6)} ${op.padEnd(19)} `
      + `${t.inputs.map((i) => (i.tensor === t.name ? i.modelKey : `${i.modelKey}:${i.tensor}`)
        + (i.lora ? ` (LoRA r${i.lora.rank} ×${+i.lora.scale.toFixed(4)})` : '')).join(' ')}`);
  }
  for (const g of ggufFiles(plan)) lines.push(`gguf: ${g.file} (${g.type}, ${bytes(g.bytes)})`);
  if (plan.gguf) lines.push('  (GGUF files are named after the --out folder of the run; here after the recipe file)');
  for (const w of plan.warnings) lines.push(`warning: ${w}`);
  return lines.join('\n') + '\n';
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
    gguf: ggufFiles(plan),
    estimates: { ...plan.estimates, disk: diskEstimate(plan) },
    tokenizer: plan.tokenizer,
    warnings: plan.warnings,
  };
}

/** The GGUF files the run writes, each file of a split set on its own. */
function ggufFiles(plan: Plan): { file: string; type: string; bytes: number }[] {
  return (plan.gguf?.plans ?? []).flatMap((p) => p.files.map((f) => ({ file: f.fileName, type: p.fileType, bytes: f.layout.fileSize })));
}
