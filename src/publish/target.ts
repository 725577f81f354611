/**
 * Where a build is published: `hf:org/name` (a Hub model repo) or `dir:PATH` (a local folder laid
 * out as the repo would be). The GGUF files go to a second target (`org/name-GGUF` by default).
 */
import { resolve } from 'node:path';
import { MergeopsError } from '../errors.js';

export type PublishTarget = { kind: 'hub'; repo: string } | { kind: 'dir'; path: string };

export interface PublishTargets {
  /** The safetensors repo. */
  model: PublishTarget;
  /** The GGUF repo (the same object as `model` with `--gguf-repo same`). */
  gguf: PublishTarget;
}

const REPO_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,95}\/[A-Za-z0-9][A-Za-z0-9._-]{0,95}$/;

/** Parses `hf:org/name` or `dir:PATH` (`flag` names the option in errors). */
export function parseTarget(text: string, flag: string): PublishTarget {
  const t = text.trim();
  if (t.startsWith('hf:')) {
    const repo = t.slice(3);
    if (!REPO_ID.test(repo) || repo.includes('..') || /[.-]$/.test(repo)) {
      throw new MergeopsError('USAGE', `${flag} ${text}: \`${repo}\` is not a Hub repo id`,
        'write hf:ORG/NAME, e.g. hf:my-org/my-merge (letters, digits, `-`, `_`, `.`)');
    }
    return { kind: 'hub', repo };
  }
  if (t.startsWith('dir:') && t.length > 4) return { kind: 'dir', path: resolve(t.slice(4)) };
  throw new MergeopsError('USAGE', `${flag} ${text} is not a publish target`,
    'write hf:ORG/NAME for a Hub repo, or dir:PATH for a local folder laid out as the repo');
}

/** The targets of `--publish/--to T [--gguf-repo G|same]`. */
export function publishTargets(to: string, ggufRepo: string | undefined, flag = '--publish'): PublishTargets {
  const model = parseTarget(to, flag);
  if (ggufRepo === undefined) {
    return { model, gguf: model.kind === 'hub' ? { kind: 'hub', repo: `${model.repo}-GGUF` } : { kind: 'dir', path: `${model.path}-GGUF` } };
  }
  if (ggufRepo.trim() === 'same') return { model, gguf: model };
  const gguf = parseTarget(ggufRepo, '--gguf-repo');
  if (targetName(gguf) === targetName(model)) return { model, gguf: model };
  return { model, gguf };
}

/** `hf:org/name` or `dir:/abs/path`, for messages. */
export function targetName(t: PublishTarget): string {
  return t.kind === 'hub' ? `hf:${t.repo}` : `dir:${t.path}`;
}

/** Every distinct target (one when the GGUF files go to the model repo). */
export function distinctTargets(t: PublishTargets): PublishTarget[] {
  return t.gguf === t.model ? [t.model] : [t.model, t.gguf];
}
