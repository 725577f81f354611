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
 * gguf-py `id_to_title`: `-` → space, then each word that is all lower case and does not
 * start with a digit or `v<digit>` gets Python's `str.title()`.
 */
export function idToTitle(s: string): string {
  return s.replace(/-/g, ' ').split(/\s+/).filter((w) => w !== '').map((w) => {
    if (w !== w.toLowerCase() || /^\d/.test(w) || /^v\d/.test(w)) return w;
    // str.title(): capitalise the first letter after every non-letter
    return w.replace(/[A-Za-z]+/g, (m) => m[0].toUpperCase() + m.slice(1));
  }).join(' ');
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
  const [org, name] = id.includes('/') ? id.split('/', 2) : [undefined, id];
  const entry: GGUFBaseModel = { name: idToTitle(name) };
  if (org !== undefined) {
    entry.organization = idToTitle(org);
    entry.repoUrl = `https://huggingface.co/${org}/${name}`;
  }
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
