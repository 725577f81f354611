/**
 * PEFT LoRA adapters in a local folder (`adapter_config.json` + `adapter_model.safetensors`), for
 * `model+lora` references. Only headers are read: the adapter is applied while streaming (the
 * plan marks each patched tensor, the kernels compute `W + scale·(B·A)` chunk by chunk), so no
 * merged copy of the model is ever written.
 *
 * Tensor names as PEFT saves them (adapter name removed, or kept as `.<name>` — both read):
 * - `base_model.model.<module>.lora_A.weight` [r, in], `….lora_B.weight` [out, r]: patch of
 *   `<module>.weight` [out, in];
 * - `base_model.model.<module>.lora_embedding_A` [r, vocab], `….lora_embedding_B` [dim, r]: patch
 *   of the embedding `<module>.weight` [vocab, dim];
 * - `base_model.model.<tensor>` (no `lora_` part): a `modules_to_save` tensor, replacing the
 *   base model's `<tensor>` whole.
 * Scale per module: `lora_alpha / r`, or `lora_alpha / √r` with `use_rslora`, where `r` and
 * `lora_alpha` come from `rank_pattern` / `alpha_pattern` when a pattern matches the module name
 * (PEFT's rule: the first key `k` for which `^(.*\.)?(k)$` matches).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { MergeopsError, type ErrorCode } from '../errors.js';
import { isFloatDType } from '../formats/dtype.js';
import type { SafetensorsHeader } from '../formats/safetensors.js';
import { readSafetensorsHeader } from './local.js';
import type { ResolvedTensor } from '../model/resolved.js';
import type { AdapterTensor, ByteSource, LoraPatch } from '../model/tensor.js';

export const ADAPTER_CONFIG = 'adapter_config.json';
export const ADAPTER_WEIGHTS = 'adapter_model.safetensors';
const PREFIX = 'base_model.model.';

/** The adapter_config.json keys that change the math, validated. */
export interface LoraConfig {
  r: number;
  loraAlpha: number;
  useRslora: boolean;
  rankPattern: [string, number][];
  alphaPattern: [string, number][];
  /** `target_modules` as a list of names, a regex (string), or absent. */
  targetModules?: string[] | string;
  baseModel?: string;
}

/** One adapted module: its factors in the kernel layout of LoraPatch (`a` = A, `b` = B; for embeddings `b` = lora_embedding_A, `a` = lora_embedding_B). */
export interface AdapterModule {
  module: string;
  embedding: boolean;
  a: AdapterTensor;
  b: AdapterTensor;
}

export interface LoraAdapter {
  /** Absolute path of the folder, or `repo@sha` for an adapter on the Hub. */
  dir: string;
  config: LoraConfig;
  modules: AdapterModule[];
  /** `modules_to_save` tensors by base tensor name. */
  replacements: Map<string, AdapterTensor>;
}

const UNSUPPORTED_HINT = 'merge the adapter into its base model with PEFT (`model.merge_and_unload()`, then `save_pretrained`) and reference the merged folder instead';

function configError(file: string, message: string, hint: string): MergeopsError {
  return new MergeopsError('MODEL_NOT_FOUND', `${file}: ${message}`, hint);
}

