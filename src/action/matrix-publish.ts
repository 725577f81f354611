/**
 * Publishing a matrix build (issue 18): each part job (`shard: i/N`) uploads the files it computed
 * as LFS objects, commits nothing, and writes a manifest of them (`<name>.part-i-of-N.json`,
 * publish/parts.ts); the final job (`commit-parts: <folder of the manifests>`) plans the recipe
 * without reading tensor data, writes the small files, the lockfile's outputs, eval.json and the
 * card's data as a one-job build would, checks that the parts hold exactly the planned files, and
 * commits everything in one commit per repo. The repos then hold what a one-job build publishes,
 * byte for byte. With `dry-run: true` a part uploads nothing but still writes its manifest
 * (marked `dryRun`, with the digests of the files it computed), and the final job's dry run checks
 * the parts and says what each commit would hold; a publishing final job refuses dry-run parts.
 * Neither a part nor the final job deletes a repo when it fails (RELIABILITY.md): other parts may
 * be uploading to it, and a re-run of the failed job needs it.
 */
import * as core from '@actions/core';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { gatherCardData } from '../card/gather.js';
import { writeCardData } from '../card/data.js';
import { writeCard } from '../card/write.js';
import { MergeopsError } from '../errors.js';
import { EVAL_SWITCHED_OFF, notRunReport, writeEvalReport } from '../eval/report.js';
import { writeModelFiles } from '../execute/execute.js';
import { OUTPUT_MARKER, writeOutputMarker } from '../execute/output-safety.js';
import { canonicalRecipe, canonicalRecipeHash } from '../recipe/canonical.js';
import { lockedLoraShas, lockedShas, outputFiles, readLock, sha256Text } from '../hub/lockfile.js';
import { loadRecipeFile, lockIsCurrent, lockRecipeFile, prepareRecipeFile, recipeTitle, recordLockOutputs, type RunResult } from '../pipeline.js';
import { checkPublishAccess } from '../publish/access.js';
import { checkParts, mergePartHealth, PART_MANIFEST_KIND, readPartManifests, writePartManifest, type PartFile, type PartManifest } from '../publish/parts.js';
import { publishOutput } from '../publish/publish.js';
import { RunUploads, targetOf } from '../publish/run-uploads.js';
import { publishTargets, targetName, type PublishTargets } from '../publish/target.js';
import { digestFile } from '../publish/uploader.js';
import { bytes } from '../units.js';
import type { ShardSpec } from '../plan/matrix.js';
import type { ShardCache } from '../store/shard-cache.js';
import { MERGEOPS_VERSION } from '../version.js';
import type { ModeContext } from './context.js';
import { publishTargetFor } from './inputs.js';
import { lockPathOf, recipeName } from './recipes.js';
import { publishedOf, type RecipeBuild } from './summary.js';

/** The files of an output that parts upload (the rest the final job writes itself). */
export const PART_FILE = /\.(safetensors|gguf)$/;

const pinsOf = (m: Map<string, string>): Record<string, string> => Object.fromEntries([...m].sort());

/**
 * After a part job's run: uploads its safetensors shards and GGUF files (those low-disk mode did
 * not send already) without committing, and writes its manifest beside the output folder.
 */
export async function uploadPart(ctx: ModeContext, path: string, shard: ShardSpec, result: RunResult, targets: PublishTargets,
  uploads: RunUploads, outRoot: string): Promise<{ manifest: string; files: PartFile[] }> {
  const removed = new Set(result.removed.map((f) => f.name));
  for (const f of result.files) {
    if (!PART_FILE.test(f.name) || removed.has(f.name)) continue;
    ctx.log(`${path}: uploading ${f.name} to ${targetName(targetOf(targets, f.name))} (no commit: the final job commits every part at once)`);
    if (!(await uploads.upload(join(result.outDir, f.name)))) {
      throw new MergeopsError('USAGE', `${targetName(targetOf(targets, f.name))} keeps ${f.name} in git, not as an LFS object: a part cannot be uploaded without a commit`,
        'make sure the repo\'s .gitattributes stores *.safetensors and *.gguf with LFS (the Hub\'s default)');
    }
  }
  const files: PartFile[] = [];
  for (const u of uploads.uploaders.values()) for (const [p, d] of u.stored) files.push({ path: p, target: u.target, ...d });
  const file = writeManifest(ctx, path, shard, result, targets, files, outRoot, false);
  ctx.log(`${path}: part ${shard.index}/${shard.count}: ${files.length} file(s) uploaded, nothing committed; manifest ${file}`);
  return { manifest: file, files };
}

