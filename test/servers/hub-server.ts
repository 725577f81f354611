/**
 * A Hugging Face Hub-compatible server on 127.0.0.1 for tests: what `@huggingface/hub` calls
 * (node-ecosystem.md §2), serving repos built from folders on disk, with switches to inject
 * faults and counters of what was served. Test infrastructure: simple, in memory, one process.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';

export interface HubFile {
  data: Buffer;
  /** sha256 of the content (the LFS oid for LFS files). */
  sha256: string;
  /** git blob sha1. */
  gitOid: string;
  lfs: boolean;
}

interface Commit {
  sha: string;
  parent?: string;
  title: string;
  date: string;
  files: Map<string, HubFile>;
}

interface Repo {
  branches: Map<string, string>;
  commits: Map<string, Commit>;
  private: boolean;
}

/** Who a token belongs to and what it may do (what `/api/whoami-v2` reports). */
export interface TokenInfo {
  user: string;
  /** A classic token's role; `fineGrained` tokens list the namespaces they may write to. */
  role: 'read' | 'write' | 'fineGrained';
  /** Organizations of the user, with the user's role in each. */
  orgs?: { name: string; roleInOrg: 'read' | 'contributor' | 'write' | 'admin' }[];
  /** fineGrained: namespaces (user or org names) with `repo.write`. */
  writeScopes?: string[];
}

/** A fault applied to uploads (LFS PUTs, multipart parts and completions, commits), repo deletions or repo info reads. */
export interface UploadFault {
  /** Which requests it hits: LFS object/part PUTs (default), multipart completions, commit calls, repo deletions, or `modelInfo` reads (`GET /api/models/R/revision/V`). */
  on?: 'put' | 'complete' | 'commit' | 'delete' | 'info';
  /** Let this many matching requests through first ("fails part-way"). */
  after?: number;
  /** Answer with this status (default 500) or, with `reset`, drop the connection. */
  status?: number;
  reset?: boolean;
  /** How many requests it hits (default 1; Infinity: the upload fails for good). */
  times?: number;
}

/** A fault applied to the next matching `resolve` GET(s). */
export type Fault =
  /** Sends `afterBytes` bytes of the body, then destroys the socket. */
  | { kind: 'reset'; afterBytes: number }
  /** Answers with this status (and Retry-After seconds, if given) instead of the file. */
  | { kind: 'status'; status: number; retryAfter?: number }
  /** Waits this long before answering. */
  | { kind: 'slow'; delayMs: number }
  /** A clean, complete-looking response that carries only `afterBytes` bytes of the range (Content-Length says so too). */
  | { kind: 'truncate'; afterBytes: number }
  /** Serves different content (bytes flipped) with a different ETag: the file changed upstream. */
  | { kind: 'changed' }
  /** Serves corrupted content under the original ETag (only a full sha256 check can notice). */
  | { kind: 'corrupt' };

interface ArmedFault {
  fault: Fault;
  /** Only for this file path (any file when unset). */
  path?: string;
  /** How many requests it hits. */
  times: number;
}

export interface HubCounters {
  /** GET/HEAD requests to /resolve/ or /raw/ (downloads, including range reads). */
  resolveRequests: number;
  /** Body bytes sent by /resolve/ GETs. */
  resolveBytes: number;
  /** The same, by file path (`repo/path`). */
  bytesByFile: Map<string, number>;
  /** Full-file GETs (no Range header). */
  fullDownloads: number;
  /** Paths of the full-file GETs. */
  fullDownloadPaths: string[];
  /** API calls (/api/...). */
  apiRequests: number;
  /** Every request, as "METHOD path" (query removed). */
  log: string[];
  /** Successful commits by repo (`commitFiles` from tests not counted). */
  commits: Map<string, number>;
  /** Every Authorization header value received (tests check that a token was sent at all). */
  seen: string[];
  /** Repos deleted through the API (`DELETE /api/repos/delete`), in order. */
  deleted: string[];
  /** When (epoch ms) the first LFS object or part PUT arrived, and the last one's body ended (benchmarks: where a publish's time goes). */
  firstUploadAt?: number;
  lastUploadAt?: number;
  /** When (epoch ms) the last successful commit was answered. */
  committedAt?: number;
}

