/** The build's job summary, one section per recipe, rendered from data. */
import { basename } from 'node:path';
import { bytes, duration } from '../units.js';
import type { EvalReport } from '../eval/report.js';
import { renderEvalMarkdown } from '../eval/render.js';
import { isLocalOnly } from '../publish/publish.js';
import type { CommitOutcome } from '../publish/uploader.js';
import { DEFAULT_HUB_URL } from '../hub/hub-options.js';
import type { ModeContext } from './context.js';

export interface RecipeBuild {
  path: string;
  name: string;
  outDir: string;
  /** pinned inputs (from the lockfile) */
  inputs: { key: string; repo?: string; revision?: string; sha?: string; path?: string }[];
  files: { name: string; bytes: number }[];
  seconds: number;
  mergeSeconds: number;
  peakRssBytes: number;
  lockChanged: boolean;
  lockPath: string;
  ggufChecks: { file: string; ran: boolean }[];
  eval?: EvalReport;
  /** where it was published: repo, commit, and the URL of the repo */
  published: { repo: string; commit: string; url: string; committed: boolean }[];
  /**
   * a job of a matrix build: a part (uploaded, not committed; `dryRunFiles`: a dry run's count of
   * the files its manifest lists, none uploaded) or the final job that commits the parts (`dryRun`: it
   * only checked them; `wouldPublish`: what each repo's commit would hold)
   */
  matrix?: { role: 'part'; shard: string; manifest?: string; uploaded: { repo: string; file: string }[]; dryRunFiles?: number }
    | { role: 'commit'; parts: number; dryRun?: true; wouldPublish?: { target: string; files: number; bytes: number }[] };
}

const esc = (s: string): string => s.replace(/\|/g, '\\|');

export function recipeSummary(b: RecipeBuild, hubUrl = 'https://huggingface.co'): string {
  const out = [`## \`${b.path}\``, ''];
  if (b.published.length) {
    out.push(`Published: ${b.published.map((p) => `[${p.repo}](${p.url})${p.committed ? ` @ \`${p.commit.slice(0, 12)}\`` : ' (already up to date)'}`).join(', ')}`, '');
  }
  if (b.matrix?.role === 'part' && b.matrix.dryRunFiles !== undefined) {
    out.push(`Matrix part ${b.matrix.shard} (dry run): ${b.matrix.dryRunFiles} file(s) computed, **nothing uploaded**; their digests are in the manifest \`${basename(b.matrix.manifest ?? '')}\` `
      + 'for the final job\'s dry run (a final job that publishes refuses it).', '');
  } else if (b.matrix?.role === 'part') {
    const repos = [...new Set(b.matrix.uploaded.map((u) => u.repo))];
    out.push(b.matrix.manifest
      ? `Matrix part ${b.matrix.shard}: ${b.matrix.uploaded.length} file(s) uploaded to ${repos.map((r) => `\`${r}\``).join(', ')} as LFS objects, **not committed**: `
        + `the final job (\`commit-parts\`) commits every part at once. Manifest: \`${basename(b.matrix.manifest)}\`.`
      : `Matrix part ${b.matrix.shard}: computed only; nothing uploaded (no \`publish\` input).`, '');
  } else if (b.matrix?.role === 'commit' && b.matrix.dryRun) {
    out.push(`Matrix build (dry run): the ${b.matrix.parts} parts check out against the plan; **nothing was committed**. Publishing would commit `
      + `${(b.matrix.wouldPublish ?? []).map((w) => `${w.files} file(s) (${bytes(w.bytes)}) to \`${w.target.replace(/^hf:/, '')}\``).join(' and ')}.`, '');
  } else if (b.matrix?.role === 'commit') {
    out.push(`Matrix build: ${b.matrix.parts} parts committed at once; the small files, lockfile outputs, eval.json and the card written by this job.`, '');
  }
  out.push('| input | revision | commit |', '|---|---|---|');
  for (const i of b.inputs) {
    out.push(i.repo
      ? `| [${esc(i.repo)}](${hubUrl}/${i.repo}) | \`${esc(i.revision ?? 'main')}\` | [\`${(i.sha ?? '').slice(0, 12)}\`](${hubUrl}/${i.repo}/tree/${i.sha}) |`
      : `| \`${esc(i.path ?? i.key)}\` | local | — |`);
  }
  const pub = b.published[0];
  out.push('', '| output | size |', '|---|---|');
  for (const f of b.files) {
    const repo = f.name.endsWith('.gguf') ? b.published[b.published.length - 1] : pub;
    // Files no repo receives (the card's data) are named without a link, as local only.
    const local = isLocalOnly(f.name);
    const link = repo && !local ? `[${esc(f.name)}](${repo.url}/blob/${repo.committed ? repo.commit : 'main'}/${f.name})` : `\`${esc(f.name)}\``;
    out.push(`| ${link}${repo && local ? ' (not published: README.md is rendered from it)' : ''} | ${bytes(f.bytes)} |`);
  }
  out.push('');
  if (b.eval) out.push('### Eval', '', b.eval.ran ? renderEvalMarkdown(b.eval) : `Not run: ${b.eval.reason ?? 'no reason given'}.`, '');
  else if (b.ggufChecks.some((c) => !c.ran)) out.push('> ⚠️ The GGUF files were not loaded with llama.cpp (no prebuilt binary for this runner): no eval ran.', '');
  out.push(`Time: ${duration(b.seconds)} (${b.matrix?.role === 'commit' ? 'the merge ran in the part jobs' : `merge ${duration(b.mergeSeconds)}`}); peak memory ${bytes(b.peakRssBytes)}.`
    + `${b.lockChanged ? ` \`${b.lockPath}\` updated.` : ''}`, '');
  return out.join('\n');
}

/** The Hub repos a recipe's commits went to (for the summary and the `models` output), each logged. */
export function publishedOf(ctx: ModeContext, path: string, outcomes: readonly CommitOutcome[]): RecipeBuild['published'] {
  const hubUrl = ctx.hub.hubUrl ?? DEFAULT_HUB_URL;
  const published: RecipeBuild['published'] = [];
  for (const o of outcomes) {
    ctx.log(`${path}: ${o.committed ? `published ${o.target} (${o.changed.length} file(s) changed, commit ${o.commit ?? ''})` : `${o.target} already up to date`}`);
    const repo = o.target.replace(/^hf:/, '');
    if (o.target.startsWith('hf:')) published.push({ repo, commit: o.commit ?? '', url: `${hubUrl}/${repo}`, committed: o.committed });
  }
  return published;
}