/** Validates the keys of adapter_config.json that decide the math; refuses what we cannot apply. */
export function parseLoraConfig(raw: unknown, file: string): LoraConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw configError(file, 'adapter_config.json must be a JSON object', 'fix or re-download adapter_config.json');
  }
  const c = raw as Record<string, unknown>;
  const peftType = c.peft_type;
  if (peftType !== undefined && peftType !== null && peftType !== 'LORA') {
    throw configError(file, `\`peft_type\` is ${JSON.stringify(peftType)}; only LoRA adapters (\`"peft_type": "LORA"\`) can be applied`, UNSUPPORTED_HINT);
  }
  const set = (k: string): boolean => c[k] !== undefined && c[k] !== null && c[k] !== false
    && !(Array.isArray(c[k]) && (c[k] as unknown[]).length === 0);
  const refuse: [string, string][] = [
    ['use_dora', 'DoRA adapters (`use_dora`) need per-column weight norms; they are not supported'],
    ['lora_bias', 'adapters with a LoRA bias (`lora_bias`) are not supported'],
    ['layer_replication', '`layer_replication` (layers duplicated by the adapter) is not supported'],
    ['target_parameters', '`target_parameters` (LoRA on raw parameters, e.g. MoE experts) is not supported'],
    ['alora_invocation_tokens', 'activated LoRA (`alora_invocation_tokens`) only applies after its invocation tokens and cannot be merged into the weights'],
    ['trainable_token_indices', '`trainable_token_indices` (trainable token embeddings) is not supported'],
  ];
  for (const [key, what] of refuse) {
    if (set(key)) throw configError(file, `${what} (\`${key}\` is ${JSON.stringify(c[key])})`, UNSUPPORTED_HINT);
  }
  const positive = (key: string, v: unknown, integer: boolean): number => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v))) {
      throw configError(file, `\`${key}\` must be a positive ${integer ? 'integer' : 'number'}, found ${JSON.stringify(v)}`,
        'fix adapter_config.json (PEFT writes e.g. `"r": 16, "lora_alpha": 32`)');
    }
    return v;
  };
  // PEFT's LoraConfig defaults: r = 8, lora_alpha = 8.
  const r = c.r === undefined ? 8 : positive('r', c.r, true);
  const loraAlpha = c.lora_alpha === undefined ? 8 : positive('lora_alpha', c.lora_alpha, false);
  if (c.use_rslora !== undefined && c.use_rslora !== null && typeof c.use_rslora !== 'boolean') {
    throw configError(file, `\`use_rslora\` must be true or false, found ${JSON.stringify(c.use_rslora)}`, 'fix adapter_config.json');
  }
  const pattern = (key: string, integer: boolean): [string, number][] => {
    const v = c[key];
    if (v === undefined || v === null) return [];
    if (typeof v !== 'object' || Array.isArray(v)) {
      throw configError(file, `\`${key}\` must be an object mapping module names to numbers`, 'fix adapter_config.json');
    }
    return Object.entries(v as Record<string, unknown>).map(([k, n]) => {
      try {
        new RegExp(`^(.*\\.)?(${k})$`);
      } catch {
        throw configError(file, `\`${key}\` key ${JSON.stringify(k)} is not a valid regular expression`, 'fix the pattern in adapter_config.json');
      }
      return [k, positive(`${key}.${k}`, n, integer)];
    });
  };
  const tm = c.target_modules;
  let targetModules: string[] | string | undefined;
  if (typeof tm === 'string') targetModules = tm;
  else if (Array.isArray(tm) && tm.every((t) => typeof t === 'string')) targetModules = tm as string[];
  else if (tm !== undefined && tm !== null) {
    throw configError(file, `\`target_modules\` must be a list of module names or a regular expression, found ${JSON.stringify(tm)}`, 'fix adapter_config.json');
  }
  return {
    r, loraAlpha, useRslora: c.use_rslora === true,
    rankPattern: pattern('rank_pattern', true), alphaPattern: pattern('alpha_pattern', false),
    targetModules,
    baseModel: typeof c.base_model_name_or_path === 'string' ? c.base_model_name_or_path : undefined,
  };
}

/** PEFT's `get_pattern_key`: the first pattern key matching the end of the module name. */
function patternValue(patterns: [string, number][], module: string): number | undefined {
  for (const [k, v] of patterns) if (new RegExp(`^(.*\\.)?(${k})$`).test(module)) return v;
  return undefined;
}

/** Rank and scale PEFT uses for `module`. */
export function moduleScale(config: LoraConfig, module: string): { rank: number; alpha: number; scale: number } {
  const rank = patternValue(config.rankPattern, module) ?? config.r;
  const alpha = patternValue(config.alphaPattern, module) ?? config.loraAlpha;
  return { rank, alpha, scale: config.useRslora ? alpha / Math.sqrt(rank) : alpha / rank };
}

type Role = 'A' | 'B';
const LINEAR_RE = /^(.+)\.lora_([AB])(?:\.([^.]+))?\.weight$/;
const EMBED_RE = /^(.+)\.lora_embedding_([AB])(?:\.([^.]+))?$/;

