/**
 * Checks of raw front-end values (CLI flags, Action inputs), in one error style: a USAGE
 * MergeopsError `<name> <value> is not <what>`, the name written the way the caller names it
 * (`--threads two`, ``input `threads`: two``), with a hint saying what to write instead.
 */
import { MergeopsError } from '../errors.js';
import { requireByteSize } from '../formats/byte-size.js';
import type { GGUFSplitOptions } from '../formats/gguf.js';
import type { SourceMode } from '../hub/resolve.js';
import { parseShardSpec, type ShardSpec } from '../plan/matrix.js';
import { parseFileType, type FileTypeName } from '../quant/select.js';

/** How a front end names one of its options in an error: `--threads`, ``input `threads`:``. */
export interface Naming {
  label(name: string): string;
}

export const CLI_NAMING: Naming = { label: (name) => `--${name}` };
export const ACTION_NAMING: Naming = { label: (name) => `input \`${name}\`:` };

/** The one error style: `<label> <value> is not <what>`. */
export function invalid(naming: Naming, name: string, value: string, what: string, hint: string): MergeopsError {
  return new MergeopsError('USAGE', `${naming.label(name)} ${value} is not ${what}`, hint);
}

/** Bytes, in the one byte-size syntax (formats/byte-size.ts). */
export function sizeValue(naming: Naming, name: string, value: string): number {
  return requireByteSize(value.trim(), naming.label(name));
}

/** A whole number from 1 to `max` (threads, jobs, tensors per split file). */
export function countValue(naming: Naming, name: string, value: string, example: string, max = Number.MAX_SAFE_INTEGER): number {
  const t = value.trim();
  const n = /^\d+$/.test(t) ? Number(t) : NaN;
  if (!(Number.isSafeInteger(n) && n >= 1 && n <= max)) {
    const range = max === Number.MAX_SAFE_INTEGER ? 'a whole number ≥ 1' : `a whole number from 1 to ${max}`;
    throw invalid(naming, name, value, range, `e.g. ${naming.label(name)} ${example}`);
  }
  return n;
}

/** Kernel worker threads: 1 to 1024. */
export function threadsValue(naming: Naming, name: string, value: string): number {
  return countValue(naming, name, value, '4', 1024);
}

/** One of a fixed set of words. */
export function enumValue<T extends string>(naming: Naming, name: string, value: string, allowed: readonly T[]): T {
  const t = value.trim();
  if ((allowed as readonly string[]).includes(t)) return t as T;
  throw invalid(naming, name, value, `one of ${allowed.join(', ')}`, `use ${allowed.map((a) => `${naming.label(name)} ${a}`).join(' or ')}`);
}

export const SOURCE_MODES: readonly SourceMode[] = ['stream', 'download', 'auto'];

/** How Hub models are read: stream, download or auto. */
export function sourceModeValue(naming: Naming, name: string, value: string): SourceMode {
  return enumValue(naming, name, value, SOURCE_MODES);
}

/** YAML 1.2 core schema booleans, as `core.getBooleanInput` accepts them. */
export function booleanValue(naming: Naming, name: string, value: string): boolean {
  const t = value.trim();
  if (['true', 'True', 'TRUE'].includes(t)) return true;
  if (['false', 'False', 'FALSE'].includes(t)) return false;
  throw invalid(naming, name, value, 'true or false', `write ${naming.label(name)} true or ${naming.label(name)} false`);
}

/** One GGUF file type (quant/select.ts is its one parser). */
export function fileTypeValue(naming: Naming, name: string, value: string): FileTypeName {
  try {
    return parseFileType(value.trim());
  } catch (e) {
    if (!(e instanceof MergeopsError)) throw e;
    throw invalid(naming, name, value.trim(), 'a GGUF file type', e.hint);
  }
}

/** A list of GGUF file types, separated by commas or white space: `Q4_K_M,Q8_0`. */
export function fileTypeListValue(naming: Naming, name: string, value: string): FileTypeName[] {
  const items = value.split(/[\s,]+/).filter(Boolean);
  if (items.length === 0) throw invalid(naming, name, JSON.stringify(value), 'a list of GGUF file types', `e.g. ${naming.label(name)} Q4_K_M,Q8_0`);
  return items.map((t) => fileTypeValue(naming, name, t));
}

/** One job of a matrix build: `i/N` (plan/matrix.ts is its one parser). */
export function shardValue(naming: Naming, name: string, value: string): ShardSpec {
  return parseShardSpec(value, naming.label(name));
}

/** GGUF split limits from their two options: undefined when neither is given. */
export function splitValue(naming: Naming, maxSize: string | undefined, maxTensors: string | undefined): GGUFSplitOptions | undefined {
  if (maxSize === undefined && maxTensors === undefined) return undefined;
  return {
    maxBytes: maxSize === undefined ? undefined : sizeValue(naming, 'split-max-size', maxSize),
    maxTensors: maxTensors === undefined ? undefined : countValue(naming, 'split-max-tensors', maxTensors, '128'),
  };
}
