/**
 * Publishes an output folder: the safetensors (and config, tokenizer, recipe, eval) to the model
 * repo and the GGUF files to the GGUF repo, each with its rendered card, one commit per repo.
 * Refuses when the eval gate failed. Files equal to the repo's are not sent; when all are equal
 * nothing is committed.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { readCardData, type CardData } from '../card/data.js';
import { CARD_DATA_FILE } from '../execute/output-safety.js';
import type { CardContext, CardKind } from '../card/render.js';
import { CARD_FILE, writeCard } from '../card/write.js';
import { MergeopsError } from '../errors.js';
import { readEvalReport } from '../eval/report.js';
import type { HubOptions } from '../hub/hub-options.js';
import type { RepoStart } from './access.js';
import { DirUploader } from './dir-uploader.js';
import { HubUploader } from './hub-uploader.js';
import { distinctTargets, targetName, type PublishTarget, type PublishTargets } from './target.js';
import type { CommitMessage, CommitOutcome, PublishFile, UploadProgress, Uploader } from './uploader.js';

export interface PublishOptions {
  hub: HubOptions;
  /** What the preflight read (checkPublishAccess); the commits' parents. */
  starts: readonly RepoStart[];
  private?: boolean;
  log?: (line: string) => void;
  onProgress?: (p: UploadProgress) => void;
  /** Uploaders opened earlier (low-disk runs), by target name; others are opened here and added to it (see Uploader.discard). */
  uploaders?: Map<string, Uploader>;
  /** Files already uploaded and gone from the folder (low-disk), for the cards' file tables. */
  uploadedFiles?: readonly { name: string; bytes: number }[];
  /** Attempts after the first for each request. */
  retries?: number;
  /** Plan the commits (checks, cards rendered) and return them as `planned`; open no repo, send nothing. */
  dryRun?: boolean;
}

export interface PublishResult {
  outcomes: CommitOutcome[];
  /** With `dryRun`: each repo's commit as it would be, every file with its size (uploaded ones included). */
  planned?: { target: string; files: { path: string; bytes: number }[] }[];
}

/** Opens the uploader of a target (creating a missing Hub repo). */
export async function openUploader(target: PublishTarget, opts: Pick<PublishOptions, 'hub' | 'starts' | 'private' | 'log' | 'onProgress' | 'retries'>): Promise<Uploader> {
  if (target.kind === 'dir') return new DirUploader(target.path);
  const start = opts.starts.find((s) => targetName(s.target) === targetName(target));
  return HubUploader.open(target.repo, {
    hub: opts.hub, revision: start?.revision, private: opts.private, log: opts.log, onProgress: opts.onProgress, retries: opts.retries,
  });
}

/**
 * Files of an output folder that no repo receives: hidden ones (the output marker) and the card's
 * data, the input of `publish` (each repo's README.md is rendered from it: recipe, pinned inputs,
 * eval, provenance).
 */
export function isLocalOnly(name: string): boolean {
  return name.startsWith('.') || name === CARD_DATA_FILE;
}

