/** Turns a `@huggingface/hub` error into a MergeopsError that says what to do. */
import { MergeopsError } from '../errors.js';
import { maskTokens, type HubOptions } from './hub-options.js';

export function hubError(e: unknown, what: string, hub: HubOptions): MergeopsError {
  if (e instanceof MergeopsError) return e;
  const msg = maskTokens(e instanceof Error ? e.message : String(e), hub);
  // @huggingface/hub's HubApiError, recognised by its fields (the library loads only when the Hub is used).
  const api = e as { statusCode?: unknown; url?: unknown };
  if (e instanceof Error && typeof api.statusCode === 'number' && typeof api.url === 'string') {
    const s = api.statusCode;
    if (s === 401 || s === 403) {
      return new MergeopsError('MODEL_NOT_FOUND', `${what}: HTTP ${s} (${msg})`,
        hub.accessToken ? 'the token has no access to this repo (gated or private?): accept its terms on the Hub or use another token'
          : 'the repo may be private or gated: set HF_TOKEN (or the hf-token input) to a token with read access');
    }
    if (s === 404) {
      return new MergeopsError('MODEL_NOT_FOUND', `${what}: not found on ${hub.hubUrl} (${msg})`,
        'check the repo id and revision (branch, tag or commit); a local folder must exist relative to the current directory or the recipe');
    }
    return new MergeopsError('NETWORK', `${what}: HTTP ${s} (${msg})`, 'the Hub had a problem; retry later');
  }
  return new MergeopsError('NETWORK', `${what}: ${msg}`, 'check your connection and HF_ENDPOINT');
}
