/**
 * `general.*` GGUF metadata (gguf-py metadata.py `set_gguf_meta_model`, utility.py), written
 * in convert's order. The values come from the caller: the recipe for merges (name, base
 * models, tags, license), the folder name and generation_config.json for `mergeops quantize`.
 */
import { kv, type GGUFMetadata } from '../formats/gguf.js';

export interface GGUFBaseModel {
  name?: string;
  organization?: string;
  version?: string;
  repoUrl?: string;
}

export interface GGUFGeneralInfo {
  name: string;
  author?: string;
  version?: string;
  organization?: string;
  finetune?: string;
  basename?: string;
  description?: string;
  /** computed from the parameter count when absent */
  sizeLabel?: string;
  /** SPDX ids; written joined with `,` */
  license?: string[];
  licenseName?: string;
  licenseLink?: string;
  repoUrl?: string;
  baseModels?: GGUFBaseModel[];
  tags?: string[];
  languages?: string[];
  /** generation_config.json, for `general.sampling.*` */
  generationConfig?: Record<string, unknown>;
}

/**
 * gguf-py `model_weight_count_rounded_notation(n, min_digits=2)`: 1,235,814,400 → "1.2B",
 * 494,032,768 → "494M". Python's `f"{x:.{fix}f}"` rounds the binary value half-even, which
 * toFixed does too except on exact decimal ties; those need more than 15 digits here.
 */
export function sizeLabel(params: number): string {
  let x: number;
  let suffix: string;
  if (params > 1e12) { x = params / 1e12; suffix = 'T'; }
  else if (params > 1e9) { x = params / 1e9; suffix = 'B'; }
  else if (params > 1e6) { x = params / 1e6; suffix = 'M'; }
  else { x = params / 1e3; suffix = 'K'; }
  const digits = String(Math.round(x)).replace(/^0+/, '').length;
  const fix = Math.max(2 - digits, 0);
  return `${x.toFixed(fix)}${suffix}`;
}

/**
 * gguf-py `id_to_title`: `-` → space, then each word that is all lower case (Python
 * `islower`) and not a version (`v1.2`) or digit-led gets Python's `str.title()`.
 */
export function idToTitle(s: string): string {
  return s.trim().replace(/-/g, ' ').split(/\s+/).filter((w) => w !== '').map((w) => {
    const isLower = w === w.toLowerCase() && w !== w.toUpperCase();
    if (!isLower || /^(v\d+(?:\.\d+)*|\d.*)$/.test(w)) return w;
    // str.title(): upper-case the first letter of every run of letters
    return w.replace(/\p{L}+/gu, (m) => m[0].toUpperCase() + m.slice(1));
  }).join(' ');
}

export interface ModelIdComponents {
  fullName?: string;
  org?: string;
  basename?: string;
  finetune?: string;
  version?: string;
  sizeLabel?: string;
}

/**
 * gguf-py `Metadata.get_model_id_components`: splits `org/Name-7B-Instruct-v0.3` into name,
 * organization, basename, finetune, version and size label, with its heuristics (a size that is
 * far from `totalParams` counts as finetune).
 */
