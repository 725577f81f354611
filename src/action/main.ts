/**
 * GitHub Action entry (build mode, first slice): merge the recipe into a folder.
 * Eval gates, publishing and the review / drift modes come with their own issues.
 */
import * as core from '@actions/core';
import { MergeopsError, RecipeError } from '../errors.js';
import { executePlan } from '../execute/execute.js';
import { parseShardSize } from '../formats/safetensors.js';
import { planRecipeFile } from '../pipeline.js';

async function run(): Promise<void> {
  const recipe = core.getInput('recipe', { required: true });
  const out = core.getInput('out') || 'merged';
  const maxMemory = core.getInput('max-memory');
  const threads = core.getInput('threads');
  const plan = await planRecipeFile(recipe);
  for (const w of plan.warnings) core.warning(w, { file: recipe });
  const result = await executePlan(plan, {
    outDir: out,
    maxMemory: maxMemory ? parseShardSize(maxMemory) : undefined,
    threads: threads ? Number(threads) : undefined,
    overwrite: true,
  });
  core.setOutput('out', result.outDir);
  core.info(`wrote ${result.outDir}: ${result.files.map((f) => f.name).join(', ')}`);
}

run().catch((e: unknown) => {
  if (e instanceof RecipeError) {
    core.error(`${e.message}\nhint: ${e.hint}`, { file: e.pos.file, startLine: e.pos.line, startColumn: e.pos.col });
    core.setFailed(e.message);
  } else if (e instanceof MergeopsError) {
    core.setFailed(`${e.message}\nhint: ${e.hint}`);
  } else {
    core.setFailed(e instanceof Error ? e.message : String(e));
  }
});
