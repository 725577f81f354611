/**
 * Special-token metadata for GGUF, as gguf-py's `SpecialVocab` computes it: merges, special
 * token ids, add_bos/add_eos/add_sep flags, chat template and normalizer flags, in the order
 * convert_hf_to_gguf writes them. Ported rule by rule (including its crude reading of
 * TemplateProcessing) because llama.cpp's runtime behaviour follows these keys.
 */
import { kv, type GGUFKV } from '../formats/gguf.js';
import type { TokenizerFiles } from '../model/tokenizer-files.js';

type Json = Record<string, unknown>;

/** A model's tokenizer files with its config.json (special token ids may be set there). */
export type WithConfig = TokenizerFiles & { config: Json };

/** GGUF writer key per special type (`cls` has no writer in gguf-py and is skipped; `sep` is misspelt there). */
const ID_KEY: Record<string, string | undefined> = {
  bos: 'tokenizer.ggml.bos_token_id', eos: 'tokenizer.ggml.eos_token_id', unk: 'tokenizer.ggml.unknown_token_id',
  sep: 'tokenizer.ggml.seperator_token_id', pad: 'tokenizer.ggml.padding_token_id', mask: 'tokenizer.ggml.mask_token_id',
  eot: 'tokenizer.ggml.eot_token_id', eom: 'tokenizer.ggml.eom_token_id', cls: undefined,
};
const ADD_KEY: Record<string, string | undefined> = {
  bos: 'tokenizer.ggml.add_bos_token', eos: 'tokenizer.ggml.add_eos_token', sep: 'tokenizer.ggml.add_sep_token',
};

const obj = (v: unknown): Json | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const specialId = (item: unknown): string | undefined => {
  const s = obj(obj(item)?.['SpecialToken'])?.['id'];
  return typeof s === 'string' && s !== '' ? s : undefined;
};
const truthy = (v: unknown): boolean => v !== undefined && v !== null && v !== '' && v !== false;

/** `tokenizer.json` merges as GGUF strings: pair form `[a, b]` → `"a b"` with spaces inside a/b as U+0120. */
export function mergesOf(tokenizerJson: Json | undefined, mergesTxt: string | undefined): string[] {
  const merges = obj(tokenizerJson?.['model'])?.['merges'];
  if (Array.isArray(merges) && merges.length > 0) {
    if (typeof merges[0] === 'string') return merges as string[];
    return (merges as string[][]).map((pair) => pair.map((p) => p.replaceAll(' ', '\u0120')).join(' '));
  }
  if (mergesTxt === undefined) return [];
  const lines = mergesTxt.split('\n');
  if (lines[0]?.trim().startsWith('#')) lines.shift();
  const out: string[] = [];
  for (const l of lines) {
    const parts = l.trim().split(/\s+/).filter((p) => p !== '');
    if (parts.length === 2) out.push(`${parts[0]} ${parts[1]}`);
  }
  return out;
}

/**
 * The SpecialVocab KVs for a vocabulary of `nVocab` tokens (undefined: no range check).
 * `loadMerges` is true on the BPE (`gpt2`) path.
 */
