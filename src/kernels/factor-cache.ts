/**
 * LoRA factors held whole by a kernel worker. Every chunk of a patched tensor needs all of A and
 * some rows of B; fetching them per chunk would read A once per chunk (one HTTP request each when
 * the adapter is streamed from the Hub). Factors are small (rank × rows or cols), so each worker
 * reads a factor whole the first time a job needs it and keeps the last few, up to a byte cap.
 */

export type FetchWhole = () => Promise<Uint8Array>;

interface Entry {
  key: string;
  bytes: number;
  data: Promise<Uint8Array>;
}

export class FactorCache {
  /** Factors fetched (misses) and bytes fetched, for tests and benchmarks. */
  readonly stats = { fetches: 0, bytes: 0, hits: 0 };
  private readonly entries: Entry[] = [];

  /** `maxBytes`: kept beyond the two most recent factors (those of the job running now). */
  constructor(private readonly maxBytes: number) {}

  /** The whole factor under `key` (`bytes` long), fetched once while it stays cached. */
  get(key: string, bytes: number, fetch: FetchWhole): Promise<Uint8Array> {
    const i = this.entries.findIndex((e) => e.key === key);
    if (i >= 0) {
      const [e] = this.entries.splice(i, 1);
      this.entries.push(e);
      this.stats.hits++;
      return e.data;
    }
    const e: Entry = {
      key, bytes,
      data: fetch().then((d) => {
        if (d.length !== bytes) throw new Error(`internal: a LoRA factor of ${bytes} bytes came back with ${d.length}`);
        this.stats.fetches++;
        this.stats.bytes += bytes;
        return d;
      }),
    };
    // A failed fetch must not stay cached: the next job retries it.
    e.data.catch(() => { const j = this.entries.indexOf(e); if (j >= 0) this.entries.splice(j, 1); });
    this.entries.push(e);
    let total = this.entries.reduce((a, x) => a + x.bytes, 0);
    // Least recently used first; the job's own A and B (the two newest) always stay.
    while (this.entries.length > 2 && total > this.maxBytes) total -= this.entries.shift()!.bytes;
    return e.data;
  }
}
