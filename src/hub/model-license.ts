/** The license a model's card declares: README.md front matter (local) or the Hub's cardData. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { hubError } from './hub-error.js';
import type { HubOptions } from './hub-options.js';

/** `license:` of a README's YAML front matter (undefined when there is none or it does not parse). */
export function readmeLicense(text: string): string | undefined {
  const m = /^---\r?\n([\s\S]*?)\r?\n---/.exec(text);
  if (!m) return undefined;
  try {
    const fm = parse(m[1]) as { license?: unknown } | null;
    return typeof fm?.license === 'string' ? fm.license : undefined;
  } catch {
    return undefined;
  }
}

export function localModelLicense(dir: string): string | undefined {
  const f = join(dir, 'README.md');
  return existsSync(f) ? readmeLicense(readFileSync(f, 'utf8')) : undefined;
}

export async function hubModelLicense(params: { repo: string; sha: string } & HubOptions): Promise<string | undefined> {
  try {
    const { modelInfo } = await import('@huggingface/hub'); // loaded on first Hub use
    const info = await modelInfo({
      name: params.repo, revision: params.sha, additionalFields: ['cardData'],
      hubUrl: params.hubUrl, accessToken: params.accessToken, fetch: params.fetch,
    });
    const l = (info.cardData as { license?: unknown } | undefined)?.license;
    return typeof l === 'string' ? l : undefined;
  } catch (e) {
    throw hubError(e, `cannot read the model card of ${params.repo}@${params.sha}`, params);
  }
}
