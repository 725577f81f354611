/** Pins `org/name@revision` (branch, tag or sha; default the default branch) to a commit sha. */
import { MergeopsError } from '../errors.js';
import { hubError } from './hub-error.js';
import type { HubOptions } from './hub-options.js';

export async function resolveRevision(params: { repo: string; revision?: string } & HubOptions): Promise<string> {
  const { repo, revision } = params;
  let info: { sha?: string };
  try {
    const { modelInfo } = await import('@huggingface/hub'); // loaded on first Hub use
    info = await modelInfo({
      name: repo, revision: revision ?? 'HEAD', additionalFields: ['sha'],
      hubUrl: params.hubUrl, accessToken: params.accessToken, fetch: params.fetch,
    });
  } catch (e) {
    throw hubError(e, `cannot resolve ${repo}@${revision ?? 'HEAD'}`, params);
  }
  if (typeof info.sha !== 'string' || !/^[0-9a-f]{40}$/.test(info.sha)) {
    throw new MergeopsError('NETWORK', `the Hub gave no commit sha for ${repo}@${revision ?? 'HEAD'}`,
      'check HF_ENDPOINT: it must be a Hugging Face Hub (or compatible) endpoint');
  }
  return info.sha;
}