const LFS_EXT = /\.(safetensors|gguf|bin|pt|pth|ckpt|h5|msgpack|onnx|model)$/i;

function gitBlobOid(data: Buffer): string {
  return createHash('sha1').update(`blob ${data.length}\0`).update(data).digest('hex');
}

export function hubFile(data: Buffer, path: string): HubFile {
  return { data, sha256: createHash('sha256').update(data).digest('hex'), gitOid: gitBlobOid(data), lfs: LFS_EXT.test(path) };
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function readBody(req: IncomingMessage, link?: UploadLink): Promise<Buffer> {
  return consume(req, link, true).then((r) => r.data);
}

/** Reads a body (kept, or only counted), at the link's pace when there is one. */
function consume(req: IncomingMessage, link: UploadLink | undefined, keep: boolean): Promise<{ data: Buffer; bytes: number }> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let bytes = 0;
    req.on('data', (c: Buffer) => {
      if (keep) parts.push(c);
      bytes += c.length;
      link?.take(req, c.length);
    });
    req.on('end', () => resolve({ data: Buffer.concat(parts), bytes }));
    req.on('error', reject);
  });
}

/**
 * The upload side of a link of `bytesPerSecond` shared by every upload body (benchmarks: publish
 * speed against a realistic link). Each body chunk read books its transfer time on the link; a
 * request that gets ahead of it is paused until then, so TCP backpressure slows the sender.
 */
class UploadLink {
  private free = 0;

  constructor(readonly bytesPerSecond: number) {}

  take(req: IncomingMessage, n: number): void {
    const now = performance.now();
    this.free = Math.max(this.free, now) + (n / this.bytesPerSecond) * 1000;
    const wait = this.free - now;
    if (wait < 2) return; // timers are no finer: let small debts accumulate
    req.pause();
    setTimeout(() => req.resume(), wait);
  }
}