/** Sorts an adapter file's tensors into modules and replacements; refuses what we cannot apply. */
export function parseAdapterTensors(tensors: readonly AdapterTensor[], file: string): Pick<LoraAdapter, 'modules' | 'replacements'> {
  const bad = (name: string, message: string, hint: string): MergeopsError =>
    new MergeopsError('MODEL_NOT_FOUND', `${file}: tensor ${JSON.stringify(name)}: ${message}`, hint);
  const parts = new Map<string, { embedding: boolean; A?: AdapterTensor; B?: AdapterTensor }>();
  const replacements = new Map<string, AdapterTensor>();
  const adapterNames = new Set<string>();
  for (const t of tensors) {
    if (!t.tensor.startsWith(PREFIX)) {
      throw bad(t.tensor, `does not start with \`${PREFIX}\` as PEFT adapter tensors do`,
        'this is not a PEFT adapter file; save the adapter with PEFT (`model.save_pretrained(dir)`)');
    }
    const rest = t.tensor.slice(PREFIX.length);
    const linear = LINEAR_RE.exec(rest);
    const m = linear ?? EMBED_RE.exec(rest);
    if (m) {
      const [, module, role, adapterName] = m;
      if (adapterName !== undefined) adapterNames.add(adapterName);
      const embedding = linear === null;
      if (!isFloatDType(t.dtype)) throw bad(t.tensor, `has dtype ${t.dtype}; LoRA factors must be F32, F16 or BF16`, 're-save the adapter in a float dtype');
      if (t.shape.length !== 2) throw bad(t.tensor, `has shape [${t.shape.join(', ')}]; LoRA factors are 2-D matrices`, 'only Linear and Embedding LoRA layers are supported; merge other adapters with PEFT first');
      const p = parts.get(module) ?? { embedding };
      if (p.embedding !== embedding) throw bad(t.tensor, 'mixes lora_A/B and lora_embedding_A/B for one module', 're-save the adapter with PEFT');
      if (p[role as Role]) throw bad(t.tensor, `is a second lora_${role} for module \`${module}\``, 'the file holds several adapters; save only one (PEFT `save_pretrained(dir, selected_adapters=[name])`)');
      p[role as Role] = t;
      parts.set(module, p);
      continue;
    }
    if (/\.lora_magnitude_vector(\.|$)/.test(rest)) throw bad(t.tensor, 'is a DoRA magnitude vector; DoRA adapters are not supported', UNSUPPORTED_HINT);
    if (/\.lora_B(\.[^.]+)?\.bias$/.test(rest)) throw bad(t.tensor, 'is a LoRA bias; adapters with `lora_bias` are not supported', UNSUPPORTED_HINT);
    if (/(^|\.)(lora_|trainable_tokens_)/.test(rest)) throw bad(t.tensor, 'is not a LoRA tensor mergeops knows', UNSUPPORTED_HINT);
    // modules_to_save: a whole tensor. PEFT drops `modules_to_save.<adapter>.` when saving; older files may keep it.
    const name = rest.replace(/\.modules_to_save\.[^.]+\./, '.');
    if (replacements.has(name)) throw bad(t.tensor, `replaces \`${name}\` a second time`, 're-save the adapter with PEFT');
    replacements.set(name, t);
  }
  if (adapterNames.size > 1) {
    throw new MergeopsError('MODEL_NOT_FOUND', `${file}: holds several adapters (${[...adapterNames].join(', ')})`,
      'save one adapter per folder (PEFT `save_pretrained(dir, selected_adapters=[name])`) and reference that folder');
  }
  const modules: AdapterModule[] = [];
  for (const [module, p] of parts) {
    const kind = p.embedding ? 'lora_embedding_' : 'lora_';
    if (!p.A || !p.B) {
      throw new MergeopsError('MODEL_NOT_FOUND', `${file}: module \`${module}\` has ${kind}${p.A ? 'A' : 'B'} but no ${kind}${p.A ? 'B' : 'A'}`,
        'the adapter file is incomplete; re-download or re-save it');
    }
    // Kernel layout (see LoraPatch): for embeddings, lora_embedding_A is Bᵀ and lora_embedding_B is Aᵀ.
    modules.push(p.embedding ? { module, embedding: true, a: p.B, b: p.A } : { module, embedding: false, a: p.A, b: p.B });
  }
  return { modules, replacements };
}

async function exists(file: string): Promise<boolean> {
  return fs.stat(file).then((s) => s.isFile(), () => false);
}

/** Reads a PEFT LoRA adapter folder: config and safetensors header (no tensor data). */
export async function readLoraAdapter(dir: string): Promise<LoraAdapter> {
  const abs = path.resolve(dir);
  const isDir = await fs.stat(abs).then((s) => s.isDirectory(), () => false);
  if (!isDir) {
    throw new MergeopsError('MODEL_NOT_FOUND', `LoRA adapter folder ${abs} does not exist`,
      `give the folder that holds ${ADAPTER_CONFIG} and ${ADAPTER_WEIGHTS} (as saved by PEFT \`save_pretrained\`)`);
  }
  const configFile = path.join(abs, ADAPTER_CONFIG);
  const weightsFile = path.join(abs, ADAPTER_WEIGHTS);
  const missing = missingAdapterFile(`folder ${abs}`, {
    config: await exists(configFile), weights: await exists(weightsFile),
    modelConfig: await exists(path.join(abs, 'config.json')), pickle: await exists(path.join(abs, 'adapter_model.bin')),
  });
  if (missing) throw missing;
  const header = await readSafetensorsHeader(weightsFile);
  return assembleAdapter({
    dir: abs, configFile, configText: await fs.readFile(configFile, 'utf8'), weightsFile,
    header, source: { kind: 'file', path: weightsFile },
  });
}

