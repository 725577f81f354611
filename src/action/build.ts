/**
 * `mode: build` (push): the recipes the push changed (or whose `mergeops.lock` changed), each
 * merge → GGUF → eval gate → publish, the lockfile written (and committed back with
 * `commit-lockfile: true`), progress in the log, a job summary per recipe and the outputs.
 */
import * as core from '@actions/core';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { MergeopsError } from '../errors.js';
import { readLock } from '../hub/lockfile.js';
import { lockIsCurrent, lockRecipeFile, runRecipeFile, type RunResult } from '../pipeline.js';
import {
  restoreEvalResultsFromActionsCache, restoreModelFromActionsCache, saveEvalResultsToActionsCache, saveModelToActionsCache,
} from '../store/actions-cache.js';
import { defaultCacheDir, ShardCache } from '../store/shard-cache.js';
import type { ActionMode, ModeContext } from './context.js';
import { branchOf } from './event.js';
import { ZERO_SHA } from './git.js';
import { MERGEOPS_VERSION } from '../version.js';
import { checkPublishAccess, type RepoStart } from '../publish/access.js';
import { publishOutput } from '../publish/publish.js';
import { RunUploads } from '../publish/run-uploads.js';
import { commitParts, dryRunPart, uploadPart } from './matrix-publish.js';
import { publishTargets, type PublishTargets } from '../publish/target.js';
import { commitFiles, octokit } from './github.js';
import { provideNodeLlamaCpp } from './llama-runtime.js';
import { logProgress } from './progress-log.js';
import { setNodeLlamaCppLoader } from '../eval/llama.js';
import { interruptedBy } from '../interrupt.js';
import { allRecipes, changedRecipes, lockPathOf, recipeName } from './recipes.js';
import { publishTargetFor } from './inputs.js';
import { publishedOf, recipeSummary, type RecipeBuild } from './summary.js';

/** The recipes a build concerns: those the push changed; all of them on a new branch or a manual run. */
export function buildSelection(ctx: ModeContext): string[] {
  const { before, after } = ctx.run.payload;
  if (ctx.run.eventName === 'push' && before && after && before !== ZERO_SHA) return changedRecipes(ctx.root, ctx.patterns, before, after);
  return allRecipes(ctx.root, ctx.patterns);
}

/** Where a recipe publishes and what its repos held at the start (preflight: write access checked before any merge). */
interface PublishPlan { targets: PublishTargets; starts: RepoStart[] }

async function buildOne(ctx: ModeContext, path: string, store: ShardCache, outRoot: string, pub: PublishPlan | undefined): Promise<RecipeBuild> {
  // Files go up as they are finished with low-disk (and, for a matrix part, all of them after the merge).
  const uploads = pub ? new RunUploads(pub.targets, { hub: ctx.hub, starts: pub.starts, log: ctx.log, lowDisk: ctx.inputs.lowDisk }) : undefined;
  // A one-job build that fails deletes a repo it created and never committed to (RELIABILITY.md);
  // a matrix part never does: the other parts may be uploading to the repo it created.
  const discard = ctx.inputs.shard ? undefined : uploads;
  const release = discard?.abandonOnInterrupt();
  try {
    return await buildRecipe(ctx, path, store, outRoot, pub, uploads, discard);
  } catch (e) {
    if (interruptedBy() === undefined) await discard?.abandon('the build failed');
    throw e;
  } finally {
    release?.();
  }
}