export function modelIdComponents(modelId: string, totalParams = 0): ModelIdComponents {
  if (modelId.includes(' ')) return { fullName: modelId };
  let org: string | undefined;
  let full = modelId;
  const slash = modelId.indexOf('/');
  if (slash >= 0) { org = modelId.slice(0, slash); full = modelId.slice(slash + 1); }
  if (org !== undefined && org.startsWith('.')) org = undefined;
  const parts = full.split('-').filter((p) => p !== '');
  const types = parts.map(() => new Set<string>());
  parts.forEach((part0, i) => {
    let part = part0;
    if (/^(v|iter)?\d+([.]\d+)*$/i.test(part)) types[i].add('version');
    else if (/^(i?q\d(_\w)*|b?fp?(16|32))$/i.test(part)) { types[i].add('type'); parts[i] = part.toUpperCase(); }
    else if (i > 0 && /^(([A]|\d+[x])?\d+([._]\d+)?[KMBT][\d]?|small|mini|medium|large|x?xl)$/i.test(part)) {
      part = part.replace(/_/g, '.');
      if (/\d/.test(part[part.length - 1])) part = part.slice(0, -2) + '.' + part[part.length - 1] + part[part.length - 2];
      if (part.length > 1 && /\d/.test(part[part.length - 2]) && 'kmbt'.includes(part[part.length - 1])) part = part.slice(0, -1) + part[part.length - 1].toUpperCase();
      if (totalParams !== 0) {
        const mult = ' KMBT'.indexOf(part[part.length - 1]);
        const num = Number(part.slice(0, -1));
        if (mult >= 0 && part.slice(0, -1) !== '' && Number.isFinite(num)) {
          const labelParams = num * 1000 ** mult;
          if ((totalParams < 0 && labelParams < Math.floor(Math.abs(totalParams) / 8))
            || (totalParams > 0 && Math.abs(labelParams - totalParams) > Math.floor((7 * totalParams) / 8))) {
            types[i].add('finetune');
            part = part.slice(0, -1) + part[part.length - 1].toLowerCase();
          }
        }
      }
      if (types[i].size === 0) types[i].add('size_label');
      parts[i] = part;
    } else if (i > 0 && /^(chat|instruct|vision|lora)$/i.test(part)) {
      types[i].add(totalParams < 0 && part.toLowerCase() === 'lora' ? 'type' : 'finetune');
    }
  });
  if (parts.some((n, i) => types[i].has('size_label') && /\d/.test(n))) {
    parts.forEach((n, i) => { if (types[i].has('size_label') && /^\p{L}+$/u.test(n)) types[i].delete('size_label'); });
  }
  let atStart = true;
  parts.forEach((part, i) => {
    const t = types[i];
    if (atStart && ((t.size === 0 && /^\p{L}/u.test(part)) || t.has('version'))) t.add('basename');
    else {
      atStart = false;
      if (t.size === 0) t.add('finetune');
    }
  });
  for (let i = parts.length - 1; i >= 0; i--) {
    if (types[i].has('basename') && types[i].size > 1) types[i].delete('basename');
    else break;
  }
  const join = (pred: (t: Set<string>) => boolean, unique = false): string | undefined => {
    let xs = parts.filter((_, i) => pred(types[i]));
    if (unique) xs = [...new Set(xs)];
    return xs.length > 0 ? xs.join('-') : undefined;
  };
  let basename = join((t) => t.has('basename'));
  const sizeLabel = join((t) => t.has('size_label'), true);
  const finetune = join((t) => t.has('finetune'));
  const version = join((t) => t.has('version') && !t.has('basename'));
  if (sizeLabel === undefined && finetune === undefined && version === undefined) basename = undefined;
  return { fullName: full, org, basename, finetune, version, sizeLabel };
}

/** `apply_metadata_heuristic` for one id (config `_name_or_path` or the folder name): fills what is unset. */
export function applyModelId(g: Partial<GGUFGeneralInfo>, modelId: string, totalParams: number): Partial<GGUFGeneralInfo> {
  const c = modelIdComponents(modelId, totalParams);
  const out = { ...g };
  if (out.name === undefined && c.fullName !== undefined) out.name = idToTitle(c.fullName);
  if (out.organization === undefined && c.org !== undefined) out.organization = idToTitle(c.org);
  if (out.basename === undefined && c.basename !== undefined) out.basename = c.basename;
  if (out.finetune === undefined && c.finetune !== undefined) out.finetune = c.finetune;
  if (out.version === undefined && c.version !== undefined) out.version = c.version;
  if (out.sizeLabel === undefined && c.sizeLabel !== undefined) out.sizeLabel = c.sizeLabel;
  return out;
}

const SAMPLING: readonly [string, string[], 'i32' | 'f32' | 'str'][] = [
  ['sequence', ['sequence'], 'str'],
  ['top_k', ['top_k'], 'i32'],
  ['top_p', ['top_p'], 'f32'],
  ['min_p', ['min_p'], 'f32'],
  ['xtc_probability', ['xtc_probability'], 'f32'],
  ['xtc_threshold', ['xtc_threshold'], 'f32'],
  ['temp', ['temperature'], 'f32'],
  ['penalty_last_n', ['penalty_last_n'], 'i32'],
  ['penalty_repeat', ['penalty_repeat', 'repetition_penalty'], 'f32'],
  ['mirostat', ['mirostat'], 'i32'],
  ['mirostat_tau', ['mirostat_tau'], 'f32'],
  ['mirostat_eta', ['mirostat_eta'], 'f32'],
];

