/**
 * GitHub Action entry (build mode, first slice): merge the recipe into a folder.
 * Eval gates, publishing and the review / drift modes come with their own issues.
 */
import * as core from '@actions/core';
import { MergeopsError, RecipeError } from '../errors.js';
import { parseShardSize } from '../formats/safetensors.js';
import { hubOptionsFromEnv } from '../hub/hub-options.js';
import { runRecipeFile } from '../pipeline.js';
import { restoreModelFromActionsCache, saveModelToActionsCache } from '../store/actions-cache.js';
import { defaultCacheDir, ShardCache } from '../store/shard-cache.js';

async function run(): Promise<void> {
  const recipe = core.getInput('recipe', { required: true });
  const out = core.getInput('out') || 'merged';
  const maxMemory = core.getInput('max-memory');
  const threads = core.getInput('threads');
  const token = core.getInput('hf-token');
  if (token) core.setSecret(token); // masked in every log line from here on
  const hub = hubOptionsFromEnv(process.env, token || undefined, (m) => core.warning(m));
  const store = new ShardCache(defaultCacheDir());
  const log = (line: string): void => core.info(line);
  let pinned: readonly { repo: string; sha: string }[] = [];
  const result = await runRecipeFile(recipe, {
    hub,
    log,
    cache: store,
    // Shards cached by an earlier run of this workflow come back before anything is fetched.
    onPinned: async (pins) => {
      pinned = pins;
      for (const p of pins) await restoreModelFromActionsCache(store, p.repo, p.sha, { log });
    },
    onPlan: (plan) => { for (const w of plan.warnings) core.warning(w, { file: recipe }); },
    outDir: out,
    maxMemory: maxMemory ? parseShardSize(maxMemory) : undefined,
    threads: threads ? Number(threads) : undefined,
    overwrite: true,
  });
  for (const p of pinned) await saveModelToActionsCache(store, p.repo, p.sha, { log });
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
