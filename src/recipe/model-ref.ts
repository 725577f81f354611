/**
 * Model references as mergekit writes them (`mergekit/common.py`: ModelPath, ModelReference):
 * `org/repo`, `/abs/path`, `./rel/path`, `org/repo@revision`, `model+lora`,
 * `org/model@v1+org/lora@main`, and the dict form
 * `{model: {path, revision}, lora: {path, revision}, override_architecture}`.
 */
import { isMap, isScalar } from 'yaml';
import type { Node } from 'yaml';
import { RecipeError } from '../errors.js';
import type { SourcePos } from '../errors.js';
import type { LoraRef, ModelRef } from './types.js';
import {
  checkKeys,
  describeNode,
  entryMap,
  expectString,
  fail,
  mapEntries,
  posOf,
  scalarText,
} from './yaml-nodes.js';
import type { NodeCtx } from './yaml-nodes.js';

/** A path with an optional revision (`ModelPath`). */
export interface PathRev {
  path: string;
  revision?: string;
}

/** The dict form of a model reference, as plain values. */
export interface ModelRefObject {
  model: string | PathRev;
  lora?: string | PathRev | null;
  override_architecture?: string | null;
}

/** Canonical text of a reference: `path[@rev][+lora[@rev]]`. */
export function modelRefKey(model: PathRev, lora?: PathRev): string {
  const one = (p: PathRev): string => (p.revision !== undefined ? `${p.path}@${p.revision}` : p.path);
  return lora ? `${one(model)}+${one(lora)}` : one(model);
}

const REF_HINT =
  'write a Hugging Face repo id (`org/repo`), a local path (`./models/x`, `/abs/path`), ' +
  'optionally with `@revision` and one `+lora` adapter, e.g. `org/model@v1+org/lora@main`';

type Fail = (message: string, hint: string) => never;

/** Parses `path[@revision]` (no `+`). */
function parsePathRev(text: string, what: string, whole: string, bad: Fail): PathRev {
  const ats = text.split('@');
  if (ats.length > 2) {
    bad(
      `invalid ${what} \`${whole}\`: more than one \`@\``,
      'a model path takes at most one `@revision`, e.g. `org/repo@main`',
    );
  }
  const path = ats[0];
  if (path.trim() === '') {
    bad(`invalid ${what} \`${whole}\`: the path is empty`, REF_HINT);
  }
  if (ats.length === 2) {
    const revision = ats[1];
    if (revision.trim() === '') {
      bad(`invalid ${what} \`${whole}\`: empty revision after \`@\``, 'write a branch, tag or commit after `@`, e.g. `org/repo@main`, or drop the `@`');
    }
    return { path, revision };
  }
  return { path };
}

/** Splits a string reference into model and optional LoRA. */
function parseRefString(raw: string, bad: Fail): { model: PathRev; lora?: PathRev } {
  if (raw.trim() === '') bad('empty model reference', REF_HINT);
  const parts = raw.split('+');
  if (parts.length > 2) {
    bad(
      `invalid model reference \`${raw}\`: more than one \`+\``,
      'a reference takes at most one LoRA adapter: `model+lora`; merge several adapters in separate stages',
    );
  }
  const model = parsePathRev(parts[0], 'model reference', raw, bad);
  if (parts.length === 2) {
    if (parts[1].trim() === '') bad(`invalid model reference \`${raw}\`: nothing after \`+\``, 'write the LoRA adapter after `+` (`model+org/lora`), or drop the `+`');
    const lora = parsePathRev(parts[1], 'LoRA reference', raw, bad);
    return { model, lora };
  }
  return { model };
}

/**
 * Parses a model reference given as plain values (a string or the dict form), e.g. from a CLI
 * argument or a later stage. Every error points at `pos`.
 */
export function parseModelRef(raw: string | ModelRefObject, pos: SourcePos, sourceLine?: string): ModelRef {
  const bad: Fail = (message, hint) => {
    throw new RecipeError(message, hint, pos, sourceLine);
  };
  if (typeof raw === 'string') {
    const { model, lora } = parseRefString(raw, bad);
    return buildRef(model, lora, undefined, pos);
  }
  if (raw === null || typeof raw !== 'object') bad('a model reference must be a string or a mapping', REF_HINT);
  const pathRev = (v: unknown, what: string): PathRev => {
    if (typeof v === 'string') {
      if (v.includes('+')) bad(`invalid ${what} \`${v}\`: \`+\` is not allowed in the dict form`, 'put the adapter under `lora:` instead');
      return parsePathRev(v, what, v, bad);
    }
    if (v !== null && typeof v === 'object' && typeof (v as PathRev).path === 'string') {
      const p = v as PathRev;
      if (p.path.trim() === '') bad(`invalid ${what}: the path is empty`, REF_HINT);
      if (p.revision !== undefined && p.revision !== null) {
        if (typeof p.revision !== 'string' || p.revision.trim() === '') bad(`invalid ${what}: bad revision`, 'write a branch, tag or commit name');
        return { path: p.path, revision: p.revision };
      }
      return { path: p.path };
    }
    return bad(`invalid ${what}: expected a string or {path, revision}`, REF_HINT);
  };
  const model = pathRev(raw.model, 'model reference');
  const lora = raw.lora === undefined || raw.lora === null ? undefined : pathRev(raw.lora, 'LoRA reference');
  const arch = raw.override_architecture ?? undefined;
  if (arch !== undefined && (typeof arch !== 'string' || arch.trim() === '')) {
    bad('`override_architecture` must be a non-empty string', 'write an architecture class name, e.g. `LlamaForCausalLM`');
  }
  return buildRef(model, lora, arch, pos);
}