/** Missing-file errors of an adapter (local folder or Hub repo), with what to do. */
export function missingAdapterFile(where: string, files: { config: boolean; weights: boolean; modelConfig: boolean; pickle: boolean }): MergeopsError | undefined {
  if (!files.config) {
    return new MergeopsError('MODEL_NOT_FOUND', `LoRA adapter ${where} has no ${ADAPTER_CONFIG}`,
      files.modelConfig ? 'this holds a full model (config.json), not an adapter: list it as a model of its own instead of after `+`'
        : `a PEFT adapter holds ${ADAPTER_CONFIG} and ${ADAPTER_WEIGHTS} (as saved by \`save_pretrained\`); add the missing file`);
  }
  if (!files.weights) {
    return new MergeopsError('MODEL_NOT_FOUND', `LoRA adapter ${where} has no ${ADAPTER_WEIGHTS}${files.pickle ? ' (only the pickle adapter_model.bin)' : ''}`,
      files.pickle ? 'mergeops never loads pickles (they can run arbitrary code); re-save the adapter with `save_pretrained(dir, safe_serialization=True)`'
        : `add ${ADAPTER_WEIGHTS} (it is saved next to ${ADAPTER_CONFIG})`);
  }
  return undefined;
}

/** An adapter from its config text and its weights file's header (wherever the bytes live). */
export function assembleAdapter(p: {
  /** Names the adapter in messages and patches: a folder, or `repo@sha`. */
  dir: string;
  configFile: string;
  configText: string;
  /** Names the weights file in messages (a path, or `repo@sha/adapter_model.safetensors`). */
  weightsFile: string;
  header: SafetensorsHeader;
  source: ByteSource;
}): LoraAdapter {
  let raw: unknown;
  try {
    raw = JSON.parse(p.configText);
  } catch (e) {
    throw configError(p.configFile, `not valid JSON: ${e instanceof Error ? e.message : String(e)}`, `fix or re-download ${ADAPTER_CONFIG}`);
  }
  const config = parseLoraConfig(raw, p.configFile);
  const tensors: AdapterTensor[] = p.header.tensors.map((t) => ({
    tensor: t.name, file: p.weightsFile, source: p.source, start: t.start, end: t.end, dtype: t.dtype, shape: t.shape,
  }));
  return { dir: p.dir, config, ...parseAdapterTensors(tensors, p.weightsFile) };
}

function targetMatches(target: string[] | string, module: string): boolean {
  if (typeof target === 'string') return new RegExp(`^(?:${target})$`).test(module);
  return target.some((t) => module === t || module.endsWith(`.${t}`));
}

/**
 * The base model's tensors with the adapter applied: patched tensors carry their `lora` patch,
 * `modules_to_save` tensors point into the adapter file. Checks every shape against the base.
 */
