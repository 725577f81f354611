/**
 * The eval table, rendered from an EvalReport: Markdown for eval.md (and whoever embeds it, such as
 * the model card or the Action's job summary) and aligned plain text for the CLI.
 */
import type { EvalCheck, EvalReport } from './report.js';

export interface EvalTable {
  header: string[];
  rows: string[][];
}

const MAX_OUTPUT = 32;

/** One row per check plus the summary rows, one column per model (the merge first). */
export function evalTable(report: EvalReport): EvalTable {
  const header = ['check', ...report.models.map((m) => (m.role === 'merge' ? `${m.label} (merge)` : m.label))];
  const rows: string[][] = [];
  for (const c of report.checks) rows.push([checkLabel(c), ...report.models.map((m) => cell(c, m.id))]);
  const hasPassRate = report.models.some((m) => report.summary[m.id]?.passRate !== undefined);
  if (hasPassRate) {
    rows.push(['pass rate (prompts + tasks)', ...report.models.map((m) => fixed(report.summary[m.id]?.passRate, 3))]);
  }
  return { header, rows };
}

export function checkLabel(c: EvalCheck): string {
  switch (c.kind) {
    case 'prompt': return `prompt ${c.name}`;
    case 'task': return `task ${c.name} (n=${c.n})`;
    case 'perplexity': return `perplexity ${c.name} (${c.tokens} tokens)`;
  }
}

function cell(c: EvalCheck, id: string): string {
  switch (c.kind) {
    case 'prompt': {
      const r = c.results[id];
      return r ? `${r.pass ? 'pass' : 'FAIL'} ${quote(r.output)}` : '-';
    }
    case 'task': {
      const r = c.results[id];
      return r ? `${r.accuracy.toFixed(3)} (${r.correct}/${c.n})` : '-';
    }
    case 'perplexity': {
      const r = c.results[id];
      return r ? fixed(r.perplexity, 3) : '-';
    }
  }
}

function fixed(v: number | undefined, digits: number): string {
  if (v === undefined) return '-';
  return Number.isFinite(v) ? v.toFixed(digits) : String(v);
}

/** A model's output as a short JSON string literal (newlines and control characters visible). */
function quote(s: string): string {
  const q = JSON.stringify(s.length > MAX_OUTPUT ? `${s.slice(0, MAX_OUTPUT)}…` : s);
  return q;
}

function gateLines(report: EvalReport): string[] {
  if (!report.ran) return [];
  if (report.gate.passed) return ['gate: passed'];
  return ['gate: FAILED', ...report.gate.failures.map((f) => `  ${f.check}: ${f.message}`)];
}

function headline(report: EvalReport): string {
  if (!report.ran) return `eval not run: ${report.reason ?? 'no reason given'}`;
  const parts: string[] = [];
  if (report.gguf) parts.push(`on ${report.gguf.file} (${report.gguf.type})`);
  const v = report.versions;
  if (v.llamaCpp) parts.push(`llama.cpp ${v.llamaCpp}${v.nodeLlamaCpp ? ` via node-llama-cpp ${v.nodeLlamaCpp}` : ''}`);
  parts.push(`${report.seconds.toFixed(1)} s`);
  return `eval ${parts.join(', ')}`;
}

/** The table as aligned plain text with the gate's verdict under it, for the end of `run`. */
export function renderEvalText(report: EvalReport): string {
  const lines = [headline(report)];
  if (report.ran && report.checks.length > 0) {
    const { header, rows } = evalTable(report);
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (r: string[]): string => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
    lines.push(line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line));
  }
  lines.push(...gateLines(report));
  for (const n of report.notes ?? []) lines.push(`note: ${n}`);
  const reused = cachedLine(report);
  if (reused) lines.push(`note: ${reused}`);
  if (report.health) {
    const h = report.health;
    lines.push(`tensor health: ${h.tensors.length} tensors, ${h.outliers.length} outlier(s)`);
    for (const o of h.outliers) lines.push(`  ${o.name}: ${o.reason}`);
  }
  return lines.join('\n') + '\n';
}

/** Which inputs' results an earlier run computed (the eval cache), if any. */
function cachedLine(report: EvalReport): string | undefined {
  const labels = report.models.filter((m) => m.cached).map((m) => m.label);
  return labels.length ? `results of ${labels.join(', ')} from the eval cache (an earlier run on the same weights, checks and llama.cpp)` : undefined;
}

function md(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/`/g, '\\`').replace(/</g, '&lt;');
}

/** eval.md: the same table in Markdown, the gate, versions and tensor health when present. */
export function renderEvalMarkdown(report: EvalReport): string {
  const out = ['# Evaluation', ''];
  if (!report.ran) {
    out.push(`The eval was not run: ${md(report.reason ?? 'no reason given')}.`, '');
  } else {
    out.push(md(headline(report)).replace(/^eval /, 'Checks run '), '');
    if (report.checks.length > 0) {
      const { header, rows } = evalTable(report);
      out.push(`| ${header.map(md).join(' | ')} |`, `|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`);
      for (const r of rows) out.push(`| ${r.map(md).join(' | ')} |`);
      out.push('');
    }
    if (report.gate.passed) out.push('**Gate: passed.**', '');
    else {
      out.push('**Gate: FAILED.**', '');
      for (const f of report.gate.failures) out.push(`- ${md(f.check)}: ${md(f.message)}`);
      out.push('');
    }
  }
  const reused = cachedLine(report);
  for (const n of [...report.notes ?? [], ...reused ? [reused] : []]) out.push(`- Note: ${md(n)}`);
  if (report.notes?.length || reused) out.push('');
  if (report.health) {
    const h = report.health;
    out.push('## Tensor health', '');
    const nan = h.tensors.reduce((s, t) => s + t.nan, 0);
    const inf = h.tensors.reduce((s, t) => s + t.inf, 0);
    out.push(`${h.tensors.length} tensors; ${nan} NaN and ${inf} Inf values; ${h.outliers.length} outlier(s).`, '');
    if (h.outliers.length > 0) {
      out.push('| tensor | reason |', '|---|---|');
      for (const o of h.outliers) out.push(`| ${md(o.name)} | ${md(o.reason)} |`);
      out.push('');
    }
  }
  return out.join('\n');
}
