/**
 * The model card (README.md) rendered from data: CardData (recipe, pinned inputs, provenance),
 * the eval report and the files of the repo. Three shapes: the safetensors repo (`model`), the
 * GGUF repo (`gguf`, a quantization of the merged repo), or both in one repo (`combined`).
 */
import { stringify } from 'yaml';
import type { EvalReport } from '../eval/report.js';
import { bytes } from '../units.js';
import { evalTable } from '../eval/render.js';
import { chartFiles } from './chart.js';
import type { CardData, CardInput } from './data.js';
import { methodLink } from './papers.js';

export type CardKind = 'model' | 'gguf' | 'combined';

export interface CardContext {
  kind: CardKind;
  /** Name shown as the title (the repo's name, else the output folder's). */
  name: string;
  /** Hub id of the safetensors repo, when published to the Hub. */
  modelRepo?: string;
  /** Hub id of the GGUF repo, when published to the Hub. */
  ggufRepo?: string;
  /** Files of this repo (name and size), for the GGUF table. */
  files: readonly { name: string; bytes: number }[];
  eval?: EvalReport;
  /** Default https://huggingface.co */
  hubUrl?: string;
}

/** GGUF file types from the most to the least recommended for a first try. */
const RECOMMENDED = ['Q4_K_M', 'Q5_K_M', 'Q4_K_S', 'Q5_K_S', 'Q6_K', 'Q8_0', 'Q4_0', 'Q4_1', 'Q5_0', 'Q5_1', 'Q3_K_L', 'Q3_K_M', 'Q3_K_S', 'Q2_K', 'BF16', 'F16', 'F32'];

const GGUF_TYPE = /-(F32|F16|BF16|Q\d_K(?:_[SML])?|Q\d_[01]|IQ\w+?)(?:-\d{5}-of-\d{5})?\.gguf$/i;

export interface GGUFEntry {
  type: string;
  /** The first file (the one to load; split sets load from their first part). */
  file: string;
  parts: number;
  bytes: number;
  bitsPerWeight: number;
}

export function ggufEntries(files: CardContext['files'], parameters: number): GGUFEntry[] {
  const byType = new Map<string, GGUFEntry>();
  for (const f of [...files].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (!f.name.endsWith('.gguf')) continue;
    const type = (GGUF_TYPE.exec(f.name)?.[1] ?? 'gguf').toUpperCase();
    const e = byType.get(type) ?? { type, file: f.name, parts: 0, bytes: 0, bitsPerWeight: 0 };
    e.parts++;
    e.bytes += f.bytes;
    e.bitsPerWeight = parameters > 0 ? (e.bytes * 8) / parameters : 0;
    byType.set(type, e);
  }
  return [...byType.values()];
}

export function recommendedGGUF(entries: readonly GGUFEntry[]): GGUFEntry | undefined {
  for (const t of RECOMMENDED) { const e = entries.find((x) => x.type === t); if (e) return e; }
  return entries[0];
}

function paramsText(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  return `${(n / 1e3).toFixed(1)}K`;
}

function hubLink(hubUrl: string, repo: string, sha?: string): string {
  return sha ? `[${repo}@${sha.slice(0, 7)}](${hubUrl}/${repo}/tree/${sha})` : `[${repo}](${hubUrl}/${repo})`;
}

function inputLink(hubUrl: string, i: CardInput): string {
  const m = i.repo ? hubLink(hubUrl, i.repo, i.sha) : `\`${i.path ?? i.key}\` (local folder)`;
  if (!i.lora) return m;
  const l = i.lora.repo ? hubLink(hubUrl, i.lora.repo, i.lora.sha) : `\`${i.lora.path ?? ''}\``;
  return `${m} + LoRA ${l}`;
}

function isCausalLM(data: CardData): boolean {
  return data.architectures.some((a) => a.endsWith('ForCausalLM'));
}