/** A model card's YAML front matter, as the Hub reports it in `cardData`. */
function frontMatter(text: string): unknown {
  const m = /^---\r?\n([\s\S]*?)\r?\n---/.exec(text);
  if (!m) return {};
  try { return parseYaml(m[1]) ?? {}; } catch { return {}; }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class TestHub {
  readonly url: string;
  readonly counters: HubCounters = { resolveRequests: 0, resolveBytes: 0, bytesByFile: new Map(), fullDownloads: 0, fullDownloadPaths: [], apiRequests: 0, log: [], commits: new Map(), seen: [], deleted: [] };
  /** Tokens the server accepts (requests without a token are accepted too: public repos). */
  readonly tokens = new Set<string>(['hf_test_token']);
  /** Who each token is; a token in `tokens` but not here is user `tester` with a write role. */
  readonly tokenInfo = new Map<string, TokenInfo>();
  /** Multipart chunk size of LFS uploads, and the size above which objects go multipart. */
  multipartChunk = 1 << 19;
  multipartOver = 1 << 20;
  private readonly uploadFaults: (UploadFault & { seen: number })[] = [];
  /** Page size of tree listings (small, so tests exercise `Link` pagination). */
  pageSize = 3;
  /** Delay before answering every file request (simulates a distant Hub). */
  latencyMs = 0;
  /** Upload bodies (LFS objects and parts, `/_test/sink`) read at most this fast, shared (0: unlimited). */
  private link: UploadLink | undefined;
  private readonly repos = new Map<string, Repo>();
  /** Repos that need a token (gated or private). */
  private readonly gated = new Set<string>();
  private readonly faults: ArmedFault[] = [];
  private readonly uploads = new Map<string, { oid: string; size: number; parts: Map<number, Buffer>; data?: Buffer }>();
  private readonly lfsStore = new Map<string, Buffer>();
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly server: Server) {
    const { port } = server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
  }

  static async start(): Promise<TestHub> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const hub = new TestHub(server);
    server.on('request', (req, res) => {
      hub.handle(req, res).catch((e: unknown) => {
        if (!res.headersSent) json(res, 500, { error: String(e) });
        else res.destroy();
      });
    });
    server.on('connection', (s) => { hub.sockets.add(s); s.on('close', () => hub.sockets.delete(s)); });
    return hub;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  resetCounters(): void {
    Object.assign(this.counters, { resolveRequests: 0, resolveBytes: 0, bytesByFile: new Map(), fullDownloads: 0, fullDownloadPaths: [], apiRequests: 0, log: [], commits: new Map(), seen: [], deleted: [], firstUploadAt: undefined, lastUploadAt: undefined, committedAt: undefined });
  }

  /** Adds a token with its owner and rights. */
  addToken(token: string, info: TokenInfo): void {
    this.tokens.add(token);
    this.tokenInfo.set(token, info);
  }

  /** Limits the rate at which upload bodies are read, all uploads together (0: unlimited; benchmarks). */
  limitUploads(bytesPerSecond: number): void {
    this.link = bytesPerSecond > 0 ? new UploadLink(bytesPerSecond) : undefined;
  }

  /** Arms a fault for uploads (see UploadFault). */
  failUploads(fault: UploadFault): void {
    this.uploadFaults.push({ ...fault, seen: 0 });
  }

  /** Every commit of a branch, newest first. */
  history(repo: string, branch = 'main'): { sha: string; title: string }[] {
    const r = this.repos.get(repo);
    const out: { sha: string; title: string }[] = [];
    for (let sha = r?.branches.get(branch); sha !== undefined;) {
      const c = r!.commits.get(sha)!;
      out.push({ sha, title: c.title });
      sha = c.parent;
    }
    return out;
  }

  /** The files of a branch's head commit. */
  files(repo: string, rev = 'main'): Map<string, HubFile> {
    return new Map(this.commitOf(repo, rev)?.files ?? []);
  }

  isPrivate(repo: string): boolean {
    return this.repos.get(repo)?.private ?? false;
  }

  /** Commits a folder's files as a new commit on `branch` of `repo` (created if needed); returns the sha. */
  addFolder(repo: string, dir: string, branch = 'main', title = 'upload'): string {
    const files = new Map<string, Buffer>();
    for (const name of readdirSync(dir).sort()) files.set(name, readFileSync(join(dir, name)));
    return this.commitFiles(repo, files, branch, title);
  }

  /** Commits files (replacing the branch's tree entries of the same names). */
  commitFiles(repo: string, files: Map<string, Buffer>, branch = 'main', title = 'update', deleted: string[] = []): string {
    let r = this.repos.get(repo);
    if (!r) { r = { branches: new Map(), commits: new Map(), private: false }; this.repos.set(repo, r); }
    const parent = r.branches.get(branch);
    const tree = new Map(parent ? r.commits.get(parent)!.files : []);
    for (const [p, data] of files) tree.set(p, hubFile(data, p));
    for (const p of deleted) tree.delete(p);
    const sha = createHash('sha1').update(`${repo}\0${parent ?? ''}\0${title}\0${randomBytes(8).toString('hex')}`).digest('hex');
    r.commits.set(sha, { sha, parent, title, date: new Date().toISOString(), files: tree });
    r.branches.set(branch, sha);
    return sha;
  }

  /** The commit a branch (or tag, or sha) points at. */
  sha(repo: string, rev = 'main'): string | undefined {
    return this.commitOf(repo, rev)?.sha;
  }

  file(repo: string, rev: string, path: string): HubFile | undefined {
    return this.commitOf(repo, rev)?.files.get(path);
  }

  /** Deletes a repo with its history (its LFS objects stay in the store, as on the Hub until garbage collection). */
  deleteRepo(repo: string): void {
    this.repos.delete(repo);
  }

  /** Makes a repo answer 401 to requests without a token (a gated or private repo). */
  gate(repo: string): void {
    this.gated.add(repo);
  }

  /** Arms a fault for the next `times` matching resolve GETs. */
  inject(fault: Fault, opts: { path?: string; times?: number } = {}): void {
    this.faults.push({ fault, path: opts.path, times: opts.times ?? 1 });
  }

  clearFaults(): void {
    this.faults.length = 0;
    this.uploadFaults.length = 0;
  }

  /** The armed upload fault hitting this request, if any (counts it). */
  private takeUploadFault(on: NonNullable<UploadFault['on']>): UploadFault | undefined {
    const i = this.uploadFaults.findIndex((f) => (f.on ?? 'put') === on);
    if (i < 0) return undefined;
    const f = this.uploadFaults[i];
    if (f.seen++ < (f.after ?? 0)) return undefined;
    f.times = (f.times ?? 1) - 1;
    if (f.times <= 0) this.uploadFaults.splice(i, 1);
    return f;
  }

  /** Answers a request an upload fault hits; true when it did. */
  private applyUploadFault(res: ServerResponse, on: NonNullable<UploadFault['on']>): boolean {
    const f = this.takeUploadFault(on);
    if (!f) return false;
    if (f.reset) { res.socket?.destroy(); return true; }
    json(res, f.status ?? 500, { error: `injected upload fault (${on})` });
    return true;
  }

  private who(req: IncomingMessage): TokenInfo | undefined {
    const h = req.headers.authorization;
    if (h === undefined) return undefined;
    const token = h.replace(/^Bearer /, '');
    return this.tokenInfo.get(token) ?? { user: 'tester', role: 'write', orgs: [{ name: 'org', roleInOrg: 'write' }] };
  }

  /** May the request's token write to this namespace (user or org)? */
  private canWrite(req: IncomingMessage, namespace: string): boolean {
    const t = this.who(req);
    if (!t) return false;
    if (t.role === 'fineGrained') return (t.writeScopes ?? []).includes(namespace);
    if (t.role !== 'write') return false;
    return namespace === t.user || (t.orgs ?? []).some((o) => o.name === namespace && o.roleInOrg !== 'read');
  }

  private denyWrite(req: IncomingMessage, res: ServerResponse, repo: string): boolean {
    if (this.canWrite(req, repo.split('/')[0])) return false;
    json(res, 403, { error: `You don't have the rights to create or write to ${repo}` });
    return true;
  }

  private count(key: string, n: number): void {
    this.counters.resolveBytes += n;
    this.counters.bytesByFile.set(key, (this.counters.bytesByFile.get(key) ?? 0) + n);
  }

  private commitOf(repo: string, rev: string): Commit | undefined {
    const r = this.repos.get(repo);
    if (!r) return undefined;
    const sha = r.branches.get(rev === 'HEAD' ? 'main' : rev) ?? rev;
    return r.commits.get(sha);
  }

  private takeFault(path: string): Fault | undefined {
    const i = this.faults.findIndex((f) => f.path === undefined || f.path === path);
    if (i < 0) return undefined;
    const f = this.faults[i];
    if (--f.times <= 0) this.faults.splice(i, 1);
    return f.fault;
  }

  private authorized(req: IncomingMessage): boolean {
    const h = req.headers.authorization;
    if (h === undefined) return true;
    return this.tokens.has(h.replace(/^Bearer /, ''));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const u = new URL(req.url ?? '/', this.url);
    const p = decodeURIComponent(u.pathname);
    const method = req.method ?? 'GET';
    this.counters.log.push(`${method} ${p}`);
    if (req.headers.authorization) this.counters.seen.push(req.headers.authorization);
    if (!this.authorized(req)) { json(res, 401, { error: 'Invalid credentials in Authorization header' }); return; }
    // A gated repo answers 401 to anonymous requests, as the Hub does before its terms are accepted.
    const repoOf = /^\/(?:api\/models\/)?([^/]+\/[^/]+)(?:\/|$)/.exec(p);
    if (repoOf && (this.gated.has(repoOf[1]) || this.isPrivate(repoOf[1])) && req.headers.authorization === undefined) {
      json(res, 401, { error: `Access to model ${repoOf[1]} is restricted. You must have access to it and be authenticated to access it.` }, { 'X-Error-Code': 'GatedRepo' });
      return;
    }
    let m: RegExpMatchArray | null;
    if (p.startsWith('/api/')) this.counters.apiRequests++;

    if (p === '/_test/latency') {
      this.latencyMs = Number(u.searchParams.get('ms') ?? 0);
      json(res, 200, { latencyMs: this.latencyMs });
      return;
    }
    if (p === '/_test/sink' && (method === 'PUT' || method === 'POST')) {
      // The link alone (benchmarks): the body is read, as an upload's, and dropped.
      const t0 = performance.now();
      const n = (await consume(req, this.link, false)).bytes;
      json(res, 200, { bytes: n, seconds: (performance.now() - t0) / 1000 });
      return;
    }
    if (p === '/_test/counters') {
      // For a test Hub in another process (benchmarks): what it served.
      json(res, 200, { ...this.counters, bytesByFile: Object.fromEntries(this.counters.bytesByFile), log: undefined });
      if (u.searchParams.has('reset')) this.resetCounters();
      return;
    }
    if (p === '/api/whoami-v2') {
      const t = this.who(req);
      if (!t) { json(res, 401, { error: 'Invalid credentials in Authorization header' }); return; }
      json(res, 200, {
        id: `id-${t.user}`, type: 'user', name: t.user, fullname: t.user,
        orgs: (t.orgs ?? []).map((o) => ({ id: `id-${o.name}`, type: 'org', name: o.name, fullname: o.name, roleInOrg: o.roleInOrg })),
        auth: {
          type: 'access_token',
          accessToken: {
            displayName: 't', role: t.role, createdAt: new Date().toISOString(),
            ...(t.role === 'fineGrained' ? {
              fineGrained: {
                global: [],
                scoped: (t.writeScopes ?? []).map((n) => ({ entity: { type: n === t.user ? 'user' : 'org', name: n }, permissions: ['repo.content.read', 'repo.write'] })),
              },
            } : {}),
          },
        },
      });
      return;
    }
    if (method === 'POST' && p === '/api/repos/create') {
      const body = JSON.parse((await readBody(req)).toString()) as { name: string; organization?: string; visibility?: string; private?: boolean };
      const name = `${body.organization ?? this.who(req)?.user ?? 'tester'}/${body.name}`;
      if (this.denyWrite(req, res, name)) return;
      if (this.repos.has(name)) { json(res, 409, { error: 'You already created this model repo' }); return; }
      this.repos.set(name, { branches: new Map(), commits: new Map(), private: body.visibility === 'private' || body.private === true });
      this.commitFiles(name, new Map([['.gitattributes', Buffer.from('*.safetensors filter=lfs diff=lfs merge=lfs -text\n')]]), 'main', 'initial commit');
      json(res, 200, { url: `${this.url}/${name}`, name });
      return;
    }
    if (method === 'DELETE' && p === '/api/repos/delete') {
      // What @huggingface/hub's deleteRepo sends: the name, the namespace as `organization`, the type.
      const body = JSON.parse((await readBody(req)).toString()) as { name?: string; organization?: string; type?: string };
      if (typeof body.name !== 'string' || (body.type !== undefined && body.type !== 'model')) { json(res, 400, { error: 'expected a model repo name' }); return; }
      const name = `${body.organization ?? this.who(req)?.user ?? 'tester'}/${body.name}`;
      if (this.denyWrite(req, res, name)) return;
      if (this.applyUploadFault(res, 'delete')) return;
      if (!this.repos.has(name)) { json(res, 404, { error: 'Repository not found' }, { 'X-Error-Code': 'RepoNotFound' }); return; }
      this.deleteRepo(name);
      this.counters.deleted.push(name);
      res.writeHead(200).end();
      return;
    }
    if ((m = /^\/api\/models\/([^/]+\/[^/]+)\/revision\/(.+)$/.exec(p))) {
      if (this.applyUploadFault(res, 'info')) return;
      const c = this.commitOf(m[1], m[2]);
      if (!c) { json(res, 404, { error: `Repository ${m[1]} or revision ${m[2]} not found` }, { 'X-Error-Code': 'RepoNotFound' }); return; }
      json(res, 200, {
        _id: `id-${m[1]}`, id: m[1], private: false, pipeline_tag: 'text-generation', downloads: 0, gated: false, likes: 0,
        lastModified: c.date, sha: c.sha, siblings: [...c.files.keys()].map((rfilename) => ({ rfilename })),
        ...(c.files.has('README.md') ? { cardData: frontMatter(c.files.get('README.md')!.data.toString('utf8')) } : {}),
      });
      return;
    }
    if ((m = /^\/api\/models\/([^/]+\/[^/]+)$/.exec(p))) {
      if (!this.repos.has(m[1])) { json(res, 404, { error: 'Repository not found' }); return; }
      json(res, 200, { _id: `id-${m[1]}`, id: m[1], sha: this.sha(m[1]) });
      return;
    }
    if ((m = /^\/api\/models\/([^/]+\/[^/]+)\/tree\/([^/]+)(?:\/(.*))?$/.exec(p))) {
      const c = this.commitOf(m[1], m[2]);
      if (!c) { json(res, 404, { error: 'Revision not found' }, { 'X-Error-Code': 'RevisionNotFound' }); return; }
      const prefix = m[3] ? `${m[3]}/` : '';
      const all = [...c.files.entries()].filter(([k]) => k.startsWith(prefix)).map(([k, f]) => this.entry(k, f, c, u.searchParams.get('expand') === 'true'));
      const cursor = Number(u.searchParams.get('cursor') ?? 0);
      const page = all.slice(cursor, cursor + this.pageSize);
      const headers: Record<string, string> = {};
      if (cursor + this.pageSize < all.length) {
        const next = new URL(u.href);
        next.searchParams.set('cursor', String(cursor + this.pageSize));
        headers.Link = `<${next.href}>; rel="next"`;
      }
      json(res, 200, page, headers);
      return;
    }
    if (method === 'POST' && (m = /^\/api\/models\/([^/]+\/[^/]+)\/paths-info\/(.+)$/.exec(p))) {
      const c = this.commitOf(m[1], m[2]);
      if (!c) { json(res, 404, { error: 'Revision not found' }); return; }
      const body = JSON.parse((await readBody(req)).toString()) as { paths: string[]; expand?: boolean };
      json(res, 200, body.paths.filter((x) => c.files.has(x)).map((x) => this.entry(x, c.files.get(x)!, c, body.expand === true)));
      return;
    }
    if (method === 'POST' && (m = /^\/api\/models\/([^/]+\/[^/]+)\/preupload\/(.+)$/.exec(p))) {
      if (this.denyWrite(req, res, m[1])) return;
      if (!this.repos.has(m[1])) { json(res, 404, { error: 'Repository not found' }, { 'X-Error-Code': 'RepoNotFound' }); return; }
      const body = JSON.parse((await readBody(req)).toString()) as { files: { path: string; size: number }[] };
      json(res, 200, { files: body.files.map((f) => ({ path: f.path, uploadMode: LFS_EXT.test(f.path) || f.size > 10_000_000 ? 'lfs' : 'regular' })) });
      return;
    }
    if (method === 'POST' && (m = /^\/api\/models\/([^/]+\/[^/]+)\/commit\/(.+)$/.exec(p))) {
      if (this.denyWrite(req, res, m[1])) return;
      if (this.applyUploadFault(res, 'commit')) return;
      await this.commitNdjson(req, res, m[1], m[2]);
      return;
    }
    if (method === 'POST' && (m = /^\/([^/]+\/[^/]+)\.git\/info\/lfs\/objects\/batch$/.exec(p))) {
      if (this.denyWrite(req, res, m[1])) return;
      const body = JSON.parse((await readBody(req)).toString()) as { objects: { oid: string; size: number }[] };
      const multipartOver = this.multipartOver;
      json(res, 200, {
        transfer: 'basic',
        objects: body.objects.map((o) => {
          if (this.lfsStore.has(o.oid)) return { oid: o.oid, size: o.size };
          const id = randomBytes(6).toString('hex');
          this.uploads.set(id, { oid: o.oid, size: o.size, parts: new Map() });
          if (o.size <= multipartOver) return { oid: o.oid, size: o.size, actions: { upload: { href: `${this.url}/lfs-upload/${id}?sig=x` } } };
          const chunk = this.multipartChunk;
          const header: Record<string, string> = { chunk_size: String(chunk) };
          for (let i = 1; i <= Math.ceil(o.size / chunk); i++) header[String(i).padStart(5, '0')] = `${this.url}/lfs-upload/${id}/part/${i}?sig=x`;
          return { oid: o.oid, size: o.size, actions: { upload: { href: `${this.url}/lfs-upload/${id}/complete?sig=x`, header } } };
        }),
      }, { 'Content-Type': 'application/vnd.git-lfs+json' });
      return;
    }
    if ((m = /^\/lfs-upload\/([0-9a-f]+)(?:\/(part)\/(\d+)|\/(complete))?$/.exec(p))) {
      const up = this.uploads.get(m[1]);
      if (!up) { json(res, 404, { error: 'unknown upload' }); return; }
      const put = m[4] !== 'complete';
      if (put) this.counters.firstUploadAt ??= Date.now();
      const body = await readBody(req, put ? this.link : undefined);
      if (put) this.counters.lastUploadAt = Date.now();
      if (this.applyUploadFault(res, m[4] === 'complete' ? 'complete' : 'put')) return;
      if (m[2] === 'part') {
        up.parts.set(Number(m[3]), body);
        res.writeHead(200, { ETag: `"part-${m[3]}-${body.length}"` }).end();
        return;
      }
      const data = m[4] === 'complete' ? Buffer.concat([...up.parts.entries()].sort((a, b) => a[0] - b[0]).map(([, b]) => b)) : body;
      const oid = createHash('sha256').update(data).digest('hex');
      if (oid !== up.oid || data.length !== up.size) { json(res, 400, { error: `uploaded content does not match oid ${up.oid}` }); return; }
      this.lfsStore.set(oid, data);
      res.writeHead(200).end();
      return;
    }
    if ((m = /^\/([^/]+\/[^/]+)\/(resolve|raw)\/([^/]+)\/(.+)$/.exec(p)) && (method === 'GET' || method === 'HEAD')) {
      await this.serveFile(req, res, m[1], m[3], m[4]);
      return;
    }
    json(res, 404, { error: `test hub: no route for ${method} ${p}` });
  }

  private entry(path: string, f: HubFile, c: Commit, expand: boolean): Record<string, unknown> {
    return {
      type: 'file', path, size: f.data.length, oid: f.gitOid,
      ...(f.lfs ? { lfs: { oid: f.sha256, size: f.data.length, pointerSize: 134 } } : {}),
      ...(expand ? { lastCommit: { id: c.sha, title: c.title, date: c.date } } : {}),
    };
  }

  private async commitNdjson(req: IncomingMessage, res: ServerResponse, repo: string, branch: string): Promise<void> {
    const lines = (await readBody(req)).toString().split('\n').filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as { key: string; value: Record<string, string | number> });
    const header = lines.find((l) => l.key === 'header')?.value ?? {};
    const r = this.repos.get(repo);
    if (!r) { json(res, 404, { error: 'Repository not found' }); return; }
    if (header.parentCommit && header.parentCommit !== r.branches.get(branch)) {
      json(res, 412, { error: 'A commit has happened since. Please refresh and try again.' });
      return;
    }
    const files = new Map<string, Buffer>();
    const deleted: string[] = [];
    for (const l of lines) {
      if (l.key === 'file') files.set(String(l.value.path), Buffer.from(String(l.value.content), 'base64'));
      else if (l.key === 'lfsFile') {
        const data = this.lfsStore.get(String(l.value.oid));
        if (!data) { json(res, 422, { error: `LFS object ${l.value.oid} was not uploaded` }); return; }
        files.set(String(l.value.path), data);
      } else if (l.key === 'deletedFile') deleted.push(String(l.value.path));
    }
    const sha = this.commitFiles(repo, files, branch, String(header.summary ?? 'commit'), deleted);
    this.counters.commits.set(repo, (this.counters.commits.get(repo) ?? 0) + 1);
    json(res, 200, { commitOid: sha, commitUrl: `${this.url}/${repo}/commit/${sha}` });
    this.counters.committedAt = Date.now();
  }

  private async serveFile(req: IncomingMessage, res: ServerResponse, repo: string, rev: string, path: string): Promise<void> {
    this.counters.resolveRequests++;
    const c = this.commitOf(repo, decodeURIComponent(rev));
    const f = c?.files.get(path);
    if (!c || !f) {
      res.writeHead(404, { 'X-Error-Code': c ? 'EntryNotFound' : 'RevisionNotFound', 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: 'Entry not found' }));
      return;
    }
    if (this.latencyMs > 0) await sleep(this.latencyMs);
    const fault = req.method === 'GET' ? this.takeFault(path) : undefined;
    if (fault?.kind === 'slow') await sleep(fault.delayMs);
    if (fault?.kind === 'status') {
      const h: Record<string, string> = { 'Content-Type': 'application/json' };
      if (fault.retryAfter !== undefined) h['Retry-After'] = String(fault.retryAfter);
      res.writeHead(fault.status, h);
      res.end(JSON.stringify({ error: `injected ${fault.status}` }));
      return;
    }
    let data = f.data;
    let etag = f.lfs ? f.sha256 : f.gitOid;
    if (fault?.kind === 'changed' || fault?.kind === 'corrupt') {
      data = Buffer.from(data);
      for (let i = 0; i < data.length; i += 97) data[i] ^= 0x5a;
      if (fault.kind === 'changed') etag = createHash('sha256').update(data).digest('hex');
    }
    const size = data.length;
    const headers: Record<string, string> = {
      'Content-Type': 'application/octet-stream', 'Accept-Ranges': 'bytes', ETag: `"${etag}"`, 'X-Repo-Commit': c.sha,
    };
    if (f.lfs) { headers['X-Linked-ETag'] = `"${etag}"`; headers['X-Linked-Size'] = String(size); }
    const range = req.headers.range;
    let start = 0;
    let end = size - 1;
    let status = 200;
    if (range) {
      const rm = /^bytes=(\d+)-(\d*)$/.exec(range);
      if (!rm || Number(rm[1]) >= size) {
        res.writeHead(416, { 'Content-Range': `bytes */${size}` }).end();
        return;
      }
      start = Number(rm[1]);
      end = rm[2] === '' ? size - 1 : Math.min(size - 1, Number(rm[2]));
      status = 206;
      headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
    } else {
      this.counters.fullDownloads++;
      if (req.method === 'GET') this.counters.fullDownloadPaths.push(`${repo}/${path}`);
    }
    let body = data.subarray(start, end + 1);
    if (fault?.kind === 'truncate') body = body.subarray(0, Math.min(fault.afterBytes, body.length));
    headers['Content-Length'] = String(body.length);
    res.writeHead(status, headers);
    if (req.method === 'HEAD') { res.end(); return; }
    if (fault?.kind === 'reset') {
      const part = body.subarray(0, Math.min(fault.afterBytes, body.length));
      this.count(`${repo}/${path}`, part.length);
      await new Promise<void>((resolve) => res.write(part, () => resolve()));
      res.socket?.destroy();
      return;
    }
    this.count(`${repo}/${path}`, body.length);
    res.end(body);
  }
}