async function buildRecipe(ctx: ModeContext, path: string, store: ShardCache, outRoot: string, pub: PublishPlan | undefined,
  uploads: RunUploads | undefined, discard: RunUploads | undefined): Promise<RecipeBuild> {
  const name = recipeName(path);
  const lockPath = lockPathOf(path);
  const t0 = performance.now();
  const lockBefore = existsSync(lockPath) ? readFileSync(lockPath, 'utf8') : undefined;
  // A missing or stale lockfile is written first, so the run pins what it resolves and records its outputs there.
  if (!ctx.inputs.frozen) {
    if (!lockIsCurrent(path, lockPath)) {
      ctx.log(`${path}: writing ${lockPath}`);
      await lockRecipeFile(path, { hub: ctx.hub, cache: store, log: ctx.log });
    }
  }
  let pinned: readonly { repo: string; sha: string }[] = [];
  const outDir = join(outRoot, name);
  const shard = ctx.inputs.shard;
  const result: RunResult = await runRecipeFile(path, {
    hub: ctx.hub, log: ctx.log, cache: store, frozen: ctx.inputs.frozen,
    onPinned: async (pins) => {
      pinned = pins;
      // Shards cached by an earlier run of this workflow come back before anything is fetched.
      if (ctx.inputs.cache) for (const p of pins) await restoreModelFromActionsCache(store, p.repo, p.sha, { log: ctx.log });
    },
    onPlan: (plan, { evalChecks }) => {
      // A part holds 1/N of the output: the whole output's disk estimate says nothing of it.
      if (uploads && !shard) uploads.decide(plan, outDir, evalChecks);
      else if (uploads?.lowDisk) ctx.log(`${path}: low-disk mode: each finished file of this part is uploaded and deleted`);
      for (const w of plan.warnings) core.warning(w, { file: path });
      ctx.log(`${path}: merging ${plan.tensors.length} tensors with ${plan.methodName}`);
    },
    onProgress: logProgress((line) => core.info(line)),
    onGGUF: (type) => ctx.log(`${path}: writing GGUF ${type}`),
    outDir, gguf: ctx.inputs.gguf, maxMemory: ctx.inputs.maxMemory, threads: ctx.inputs.threads, overwrite: true,
    eval: ctx.inputs.eval ? undefined : false,
    card: { mergeopsVersion: MERGEOPS_VERSION, licenseRequired: pub !== undefined }, mergeopsVersion: MERGEOPS_VERSION,
    shard, onFileDone: uploads?.onFileDone, uploadedDigest: uploads?.digestOf,
  });
  if (ctx.inputs.cache) for (const p of pinned) await saveModelToActionsCache(store, p.repo, p.sha, { log: ctx.log });
  const gate = result.eval.gate;
  const published: RecipeBuild['published'] = [];
  let matrix: RecipeBuild['matrix'] = shard ? { role: 'part', shard: `${shard.index}/${shard.count}`, uploaded: [] } : undefined;
  if (!gate.passed) {
    core.error(`the eval gate failed, nothing of this recipe is published: ${gate.failures.map((f) => `${f.check}: ${f.message}`).join('; ')}`, { title: 'mergeops eval', file: path });
    await discard?.abandon('the eval gate failed');
  } else {
    if (!result.eval.ran) ctx.log(`${path}: eval not run (${result.eval.reason ?? 'no reason given'})`);
    if (pub && uploads && shard) {
      const part = await uploadPart(ctx, path, shard, result, pub.targets, uploads, outRoot);
      matrix = { role: 'part', shard: `${shard.index}/${shard.count}`, manifest: part.manifest, uploaded: part.files.map((f) => ({ repo: f.target.replace(/^hf:/, ''), file: f.path })) };
    } else if (shard && ctx.inputs.dryRun && ctx.inputs.publish) {
      // Nothing uploaded, but the manifest, so that the final job's dry run can check the parts.
      const targets = publishTargets(publishTargetFor(ctx.inputs.publish, name), undefined, 'input `publish`');
      const part = await dryRunPart(ctx, path, shard, result, targets, outRoot);
      matrix = { role: 'part', shard: `${shard.index}/${shard.count}`, manifest: part.manifest, uploaded: [], dryRunFiles: part.files.length };
    } else if (pub && uploads) {
      const r = await publishOutput(result.outDir, pub.targets, { hub: ctx.hub, starts: pub.starts, log: ctx.log, uploaders: uploads.uploaders, uploadedFiles: result.removed });
      published.push(...publishedOf(ctx, path, r.outcomes));
    }
  }
  const lockAfter = existsSync(lockPath) ? readFileSync(lockPath, 'utf8') : undefined;
  const lock = lockAfter !== undefined ? readLock(lockPath) : undefined;
  return {
    path, name, outDir: result.outDir,
    inputs: Object.entries(lock?.models ?? {}).map(([key, m]) => ({ key, repo: m.repo, revision: m.revision, sha: m.sha, path: m.path })),
    files: result.files.map((f) => ({ name: f.name, bytes: f.bytes })),
    seconds: (performance.now() - t0) / 1000, mergeSeconds: result.seconds,
    // ru_maxrss: the process's peak so far (kB), which bounds this recipe's.
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    lockChanged: lockAfter !== undefined && lockAfter !== lockBefore, lockPath,
    ggufChecks: result.ggufChecks.map((c) => ({ file: c.file, ran: c.ran })),
    eval: result.eval,
    published,
    matrix,
  };
}