/** model-index from the eval report: the merge's results per check. */
function modelIndex(name: string, report: EvalReport | undefined): unknown[] | undefined {
  if (!report?.ran) return undefined;
  const merge = report.models.find((m) => m.role === 'merge');
  if (!merge) return undefined;
  const results: unknown[] = [];
  const passRate = report.summary[merge.id]?.passRate;
  const prompts = report.checks.filter((c) => c.kind === 'prompt');
  if (prompts.length > 0 && passRate !== undefined) {
    results.push({
      task: { type: 'text-generation', name: 'prompt checks' },
      dataset: { name: 'mergeops prompt checks', type: 'mergeops-prompts' },
      metrics: [{ type: 'pass_rate', name: 'pass rate (prompts + tasks)', value: +passRate.toFixed(4) }],
    });
  }
  for (const c of report.checks) {
    if (c.kind === 'task' && c.results[merge.id]) {
      results.push({
        task: { type: 'text-generation', name: c.name },
        dataset: { name: c.name, type: `mergeops-task-${c.name}` },
        metrics: [{ type: 'accuracy', name: `accuracy (n=${c.n})`, value: +c.results[merge.id].accuracy.toFixed(4) }],
      });
    } else if (c.kind === 'perplexity' && c.results[merge.id]) {
      results.push({
        task: { type: 'text-generation', name: 'perplexity' },
        dataset: { name: c.name, type: `mergeops-perplexity-${c.name}` },
        metrics: [{ type: 'perplexity', name: `perplexity (${c.tokens} tokens)`, value: +c.results[merge.id].perplexity.toFixed(4) }],
      });
    }
  }
  return results.length > 0 ? [{ name, results }] : undefined;
}

export function cardFrontMatter(data: CardData, ctx: CardContext): Record<string, unknown> {
  const methods = [...new Set(data.stages.map((s) => s.method))];
  const hubInputs = [...new Set(data.inputs.flatMap((i) => [i.repo, i.lora?.repo]).filter((r): r is string => r !== undefined))];
  const fm: Record<string, unknown> = {};
  if (ctx.kind === 'gguf') {
    // A quantization of the merged repo (named only when that is on the Hub).
    if (ctx.modelRepo) fm.base_model = ctx.modelRepo;
    fm.base_model_relation = 'quantized';
  } else if (hubInputs.length > 0) {
    fm.base_model = hubInputs;
    fm.base_model_relation = 'merge';
  }
  if (ctx.kind !== 'gguf') fm.library_name = 'transformers';
  if (isCausalLM(data)) fm.pipeline_tag = 'text-generation';
  fm.tags = ['merge', 'mergekit', 'mergeops', ...methods, ...(ctx.kind !== 'model' ? ['gguf', 'llama-cpp'] : [])];
  if (data.license) fm.license = data.license;
  const mi = modelIndex(ctx.name, ctx.eval);
  if (mi) fm['model-index'] = mi;
  return fm;
}

function codeBlock(lang: string, text: string): string {
  const fence = text.includes('```') ? '~~~~' : '```';
  return `${fence}${lang}\n${text.trimEnd()}\n${fence}`;
}

