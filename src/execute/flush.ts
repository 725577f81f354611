/**
 * Background flushing of output shards: while the merge runs, every `every` bytes written
 * trigger an asynchronous fdatasync of the shards (on libuv's thread pool), so the disk
 * writes back during the merge instead of all at the final fsync.
 */
import { closeSync, fdatasync, fsyncSync, openSync } from 'node:fs';

export class ShardFlusher {
  private readonly fds: number[];
  private sinceFlush = 0;
  private pending: Promise<void> = Promise.resolve();
  private busy = false;

  constructor(paths: readonly string[], private readonly every = 256 * 1024 * 1024) {
    this.fds = paths.map((p) => openSync(p, 'r+'));
  }

  /** Counts written bytes; starts a flush when enough have accumulated and none is running. */
  written(bytes: number): void {
    this.sinceFlush += bytes;
    if (this.sinceFlush < this.every || this.busy) return;
    this.sinceFlush = 0;
    this.busy = true;
    this.pending = Promise.all(this.fds.map((fd) => new Promise<void>((res) => fdatasync(fd, () => res()))))
      .then(() => { this.busy = false; });
  }

  /** Waits for a running flush, then makes every shard durable and closes them. */
  async finish(): Promise<void> {
    await this.pending;
    for (const fd of this.fds) fsyncSync(fd);
    this.close();
  }

  close(): void {
    for (const fd of this.fds.splice(0)) closeSync(fd);
  }
}