/** Builds the given recipes (also drift's `on-drift: rebuild`); sets the outputs and writes the job summary. */
export async function buildRecipes(ctx: ModeContext, recipes: readonly string[]): Promise<RecipeBuild[]> {
  core.setOutput('changed-recipes', JSON.stringify(recipes));
  const store = new ShardCache(defaultCacheDir());
  const outRoot = resolve(ctx.inputs.out ?? join(ctx.temp, 'mergeops-out'));
  const builds: RecipeBuild[] = [];
  // Publish preflight for every recipe before any merge: a token that cannot write fails in seconds.
  const pubs = new Map<string, PublishPlan>();
  if (ctx.inputs.shard) {
    const { index, count } = ctx.inputs.shard;
    ctx.log(`matrix job ${index}/${count}: computing only this part of each output; `
      + (ctx.inputs.publish && !ctx.inputs.dryRun ? 'its files are uploaded without a commit, and the final job (`commit-parts`) commits every part at once'
        : ctx.inputs.publish ? 'a dry run: nothing is uploaded; its manifest lists the files for the final job\'s dry run'
          : 'it is not uploaded (no `publish` input)'));
  }
  // The final job of a matrix build checks its own access, after checking the parts (matrix-publish.ts).
  if (ctx.inputs.publish && !ctx.inputs.dryRun && ctx.inputs.commitParts === undefined) {
    for (const path of recipes) {
      const targets = publishTargets(publishTargetFor(ctx.inputs.publish, recipeName(path)), undefined, 'input `publish`');
      pubs.set(path, { targets, starts: await checkPublishAccess(targets, ctx.hub) });
    }
    if (recipes.length) ctx.log(`publish: write access checked for ${[...pubs.values()].map((p) => p.targets.model.kind === 'hub' ? p.targets.model.repo : '').join(', ')}`);
  }
  // llama.cpp for the eval (and the GGUF load checks), once for all recipes.
  if (ctx.inputs.eval && recipes.length > 0 && !ctx.inputs.shard && ctx.inputs.commitParts === undefined) {
    const runtime = await provideNodeLlamaCpp({ useCache: ctx.inputs.cache, log: ctx.log });
    if (runtime.ok) setNodeLlamaCppLoader(runtime.load);
    else {
      core.warning(`the eval will not run: ${runtime.reason}. It is reported as not run (job summary, eval-summary), never as passed.`);
      const reason = runtime.reason;
      setNodeLlamaCppLoader(() => Promise.reject(new Error(reason)));
    }
  } else setNodeLlamaCppLoader(() => Promise.reject(new Error('the eval is off (input `eval: false`)')));
  if (ctx.inputs.commitParts !== undefined) builds.push(...await commitParts(ctx, recipes, store, outRoot));
  else {
    // The inputs' eval results of earlier runs (compare_inputs): a rebuild then checks only the merge.
    const evalsBefore = ctx.inputs.cache && ctx.inputs.eval && !ctx.inputs.shard && recipes.length > 0
      ? await restoreEvalResultsFromActionsCache(store, { log: ctx.log }) : undefined;
    for (const path of recipes) {
      core.startGroup(`mergeops: ${path}`);
      try {
        builds.push(await buildOne(ctx, path, store, outRoot, pubs.get(path)));
      } finally {
        core.endGroup();
      }
    }
    if (evalsBefore) await saveEvalResultsToActionsCache(store, evalsBefore, { log: ctx.log });
  }
  const models: Record<string, unknown> = {};
  for (const b of builds) {
    models[b.path] = {
      out: b.outDir,
      repos: b.published.map((p) => p.repo),
      commits: b.published.map((p) => p.commit),
      files: b.files.map((f) => f.name),
      ...(b.matrix?.role === 'part' ? { part: b.matrix.shard, manifest: b.matrix.manifest, uploaded: b.matrix.uploaded } : {}),
      ...(b.matrix?.role === 'commit' ? { parts: b.matrix.parts } : {}),
    };
  }
  core.setOutput('models', JSON.stringify(models));
  const evalSummary: Record<string, unknown> = {};
  for (const b of builds) {
    const e = b.eval;
    if (e) evalSummary[b.path] = { ran: e.ran, reason: e.reason, passed: e.ran ? e.gate.passed : undefined, failures: e.gate.failures, summary: e.summary };
  }
  core.setOutput('eval-summary', JSON.stringify(evalSummary));
  for (const b of builds) core.summary.addRaw(recipeSummary(b), true);
  if (builds.length === 0) core.summary.addRaw(`mergeops: no recipe matching \`${ctx.inputs.recipes}\` changed.`, true);
  await core.summary.write();
  const failed = builds.filter((b) => b.eval && !b.eval.gate.passed);
  if (failed.length) {
    // The annotations name each failing check; this is the step's one-line reason.
    core.info(`eval gate failed for ${failed.map((b) => b.path).join(', ')}`);
    process.exitCode = core.ExitCode.Failure;
  }
  const changedLocks = builds.filter((b) => b.lockChanged);
  if (ctx.inputs.commitLockfile && changedLocks.length > 0 && !ctx.inputs.dryRun && !ctx.inputs.shard) await commitLockfiles(ctx, changedLocks.map((b) => b.lockPath));
  return builds;
}