function mermaidLineage(data: CardData): string {
  const ids = new Map<string, string>();
  const id = (k: string): string => { if (!ids.has(k)) ids.set(k, `n${ids.size}`); return ids.get(k)!; };
  const label = (s: string): string => s.replace(/"/g, '#quot;');
  const stageNames = new Set(data.stages.map((s) => s.name).filter((n): n is string => n !== undefined));
  const inputName = (key: string): string => { const i = data.inputs.find((x) => x.key === key); return i?.repo ?? i?.path ?? key; };
  const lines = ['graph LR'];
  for (const s of data.stages) {
    const sk = `stage:${s.name ?? 'final'}`;
    lines.push(`  ${id(sk)}["${label(`${s.final ? 'merged' : s.name} (${s.method})`)}"]`);
    for (const k of [...(s.base ? [s.base] : []), ...s.inputs]) {
      const from = stageNames.has(k) ? `stage:${k}` : `model:${k}`;
      if (!stageNames.has(k)) lines.push(`  ${id(from)}["${label(inputName(k))}"]`);
      lines.push(`  ${id(from)} -->${k === s.base ? '|base|' : ''} ${id(sk)}`);
    }
  }
  return codeBlock('mermaid', [...new Set(lines)].join('\n'));
}

/** README.md of a repo. */
export function renderCard(data: CardData, ctx: CardContext): string {
  const hubUrl = ctx.hubUrl ?? 'https://huggingface.co';
  const final = data.stages.find((s) => s.final) ?? data.stages[data.stages.length - 1];
  const out: string[] = [];
  out.push('---', stringify(cardFrontMatter(data, ctx), { lineWidth: 0 }).trimEnd(), '---', '');
  out.push(`# ${ctx.name}`, '');
  const base = final.base ? data.inputs.find((i) => i.key === final.base) : undefined;
  const nModels = data.inputs.length;
  const what = ctx.kind === 'gguf'
    ? `GGUF quantizations of ${ctx.modelRepo ? hubLink(hubUrl, ctx.modelRepo) : 'a merged model'}, `
    : '';
  out.push(`${what ? `${what}which is ` : 'This is '}a merge of ${nModels} model${nModels === 1 ? '' : 's'} (${paramsText(data.parameters)} parameters) `
    + `made with [mergeops](https://github.com/mergeops/mergeops) from a [mergekit](https://github.com/arcee-ai/mergekit) recipe, `
    + `using the ${methodLink(final.method)} merge method${base ? ` with ${inputLink(hubUrl, base)} as the base` : ''}`
    + `${data.stages.length > 1 ? `, in ${data.stages.length} stages` : ''}.`, '');
  if (ctx.kind === 'gguf' && ctx.modelRepo) out.push(`The merged safetensors weights are in ${hubLink(hubUrl, ctx.modelRepo)}.`, '');
  if (ctx.kind === 'model' && ctx.ggufRepo) out.push(`GGUF files for llama.cpp, Ollama and LM Studio are in ${hubLink(hubUrl, ctx.ggufRepo)}.`, '');

  if (ctx.kind !== 'model') out.push(...ggufSection(data, ctx));
  if (ctx.kind !== 'gguf') {
    const repo = ctx.modelRepo ?? `./${ctx.name}`;
    out.push('## Use with transformers', '', codeBlock('python', [
      'from transformers import AutoModelForCausalLM, AutoTokenizer',
      '',
      `tokenizer = AutoTokenizer.from_pretrained("${repo}")`,
      `model = AutoModelForCausalLM.from_pretrained("${repo}", torch_dtype="auto")`,
      'inputs = tokenizer("Hello, my name is", return_tensors="pt")',
      'print(tokenizer.decode(model.generate(**inputs, max_new_tokens=32)[0]))',
    ].join('\n')), '');
  }

  out.push('## Merge details', '');
  for (const s of data.stages) {
    if (data.stages.length > 1) out.push(`### ${s.final ? 'Final stage' : `Stage \`${s.name}\``}${s.final && s.name ? ` (\`${s.name}\`)` : ''}`, '');
    out.push(`Method: ${methodLink(s.method)}.`, '');
    if (s.base) out.push(`Base: ${data.inputs.some((i) => i.key === s.base) ? inputLink(hubUrl, data.inputs.find((i) => i.key === s.base)!) : `stage \`${s.base}\``}`, '');
    out.push('Merged:', '');
    for (const k of s.inputs) {
      const i = data.inputs.find((x) => x.key === k);
      out.push(`* ${i ? inputLink(hubUrl, i) : `stage \`${k}\``}`);
    }
    out.push('');
  }
  if (data.stages.length > 1) out.push('### Lineage', '', mermaidLineage(data), '');
  const charts = chartFiles(data);
  if (charts.length > 0 && ctx.kind !== 'gguf') {
    out.push('### Per-layer parameters', '');
    for (const c of charts) out.push(`![${c.title}](${c.name})`, '');
  }
  if (ctx.eval?.ran) out.push(...evalSection(ctx.eval));
  out.push('## Recipe', '', `\`${data.recipeFile}\`:`, '', codeBlock('yaml', data.recipeText), '');
  out.push('## Provenance', '');
  const p = data.provenance;
  if (p.repositoryUrl) out.push(`* Source: ${p.repositoryUrl}${p.commit ? ` at [\`${p.commit.slice(0, 12)}\`](${p.repositoryUrl}/commit/${p.commit})` : ''}, \`${data.recipeFile}\``);
  else if (p.commit) out.push(`* Source commit: \`${p.commit}\`, \`${data.recipeFile}\``);
  else out.push(`* Recipe: \`${data.recipeFile}\` (not in a git checkout)`);
  if (p.runUrl) out.push(`* Built by workflow run ${p.runUrl}`);
  out.push(`* mergeops ${p.mergeopsVersion}`);
  if (p.lockSha256) out.push(`* \`mergeops.lock\` sha256 \`${p.lockSha256}\``);
  out.push(`* Inputs pinned to: ${data.inputs.map((i) => (i.repo ? `${i.repo}@${i.sha ?? '?'}` : `${i.path ?? i.key} (local)`)).join(', ')}`);
  out.push('');
  return out.join('\n');
}

function mdCell(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/</g, '&lt;');
}

