/**
 * The GitHub API calls the Action makes, through `@actions/github`'s Octokit (which honours
 * GITHUB_API_URL): the sticky review comment, commits made with the git data API (a branch
 * moves only to a commit whose parent is where it was), and the drift pull request.
 */
import { getOctokit } from '@actions/github';
import { MergeopsError } from '../errors.js';

export type Octokit = ReturnType<typeof getOctokit>;
export interface RepoId { owner: string; repo: string }

export function octokit(token: string | undefined, apiUrl: string): Octokit {
  if (!token) {
    throw new MergeopsError('USAGE', 'input `github-token` is empty',
      'leave it at its default (`${{ github.token }}`) and grant the job the `permissions:` this mode needs (see the README)');
  }
  return getOctokit(token, { baseUrl: apiUrl });
}

/** Names the permission a 403/404 from the API usually means is missing. */
export function apiError(e: unknown, what: string, permission: string): MergeopsError {
  const status = typeof e === 'object' && e !== null && 'status' in e ? Number((e as { status: unknown }).status) : undefined;
  const msg = e instanceof Error ? e.message : String(e);
  return new MergeopsError('NETWORK', `GitHub API: ${what} failed${status ? ` (HTTP ${status})` : ''}: ${msg}`,
    status === 403 || status === 404 || status === 401
      ? `give the job \`permissions: ${permission}\` (pull requests from forks get a read-only token: review mode then only annotates)`
      : 'retry the job; if it persists, check https://www.githubstatus.com');
}

/** The hidden marker that identifies our comment among a pull request's comments. */
export function stickyMarker(key: string): string {
  return `<!-- mergeops:${key} -->`;
}

/** Creates the comment carrying `marker`, or edits it in place when it exists. */
export async function upsertStickyComment(gh: Octokit, r: RepoId, issue: number, marker: string, body: string): Promise<{ id: number; created: boolean; url: string }> {
  const text = `${marker}\n${body}`;
  try {
    const comments = await gh.paginate(gh.rest.issues.listComments, { ...r, issue_number: issue, per_page: 100 });
    const mine = comments.find((c) => (c.body ?? '').includes(marker));
    if (mine) {
      const { data } = await gh.rest.issues.updateComment({ ...r, comment_id: mine.id, body: text });
      return { id: data.id, created: false, url: data.html_url };
    }
    const { data } = await gh.rest.issues.createComment({ ...r, issue_number: issue, body: text });
    return { id: data.id, created: true, url: data.html_url };
  } catch (e) {
    throw apiError(e, `writing the review comment on #${issue}`, 'pull-requests: write');
  }
}

export interface FileChange { path: string; content: string }

async function branchSha(gh: Octokit, r: RepoId, branch: string): Promise<string | undefined> {
  try {
    const { data } = await gh.rest.git.getRef({ ...r, ref: `heads/${branch}` });
    return data.object.sha;
  } catch (e) {
    if (typeof e === 'object' && e !== null && (e as { status?: number }).status === 404) return undefined;
    throw apiError(e, `reading branch ${branch}`, 'contents: read');
  }
}

/**
 * One commit with `files` on top of `parent`, then `branch` set to it: created when missing;
 * moved when it exists (fast-forward only, unless `force`: the drift branch is ours to reset).
 */
export async function commitFiles(gh: Octokit, r: RepoId, opts: { branch: string; parent: string; files: FileChange[]; message: string; force?: boolean }): Promise<string> {
  try {
    const { data: parent } = await gh.rest.git.getCommit({ ...r, commit_sha: opts.parent });
    const { data: tree } = await gh.rest.git.createTree({
      ...r, base_tree: parent.tree.sha,
      tree: opts.files.map((f) => ({ path: f.path, mode: '100644' as const, type: 'blob' as const, content: f.content })),
    });
    const { data: commit } = await gh.rest.git.createCommit({ ...r, message: opts.message, tree: tree.sha, parents: [opts.parent] });
    const current = await branchSha(gh, r, opts.branch);
    if (current === undefined) await gh.rest.git.createRef({ ...r, ref: `refs/heads/${opts.branch}`, sha: commit.sha });
    else await gh.rest.git.updateRef({ ...r, ref: `heads/${opts.branch}`, sha: commit.sha, force: opts.force ?? false });
    return commit.sha;
  } catch (e) {
    if (e instanceof MergeopsError) throw e;
    throw apiError(e, `committing ${opts.files.map((f) => f.path).join(', ')} to ${opts.branch}`, 'contents: write');
  }
}

/** Opens a pull request from `head` into `base`, or updates the open one (title and body). */
export async function upsertPullRequest(gh: Octokit, r: RepoId, opts: { head: string; base: string; title: string; body: string }): Promise<{ number: number; url: string; created: boolean }> {
  try {
    const { data: open } = await gh.rest.pulls.list({ ...r, state: 'open', head: `${r.owner}:${opts.head}`, base: opts.base, per_page: 10 });
    if (open.length > 0) {
      const { data } = await gh.rest.pulls.update({ ...r, pull_number: open[0].number, title: opts.title, body: opts.body });
      return { number: data.number, url: data.html_url, created: false };
    }
    const { data } = await gh.rest.pulls.create({ ...r, head: opts.head, base: opts.base, title: opts.title, body: opts.body });
    return { number: data.number, url: data.html_url, created: true };
  } catch (e) {
    throw apiError(e, `opening the pull request from ${opts.head}`, 'pull-requests: write');
  }
}