export function applyLoraAdapter(adapter: LoraAdapter, base: ReadonlyMap<string, ResolvedTensor>, baseLabel: string): Map<string, ResolvedTensor> {
  const { dir, config } = adapter;
  const fail = (message: string, hint: string, code: ErrorCode = 'SHAPE_MISMATCH'): MergeopsError =>
    new MergeopsError(code, `LoRA adapter ${dir}: ${message}`, hint);
  const forOther = `the adapter was trained for another model${config.baseModel ? ` (its adapter_config.json names \`${config.baseModel}\`)` : ''}; apply it to the model it was trained for`;
  const tm = config.targetModules;
  if (tm !== undefined && tm !== 'all-linear') {
    // PEFT refuses target modules that match nothing in the model: so do we.
    const baseModules = [...base.keys()].filter((n) => n.endsWith('.weight')).map((n) => n.slice(0, -'.weight'.length));
    for (const t of typeof tm === 'string' ? [tm] : tm) {
      let ok: boolean;
      try {
        ok = baseModules.some((m) => targetMatches(typeof tm === 'string' ? t : [t], m));
      } catch {
        throw fail(`\`target_modules\` ${JSON.stringify(t)} is not a valid regular expression`, 'fix adapter_config.json', 'ARCH');
      }
      if (!ok) throw fail(`\`target_modules\` names \`${t}\`, which matches no module of ${baseLabel}`, forOther, 'ARCH');
    }
  }
  const out = new Map<string, ResolvedTensor>();
  for (const [name, t] of base) out.set(name, { ...t });
  const shape = (s: number[]): string => `[${s.join(', ')}]`;
  for (const m of adapter.modules) {
    const target = `${m.module}.weight`;
    const w = out.get(target);
    if (!w) {
      const tied = /(^|\.)lm_head$/.test(m.module) && [...base.keys()].some((k) => k.endsWith('embed_tokens.weight'));
      throw fail(`patches module \`${m.module}\`, but ${baseLabel} has no tensor \`${target}\``,
        tied ? 'the base model ties its output head to the input embeddings (no lm_head.weight stored), so a LoRA on lm_head would change both; merge this adapter with PEFT first (`merge_and_unload()`)' : forOther, 'ARCH');
    }
    if (!isFloatDType(w.dtype) || w.shape.length !== 2) {
      throw fail(`patches \`${target}\`, which is ${w.dtype} ${shape(w.shape)} in ${baseLabel}; LoRA applies to 2-D float weights`, forOther);
    }
    const { rank, scale } = moduleScale(config, m.module);
    const [rows, cols] = w.shape;
    // Linear: A [r, cols], B [rows, r]. Embedding: lora_embedding_A (b) [r, rows], lora_embedding_B (a) [cols, r].
    const rankOfA = m.embedding ? m.a.shape[1] : m.a.shape[0];
    const rankOfB = m.embedding ? m.b.shape[0] : m.b.shape[1];
    const [aName, bName] = m.embedding ? ['lora_embedding_B', 'lora_embedding_A'] : ['lora_A', 'lora_B'];
    const rankSource = patternValue(config.rankPattern, m.module) !== undefined ? '`rank_pattern`' : '`r`';
    for (const [what, got] of [[aName, rankOfA], [bName, rankOfB]] as const) {
      if (got !== rank) {
        throw fail(`adapter_config.json gives module \`${m.module}\` rank ${rank} (${rankSource}), but its ${what} has rank ${got} (shape ${shape(what === aName ? m.a.shape : m.b.shape)})`,
          'adapter_config.json does not belong to these weights: fix `r` / `rank_pattern`, or re-save the adapter with PEFT');
      }
    }
    const wantA = m.embedding ? [cols, rank] : [rank, cols];
    const wantB = m.embedding ? [rank, rows] : [rows, rank];
    if (m.a.shape[0] !== wantA[0] || m.a.shape[1] !== wantA[1] || m.b.shape[0] !== wantB[0] || m.b.shape[1] !== wantB[1]) {
      throw fail(`${aName} ${shape(m.a.shape)} and ${bName} ${shape(m.b.shape)} of \`${m.module}\` do not fit \`${target}\` ${shape(w.shape)} of ${baseLabel} (expected ${shape(wantA)} and ${shape(wantB)})`, forOther);
    }
    const patch: LoraPatch = { adapter: dir, a: m.a, b: m.b, rank, scale, embedding: m.embedding };
    out.set(target, { ...w, lora: patch });
  }
  for (const [name, r] of adapter.replacements) {
    const w = out.get(name);
    if (!w) throw fail(`saves a full \`${name}\` (modules_to_save), but ${baseLabel} has no such tensor`, forOther, 'ARCH');
    if (w.lora) throw fail(`both patches and replaces \`${name}\``, 're-save the adapter with PEFT');
    if (w.shape.length !== r.shape.length || w.shape.some((d, i) => d !== r.shape[i])) {
      throw fail(`saves \`${name}\` with shape ${shape(r.shape)} (modules_to_save), but it is ${shape(w.shape)} in ${baseLabel}`,
        /embed|lm_head/.test(name)
          ? 'the adapter changed the vocabulary size; resize the base model\'s embeddings the same way, or merge with PEFT first'
          : forOther);
    }
    if (!isFloatDType(r.dtype) && r.dtype !== w.dtype) throw fail(`saves \`${name}\` as ${r.dtype}, but it is ${w.dtype} in ${baseLabel}`, forOther);
    out.set(name, {
      name, dtype: r.dtype, shape: r.shape, file: r.file, source: r.source, start: r.start, end: r.end,
      // PEFT loads it into the base model's parameter, in the base's dtype.
      ...(r.dtype !== w.dtype ? { modelDtype: w.dtype } : {}),
    });
  }
  return out;
}
