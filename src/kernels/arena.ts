/**
 * A bump allocator over a kernel instance's linear memory. One job at a time owns the arena;
 * `reset()` frees everything at the end of the job. The memory grows on demand and never
 * shrinks (WebAssembly memories cannot), so a worker keeps the high-water mark of its jobs.
 */
import type { KernelExports } from './wasm-module.js';

const WASM_PAGE = 65536;
const MAX_MEMORY = 2 ** 32;

export class Arena {
  readonly base: number;
  private top: number;

  constructor(readonly k: KernelExports) {
    this.base = (k.heap_base() >>> 0) + 15 & ~15;
    this.top = this.base;
  }

  /** Reserves `bytes` (16-byte aligned) and returns their address. */
  alloc(bytes: number): number {
    const p = this.top;
    const end = p + Math.ceil(bytes / 16) * 16;
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