function buildRef(model: PathRev, lora: PathRev | undefined, overrideArchitecture: string | undefined, pos: SourcePos): ModelRef {
  const ref: ModelRef = { path: model.path, key: modelRefKey(model, lora), pos };
  if (model.revision !== undefined) ref.revision = model.revision;
  if (lora) {
    const l: LoraRef = { path: lora.path };
    if (lora.revision !== undefined) l.revision = lora.revision;
    ref.lora = l;
  }
  if (overrideArchitecture !== undefined) ref.overrideArchitecture = overrideArchitecture;
  return ref;
}

/** Parses `{path, revision}` or `path[@rev]` from a node of the dict form. */
function pathRevFromNode(ctx: NodeCtx, node: Node | null, pos: SourcePos, what: string): PathRev {
  const bad: Fail = (message, hint) => fail(ctx, pos, message, hint);
  if (isScalar(node) && typeof node.value === 'string') {
    const s = node.value;
    if (s.includes('+')) bad(`invalid ${what} \`${s}\`: \`+\` is not allowed here`, 'in the dict form, put the adapter under `lora:`');
    return parsePathRev(s, what, s, bad);
  }
  if (isMap(node)) {
    const entries = mapEntries(ctx, node, `a ${what}`);
    checkKeys(ctx, entries, ['path', 'revision'], `a ${what}`);
    const m = entryMap(entries);
    const p = m.get('path');
    if (!p) fail(ctx, pos, `${what} has no \`path\``, 'write `{path: org/repo, revision: main}`');
    const path = expectString(ctx, p.value, p.valuePos, '`path`', 'write a repo id or a local path');
    if (path.trim() === '') fail(ctx, p.valuePos, `${what}: the path is empty`, REF_HINT);
    const r = m.get('revision');
    if (r && !(isScalar(r.value) && r.value.value === null) && r.value !== null) {
      const rev = scalarText(r.value);
      if (rev === undefined || rev.trim() === '') {
        fail(ctx, r.valuePos, `\`revision\` must be a branch, tag or commit name, found ${describeNode(r.value)}`, 'write e.g. `revision: main`');
      }
      return { path, revision: rev };
    }
    return { path };
  }
  return fail(ctx, pos, `${what} must be a string or {path, revision}, found ${describeNode(node)}`, REF_HINT);
}

/**
 * Parses a model reference node (string scalar or dict form). Errors point at the node, or at
 * the nested node at fault in the dict form.
 */
export function modelRefFromNode(ctx: NodeCtx, node: Node | null, pos: SourcePos, what = 'model reference'): ModelRef {
  if (isScalar(node) && typeof node.value === 'string') {
    const nodePos = posOf(ctx, node);
    const { model, lora } = parseRefString(node.value, (message, hint) => fail(ctx, nodePos, message, hint));
    return buildRef(model, lora, undefined, nodePos);
  }
  if (isMap(node)) {
    const nodePos = posOf(ctx, node);
    const entries = mapEntries(ctx, node, `a ${what}`);
    checkKeys(ctx, entries, ['model', 'lora', 'override_architecture'], `a ${what}`);
    const m = entryMap(entries);
    const me = m.get('model');
    if (!me) {
      fail(ctx, nodePos, `${what} in dict form has no \`model\``, 'write `{model: {path: org/repo, revision: main}, lora: ..., override_architecture: ...}`');
    }
    const model = pathRevFromNode(ctx, me.value, me.valuePos, 'model path');
    const le = m.get('lora');
    const lora = le && le.value !== null && !(isScalar(le.value) && le.value.value === null)
      ? pathRevFromNode(ctx, le.value, le.valuePos, 'LoRA path')
      : undefined;
    const ae = m.get('override_architecture');
    let arch: string | undefined;
    if (ae && ae.value !== null && !(isScalar(ae.value) && ae.value.value === null)) {
      arch = expectString(ctx, ae.value, ae.valuePos, '`override_architecture`', 'write an architecture class name, e.g. `LlamaForCausalLM`');
      if (arch.trim() === '') fail(ctx, ae.valuePos, '`override_architecture` is empty', 'write an architecture class name, e.g. `LlamaForCausalLM`, or remove the key');
    }
    return buildRef(model, lora, arch, nodePos);
  }
  if (isScalar(node) && node.value === null) {
    return fail(ctx, pos, `${what} is empty`, REF_HINT);
  }
  const quoted = isScalar(node) && node.source ? ` (quote it if \`${node.source}\` is the name: "${node.source}")` : '';
  return fail(ctx, pos, `${what} must be a string or a mapping, found ${describeNode(node)}`, REF_HINT + quoted);
}
