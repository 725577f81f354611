/**
 * `mode: review` (pull_request): parse, validate and plan every changed recipe without secrets
 * or writes to the Hub, so it is safe on pull requests from forks. Each error becomes one
 * annotation at file:line:col; one sticky comment on the pull request holds the plans, the
 * resource estimate, the parameter diff against the base branch and the lineage.
 */
import * as core from '@actions/core';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MergeopsError, RecipeError } from '../errors.js';
import { loadRecipeFile, prepareRecipeFile } from '../pipeline.js';
import { lineageMermaid } from '../recipe/lineage.js';
import { ShardCache } from '../store/shard-cache.js';
import type { ActionMode, ModeContext } from './context.js';
import { estimateResources } from './estimate.js';
import { evalTokenBound, loadEvalData } from '../eval/data.js';
import { ZERO_SHA, mergeBase, showFile } from './git.js';
import { octokit, stickyMarker, upsertStickyComment } from './github.js';
import { recipeDiff } from './recipe-diff.js';
import { allRecipes, changedRecipes, lockPathOf } from './recipes.js';
import { renderReviewComment, type RecipeReview } from './review-comment.js';

/** The commits a review compares: a pull request's base (merge base) and head; a push's before and after. */
export function reviewRange(ctx: ModeContext): { base?: string; head?: string } {
  const pr = ctx.run.payload.pull_request;
  if (pr) return { base: mergeBase(ctx.root, pr.base.sha, pr.head.sha), head: pr.head.sha };
  const { before, after } = ctx.run.payload;
  if (before && after && before !== ZERO_SHA) return { base: before, head: after };
  return {};
}

function errorOf(e: unknown): RecipeReview['errors'][number] {
  if (e instanceof RecipeError) return { message: e.message.replace(/^[^:]+:\d+:\d+: /, ''), hint: e.hint, line: e.pos.line, col: e.pos.col };
  if (e instanceof MergeopsError) return { message: e.message, hint: e.hint };
  throw e; // a bug, not the user's mistake: let the front end report it as internal
}

async function reviewRecipe(ctx: ModeContext, path: string, base: string | undefined, cache: ShardCache): Promise<RecipeReview> {
  const baseText = base ? showFile(ctx.root, base, path) : undefined;
  const r: RecipeReview = { path, errors: [], warnings: [], models: [], diff: [], isNew: base !== undefined && baseText === undefined };
  let docs;
  try {
    docs = loadRecipeFile(path);
  } catch (e) {
    r.errors.push(errorOf(e));
    return r;
  }
  // The file as written (with its `---` separators), against the base branch's version.
  if (base !== undefined) r.diff = recipeDiff(r.isNew ? undefined : baseText, readFileSync(path, 'utf8'));
  try {
    if (docs.length > 1) r.lineage = lineageMermaid(docs);
    // The GGUF files the build writes are planned with the plan: their sizes are in the estimate.
    const p = await prepareRecipeFile(path, { hub: ctx.hub, cache, sourceMode: 'stream', log: ctx.log, gguf: ctx.inputs.gguf });
    const plan = p.plan;
    r.method = plan.methodName;
    r.tensors = plan.tensors.length;
    r.warnings.push(...plan.warnings);
    r.models = p.models.map((m) => ({
      key: m.key, repo: m.hub?.repo, sha: m.hub?.sha,
      bytes: [...m.tensors.values()].reduce((a, t) => a + (t.producer ? 0 : t.end - t.start), 0),
    }));
    // The eval's files are read as the build reads them (a missing task file is an error here too).
    const evalOptions = ctx.inputs.eval ? plan.recipe.mergeops.eval : undefined;
    const evalData = evalOptions ? loadEvalData(evalOptions) : undefined;
    r.estimate = estimateResources(plan, undefined, evalData && {
      tokens: evalTokenBound(evalData), models: 1 + (evalData.options.compareInputs ? p.models.length : 0),
    });
    const lock = lockPathOf(path);
    if (!existsSync(lock)) r.lockNote = `no \`${lock}\`: the build will resolve the models' current commits; pin them with \`mergeops lock ${path}\``;
    else if (!p.lock) r.lockNote = `\`${lock}\` is for another version of this recipe: run \`mergeops lock ${path}\` and commit it`;
  } catch (e) {
    r.errors.push(errorOf(e));
  }
  return r;
}

async function review(ctx: ModeContext): Promise<void> {
  const { base, head } = reviewRange(ctx);
  const recipes = base && head ? changedRecipes(ctx.root, ctx.patterns, base, head) : allRecipes(ctx.root, ctx.patterns);
  core.setOutput('changed-recipes', JSON.stringify(recipes));
  core.setOutput('models', '{}');
  core.setOutput('eval-summary', '{}');
  if (recipes.length === 0) {
    ctx.log(`no recipe matching \`${ctx.inputs.recipes}\` changed: nothing to review`);
    return;
  }
  const dir = join(ctx.temp, 'mergeops-review-cache');
  mkdirSync(dir, { recursive: true });
  const cache = new ShardCache(dir);
  const reviews: RecipeReview[] = [];
  const seen = new Set<string>();
  for (const path of recipes) {
    ctx.log(`reviewing ${path}`);
    const r = await reviewRecipe(ctx, path, base, cache);
    reviews.push(r);
    for (const e of r.errors) {
      const key = `${path}:${e.line ?? ''}:${e.col ?? ''}:${e.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      core.error(`${e.message}\nhint: ${e.hint}`, { title: 'mergeops', file: path, startLine: e.line ?? 1, startColumn: e.col });
    }
    for (const w of [...r.warnings, ...r.estimate?.warnings ?? []]) core.warning(w, { title: 'mergeops', file: path });
  }
  const body = renderReviewComment(reviews, { sha: head ?? ctx.run.sha, runUrl: ctx.run.runUrl });
  await core.summary.addRaw(body).write();
  const pr = ctx.run.payload.pull_request?.number ?? ctx.run.payload.number;
  if (pr !== undefined && !ctx.inputs.dryRun) {
    try {
      const gh = octokit(ctx.inputs.githubToken, ctx.run.apiUrl);
      const c = await upsertStickyComment(gh, { owner: ctx.run.owner, repo: ctx.run.repo }, pr, stickyMarker('review'), body);
      ctx.log(`${c.created ? 'posted' : 'updated'} the review comment: ${c.url}`);
    } catch (e) {
      // A fork's read-only token cannot comment: the annotations and the job summary still say it all.
      core.warning(`${e instanceof MergeopsError ? `${e.message} (${e.hint})` : String(e)}; the review is in the job summary`);
    }
  }
  const failed = reviews.filter((r) => r.errors.length);
  if (failed.length) {
    // Fail the step without core.setFailed: its own error line would be a second annotation for the same problem.
    core.info(`${failed.length} recipe(s) with errors: ${failed.map((r) => r.path).join(', ')} (see the annotations)`);
    process.exitCode = core.ExitCode.Failure;
  }
}

export const reviewMode: ActionMode = {
  name: 'review',
  events: ['pull_request'],
  permissions: 'contents: read, pull-requests: write',
  secrets: false,
  run: review,
};
