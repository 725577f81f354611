/** Small files a model folder may or may not have (tokenizer files, generation config, model card). */
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { MergeopsError } from '../errors.js';

/** A file's bytes, or undefined when it does not exist. */
function readOptionalFile(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR') return undefined;
    throw new MergeopsError('IO', `cannot read ${file}: ${(e as Error).message}`, 'check that the file is readable');
  }
}

/** The JSON object in `text`, read from `file`; anything else is an error naming the file. */
export function parseJsonObject(text: string, file: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new MergeopsError('IO', `${file} is not valid JSON: ${(e as Error).message}`, `fix or re-download ${basename(file)}`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new MergeopsError('IO', `${file} is not a JSON object`, `fix or re-download ${basename(file)}`);
  }
  return v as Record<string, unknown>;
}

/**
 * The files of a model folder, as they are or as they will be: a real folder, or a folder a run
 * is about to write (its files known from the plan), so that what is planned from a folder can be
 * planned before it exists.
 */
export interface FileView {
  /** Names the file in messages. */
  path(name: string): string;
  /** The file's bytes, or undefined when it does not (or will not) exist. */
  read(name: string): Buffer | undefined;
}

export function folderView(dir: string): FileView {
  return { path: (name) => join(dir, name), read: (name) => readOptionalFile(join(dir, name)) };
}

/** A JSON object file of a view, or undefined when it does not exist. */
export function viewJsonObject(view: FileView, name: string): Record<string, unknown> | undefined {
  const b = view.read(name);
  return b === undefined ? undefined : parseJsonObject(b.toString('utf8'), view.path(name));
}