/** The eval table (merge next to its inputs) and the gate; no timings, so an identical build renders the same card. */
function evalSection(report: EvalReport): string[] {
  const out = ['## Evaluation', ''];
  const v = report.versions;
  out.push(`Checks run by mergeops${report.gguf ? ` on \`${report.gguf.file}\` (${report.gguf.type})` : ''}`
    + `${v.llamaCpp ? ` with llama.cpp ${v.llamaCpp}` : ''}.`, '');
  if (report.checks.length > 0) {
    const { header, rows } = evalTable(report);
    out.push(`| ${header.map(mdCell).join(' | ')} |`, `|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`);
    for (const r of rows) out.push(`| ${r.map(mdCell).join(' | ')} |`);
    out.push('');
  }
  out.push(report.gate.passed ? 'Gate: passed.' : `Gate: FAILED (${report.gate.failures.map((f) => mdCell(`${f.check}: ${f.message}`)).join('; ')}).`, '');
  return out;
}

function ggufSection(data: CardData, ctx: CardContext): string[] {
  const entries = ggufEntries(ctx.files, data.parameters);
  if (entries.length === 0) return [];
  const rec = recommendedGGUF(entries)!;
  const out = ['## GGUF files', '', '| file | type | size | bits per weight | |', '|---|---|---:|---:|---|'];
  for (const e of entries) {
    out.push(`| \`${e.file}\`${e.parts > 1 ? ` (${e.parts} parts)` : ''} | ${e.type} | ${bytes(e.bytes)} | ${e.bitsPerWeight.toFixed(2)} | ${e === rec ? 'recommended' : ''} |`);
  }
  out.push('', `Recommended: **${rec.type}** (\`${rec.file}\`), a good balance of size and quality; pick a larger type if it fits your memory.`, '');
  const repo = ctx.ggufRepo;
  out.push('### Run it', '');
  if (repo) {
    out.push('llama.cpp:', '', codeBlock('sh', `llama-cli -hf ${repo}:${rec.type} -p "Hello"`), '');
    out.push('Ollama:', '', codeBlock('sh', `ollama run hf.co/${repo}:${rec.type}`), '');
    out.push('LM Studio:', '', codeBlock('sh', `lms get ${repo}`), '', `or search for \`${repo}\` in LM Studio's model search and pick ${rec.type}.`, '');
  } else {
    out.push('llama.cpp:', '', codeBlock('sh', `llama-cli -m ${rec.file} -p "Hello"`), '');
    out.push('Ollama (a Modelfile with `FROM ./' + rec.file + '`):', '', codeBlock('sh', `ollama create ${ctx.name.toLowerCase()} -f Modelfile && ollama run ${ctx.name.toLowerCase()}`), '');
    out.push('LM Studio:', '', codeBlock('sh', `lms import ${rec.file}`), '');
  }
  return out;
}