/** Commits the written lockfiles to the branch that was pushed (fast-forward only: a branch that moved meanwhile fails clearly). */
async function commitLockfiles(ctx: ModeContext, paths: string[]): Promise<void> {
  const branch = branchOf(ctx.run.ref);
  if (!branch) {
    throw new MergeopsError('USAGE', `commit-lockfile: ${ctx.run.ref || 'this run'} is not a branch`, 'use `commit-lockfile: true` on push to a branch only');
  }
  const gh = octokit(ctx.inputs.githubToken, ctx.run.apiUrl);
  const files = paths.map((p) => ({ path: p, content: readFileSync(p, 'utf8') }));
  const sha = await commitFiles(gh, { owner: ctx.run.owner, repo: ctx.run.repo }, {
    branch, parent: ctx.run.sha, files,
    // [skip ci]: the lockfile commit must not start this workflow again.
    message: `mergeops: record build outputs in ${paths.join(', ')} [skip ci]`,
  });
  ctx.log(`committed ${paths.join(', ')} to ${branch} (${sha.slice(0, 12)})`);
}

/** The plan step of a matrix build: every selected recipe split over `jobs` jobs (GitHub allows 256 per matrix). */
export function matrixOutput(recipes: readonly string[], jobs: number): { include: { recipe: string; shard: string }[] } {
  if (recipes.length * jobs > 256) {
    throw new MergeopsError('USAGE', `input \`jobs\`: ${recipes.length} recipe(s) × ${jobs} jobs is more than the 256 jobs a matrix may have`,
      'use fewer jobs per recipe, or build the recipes in separate workflow runs');
  }
  return { include: recipes.flatMap((recipe) => Array.from({ length: jobs }, (_, i) => ({ recipe, shard: `${i + 1}/${jobs}` }))) };
}

async function build(ctx: ModeContext): Promise<void> {
  const recipes = buildSelection(ctx);
  if (ctx.inputs.jobs !== undefined) {
    const matrix = matrixOutput(recipes, ctx.inputs.jobs);
    core.setOutput('changed-recipes', JSON.stringify(recipes));
    core.setOutput('matrix', JSON.stringify(matrix));
    ctx.log(`matrix: ${recipes.length} recipe(s) × ${ctx.inputs.jobs} job(s)`);
    return;
  }
  if (recipes.length === 0) ctx.log(`no recipe matching \`${ctx.inputs.recipes}\` changed: nothing to build`);
  await buildRecipes(ctx, recipes);
}

export const buildMode: ActionMode = {
  name: 'build',
  events: ['push'],
  permissions: 'contents: read (contents: write with commit-lockfile)',
  secrets: true,
  run: build,
};