/**
 * A part job's dry run (`dry-run: true` with `publish`): uploads nothing, but writes the manifest
 * of the files it would upload (their digests, from the output folder), marked `dryRun`, so that
 * the final job's dry run can check the parts against its plan. A final job that publishes
 * refuses such a manifest (its files were never uploaded).
 */
export async function dryRunPart(ctx: ModeContext, path: string, shard: ShardSpec, result: RunResult, targets: PublishTargets,
  outRoot: string): Promise<{ manifest: string; files: PartFile[] }> {
  const files: PartFile[] = [];
  for (const f of result.files) {
    if (!PART_FILE.test(f.name)) continue;
    files.push({ path: f.name, target: targetName(targetOf(targets, f.name)), ...await digestFile(join(result.outDir, f.name)) });
  }
  const file = writeManifest(ctx, path, shard, result, targets, files, outRoot, true);
  ctx.log(`${path}: part ${shard.index}/${shard.count} (dry run): ${files.length} file(s) computed, nothing uploaded; manifest ${file} lists them for the final job's dry run`);
  return { manifest: file, files };
}

function writeManifest(ctx: ModeContext, path: string, shard: ShardSpec, result: RunResult, targets: PublishTargets, files: PartFile[], outRoot: string,
  dryRun: boolean): string {
  files.sort((a, b) => (a.path < b.path ? -1 : 1));
  const lock = readLock(lockPathOf(path));
  const manifest: PartManifest = {
    kind: PART_MANIFEST_KIND, version: 1, recipe: path, recipeSha256: canonicalRecipeHash(canonicalRecipe(loadRecipeFile(path).map((d) => d.text))), shard,
    pins: pinsOf(lockedShas(lock)), loraPins: pinsOf(lockedLoraShas(lock)),
    targets: { model: targetName(targets.model), gguf: targetName(targets.gguf) },
    sourceCommit: ctx.run.sha || undefined, ...(dryRun ? { dryRun: true as const } : {}), files, health: result.eval.health,
  };
  return writePartManifest(outRoot, recipeName(path), manifest);
}

/** Why eval.json says the eval did not run in a matrix build. */
const MATRIX_EVAL_REASON = 'a matrix build: no job holds the whole model, so the eval did not run (build in one job to evaluate it)';

