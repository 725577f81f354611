/**
 * What the runner tells a JavaScript action about the run: the event and its payload
 * (GITHUB_EVENT_PATH), the repository, the commit and the workspace. Read once, typed.
 */
import { readFileSync } from 'node:fs';
import { MergeopsError } from '../errors.js';

export interface PushPayload { before?: string; after?: string; ref?: string; forced?: boolean }
export interface PullRequestPayload {
  number?: number;
  pull_request?: {
    number: number;
    base: { sha: string; ref: string };
    head: { sha: string; ref: string; repo?: { full_name?: string } | null };
  };
}

export interface RunContext {
  eventName: string;
  payload: PushPayload & PullRequestPayload & Record<string, unknown>;
  /** `owner/name` */
  repository: string;
  owner: string;
  repo: string;
  sha: string;
  /** `refs/heads/main` */
  ref: string;
  workspace: string;
  apiUrl: string;
  serverUrl: string;
  runUrl?: string;
}

export function readRunContext(env: NodeJS.ProcessEnv = process.env): RunContext {
  let payload: RunContext['payload'] = {};
  const path = env.GITHUB_EVENT_PATH;
  if (path) {
    try {
      payload = JSON.parse(readFileSync(path, 'utf8')) as RunContext['payload'];
    } catch (e) {
      throw new MergeopsError('USAGE', `cannot read the event payload ${path}: ${e instanceof Error ? e.message : String(e)}`,
        'GITHUB_EVENT_PATH is set by the runner; when running the Action by hand, point it at a JSON event payload');
    }
  }
  const repository = env.GITHUB_REPOSITORY ?? '';
  const [owner = '', repo = ''] = repository.split('/');
  const serverUrl = (env.GITHUB_SERVER_URL ?? 'https://github.com').replace(/\/+$/, '');
  return {
    eventName: env.GITHUB_EVENT_NAME ?? '',
    payload,
    repository,
    owner,
    repo,
    sha: env.GITHUB_SHA ?? '',
    ref: env.GITHUB_REF ?? '',
    workspace: env.GITHUB_WORKSPACE ?? process.cwd(),
    apiUrl: (env.GITHUB_API_URL ?? 'https://api.github.com').replace(/\/+$/, ''),
    serverUrl,
    runUrl: env.GITHUB_RUN_ID && repository ? `${serverUrl}/${repository}/actions/runs/${env.GITHUB_RUN_ID}` : undefined,
  };
}

/** The branch name of `refs/heads/<name>`, if the ref is a branch. */
export function branchOf(ref: string): string | undefined {
  return ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : undefined;
}