/** Writes the `general.*` block (after `general.architecture` and `general.type`). */
export function setGeneralMetadata(meta: GGUFMetadata, g: GGUFGeneralInfo, totalParams: number): void {
  const gc = g.generationConfig ?? {};
  for (const [key, from, t] of SAMPLING) {
    const v = from.map((k) => gc[k]).find((x) => x !== undefined && x !== null);
    if (v === undefined) continue;
    const k = `general.sampling.${key}`;
    if (t === 'str' && typeof v === 'string') meta.set(kv.str(k, v));
    else if (t === 'i32' && typeof v === 'number') meta.set(kv.i32(k, v));
    else if (t === 'f32' && typeof v === 'number') meta.set(kv.f32(k, v));
  }
  const str = (k: string, v: string | undefined): void => { if (v !== undefined) meta.set(kv.str(k, v)); };
  str('general.name', g.name);
  str('general.author', g.author);
  str('general.version', g.version);
  str('general.organization', g.organization);
  str('general.finetune', g.finetune);
  str('general.basename', g.basename);
  str('general.description', g.description);
  str('general.size_label', g.sizeLabel ?? (totalParams > 0 ? sizeLabel(totalParams) : undefined));
  if (g.license && g.license.length > 0) str('general.license', g.license.join(','));
  str('general.license.name', g.licenseName);
  str('general.license.link', g.licenseLink);
  str('general.repo_url', g.repoUrl);
  if (g.baseModels && g.baseModels.length > 0) {
    meta.set(kv.u32('general.base_model.count', g.baseModels.length));
    g.baseModels.forEach((b, i) => {
      str(`general.base_model.${i}.name`, b.name);
      str(`general.base_model.${i}.version`, b.version);
      str(`general.base_model.${i}.organization`, b.organization);
      str(`general.base_model.${i}.repo_url`, b.repoUrl);
    });
  }
  if (g.tags && g.tags.length > 0) meta.set(kv.strs('general.tags', g.tags));
  if (g.languages && g.languages.length > 0) meta.set(kv.strs('general.languages', g.languages));
}

/** A Hugging Face id (`org/name`) as a base-model entry, the way convert expands `base_model`. */
export function baseModelFromId(id: string): GGUFBaseModel {
  const c = modelIdComponents(id);
  const entry: GGUFBaseModel = {};
  if (c.fullName !== undefined) entry.name = idToTitle(c.fullName);
  if (c.org !== undefined) entry.organization = idToTitle(c.org);
  if (c.version !== undefined) entry.version = c.version;
  if (c.org !== undefined && c.fullName !== undefined) entry.repoUrl = `https://huggingface.co/${c.org}/${c.fullName}`;
  return entry;
}

/**
 * `general.*` from a model card's YAML front matter (gguf-py `Metadata.load_model_card` +
 * `apply_metadata_heuristic`): name/author/version/organization/description/finetune/basename/
 * size_label (also their `model_*` spellings), license (+ name, link), tags (+ pipeline_tag),
 * languages/language, base_model(s). Datasets and source URLs are not carried over.
 */
export function generalFromModelCard(card: Record<string, unknown>): Partial<GGUFGeneralInfo> {
  const g: Partial<GGUFGeneralInfo> = {};
  const str = (...keys: string[]): string | undefined => {
    for (const k of keys) {
      const v = card[k];
      if (typeof v === 'string') return v;
      if (typeof v === 'number') return String(v);
    }
    return undefined;
  };
  const list = (...keys: string[]): string[] => keys.flatMap((k) => {
    const v = card[k];
    return typeof v === 'string' ? [v] : Array.isArray(v) ? v.map(String) : [];
  });
  const set = <K extends keyof GGUFGeneralInfo>(k: K, v: GGUFGeneralInfo[K] | undefined): void => { if (v !== undefined) g[k] = v; };
  set('name', str('name', 'model_name'));
  set('author', str('author', 'model_author', 'model_creator'));
  set('version', str('version', 'model_version'));
  set('organization', str('organization', 'model_organization'));
  set('description', str('description', 'model_description'));
  set('finetune', str('finetune', 'model_finetune'));
  set('basename', str('basename', 'model_basename', 'model_type'));
  set('sizeLabel', str('size_label', 'model_size_label'));
  const license = list('license');
  if (license.length > 0) g.license = license;
  set('licenseName', str('license_name'));
  set('licenseLink', str('license_link'));
  const tags = list('tags', 'pipeline_tag');
  if (tags.length > 0) g.tags = tags;
  const langs = list('languages', 'language');
  if (langs.length > 0) g.languages = langs;
  const bm = card['base_model'] ?? card['base_models'] ?? card['base_model_sources'];
  const ids = typeof bm === 'string' ? [bm] : Array.isArray(bm) ? bm : [];
  if (ids.length > 0) {
    g.baseModels = ids.map((id) => {
      if (typeof id !== 'string') return id as GGUFBaseModel;
      if (/^(https?|ssh):\/\//.test(id)) {
        const m = /^https?:\/\/huggingface\.co\/([^/]+\/[^/]+)$/.exec(id);
        return { ...(m ? baseModelFromId(m[1]) : {}), repoUrl: id };
      }
      return baseModelFromId(id);
    });
  }
  return g;
}
