/**
 * How to reach a Hugging Face Hub: endpoint, token and `fetch`, passed to every function that
 * talks to it (as huggingface.js does), so tests point them at a local server.
 */
import { MergeopsError } from '../errors.js';

export interface HubOptions {
  /** Default https://huggingface.co; `HF_ENDPOINT` in the environment. */
  hubUrl?: string;
  /** `hf_…` token; `HF_TOKEN` in the environment, or the Action's `hf-token` input. */
  accessToken?: string;
  fetch?: typeof fetch;
}

export const DEFAULT_HUB_URL = 'https://huggingface.co';

/**
 * Reads HF_ENDPOINT and HF_TOKEN (an explicit token wins); checks them at the edge. A token that
 * does not look like a Hub token (`hf_…`) is only a warning: it is used as given, matters only if
 * the Hub is reached at all (a merge of local folders never is), and the Hub is the judge of it.
 */
export function hubOptionsFromEnv(env: NodeJS.ProcessEnv = process.env, token?: string, warn?: (message: string) => void): HubOptions {
  const hubUrl = (env.HF_ENDPOINT ?? '').trim().replace(/\/+$/, '') || DEFAULT_HUB_URL;
  try {
    new URL(hubUrl);
  } catch {
    throw new MergeopsError('USAGE', `HF_ENDPOINT ${JSON.stringify(hubUrl)} is not a URL`, 'set HF_ENDPOINT to e.g. https://huggingface.co, or unset it');
  }
  const accessToken = (token ?? env.HF_TOKEN ?? '').trim() || undefined;
  if (accessToken !== undefined && !accessToken.startsWith('hf_')) {
    warn?.(`the Hugging Face token (${token !== undefined ? 'hf-token' : 'HF_TOKEN'}) does not start with \`hf_\` as Hub access tokens do; `
      + 'it is used as given, but the Hub will likely refuse it (tokens: https://huggingface.co/settings/tokens)');
  }
  return { hubUrl, accessToken };
}

/** The URL of a file at a pinned commit (`/resolve/` follows LFS to the content). */
export function fileUrl(hub: HubOptions, repo: string, sha: string, path: string): string {
  return `${hub.hubUrl ?? DEFAULT_HUB_URL}/${repo}/resolve/${sha}/${path.split('/').map(encodeURIComponent).join('/')}`;
}

export function authHeaders(hub: HubOptions): Record<string, string> | undefined {
  return hub.accessToken ? { Authorization: `Bearer ${hub.accessToken}` } : undefined;
}

/** Replaces every occurrence of the token (and any `hf_…` token) in text meant for logs. */
export function maskTokens(text: string, hub?: HubOptions): string {
  let out = text;
  if (hub?.accessToken) out = out.split(hub.accessToken).join('***');
  // Credentials embedded in an endpoint URL (https://user:password@host/) are masked too.
  return out.replace(/\bhf_[A-Za-z0-9]{6,}\b/g, 'hf_***').replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@]+@/gi, '$1***@');
}
