/** Every file of a repo at a commit, with size and (for LFS files) sha256. */
import { hubError } from './hub-error.js';
import type { HubOptions } from './hub-options.js';
import type { RemoteFile } from '../model/resolved.js';

export async function listModelFiles(params: { repo: string; sha: string } & HubOptions): Promise<RemoteFile[]> {
  const out: RemoteFile[] = [];
  try {
    const { listFiles } = await import('@huggingface/hub'); // loaded on first Hub use
    for await (const f of listFiles({
      repo: params.repo, revision: params.sha, recursive: true,
      hubUrl: params.hubUrl, accessToken: params.accessToken, fetch: params.fetch,
    })) {
      if (f.type !== 'file') continue;
      out.push(f.lfs ? { path: f.path, size: f.lfs.size, sha256: f.lfs.oid } : { path: f.path, size: f.size });
    }
  } catch (e) {
    throw hubError(e, `cannot list the files of ${params.repo}@${params.sha}`, params);
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
