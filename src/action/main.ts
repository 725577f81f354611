/**
 * GitHub Action entry: reads and checks the inputs, picks the mode (modes.ts) and runs it in the
 * repository's checkout. A user's mistake or the machine's state ends as an annotation and a
 * short failure line, never a stack trace.
 */
import * as core from '@actions/core';
import { MergeopsError, RecipeError } from '../errors.js';
import { toMergeopsError } from '../fs-errors.js';
import { installInterruptHandlers, interruptedBy } from '../interrupt.js';
import { hubOptionsFromEnv, maskTokens } from '../hub/hub-options.js';
import { runnerTemp, type ModeContext } from './context.js';
import { readRunContext } from './event.js';
import { hasGit, repoRoot } from './git.js';
import { globPatterns } from './glob.js';
import { readActionInputs } from './inputs.js';
import { pickMode } from './modes.js';

async function main(): Promise<void> {
  const inputs = readActionInputs((name) => core.getInput(name));
  // Masked in every log line from here on.
  if (inputs.hfToken) core.setSecret(inputs.hfToken);
  if (inputs.githubToken) core.setSecret(inputs.githubToken);
  const run = readRunContext();
  const mode = pickMode(inputs.mode, run.eventName);
  // Without a git checkout only whole-tree work is possible (build or drift of every recipe); history-based selection says what is missing.
  const root = hasGit(run.workspace) ? repoRoot(run.workspace) : run.workspace;
  process.chdir(root);
  const env = inputs.hfEndpoint ? { ...process.env, HF_ENDPOINT: inputs.hfEndpoint } : process.env;
  // Review needs no token: a fork's pull request has none, and public models need none.
  const hub = hubOptionsFromEnv(env, mode.secrets ? inputs.hfToken : undefined, (m) => core.warning(m));
  const ctx: ModeContext = {
    inputs, run, root, hub, patterns: globPatterns(inputs.recipes), temp: runnerTemp(),
    log: (line) => core.info(maskTokens(line, hub)),
  };
  core.info(`mergeops: ${mode.name} mode (${inputs.mode === 'auto' ? `auto, event ${run.eventName}` : 'set by input'})`);
  await mode.run(ctx);
}

// A cancelled workflow sends SIGINT, then SIGTERM: stop, remove the partial output, exit.
installInterruptHandlers({ log: (line) => core.warning(line) });

main().catch((raw: unknown) => {
  if (interruptedBy() !== undefined) return;
  const e = toMergeopsError(raw) ?? raw;
  if (e instanceof RecipeError) {
    core.error(`${e.message}\nhint: ${e.hint}`, { file: e.pos.file, startLine: e.pos.line, startColumn: e.pos.col });
    core.setFailed('the recipe has an error (see the annotation)');
  } else if (e instanceof MergeopsError) {
    core.setFailed(maskTokens(`${e.message}\nhint: ${e.hint}`));
  } else {
    core.setFailed(`internal error: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
  }
});
