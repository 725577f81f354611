/** The sticky review comment, rendered from data (one section per changed recipe). */
import { bytes, duration } from '../units.js';
import { ASSUMED_RATES, type ResourceEstimate } from './estimate.js';
import type { ParamChange } from './recipe-diff.js';

export interface RecipeReview {
  path: string;
  /** errors, each with its position when it has one */
  errors: { message: string; hint: string; line?: number; col?: number }[];
  warnings: string[];
  method?: string;
  models: { key: string; repo?: string; sha?: string; bytes: number }[];
  tensors?: number;
  estimate?: ResourceEstimate;
  diff: ParamChange[];
  /** the recipe is new in this pull request */
  isNew: boolean;
  /** Mermaid lineage, multi-stage recipes only */
  lineage?: string;
  /** a note about the lockfile (missing, or for another version of the recipe) */
  lockNote?: string;
}

const cell = (s: string | undefined): string => (s === undefined ? '—' : `\`${s.replace(/\|/g, '\\|').replace(/`/g, "'")}\``);

function estimateTable(e: ResourceEstimate): string[] {
  const r = e.runner;
  const lines = [
    `| on \`${r.label}\` (${r.cpus} vCPU, ${bytes(r.memoryBytes)} RAM, ${bytes(r.diskBytes)} disk) | needs | fits |`,
    '|---|---|---|',
    `| memory: merge (bounded by \`max-memory\`, default half the RAM) | ${bytes(e.mergeMemoryBytes)} (works from ${bytes(e.minMemoryBytes)}) | ✅ |`,
  ];
  if (e.evalMemoryBytes > 0) lines.push(`| memory: eval (llama.cpp maps the GGUF) | ${bytes(e.evalMemoryBytes)} | ${e.evalMemoryBytes <= r.memoryBytes ? '✅' : '⚠️'} |`);
  lines.push(`| disk: output + GGUF (inputs streamed) | ${bytes(e.diskBytes)} | ${e.diskBytes <= r.diskBytes ? '✅' : '⚠️'} |`);
  lines.push(`| disk: with inputs downloaded (faster) | ${bytes(e.diskWithInputsBytes)} | ${e.diskWithInputsBytes <= r.diskBytes ? '✅' : 'streams instead'} |`);
  const evalPart = e.evalSeconds > 0 ? `, of which the eval ≈ ${duration(e.evalSeconds)}` : '';
  lines.push(`| time (download, merge, quantize${e.evalSeconds > 0 ? ', eval' : ''}) | ≈ ${duration(e.seconds)}${evalPart} | ${e.seconds <= r.jobSeconds ? '✅' : '⚠️'} |`);
  return lines;
}

export function renderRecipeReview(r: RecipeReview): string {
  const out: string[] = [];
  const status = r.errors.length ? `❌ ${r.errors.length} error(s)` : r.warnings.length || r.estimate?.warnings.length ? '⚠️ plans, with warnings' : '✅ plans';
  out.push(`### \`${r.path}\` — ${status}${r.isNew ? ' (new recipe)' : ''}`, '');
  for (const e of r.errors) out.push(`- **error**${e.line !== undefined ? ` (line ${e.line}${e.col !== undefined ? `, col ${e.col}` : ''})` : ''}: ${e.message}  \n  hint: ${e.hint}`);
  if (r.errors.length) out.push('');
  if (r.method !== undefined) {
    out.push(`**Plan:** \`${r.method}\`, ${r.tensors ?? 0} tensors.`, '', '| input model | commit | size |', '|---|---|---|');
    for (const m of r.models) out.push(`| ${cell(m.repo ?? m.key)} | ${m.sha ? `\`${m.sha.slice(0, 12)}\`` : 'local'} | ${bytes(m.bytes)} |`);
    out.push('');
    if (r.estimate) {
      const e = r.estimate;
      out.push(`Output: ${bytes(e.outputBytes)} of safetensors${e.gguf.length ? `; GGUF ${e.gguf.map((g) => `${g.type} ≈ ${bytes(g.bytes)}`).join(', ')}` : ''}.`, '');
      out.push(...estimateTable(e), '');
    }
  }
  for (const w of [...r.warnings, ...r.estimate?.warnings ?? []]) out.push(`> ⚠️ ${w}`, '');
  if (r.lockNote) out.push(`> 🔒 ${r.lockNote}`, '');
  if (r.diff.length) {
    out.push(`<details${r.diff.length <= 20 ? ' open' : ''}><summary>${r.isNew ? 'Recipe settings' : 'Changes against the base branch'} (${r.diff.length})</summary>`, '');
    out.push('| key | base | this PR |', '|---|---|---|');
    for (const d of r.diff) out.push(`| ${cell(d.key)} | ${cell(d.base)} | ${cell(d.head)} |`);
    out.push('', '</details>', '');
  } else if (!r.isNew) out.push('No parameter changes against the base branch (the lockfile or formatting changed).', '');
  if (r.lineage) out.push('**Lineage**', '', '```mermaid', r.lineage, '```', '');
  return out.join('\n');
}

export function renderReviewComment(reviews: readonly RecipeReview[], opts: { sha: string; runUrl?: string }): string {
  const failed = reviews.filter((r) => r.errors.length).length;
  const out = [
    `## mergeops review: ${reviews.length} recipe(s)${failed ? `, ${failed} with errors` : ''}`, '',
    ...reviews.map(renderRecipeReview),
    `<sub>Estimates assume the Hub at ${bytes(ASSUMED_RATES.download)}/s, merging at ${bytes(ASSUMED_RATES.merge)}/s, quantizing at `
    + `${bytes(ASSUMED_RATES.quantize)}/s and the eval's forward passes at ${ASSUMED_RATES.evalFlops / 1e9} GFLOP/s. Commit \`${opts.sha.slice(0, 12)}\`${opts.runUrl ? ` · [run](${opts.runUrl})` : ''}. `
    + 'This comment is edited in place on every push.</sub>',
  ];
  return out.join('\n');
}
