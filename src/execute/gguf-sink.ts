/**
 * Writes GGUF files laid out by `layoutGGUF` / `splitGGUF`: the header at once, each tensor's
 * bytes at its offset in any order (positional writes), then an atomic finish (every tensor
 * present, fsync, rename from a temporary sibling). Padding is never written: the temporary
 * file is created at its final length, so gaps read as zeros, as GGUF requires.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { MergeopsError } from '../errors.js';
import { asFsError } from '../fs-errors.js';
import { onInterruptCleanup } from '../interrupt.js';
import type { GGUFLayout } from '../formats/gguf.js';
import type { GGUFTarget } from '../kernels/jobs.js';
import type { GGUFPlannedTensor } from '../plan/gguf-plan.js';

export class GGUFFileSink {
  /** bytes written per tensor (parts may come in any order; they must not overlap) */
  private readonly written: number[];
  private readonly index = new Map<string, number>();
  /** 'finishing': syncing and renaming; an interruption then still removes the temporary file until the rename is done. */
  private state: 'open' | 'finishing' | 'done' = 'open';
  private aborting?: Promise<void>;
  /** Removes the temporary file if the process is interrupted before finish or abort. */
  private readonly unregister: () => void;

  private constructor(
    readonly finalPath: string,
    private readonly tmpPath: string,
    private readonly fh: fs.FileHandle,
    readonly layout: GGUFLayout,
    unregisterEarly: () => void,
  ) {
    this.written = layout.tensors.map(() => 0);
    layout.tensors.forEach((t, i) => this.index.set(t.name, i));
    // Synchronously: no moment without a cleanup for the temporary file.
    this.unregister = onInterruptCleanup(() => this.abort());
    unregisterEarly();
  }

  /** Creates `<file>.partial` at the final size and writes the header. Existing files are replaced only at `finish`. */
  static async create(file: string, layout: GGUFLayout): Promise<GGUFFileSink> {
    const tmp = path.join(path.dirname(file), `.${path.basename(file)}.partial-${process.pid}`);
    let fh: fs.FileHandle;
    try {
      fh = await fs.open(tmp, 'w');
    } catch (e) {
      throw asFsError(e, 'create', tmp);
    }
    // From the moment the file exists: an interruption while it is sized and its header written removes it too.
    const drop = async (): Promise<void> => {
      await fh.close().catch(() => undefined);
      await fs.rm(tmp, { force: true });
    };
    const unregisterEarly = onInterruptCleanup(drop);
    try {
      await fh.truncate(layout.fileSize);
      await writeAll(fh, layout.header, 0);
    } catch (e) {
      unregisterEarly();
      await drop();
      throw asFsError(e, 'write', tmp, { needed: layout.fileSize });
    }
    return new GGUFFileSink(file, tmp, fh, layout, unregisterEarly);
  }

  /** The temporary file being written: workers may write tensor bytes there directly at `layout` offsets, then call `markWritten`. */
  get tempPath(): string {
    return this.tmpPath;
  }

  /** Where and how a planned tensor of this file is encoded (by a kernel worker or `mergeops quantize`). */
  target(t: GGUFPlannedTensor): GGUFTarget {
    const slot = this.slot(t.ggufName);
    const cols = t.shape.length === 0 ? 1 : t.shape[t.shape.length - 1];
    return {
      file: this.tmpPath, start: slot.offset, name: t.ggufName, hfName: t.hfName,
      rows: t.shape.reduce((a, b) => a * b, 1) / cols, cols, type: t.type,
      ...(t.intermediate !== undefined ? { intermediate: t.intermediate } : {}),
      ...(t.transform.permuteHeads !== undefined ? { permuteHeads: t.transform.permuteHeads } : {}),
      ...(t.transform.shift !== undefined ? { shift: t.transform.shift } : {}),
    };
  }

  /** Writes one tensor's encoded bytes (exactly its `nbytes`). */
  async writeTensor(name: string, bytes: Uint8Array): Promise<void> {
    const slot = this.slot(name);
    if (bytes.length !== slot.nbytes) {
      throw new MergeopsError('INTERNAL', `${name}: ${bytes.length} bytes given, ${slot.nbytes} expected for ${slot.type} [${slot.shape.join(', ')}]`,
        'encode the tensor to the type the layout gives it');
    }
    await this.writeTensorPart(name, 0, bytes);
  }

  /**
   * Writes part of a tensor (e.g. a chunk of whole rows) at byte `at` within the tensor. Parts
   * may arrive in any order and from any writer; they must not overlap.
   */
  async writeTensorPart(name: string, at: number, bytes: Uint8Array): Promise<void> {
    const slot = this.slot(name);
    if (at < 0 || at + bytes.length > slot.nbytes) {
      throw new MergeopsError('INTERNAL', `${name}: bytes [${at}, ${at + bytes.length}) are outside the tensor's ${slot.nbytes}`,
        'write whole encoded rows inside the tensor');
    }
    try {
      await writeAll(this.fh, bytes, slot.offset + at);
    } catch (e) {
      throw asFsError(e, 'write', this.tmpPath, { needed: this.layout.fileSize });
    }
    this.markWritten(name, bytes.length);
  }

  /** Records `n` bytes of `name` as written (by this sink or by a worker writing `tempPath` itself). */
  markWritten(name: string, n: number): void {
    this.written[this.index.get(name)!] += n;
  }

  private slot(name: string) {
    const i = this.index.get(name);
    if (i === undefined) throw new MergeopsError('INTERNAL', `${this.finalPath} has no tensor ${name}`, 'write only tensors of the layout');
    return this.layout.tensors[i];
  }

  /** Checks every tensor was written, syncs and renames into place. */
  async finish(): Promise<void> {
    const missing = this.layout.tensors.filter((t, i) => this.written[i] !== t.nbytes).map((t) => t.name);
    if (missing.length > 0) {
      await this.abort();
      throw new MergeopsError('INTERNAL', `${this.finalPath}: ${missing.length} tensor(s) not (completely) written (${missing.slice(0, 3).join(', ')}…)`,
        'every tensor of the layout must be written before finish()');
    }
    this.state = 'finishing';
    try {
      await this.fh.sync();
      await this.fh.close();
      await fs.rename(this.tmpPath, this.finalPath);
    } catch (e) {
      await fs.rm(this.tmpPath, { force: true });
      throw asFsError(e, 'finish', this.finalPath, { needed: this.layout.fileSize });
    } finally {
      this.state = 'done';
      this.unregister();
    }
  }

  /**
   * Drops the temporary file (also while finishing, until the rename is done). Safe to call twice:
   * a second call waits for the first. The interrupt cleanup stays registered until the file is
   * gone, so an interruption that arrives while a failing run is aborting waits for it before the
   * process exits.
   */
  abort(): Promise<void> {
    if (this.aborting) return this.aborting;
    if (this.state === 'done') return Promise.resolve();
    this.state = 'done';
    this.aborting = (async () => {
      await this.fh.close().catch(() => undefined);
      await fs.rm(this.tmpPath, { force: true });
    })().finally(() => this.unregister());
    return this.aborting;
  }
}

async function writeAll(fh: fs.FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const { bytesWritten } = await fh.write(bytes, done, bytes.length - done, position + done);
    done += bytesWritten;
  }
}