export function specialVocabKVs(src: WithConfig, nVocab: number | undefined, loadMerges: boolean): GGUFKV[] {
  const ids = new Map<string, number>();
  const add = new Map<string, boolean>();
  let types = ['bos', 'eos', 'unk', 'sep', 'pad', 'cls', 'mask'];
  let chatTemplate: unknown;
  let lowercase: boolean | undefined;
  let stripAccents: boolean | undefined;
  const setId = (typ: string, tid: unknown): void => {
    if (typeof tid !== 'number' || !Number.isInteger(tid) || tid < 0) return;
    if (nVocab === undefined || tid < nVocab) {
      if (!ids.has(typ)) ids.set(typ, tid);
    }
  };
  const tj = src.tokenizerJson;
  // A copy: SpecialVocab writes inferred tokens back into its tokenizer_config dict.
  const tc: Json | undefined = src.tokenizerConfig ? { ...src.tokenizerConfig } : undefined;
  const merges = loadMerges ? mergesOf(tj, src.mergesTxt) : [];

  const parseNormalizer = (n: Json): void => {
    const t = n['type'];
    if (t === 'Lowercase') lowercase = true;
    else if (t === 'StripAccents') stripAccents = true;
    else if (t === 'BertNormalizer') {
      if ('lowercase' in n) lowercase = Boolean(n['lowercase']);
      if ('strip_accents' in n) stripAccents = Boolean(n['strip_accents']);
    } else if (t === 'Sequence') for (const x of arr(n['normalizers'])) { const o = obj(x); if (o) parseNormalizer(o); }
  };

  const addedTokens = tj ? arr(tj['added_tokens']) : [];
  if (tj) {
    const norm = obj(tj['normalizer']);
    if (norm) parseNormalizer(norm);
    let specialBos = tc?.['bos_token'];
    let specialCls = tc?.['cls_token'];
    let specialEos = tc?.['eos_token'];
    let specialSep = tc?.['sep_token'];
    const hasTc = tc !== undefined && Object.keys(tc).length > 0;
    if (!truthy(specialBos) && truthy(specialCls) && hasTc) tc!['bos_token'] = specialBos = specialCls;
    if (!truthy(specialEos) && truthy(specialSep) && hasTc) tc!['eos_token'] = specialEos = specialSep;
    const pp = obj(tj['post_processor']);
    if (pp) {
      const procs = Array.isArray(pp['processors']) ? pp['processors'] : [pp];
      for (const p0 of procs) {
        const p = obj(p0) ?? {};
        if (p['type'] === 'RobertaProcessing') {
          add.set('bos', true); add.set('eos', true); add.set('sep', true);
          if (!truthy(specialCls) && hasTc) tc!['cls_token'] = specialCls = arr(p['cls'])[0] ?? specialBos;
          if (!truthy(specialSep) && hasTc) tc!['sep_token'] = specialSep = arr(p['sep'])[0] ?? specialEos;
          continue;
        }
        if (p['type'] !== 'TemplateProcessing') continue;
        const single = arr(p['single']);
        let pair = arr(p['pair']);
        let first: string | undefined;
        let last: string | undefined;
        if (single.length > 1) {
          first = specialId(single[0]);
          if (first !== undefined) {
            if (!hasTc) specialBos = first;
            else if (first !== specialBos && first !== specialCls) {
              if (!truthy(specialBos)) tc!['bos_token'] = specialBos = first;
              if (!truthy(specialCls)) tc!['cls_token'] = specialCls = first;
            }
            add.set('bos', first === specialBos || first === specialCls);
          }
          last = specialId(single[single.length - 1]);
          if (last !== undefined) {
            if (!hasTc) specialEos = last;
            else if (last !== specialEos) {
              if (!types.includes('eot')) { types = [...types, 'eot']; tc!['eot_token'] = specialEos; }
              else if (!types.includes('eom')) { types = [...types, 'eom']; tc!['eom_token'] = specialEos; }
              tc!['eos_token'] = specialEos = last;
            }
            add.set('eos', last === specialEos);
          }
        }
        if (pair.length > 0) {
          const start = first !== undefined && specialId(pair[0]) === first ? 1 : 0;
          const stop = last !== undefined && specialId(pair[pair.length - 1]) === last ? pair.length - 1 : pair.length;
          pair = pair.slice(start, stop);
          if (pair.length > 0) {
            const a = obj(obj(pair[0])?.['Sequence'])?.['id'];
            const b = obj(obj(pair[pair.length - 1])?.['Sequence'])?.['id'];
            const mid = pair.slice(1, -1);
            if (a === 'A' && b === 'B' && mid.length > 0) {
              let addSep = false;
              const e0 = specialId(mid[0]);
              if (e0 !== undefined && (e0 === specialSep || e0 === specialEos) && last === undefined) addSep = true;
              if (mid.length === 2) {
                const e1 = specialId(mid[1]);
                if (e1 !== undefined && (e1 === specialSep || e1 === specialEos)) addSep = true;
              }
              add.set('sep', addSep);
              if (addSep && !truthy(specialSep) && hasTc) tc!['sep_token'] = specialEos;
            }
          }
        }
      }
    }
  }

  if (tc && Object.keys(tc).length > 0) {
    let alt: unknown;
    if (src.chatTemplateJinja !== undefined) alt = src.chatTemplateJinja;
    else if (src.chatTemplateJson) alt = src.chatTemplateJson['chat_template'];
    const ct = 'chat_template' in tc ? tc['chat_template'] : alt;
    if (ct === undefined || ct === null || typeof ct === 'string' || Array.isArray(ct)) chatTemplate = ct;
    for (const typ of types) {
      const a = tc[`add_${typ}_token`];
      if (typeof a === 'boolean') add.set(typ, a);
      const entry = tc[`${typ}_token`];
      const content = typeof entry === 'string' ? entry : typeof obj(entry)?.['content'] === 'string' ? obj(entry)!['content'] as string : undefined;
      if (content === undefined) continue;
      const hit = addedTokens.find((t) => obj(t)?.['content'] === content);
      setId(typ, obj(hit)?.['id']);
    }
  }
  const textConfig = obj(src.config['text_config']);
  for (const typ of types) {
    let tid = src.config[`${typ}_token_id`];
    if ((tid === undefined || tid === null) && textConfig) tid = textConfig[`${typ}_token_id`];
    setId(typ, tid);
  }

  const out: GGUFKV[] = [];
  if (merges.length > 0) out.push(kv.strs('tokenizer.ggml.merges', merges));
  for (const [typ, id] of ids) {
    const key = ID_KEY[typ];
    if (key !== undefined) out.push(kv.u32(key, id));
  }
  for (const [typ, v] of add) {
    const key = ADD_KEY[typ];
    if (key !== undefined) out.push(kv.bool(key, v));
  }
  if (typeof chatTemplate === 'string') out.push(kv.str('tokenizer.chat_template', chatTemplate));
  else if (Array.isArray(chatTemplate)) out.push(...chatTemplateList(chatTemplate));
  if (lowercase !== undefined) out.push(kv.bool('tokenizer.ggml.normalizer.lowercase', lowercase));
  if (stripAccents !== undefined) out.push(kv.bool('tokenizer.ggml.normalizer.strip_accents', stripAccents));
  return out;
}

/** gguf-py `add_chat_template` for the list form: named templates, their names, then the default. */
function chatTemplateList(list: unknown[]): GGUFKV[] {
  const out: GGUFKV[] = [];
  const names: string[] = [];
  let def: string | undefined;
  for (const item of list) {
    const o = obj(item);
    const name = o?.['name'];
    const template = o?.['template'];
    if (typeof name !== 'string' || typeof template !== 'string') continue;
    const clean = name.replace(/[^a-zA-Z0-9_]/g, '_');
    if (clean === 'default') def = template;
    else {
      names.push(clean);
      out.push(kv.str(`tokenizer.chat_template.${clean}`, template));
    }
  }
  if (names.length > 0) out.push(kv.strs('tokenizer.chat_templates', names));
  if (def !== undefined) out.push(kv.str('tokenizer.chat_template', def));
  return out;
}
