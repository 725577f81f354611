/**
 * A GitHub REST API server on 127.0.0.1 for tests: the calls the Action makes through
 * `@actions/github`'s Octokit (issue comments, git refs/trees/commits, pull requests). The git
 * data API is backed by a real bare repository on disk (the "origin" the test's checkout was
 * cloned from), written with git itself, so a test can fetch what the Action committed.
 * Test infrastructure: in memory besides the repository, one process.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestComment { id: number; issue: number; body: string; created_at: string; updated_at: string }
export interface TestPull { number: number; head: string; base: string; title: string; body: string; state: 'open' | 'closed' }

interface TestRepo { owner: string; name: string; bare: string; defaultBranch: string }

const GIT_ENV = {
  GIT_AUTHOR_NAME: 'github-actions[bot]', GIT_AUTHOR_EMAIL: 'bot@example.invalid',
  GIT_COMMITTER_NAME: 'GitHub', GIT_COMMITTER_EMAIL: 'noreply@example.invalid',
};

class HttpError extends Error {
  constructor(readonly status: number, message: string) { super(message); }
}

function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const text = Buffer.concat(parts).toString('utf8');
      try { resolve(text ? JSON.parse(text) as Record<string, unknown> : {}); } catch { reject(new HttpError(400, 'Problems parsing JSON')); }
    });
    req.on('error', reject);
  });
}

export class TestGitHub {
  readonly url: string;
  readonly token = 'ghs_test_github_token';
  readonly comments: TestComment[] = [];
  readonly pulls: TestPull[] = [];
  /** Every request, as "METHOD path" (query removed). */
  readonly log: string[] = [];
  private readonly repos = new Map<string, TestRepo>();
  private nextId = 1000;
  private readonly scratch = mkdtempSync(join(tmpdir(), 'mergeops-gh-'));

  private constructor(private readonly server: Server) {
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  static async start(): Promise<TestGitHub> {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const s = new TestGitHub(server);
    server.on('request', (req, res) => {
      s.handle(req, res).catch((e: unknown) => {
        const status = e instanceof HttpError ? e.status : 500;
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ message: e instanceof Error ? e.message : String(e) }));
      });
    });
    return s;
  }

  /** Serves `owner/name` from a bare repository. */
  addRepo(fullName: string, bareDir: string, defaultBranch = 'main'): void {
    const [owner, name] = fullName.split('/');
    this.repos.set(fullName, { owner, name, bare: bareDir, defaultBranch });
  }

  /** The environment `@actions/github` reads. */
  env(): Record<string, string> {
    return { GITHUB_API_URL: this.url, GITHUB_SERVER_URL: 'https://github.com' };
  }

  close(): Promise<void> {
    rmSync(this.scratch, { recursive: true, force: true });
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }

  private git(repo: TestRepo, args: string[], env: Record<string, string> = {}): string {
    return execFileSync('git', args, { cwd: repo.bare, encoding: 'utf8', env: { ...process.env, ...GIT_ENV, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  }

  private refSha(repo: TestRepo, ref: string): string | undefined {
    try { return this.git(repo, ['rev-parse', '--verify', '-q', `refs/${ref}^{commit}`]).trim() || undefined; } catch { return undefined; }
  }

  private json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(body));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const u = new URL(req.url ?? '/', this.url);
    const method = req.method ?? 'GET';
    this.log.push(`${method} ${u.pathname}`);
    const auth = req.headers.authorization ?? '';
    if (auth !== `token ${this.token}` && auth !== `Bearer ${this.token}`) throw new HttpError(401, 'Bad credentials');
    const m = /^\/repos\/([^/]+)\/([^/]+)(\/.*)?$/.exec(u.pathname);
    if (!m) throw new HttpError(404, 'Not Found');
    const repo = this.repos.get(`${m[1]}/${m[2]}`);
    if (!repo) throw new HttpError(404, 'Not Found');
    const rest = decodeURIComponent(m[3] ?? '');
    const body = method === 'GET' ? {} : await readJson(req);
    const html = `https://github.com/${repo.owner}/${repo.name}`;
    let mm: RegExpExecArray | null;

    if (rest === '' && method === 'GET') return this.json(res, 200, { full_name: `${repo.owner}/${repo.name}`, default_branch: repo.defaultBranch, private: false });

    // Issue comments (the sticky review comment).
    if ((mm = /^\/issues\/(\d+)\/comments$/.exec(rest))) {
      const issue = Number(mm[1]);
      if (method === 'GET') {
        const perPage = Math.min(100, Number(u.searchParams.get('per_page') ?? 30));
        const page = Number(u.searchParams.get('page') ?? 1);
        const all = this.comments.filter((c) => c.issue === issue);
        const slice = all.slice((page - 1) * perPage, page * perPage);
        const headers: Record<string, string> = {};
        if (page * perPage < all.length) {
          const next = new URL(u.href);
          next.searchParams.set('page', String(page + 1));
          headers.link = `<${next.href}>; rel="next"`;
        }
        return this.json(res, 200, slice.map((c) => ({ ...c, html_url: `${html}/pull/${issue}#issuecomment-${c.id}`, user: { login: 'github-actions[bot]' } })), headers);
      }
      if (method === 'POST') {
        if (typeof body.body !== 'string') throw new HttpError(422, 'body is required');
        const now = new Date().toISOString();
        const c: TestComment = { id: this.nextId++, issue, body: body.body, created_at: now, updated_at: now };
        this.comments.push(c);
        return this.json(res, 201, { ...c, html_url: `${html}/pull/${issue}#issuecomment-${c.id}` });
      }
    }
    if ((mm = /^\/issues\/comments\/(\d+)$/.exec(rest)) && method === 'PATCH') {
      const c = this.comments.find((x) => x.id === Number(mm![1]));
      if (!c) throw new HttpError(404, 'Not Found');
      if (typeof body.body !== 'string') throw new HttpError(422, 'body is required');
      c.body = body.body;
      c.updated_at = new Date().toISOString();
      return this.json(res, 200, { ...c, html_url: `${html}/pull/${c.issue}#issuecomment-${c.id}` });
    }

    // Git data API over the bare repository.
    if ((mm = /^\/git\/ref\/(.+)$/.exec(rest)) && method === 'GET') {
      const sha = this.refSha(repo, mm[1]);
      if (!sha) throw new HttpError(404, 'Not Found');
      return this.json(res, 200, { ref: `refs/${mm[1]}`, object: { sha, type: 'commit' } });
    }
    if (rest === '/git/refs' && method === 'POST') {
      const ref = String(body.ref ?? '');
      const sha = String(body.sha ?? '');
      if (!ref.startsWith('refs/')) throw new HttpError(422, 'Reference name must start with refs/');
      if (this.refSha(repo, ref.slice(5))) throw new HttpError(422, 'Reference already exists');
      this.git(repo, ['update-ref', ref, sha]);
      return this.json(res, 201, { ref, object: { sha, type: 'commit' } });
    }
    if ((mm = /^\/git\/refs\/(.+)$/.exec(rest)) && method === 'PATCH') {
      const current = this.refSha(repo, mm[1]);
      if (!current) throw new HttpError(422, 'Reference does not exist');
      const sha = String(body.sha ?? '');
      if (body.force !== true) {
        try { this.git(repo, ['merge-base', '--is-ancestor', current, sha]); } catch { throw new HttpError(422, 'Update is not a fast forward'); }
      }
      this.git(repo, ['update-ref', `refs/${mm[1]}`, sha]);
      return this.json(res, 200, { ref: `refs/${mm[1]}`, object: { sha, type: 'commit' } });
    }
    if ((mm = /^\/git\/commits\/([0-9a-f]{40})$/.exec(rest)) && method === 'GET') {
      let raw: string;
      try { raw = this.git(repo, ['cat-file', 'commit', mm[1]]); } catch { throw new HttpError(404, 'Not Found'); }
      const tree = /^tree ([0-9a-f]{40})$/m.exec(raw)![1];
      const parents = [...raw.matchAll(/^parent ([0-9a-f]{40})$/gm)].map((p) => ({ sha: p[1] }));
      return this.json(res, 200, { sha: mm[1], tree: { sha: tree }, parents, message: raw.slice(raw.indexOf('\n\n') + 2) });
    }
    if (rest === '/git/trees' && method === 'POST') {
      const index = join(this.scratch, `index-${this.nextId++}`);
      const env = { GIT_INDEX_FILE: index };
      if (typeof body.base_tree === 'string') this.git(repo, ['read-tree', body.base_tree], env);
      else this.git(repo, ['read-tree', '--empty'], env);
      for (const e of (body.tree as { path: string; mode: string; content?: string; sha?: string | null }[] | undefined) ?? []) {
        if (e.sha === null) { this.git(repo, ['update-index', '--force-remove', e.path], env); continue; }
        let blob = e.sha;
        if (e.content !== undefined) {
          blob = execFileSync('git', ['hash-object', '-w', '--stdin'], { cwd: repo.bare, input: e.content, encoding: 'utf8' }).trim();
        }
        if (!blob) throw new HttpError(422, 'tree entry needs content or sha');
        this.git(repo, ['update-index', '--add', '--cacheinfo', `${e.mode},${blob},${e.path}`], env);
      }
      const sha = this.git(repo, ['write-tree'], env).trim();
      rmSync(index, { force: true });
      return this.json(res, 201, { sha, url: `${this.url}/repos/${repo.owner}/${repo.name}/git/trees/${sha}` });
    }
    if (rest === '/git/commits' && method === 'POST') {
      const parents = (body.parents as string[] | undefined) ?? [];
      const args = ['commit-tree', String(body.tree), ...parents.flatMap((p) => ['-p', p]), '-m', String(body.message ?? '')];
      const sha = this.git(repo, args).trim();
      return this.json(res, 201, { sha, tree: { sha: body.tree }, parents: parents.map((p) => ({ sha: p })), message: body.message });
    }

    // Pull requests.
    if (rest === '/pulls' && method === 'GET') {
      const state = u.searchParams.get('state') ?? 'open';
      const head = u.searchParams.get('head');
      const base = u.searchParams.get('base');
      const list = this.pulls.filter((p) => (state === 'all' || p.state === state)
        && (!head || `${repo.owner}:${p.head}` === head) && (!base || p.base === base));
      return this.json(res, 200, list.map((p) => this.pullJson(repo, p)));
    }
    if (rest === '/pulls' && method === 'POST') {
      const head = String(body.head ?? '');
      const base = String(body.base ?? '');
      if (!this.refSha(repo, `heads/${head}`)) throw new HttpError(422, `head ${head} does not exist`);
      if (!this.refSha(repo, `heads/${base}`)) throw new HttpError(422, `base ${base} does not exist`);
      if (this.pulls.some((p) => p.state === 'open' && p.head === head && p.base === base)) {
        throw new HttpError(422, `A pull request already exists for ${repo.owner}:${head}.`);
      }
      const p: TestPull = { number: this.pulls.length + 1, head, base, title: String(body.title ?? ''), body: String(body.body ?? ''), state: 'open' };
      this.pulls.push(p);
      return this.json(res, 201, this.pullJson(repo, p));
    }
    if ((mm = /^\/pulls\/(\d+)$/.exec(rest)) && method === 'PATCH') {
      const p = this.pulls.find((x) => x.number === Number(mm![1]));
      if (!p) throw new HttpError(404, 'Not Found');
      if (typeof body.title === 'string') p.title = body.title;
      if (typeof body.body === 'string') p.body = body.body;
      if (body.state === 'open' || body.state === 'closed') p.state = body.state;
      return this.json(res, 200, this.pullJson(repo, p));
    }
    throw new HttpError(404, `Not Found: ${method} ${u.pathname}`);
  }

  private pullJson(repo: TestRepo, p: TestPull): Record<string, unknown> {
    return {
      number: p.number, state: p.state, title: p.title, body: p.body,
      html_url: `https://github.com/${repo.owner}/${repo.name}/pull/${p.number}`,
      head: { ref: p.head, sha: this.refSha(repo, `heads/${p.head}`) ?? '', label: `${repo.owner}:${p.head}` },
      base: { ref: p.base, sha: this.refSha(repo, `heads/${p.base}`) ?? '', label: `${repo.owner}:${p.base}` },
    };
  }
}
