/**
 * An emulator of the GitHub Actions cache service v2 (node-ecosystem.md §3, Appendix A) on
 * 127.0.0.1: the three twirp routes `@actions/cache` calls, and Azure-Blob-style PUT (single
 * shot, or blocks + block list) and plain GET of the archives. Test infrastructure: in memory.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

interface Entry {
  id: number;
  key: string;
  version: string;
  data?: Buffer;
  blocks: Map<string, Buffer>;
  finalized: boolean;
  created: number;
}

const TWIRP = '/twirp/github.actions.results.api.v1.CacheService/';

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => resolve(Buffer.concat(parts)));
    req.on('error', reject);
  });
}

export class ActionsCacheServer {
  readonly url: string;
  readonly token = 'test-runtime-token';
  readonly entries: Entry[] = [];
  /** Counters: archives uploaded and downloaded. */
  readonly counters = { uploads: 0, downloads: 0, misses: 0 };
  private nextId = 1;

  private constructor(private readonly server: Server) {
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  static async start(): Promise<ActionsCacheServer> {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const s = new ActionsCacheServer(server);
    server.on('request', (req, res) => { s.handle(req, res).catch((e: unknown) => { res.writeHead(500).end(String(e)); }); });
    return s;
  }

  /** The environment `@actions/cache` reads. */
  env(runnerTemp: string): Record<string, string> {
    return { ACTIONS_CACHE_SERVICE_V2: 'true', ACTIONS_RESULTS_URL: `${this.url}/`, ACTIONS_RUNTIME_TOKEN: this.token, RUNNER_TEMP: runnerTemp };
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const u = new URL(req.url ?? '/', this.url);
    const send = (status: number, body: unknown): void => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(text);
    };
    if (u.pathname.startsWith(TWIRP)) {
      if (req.headers.authorization !== `Bearer ${this.token}`) { send(401, { code: 'unauthenticated', msg: 'bad token' }); return; }
      const body = JSON.parse((await readBody(req)).toString() || '{}') as Record<string, unknown>;
      const method = u.pathname.slice(TWIRP.length);
      if (method === 'CreateCacheEntry') {
        const key = String(body.key);
        const version = String(body.version);
        if (this.entries.some((e) => e.key === key && e.version === version && e.finalized)) {
          send(409, { code: 'already_exists', msg: 'cache entry already exists' });
          return;
        }
        const id = this.nextId++;
        this.entries.push({ id, key, version, blocks: new Map(), finalized: false, created: Date.now() + id });
        send(200, { ok: true, signed_upload_url: `${this.url}/blob/${id}?sig=upload` });
        return;
      }
      if (method === 'FinalizeCacheEntryUpload') {
        const e = this.entries.find((x) => x.key === body.key && x.version === body.version && !x.finalized);
        if (!e || !e.data || e.data.length !== Number(body.size_bytes)) { send(200, { ok: false, message: 'no upload of that size' }); return; }
        e.finalized = true;
        this.counters.uploads++;
        send(200, { ok: true, entry_id: String(e.id) });
        return;
      }
      if (method === 'GetCacheEntryDownloadURL') {
        const version = String(body.version);
        const done = this.entries.filter((e) => e.finalized && e.version === version).sort((a, b) => b.created - a.created);
        const keys = [String(body.key), ...((body.restore_keys as string[] | undefined) ?? [])];
        let hit = done.find((e) => e.key === keys[0]);
        for (const k of keys) { if (hit) break; hit = done.find((e) => e.key.startsWith(k)); }
        if (!hit) { this.counters.misses++; send(200, { ok: false }); return; }
        send(200, { ok: true, signed_download_url: `${this.url}/blob/${hit.id}?sig=download`, matched_key: hit.key });
        return;
      }
      send(404, { code: 'not_found', msg: method });
      return;
    }
    const m = /^\/blob\/(\d+)$/.exec(u.pathname);
    const e = m ? this.entries.find((x) => x.id === Number(m[1])) : undefined;
    if (!e) { res.writeHead(404).end(); return; }
    if (req.method === 'PUT') {
      const data = await readBody(req);
      const comp = u.searchParams.get('comp');
      if (comp === 'block') e.blocks.set(u.searchParams.get('blockid') ?? '', data);
      else if (comp === 'blocklist') {
        const ids = [...data.toString().matchAll(/<Latest>([^<]*)<\/Latest>/g)].map((x) => x[1]);
        e.data = Buffer.concat(ids.map((id) => e.blocks.get(id) ?? Buffer.alloc(0)));
      } else e.data = data;
      res.writeHead(201, { 'x-ms-request-id': `r${e.id}`, 'x-ms-version': '2024-08-04' }).end();
      return;
    }
    if (req.method === 'GET' && e.data) {
      this.counters.downloads++;
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': e.data.length }).end(e.data);
      return;
    }
    res.writeHead(405).end();
  }
}
