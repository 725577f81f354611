/**
 * A kernel worker: one WebAssembly instance, an arena in its memory, files read straight into
 * that memory and results written straight from it (no copies in JavaScript).
 */
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { DTYPE_SIZE, isFloatDType, KERNEL_DTYPE_CODE, type FloatDType } from '../formats/dtype.js';
import { ReadAhead } from '../hub/read-ahead.js';
import type { JobInput, KernelJob } from './jobs.js';
import { instantiateKernels, type KernelExports } from './wasm-module.js';

const MAX_IO = 1 << 30; // fs calls take < 2 GiB; stay at 1 GiB per call

interface WorkerRequest { id: number; job: KernelJob }

const k: KernelExports = instantiateKernels((workerData as { module: WebAssembly.Module }).module);
const heapBase = k.heap_base() >>> 0;
const readFds = new Map<string, number>();
const writeFds = new Map<string, number>();
/** HTTP sources (Hub streaming): range reads, small ones coalesced into blocks. */
const remote = new ReadAhead();

function fdFor(map: Map<string, number>, file: string, flags: string): number {
  let fd = map.get(file);
  if (fd === undefined) {
    fd = openSync(file, flags);
    map.set(file, fd);
  }
  return fd;
}

/** Grows memory so [heapBase, heapBase + bytes) is usable. */
function reserve(bytes: number): void {
  const need = heapBase + bytes;
  const have = k.memory.buffer.byteLength;
  if (need > have) k.memory.grow(Math.ceil((need - have) / 65536));
  if (need > 2 ** 32) throw new Error(`a kernel job needs ${bytes} bytes, more than a 4 GiB WebAssembly memory`);
}

async function readInto(ptr: number, len: number, input: JobInput, first: number): Promise<void> {
  if (input.kind !== 'tensor') throw new Error(`input kind ${input.kind} not supported yet`);
  const offset = input.start + first * DTYPE_SIZE[input.dtype];
  if (input.source.kind === 'http') {
    await remote.read(input.source, offset, new Uint8Array(k.memory.buffer, ptr, len));
    return;
  }
  const file = input.source.path;
  const fd = fdFor(readFds, file, 'r');
  let done = 0;
  while (done < len) {
    const want = Math.min(MAX_IO, len - done);
    const got = readSync(fd, new Uint8Array(k.memory.buffer, ptr + done, want), 0, want, offset + done);
    if (got === 0) {
      throw new Error(`${file}: file ends at byte ${offset + done}, expected ${len - done} more bytes (truncated?)`);
    }
    done += got;
  }
}

function writeFrom(ptr: number, len: number, file: string, offset: number): void {
  const fd = fdFor(writeFds, file, 'r+');
  let done = 0;
  while (done < len) {
    const want = Math.min(MAX_IO, len - done);
    done += writeSync(fd, new Uint8Array(k.memory.buffer, ptr + done, want), 0, want, offset + done);
  }
}

const align = (x: number): number => (x + 15) & ~15;

function floatCode(d: string): number {
  if (!isFloatDType(d as FloatDType)) throw new Error(`dtype ${d} cannot be computed on; only copied`);
  return KERNEL_DTYPE_CODE[d as FloatDType];
}

async function runJob(job: KernelJob): Promise<{ bytesRead: number; bytesWritten: number }> {
  const { op, inputs, n, first } = job;
  const out = { file: job.out.file, offset: job.out.start + first * DTYPE_SIZE[job.out.dtype], dtype: job.out.dtype };
  const inDTypes = inputs.map((i) => (i.kind === 'tensor' ? i.dtype : 'F32'));
  const inBytes = inDTypes.map((d) => DTYPE_SIZE[d] * n);
  const outBytes = DTYPE_SIZE[out.dtype] * n;
  // Layout: [records][input 0][input 1]...[output]
  const recBytes = align(12 * inputs.length);
  const total = recBytes + inBytes.reduce((a, b) => a + align(b), 0) + align(outBytes);
  reserve(total);
  const inPtrs: number[] = [];
  let p = heapBase + recBytes;
  for (let i = 0; i < inputs.length; i++) {
    inPtrs.push(p);
    p += align(inBytes[i]);
  }
  // Remote inputs are fetched concurrently; memory does not grow while they arrive.
  await Promise.all(inputs.map((input, i) => readInto(inPtrs[i], inBytes[i], input, first)));
  const bytesRead = inBytes.reduce((a, b) => a + b, 0);

  // Same-dtype copy needs no kernel: write the input bytes back out.
  if (op.kind === 'copy' && op.scale === undefined && inDTypes[0] === out.dtype) {
    writeFrom(inPtrs[0], outBytes, out.file, out.offset);
    return { bytesRead, bytesWritten: outBytes };
  }
  const dst = p;
  const outCode = floatCode(out.dtype);
  const recs = (first0: number, weights: number[]): number => {
    const view = new DataView(k.memory.buffer, heapBase, recBytes);
    weights.forEach((w, j) => {
      view.setUint32(12 * j, inPtrs[first0 + j], true);
      view.setUint32(12 * j + 4, floatCode(inDTypes[first0 + j]), true);
      view.setFloat32(12 * j + 8, w, true);
    });
    return heapBase;
  };
  switch (op.kind) {
    case 'copy':
      if (op.scale === undefined) k.convert(floatCode(inDTypes[0]), inPtrs[0], outCode, dst, n);
      else k.scale_convert(floatCode(inDTypes[0]), inPtrs[0], op.scale, outCode, dst, n);
      break;
    case 'linear':
      k.linear(recs(0, op.weights), op.weights.length, op.divisor, outCode, dst, n);
      break;
    case 'task_arithmetic':
      k.task_arithmetic(inPtrs[0], floatCode(inDTypes[0]), recs(1, op.weights), op.weights.length,
        op.divisor, op.lambda, outCode, dst, n);
      break;
  }
  writeFrom(dst, outBytes, out.file, out.offset);
  return { bytesRead, bytesWritten: outBytes };
}

function closeAll(): void {
  for (const fd of [...readFds.values(), ...writeFds.values()]) closeSync(fd);
  readFds.clear();
  writeFds.clear();
}

parentPort!.on('message', (msg: WorkerRequest | { id: number; close: true }) => {
  if ('close' in msg) {
    closeAll();
    parentPort!.postMessage({ id: msg.id, closed: true });
    return;
  }
  runJob(msg.job).then(
    (r) => parentPort!.postMessage({ id: msg.id, ...r }),
    (e: unknown) => parentPort!.postMessage({ id: msg.id, error: e instanceof Error ? e.message : String(e) }),
  );
});
