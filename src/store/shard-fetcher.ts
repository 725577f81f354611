/**
 * Download mode: fetches whole shards into the cache in the order the merge first needs them,
 * a few at a time, while the merge runs; the executor waits only for the shards of the tensor
 * it is about to start, so merging begins as soon as the first needed shard is present.
 */
import { downloadShard, type DownloadOptions, type PendingShard } from './download-shard.js';
import type { ShardCache } from './shard-cache.js';

export interface FetcherOptions extends DownloadOptions {
  /** Shards downloaded at once (default 2). */
  parallel?: number;
  log?: (line: string) => void;
}

export class ShardFetcher {
  private readonly queue: PendingShard[];
  private readonly started = new Map<string, Promise<void>>();
  private running = 0;

  /** `order`: destination paths in the order the merge needs them (others follow). */
  constructor(pending: readonly PendingShard[], private readonly cache: ShardCache, private readonly opts: FetcherOptions = {}, order: readonly string[] = []) {
    const rank = new Map<string, number>();
    order.forEach((p, i) => { if (!rank.has(p)) rank.set(p, i); });
    this.queue = [...pending].sort((a, b) => (rank.get(a.dest) ?? Infinity) - (rank.get(b.dest) ?? Infinity));
    this.pump();
  }

  /** Paths being or to be downloaded (protected from eviction). */
  get paths(): Set<string> {
    return new Set([...this.queue.map((p) => p.dest), ...this.started.keys()]);
  }

  /** Resolves when the file at `path` is in the cache (at once for files that need no download). */
  ready(path: string): Promise<void> {
    const s = this.started.get(path);
    if (s) return s;
    const i = this.queue.findIndex((p) => p.dest === path);
    if (i < 0) return Promise.resolve();
    // Needed now: jump the queue.
    const [p] = this.queue.splice(i, 1);
    return this.begin(p);
  }

  /** Waits for every download. */
  async all(): Promise<void> {
    while (this.queue.length > 0 || this.running > 0) {
      await Promise.all([...this.started.values()]);
      this.pump();
    }
  }

  private pump(): void {
    while (this.running < (this.opts.parallel ?? 2) && this.queue.length > 0) this.begin(this.queue.shift()!);
  }

  private begin(p: PendingShard): Promise<void> {
    this.running++;
    const t0 = performance.now();
    const done = downloadShard(p.src, p.dest, this.cache, this.opts).then(() => {
      const s = (performance.now() - t0) / 1000;
      this.opts.log?.(`downloaded ${p.src.label} (${(p.src.size / 1e6).toFixed(1)} MB in ${s.toFixed(1)} s, sha256 verified)`);
    }).finally(() => {
      this.running--;
      this.pump();
    });
    done.catch(() => undefined); // reported to whoever waits on it
    this.started.set(p.dest, done);
    return done;
  }
}
