/**
 * Coalesces small range reads of a remote file: a read smaller than `smallBytes` fetches the
 * whole aligned block around it (one request for a run of adjacent small tensors: norms, biases),
 * kept in a small LRU; larger reads go straight to the caller's view. One per kernel worker, so
 * it works inside the executor's bounded job window without any coordination.
 */
import type { HttpSource } from '../model/tensor.js';
import { rangeRead, type RangeReadOptions } from './range-read.js';

export interface ReadAheadOptions extends RangeReadOptions {
  /** Reads up to this size are served from blocks (default 256 KiB). */
  smallBytes?: number;
  /** Block size, and alignment of blocks in the file (default 1 MiB). */
  blockBytes?: number;
  /** Blocks kept per file (default 4): a job reads several files at once, each moving forward. */
  blocksPerFile?: number;
  /** Blocks kept in all (default 16): memory use is at most blockBytes × maxBlocks. */
  maxBlocks?: number;
}

interface Block {
  url: string;
  start: number;
  data: Promise<Uint8Array>;
}

export class ReadAhead {
  /** Requests made and bytes fetched, for benchmarks. */
  readonly stats = { requests: 0, bytes: 0, hits: 0 };
  private readonly blocks: Block[] = [];
  private readonly small: number;
  private readonly block: number;
  private readonly max: number;
  private readonly perFile: number;

  constructor(private readonly opts: ReadAheadOptions = {}) {
    this.small = opts.smallBytes ?? 256 * 1024;
    this.block = opts.blockBytes ?? 1024 * 1024;
    this.perFile = opts.blocksPerFile ?? 4;
    this.max = opts.maxBlocks ?? 16;
  }

  async read(src: HttpSource, offset: number, into: Uint8Array): Promise<void> {
    if (into.length > this.small) {
      const s = await rangeRead(src, offset, into, this.opts);
      this.stats.requests += s.requests;
      this.stats.bytes += into.length;
      return;
    }
    let done = 0;
    // A small read may straddle a block boundary: copy from each block it touches.
    while (done < into.length) {
      const at = offset + done;
      const start = Math.floor(at / this.block) * this.block;
      const data = await this.blockAt(src, start);
      const n = Math.min(into.length - done, start + data.length - at);
      into.set(data.subarray(at - start, at - start + n), done);
      done += n;
    }
  }

  private blockAt(src: HttpSource, start: number): Promise<Uint8Array> {
    const i = this.blocks.findIndex((b) => b.url === src.url && b.start === start);
    if (i >= 0) {
      const [b] = this.blocks.splice(i, 1);
      this.blocks.push(b);
      this.stats.hits++;
      return b.data;
    }
    const buf = new Uint8Array(Math.min(this.block, src.size - start));
    const b: Block = {
      url: src.url, start,
      data: rangeRead(src, start, buf, this.opts).then((s) => {
        this.stats.requests += s.requests;
        this.stats.bytes += buf.length;
        return buf;
      }),
    };
    // A failed block must not stay cached: the next read retries it.
    b.data.catch(() => { const j = this.blocks.indexOf(b); if (j >= 0) this.blocks.splice(j, 1); });
    this.blocks.push(b);
    // Least recently used first: drop the oldest block of this file, then the oldest overall.
    const same = this.blocks.filter((x) => x.url === src.url);
    if (same.length > this.perFile) this.blocks.splice(this.blocks.indexOf(same[0]), 1);
    if (this.blocks.length > this.max) this.blocks.shift();
    return b.data;
  }
}