/** The final job of one recipe: plan, small files, lockfile, card data and eval.json, checks, one commit per repo. */
async function commitOne(ctx: ModeContext, path: string, parts: { file: string; manifest: PartManifest }[], store: ShardCache, outRoot: string,
  targets: PublishTargets, starts: Awaited<ReturnType<typeof checkPublishAccess>> | undefined): Promise<RecipeBuild> {
  const t0 = performance.now();
  const name = recipeName(path);
  const lockPath = lockPathOf(path);
  const lockBefore = safeRead(lockPath);
  const first = parts[0].manifest;
  const samePins = (m: Map<string, string>, want: Record<string, string>): boolean => JSON.stringify(pinsOf(m)) === JSON.stringify(pinsOf(new Map(Object.entries(want))));
  // The lockfile pins what the parts merged (they may have locked a recipe whose lockfile was not committed).
  if (!ctx.inputs.frozen) {
    const current = lockIsCurrent(path, lockPath) && (() => { const l = readLock(lockPath); return samePins(lockedShas(l), first.pins) && samePins(lockedLoraShas(l), first.loraPins); })();
    if (!current) {
      ctx.log(`${path}: writing ${lockPath} with the commits the parts merged`);
      await lockRecipeFile(path, { hub: ctx.hub, cache: store, log: ctx.log, pinned: new Map(Object.entries(first.pins)), pinnedLora: new Map(Object.entries(first.loraPins)) });
    }
  }
  // parse → resolve (headers and small files only) → plan, with the GGUF files planned as the parts' run did.
  const outDir = resolve(join(outRoot, name));
  const prep = await prepareRecipeFile(path, { hub: ctx.hub, cache: store, log: ctx.log, frozen: ctx.inputs.frozen, sourceMode: 'stream', gguf: ctx.inputs.gguf, outDir });
  if (!prep.lock || !samePins(lockedShas(prep.lock), first.pins) || !samePins(lockedLoraShas(prep.lock), first.loraPins)) {
    throw new MergeopsError('UPSTREAM_CHANGED', `${path}: the parts merged other commits of the input models than ${lockPath} pins: nothing was committed`,
      'run the whole workflow again from one commit (with `frozen: true`, every job uses the committed lockfile)');
  }
  const plan = prep.plan;
  const expected = [
    ...plan.shards.map((s) => ({ name: s.fileName, bytes: s.size })),
    ...(plan.gguf?.plans ?? []).flatMap((g) => g.files.map((f) => ({ name: f.fileName, bytes: f.layout.fileSize }))),
  ].map((f) => ({ ...f, target: targetName(targetOf(targets, f.name)) }));
  const files = checkParts(parts, {
    recipe: path, recipeSha256: canonicalRecipeHash(prep.recipe), targets: { model: targetName(targets.model), gguf: targetName(targets.gguf) }, files: expected,
    dryRun: starts === undefined,
  });
  ctx.log(`${path}: ${parts.length} part(s) hold the ${files.length} planned file(s)`);

  // The folder a one-job run writes, less the files the parts uploaded.
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  writeModelFiles(plan, outDir);
  writeOutputMarker(outDir, { command: 'run', name: recipeTitle(path) });
  const small = readdirSync(outDir).filter((n) => n !== OUTPUT_MARKER);
  const outputs = [...await outputFiles(outDir, small), ...files.map((f) => ({ path: f.path, size: f.size, sha256: f.sha256 }))]
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const recorded = recordLockOutputs(prep.lock, prep.lockPath, outputs, { frozen: ctx.inputs.frozen, log: ctx.log });
  const card = await gatherCardData({
    recipeFile: path, plan, models: prep.models, hub: ctx.hub, lockPath: prep.lockPath, mergeopsVersion: MERGEOPS_VERSION, licenseRequired: true,
  });
  if (recorded) card.provenance.lockSha256 = sha256Text(readFileSync(recorded));
  writeCardData(outDir, card);
  const health = mergePartHealth(parts.map((p) => p.manifest), plan.tensors.map((t) => t.name));
  const report = notRunReport(ctx.inputs.eval ? MATRIX_EVAL_REASON : EVAL_SWITCHED_OFF, MERGEOPS_VERSION, { health });
  writeEvalReport(outDir, report);
  const remote = files.map((f) => ({ name: f.path, bytes: f.size }));
  // What the folder holds, plus what the parts uploaded: the files a one-job run lists.
  const listing = (): { name: string; bytes: number }[] => [
    ...readdirSync(outDir).filter((n) => !n.startsWith('.')).map((n) => ({ name: n, bytes: statSync(join(outDir, n)).size })), ...remote,
  ].sort((a, b) => (a.name < b.name ? -1 : 1));
  // The folder's own card (a one-job run writes one too; publishing renders each repo's).
  writeCard(outDir, card, { kind: remote.some((f) => f.name.endsWith('.gguf')) ? 'combined' : 'model', name: basename(outDir), files: listing(), hubUrl: ctx.hub.hubUrl });
  const all = listing();

  const published: RecipeBuild['published'] = [];
  const wouldPublish: { target: string; files: number; bytes: number }[] = [];
  if (starts) {
    const uploads = new RunUploads(targets, { hub: ctx.hub, starts, log: ctx.log });
    for (const f of files) (await uploads.uploaderFor(f.path)).adopt(f.path, f);
    const r = await publishOutput(outDir, targets, { hub: ctx.hub, starts, log: ctx.log, uploaders: uploads.uploaders, uploadedFiles: remote });
    published.push(...publishedOf(ctx, path, r.outcomes));
  } else {
    // What the commits would hold, planned as publishing plans them (cards rendered, nothing sent).
    const r = await publishOutput(outDir, targets, { hub: ctx.hub, starts: [], log: ctx.log, uploadedFiles: remote, dryRun: true });
    for (const p of r.planned ?? []) wouldPublish.push({ target: p.target, files: p.files.length, bytes: p.files.reduce((a, f) => a + f.bytes, 0) });
    ctx.log(`${path}: dry run: the ${parts.length} part(s) check out${parts.some((p) => p.manifest.dryRun) ? ' (dry-run parts: nothing of them was uploaded)' : ''}; `
      + `would commit ${wouldPublish.map((w) => `${w.files} file(s), ${bytes(w.bytes)} to ${w.target}`).join(' and ')}; nothing committed`);
  }
  const lockAfter = safeRead(lockPath);
  return {
    path, name, outDir,
    inputs: Object.entries(prep.lock.models).map(([key, m]) => ({ key, repo: m.repo, revision: m.revision, sha: m.sha, path: m.path })),
    files: all, seconds: (performance.now() - t0) / 1000, mergeSeconds: 0, peakRssBytes: process.resourceUsage().maxRSS * 1024,
    lockChanged: lockAfter !== undefined && lockAfter !== lockBefore, lockPath, ggufChecks: [], eval: report, published,
    matrix: { role: 'commit', parts: parts.length, ...(starts ? {} : { dryRun: true as const, wouldPublish }) },
  };
}

