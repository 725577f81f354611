/**
 * Preflight, before any merge work: can this token write to the target repo? A missing or
 * read-only token fails here in seconds, naming the repo, instead of after an hour of merging.
 * Also reads the repo's current revision: the publish commit's parent.
 */
import { accessSync, constants, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { MergeopsError } from '../errors.js';
import { hubError } from '../hub/hub-error.js';
import { maskTokens, type HubOptions } from '../hub/hub-options.js';
import { distinctTargets, type PublishTarget, type PublishTargets } from './target.js';

export interface RepoStart {
  target: PublishTarget;
  /** The head commit when the run started (undefined: the repo does not exist yet and will be created). */
  revision?: string;
}

/** The access check of every distinct target, in order (model repo first). */
export async function checkPublishAccess(targets: PublishTargets, hub: HubOptions): Promise<RepoStart[]> {
  const out: RepoStart[] = [];
  for (const t of distinctTargets(targets)) out.push(t.kind === 'hub' ? await checkHubAccess(t.repo, hub) : checkDirAccess(t.path));
  return out;
}

function checkDirAccess(path: string): RepoStart {
  let p = path;
  while (!existsSync(p) && dirname(p) !== p) p = dirname(p);
  try {
    accessSync(p, constants.W_OK);
  } catch {
    throw new MergeopsError('IO', `cannot publish to dir:${path}: ${p} is not writable`, 'choose a folder you can write to');
  }
  return { target: { kind: 'dir', path } };
}

interface WhoAmILike {
  name: string;
  orgs?: { name: string; roleInOrg?: string }[];
  auth?: {
    accessToken?: {
      role?: string;
      fineGrained?: { scoped?: { entity: { type: string; name: string }; permissions: string[] }[]; global?: string[] };
    };
  };
}

/** Why this token may not write to `repo` (undefined when it may). */
export function writeDenial(who: WhoAmILike, repo: string): string | undefined {
  const ns = repo.split('/')[0];
  const tok = who.auth?.accessToken;
  const role = tok?.role;
  if (role === 'fineGrained') {
    const ok = (tok?.fineGrained?.scoped ?? []).some((s) => s.permissions.includes('repo.write')
      && ((s.entity.type === 'model' && s.entity.name === repo) || ((s.entity.type === 'user' || s.entity.type === 'org') && s.entity.name === ns)));
    return ok ? undefined : `the fine-grained token has no \`repo.write\` permission on ${ns} or ${repo}`;
  }
  if (role !== undefined && role !== 'write' && role !== 'admin') return `the token is a \`${role}\` token`;
  if (ns === who.name) return undefined;
  const org = (who.orgs ?? []).find((o) => o.name === ns);
  if (!org) return `user ${who.name} is not a member of ${ns}`;
  if (org.roleInOrg === 'read') return `user ${who.name} has the \`read\` role in ${ns}`;
  return undefined;
}

async function checkHubAccess(repo: string, hub: HubOptions): Promise<RepoStart> {
  const name = `hf:${repo}`;
  if (!hub.accessToken) {
    throw new MergeopsError('USAGE', `publishing to ${name} needs a Hugging Face token with write access`,
      'set HF_TOKEN (or the Action\'s hf-token input) to a token with the `write` role; nothing was merged');
  }
  const { whoAmI, modelInfo } = await import('@huggingface/hub'); // loaded on first Hub use
  let who: WhoAmILike;
  try {
    who = await whoAmI({ hubUrl: hub.hubUrl, accessToken: hub.accessToken, fetch: hub.fetch }) as unknown as WhoAmILike;
  } catch (e) {
    const s = (e as { statusCode?: number }).statusCode;
    if (s === 401) {
      throw new MergeopsError('USAGE', `cannot publish to ${name}: the Hub rejected the token (HTTP 401)`,
        'the token is invalid or expired: create a new one with the `write` role and set HF_TOKEN; nothing was merged');
    }
    throw hubError(e, `cannot check the token's access to ${name}`, hub);
  }
  const denial = writeDenial(who, repo);
  if (denial) {
    throw new MergeopsError('USAGE', `cannot publish to ${name}: ${maskTokens(denial, hub)}`,
      `use a token with the \`write\` role on ${repo.split('/')[0]} (HF_TOKEN or the hf-token input); nothing was merged`);
  }
  try {
    const info = await modelInfo({ name: repo, additionalFields: ['sha'], hubUrl: hub.hubUrl, accessToken: hub.accessToken, fetch: hub.fetch });
    return { target: { kind: 'hub', repo }, revision: typeof info.sha === 'string' ? info.sha : undefined };
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 404) return { target: { kind: 'hub', repo } };
    throw hubError(e, `cannot read ${name}`, hub);
  }
}