/** Files of an output folder that go to a repo as they are (the card and its charts are rendered per repo). */
function outputFiles(dir: string): { name: string; bytes: number }[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && !isLocalOnly(e.name) && e.name !== CARD_FILE && !/^mergeops-gradient-\d+\.svg$/.test(e.name))
    .map((e) => ({ name: e.name, bytes: statSync(join(dir, e.name)).size }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
}

function repoName(t: PublishTarget): string {
  return t.kind === 'hub' ? t.repo.split('/')[1] : basename(t.path);
}

export function commitMessage(data: CardData): CommitMessage {
  const p = data.provenance;
  const title = `mergeops: build ${data.recipeFile}${p.commit ? ` @ ${p.commit.slice(0, 12)}` : ''}`;
  const lines = [
    `Recipe: ${data.recipeFile}`,
    p.commit ? `Source commit: ${p.commit}` : 'Source commit: none (not in a git checkout)',
    ...(p.repositoryUrl ? [`Source repository: ${p.repositoryUrl}`] : []),
    ...(p.runUrl ? [`Workflow run: ${p.runUrl}`] : []),
    `mergeops ${p.mergeopsVersion}`,
  ];
  return { title, description: lines.join('\n') };
}

function checkGate(dir: string): ReturnType<typeof readEvalReport> {
  const report = readEvalReport(dir);
  if (report?.ran && !report.gate.passed) {
    const why = report.gate.failures.map((f) => `${f.check}: ${f.message}`).join('; ');
    throw new MergeopsError('USAGE', `not publishing ${dir}: the eval gate failed (${why})`,
      `see ${join(dir, 'eval.md')}; fix the recipe, or relax the gate's thresholds in the recipe`);
  }
  return report;
}

export async function publishOutput(dir: string, targets: PublishTargets, opts: PublishOptions): Promise<PublishResult> {
  const report = checkGate(dir);
  const data = readCardData(dir);
  if (!data) {
    throw new MergeopsError('USAGE', `${dir} is not a mergeops output folder (no ${CARD_DATA_FILE})`, 'publish the --out folder of `mergeops run`, or run the recipe again');
  }
  if (!data.license) {
    const list = data.inputs.map((i) => `${i.repo ?? i.path ?? i.key}: ${i.license ?? 'no license declared'}`).join('; ');
    throw new MergeopsError('RECIPE', `${data.recipeFile}: the merge has no license: the inputs' licenses disagree or are missing (${list})`,
      'set it in the recipe: `mergeops:` then `  license: <id>` (a Hub license id, e.g. apache-2.0, or `other`), and run again');
  }
  const local = outputFiles(dir);
  const all = [...local, ...(opts.uploadedFiles ?? [])];
  const same = targets.gguf === targets.model;
  const ggufFiles = all.filter((f) => f.name.endsWith('.gguf'));
  const modelTargetKind: CardKind = same && ggufFiles.length > 0 ? 'combined' : 'model';
  const hubId = (t: PublishTarget): string | undefined => (t.kind === 'hub' ? t.repo : undefined);
  // The model card points to a GGUF repo only when there are GGUF files to put there.
  const ctxBase = {
    modelRepo: hubId(targets.model), ggufRepo: ggufFiles.length > 0 ? hubId(targets.gguf) : undefined, eval: report?.ran ? report : undefined, hubUrl: opts.hub.hubUrl,
  };
  const staging = mkdtempSync(join(tmpdir(), 'mergeops-card-'));
  const message = commitMessage(data);
  const outcomes: CommitOutcome[] = [];
  try {
    const plan: { target: PublishTarget; files: PublishFile[]; all: { path: string; bytes: number }[] }[] = [];
    for (const target of distinctTargets(targets)) {
      const isModel = target === targets.model;
      const mine = all.filter((f) => (same ? true : isModel ? !f.name.endsWith('.gguf') : f.name.endsWith('.gguf')));
      // A GGUF repo with no GGUF file to hold is left alone.
      if (!isModel && mine.length === 0) continue;
      const kind: CardKind = isModel ? modelTargetKind : 'gguf';
      const cardDir = join(staging, String(plan.length));
      rmSync(cardDir, { recursive: true, force: true });
      mkdirSync(cardDir);
      const ctx: CardContext = { ...ctxBase, kind, name: repoName(target), files: mine };
      const cards = writeCard(cardDir, data, ctx);
      const files: PublishFile[] = [
        ...mine.filter((f) => local.includes(f)).map((f) => ({ path: f.name, local: join(dir, f.name) })),
        ...cards.map((n) => ({ path: n, local: join(cardDir, n) })),
      ];
      plan.push({ target, files, all: [...mine.map((f) => ({ path: f.name, bytes: f.bytes })), ...cards.map((n) => ({ path: n, bytes: statSync(join(cardDir, n)).size }))] });
    }
    if (opts.dryRun) return { outcomes, planned: plan.map((p) => ({ target: targetName(p.target), files: p.all.sort((a, b) => (a.path < b.path ? -1 : 1)) })) };
    for (const { target, files } of plan) {
      const name = targetName(target);
      let up = opts.uploaders?.get(name);
      if (!up) {
        up = await openUploader(target, opts);
        opts.uploaders?.set(name, up);
      }
      opts.log?.(`publishing to ${name}: ${files.length} file(s)`);
      const o = await up.commit(files, message);
      outcomes.push(o);
      if (!o.committed) opts.log?.(`${name}: every file is already there; nothing to commit`);
      else opts.log?.(`${name}: committed ${o.changed.length} changed file(s)${o.deleted.length ? `, removed ${o.deleted.length}` : ''}${o.commit ? ` (${o.commit.slice(0, 12)})` : ''}`);
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return { outcomes };
}
