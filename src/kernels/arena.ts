/**
 * A bump allocator over a kernel instance's linear memory. One job at a time owns the arena;
 * `reset()` frees everything at the end of the job. The memory grows on demand and never
 * shrinks (WebAssembly memories cannot), so a worker keeps the high-water mark of its jobs.
 */
import type { KernelExports } from './wasm-module.js';

const WASM_PAGE = 65536;
const MAX_MEMORY = 2 ** 32;
const PAGE = 4096;
/**
 * The kernel's page-cache copies (pread/pwrite into and out of this memory) run about 5× slower
 * when the destination sits 1–31 bytes past the source modulo 4 KiB (measured on x86-64: 4K
 * aliasing of the copy loop's loads and stores; BENCHMARKS.md). I/O buffers are placed to avoid
 * that window, with a margin.
 */
const SLOW_WINDOW = 63;

function slow(dstMinusSrc: number): boolean {
  const d = ((dstMinusSrc % PAGE) + PAGE) % PAGE;
  return d !== 0 && d <= SLOW_WINDOW;
}

/**
 * The page phase (address mod 4 KiB, a multiple of 16) for a buffer that is read from file
 * offsets `reads` and written to file offsets `writes`, closest to `from` going up.
 */
export function ioPhase(from: number, reads: readonly number[], writes: readonly number[]): number {
  for (let step = 0; step < PAGE; step += 16) {
    const x = (from + step) % PAGE;
    if (reads.every((r) => !slow(x - r)) && writes.every((w) => !slow(w - x))) return x;
  }
  return from % PAGE; // unreachable: at most 2·4 multiples of 16 per offset are excluded
}

export class Arena {
  readonly base: number;
  private top: number;

  constructor(readonly k: KernelExports) {
    this.base = (k.heap_base() >>> 0) + 15 & ~15;
    this.top = this.base;
  }

  /** Reserves `bytes` (16-byte aligned) and returns their address. */
  alloc(bytes: number): number {
    return this.take((this.top + 15) & ~15, bytes);
  }

  /**
   * Like `alloc`, placed for fast file I/O: `reads` are the file offsets whose bytes will be read
   * into the buffer's start, `writes` those it will be written to (see SLOW_WINDOW). With one
   * write target at an 8-aligned offset the buffer sits exactly at its page phase (8-byte
   * aligned then), so the write's page-aligned middle can go out by direct I/O (worker.ts).
   */
  allocIO(bytes: number, reads: readonly number[], writes: readonly number[] = []): number {
    const top = (this.top + 15) & ~15;
    const w = writes.length === 1 && writes[0] % 8 === 0 ? writes[0] % PAGE : -1;
    const phase = w >= 0 && reads.every((r) => !slow(w - r)) ? w : ioPhase(top % PAGE, reads, writes);
    return this.take(top + (phase - top % PAGE + PAGE) % PAGE, bytes);
  }

  private take(p: number, bytes: number): number {
    const end = p + bytes;
    if (end > MAX_MEMORY) {
      throw new Error(`a kernel job needs ${end - this.base} bytes of worker memory, more than a 4 GiB WebAssembly memory allows; lower --max-memory so tensors are processed in smaller chunks`);
    }
    const have = this.k.memory.buffer.byteLength;
    if (end > have) this.k.memory.grow(Math.ceil((end - have) / WASM_PAGE));
    this.top = end;
    return p;
  }

  /** The current top, to release everything allocated after it with `release`. */
  mark(): number {
    return this.top;
  }

  release(mark: number): void {
    this.top = mark;
  }

  reset(): void {
    this.top = this.base;
  }

  bytes(ptr: number, len: number): Uint8Array {
    return new Uint8Array(this.k.memory.buffer, ptr, len);
  }

  f32(ptr: number, n: number): Float32Array {
    return new Float32Array(this.k.memory.buffer, ptr, n);
  }

  f64(ptr: number, n: number): Float64Array {
    return new Float64Array(this.k.memory.buffer, ptr, n);
  }
}