function safeRead(p: string): string | undefined {
  try { return readFileSync(p, 'utf8'); } catch { return undefined; }
}

/** `commit-parts: DIR`: the final job of a matrix build, for every recipe the run selects. */
export async function commitParts(ctx: ModeContext, recipes: readonly string[], store: ShardCache, outRoot: string): Promise<RecipeBuild[]> {
  const dir = resolve(ctx.inputs.commitParts!);
  const found = readPartManifests(dir, 'input `commit-parts`:');
  const foreign = [...found.keys()].filter((r) => !recipes.includes(r));
  if (foreign.length) {
    throw new MergeopsError('USAGE', `input \`commit-parts\`: ${dir} holds parts of ${foreign.join(', ')}, which this run does not build`,
      'run the final job on the same event with the same `recipes` input as the plan step, and download only this run\'s manifests');
  }
  const missing = recipes.filter((r) => !found.has(r));
  if (missing.length) {
    throw new MergeopsError('USAGE', `input \`commit-parts\`: ${dir} holds no part of ${missing.join(', ')}`,
      'the final job must `needs:` the part jobs and download every part\'s manifest (actions/download-artifact)');
  }
  // Every recipe's parts and the token's write access are checked before anything is committed.
  const targets = new Map(recipes.map((r) => [r, publishTargets(publishTargetFor(ctx.inputs.publish!, recipeName(r)), undefined, 'input `publish`')]));
  const starts = new Map<string, Awaited<ReturnType<typeof checkPublishAccess>>>();
  if (!ctx.inputs.dryRun) for (const r of recipes) starts.set(r, await checkPublishAccess(targets.get(r)!, ctx.hub));
  const builds: RecipeBuild[] = [];
  for (const r of recipes) {
    core.startGroup(`mergeops: ${r} (commit ${found.get(r)!.length} parts)`);
    try {
      builds.push(await commitOne(ctx, r, found.get(r)!, store, outRoot, targets.get(r)!, starts.get(r)));
    } finally {
      core.endGroup();
    }
  }
  return builds;
}
