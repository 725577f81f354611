import { createRequire as __mergeopsCreateRequire } from 'node:module';
const require = __mergeopsCreateRequire(import.meta.url);

// src/kernels/worker.ts
import { closeSync, openSync, readSync, writeSync } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";

// src/formats/dtype.ts
var DTYPE_SIZE = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1
};
var KERNEL_DTYPE_CODE = { F32: 0, F16: 1, BF16: 2 };
function isFloatDType(d) {
  return d === "F32" || d === "F16" || d === "BF16";
}
var f32 = new Float32Array(1);
var u32 = new Uint32Array(f32.buffer);

// src/methods/programs.ts
var FACTORIES = /* @__PURE__ */ new Map([]);
function programFor(method, params, shape) {
  const f = FACTORIES.get(method);
  if (!f) throw new Error(`no tensor program for merge method '${method}'`);
  return f(params, shape);
}

// src/kernels/arena.ts
var WASM_PAGE = 65536;
var MAX_MEMORY = 2 ** 32;
var Arena = class {
  constructor(k2) {
    this.k = k2;
    this.base = (k2.heap_base() >>> 0) + 15 & ~15;
    this.top = this.base;
  }
  base;
  top;
  /** Reserves `bytes` (16-byte aligned) and returns their address. */
  alloc(bytes) {
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
  mark() {
    return this.top;
  }
  release(mark) {
    this.top = mark;
  }
  reset() {
    this.top = this.base;
  }
  bytes(ptr, len) {
    return new Uint8Array(this.k.memory.buffer, ptr, len);
  }
  f32(ptr, n) {
    return new Float32Array(this.k.memory.buffer, ptr, n);
  }
  f64(ptr, n) {
    return new Float64Array(this.k.memory.buffer, ptr, n);
  }
};

// src/kernels/program-runner.ts
var CTX_BYTES = 48;
function programKernel(k2, name) {
  const f = k2[name];
  if (typeof f !== "function") {
    throw new Error(`kernels.wasm has no program kernel '${name}': rebuild it (npm run build:wasm)`);
  }
  return f;
}
function callKernel(arena2, prog, call, c, out, outWords) {
  const mark = arena2.mark();
  try {
    const ctx = arena2.alloc(CTX_BYTES);
    const table = arena2.alloc(4 * Math.max(1, c.inputs.length));
    const params = arena2.alloc(8 * Math.max(1, call.params.length));
    const scratchBytes = prog.scratchBytes?.(c.n) ?? 0;
    const scratch = scratchBytes > 0 ? arena2.alloc(scratchBytes) : 0;
    const mem = arena2.k.memory.buffer;
    const t = new Uint32Array(mem, table, c.inputs.length);
    c.inputs.forEach((p, i) => {
      t[i] = p;
    });
    new Float64Array(mem, params, call.params.length).set(call.params);
    const v = new DataView(mem, ctx, CTX_BYTES);
    const w = [
      c.n,
      c.inputs.length,
      table,
      out,
      outWords,
      c.first % 2 ** 32,
      Math.floor(c.first / 2 ** 32),
      c.rowLen,
      call.params.length,
      params,
      scratch,
      scratchBytes
    ];
    w.forEach((x, i) => v.setUint32(4 * i, x, true));
    programKernel(arena2.k, call.fn)(ctx);
  } finally {
    arena2.release(mark);
  }
}
function runStatPass(arena2, prog, pass, prev, c) {
  const p = prog.passes[pass];
  const words = p.words(c.n, c.first);
  const mark = arena2.mark();
  try {
    const out = arena2.alloc(8 * Math.max(1, words));
    arena2.f64(out, words).fill(0);
    callKernel(arena2, prog, p.call(prev), c, out, words);
    return arena2.f64(out, words).slice();
  } finally {
    arena2.release(mark);
  }
}
function runApply(arena2, prog, stats, c, out) {
  callKernel(arena2, prog, prog.apply(stats), c, out, 0);
}
function runAllStats(arena2, prog, c) {
  const stats = [];
  for (let i = 0; i < prog.passes.length; i++) {
    const data = runStatPass(arena2, prog, i, stats, c);
    stats.push(prog.passes[i].reduce([{ first: c.first, n: c.n, data }]));
  }
  return stats;
}

// src/kernels/wasm-module.ts
var EXPORTED_FUNCTIONS = ["heap_base", "convert", "scale_convert", "linear", "task_arithmetic"];
var KERNELS_WASM_URL = new URL("./kernels.wasm", import.meta.url);
function instantiateKernels(mod) {
  const instance = new WebAssembly.Instance(mod, {});
  const ex = instance.exports;
  if (!(ex.memory instanceof WebAssembly.Memory)) throw new Error("kernels.wasm exports no memory");
  for (const name of EXPORTED_FUNCTIONS) {
    if (typeof ex[name] !== "function") throw new Error(`kernels.wasm lacks the export ${name}: rebuild it (npm run build:wasm)`);
  }
  return ex;
}

// src/kernels/worker.ts
var MAX_IO = 1 << 30;
var k = instantiateKernels(workerData.module);
var arena = new Arena(k);
var readFds = /* @__PURE__ */ new Map();
var writeFds = /* @__PURE__ */ new Map();
var bytesRead = 0;
function fdFor(map, file, flags) {
  let fd = map.get(file);
  if (fd === void 0) {
    fd = openSync(file, flags);
    map.set(file, fd);
  }
  return fd;
}
function readFile(ptr, len, file, offset) {
  const fd = fdFor(readFds, file, "r");
  let done = 0;
  while (done < len) {
    const want = Math.min(MAX_IO, len - done);
    const got = readSync(fd, arena.bytes(ptr + done, want), 0, want, offset + done);
    if (got === 0) {
      throw new Error(`${file}: file ends at byte ${offset + done}, expected ${len - done} more bytes (truncated?)`);
    }
    done += got;
  }
  bytesRead += len;
}
function writeFrom(ptr, len, file, offset) {
  const fd = fdFor(writeFds, file, "r+");
  let done = 0;
  while (done < len) {
    const want = Math.min(MAX_IO, len - done);
    done += writeSync(fd, arena.bytes(ptr + done, want), 0, want, offset + done);
  }
}
function floatCode(d) {
  if (!isFloatDType(d)) throw new Error(`dtype ${d} cannot be computed on; only copied`);
  return KERNEL_DTYPE_CODE[d];
}
async function materialize(input, first, n, asF32) {
  switch (input.kind) {
    case "tensor": {
      if (input.source.kind !== "file") throw new Error(`reading ${input.source.label} over HTTP is not supported yet`);
      const size = DTYPE_SIZE[input.dtype];
      const ptr = arena.alloc(size * n);
      readFile(ptr, size * n, input.source.path, input.start + first * size);
      return asF32 && input.dtype !== "F32" ? toF32({ ptr, dtype: input.dtype }, n) : { ptr, dtype: input.dtype };
    }
    case "op": {
      const ins = await materializeAll(input.op, input.inputs, first, n);
      const size = DTYPE_SIZE[input.dtype];
      const out = arena.alloc(size * n);
      const numel = input.shape.reduce((a, b) => a * b, 1);
      const step = input.op.kind === "program" ? { mode: "apply", stats: input.stats ?? [] } : void 0;
      if (input.op.kind === "copy" && input.op.scale === void 0 && ins[0].dtype === input.dtype) {
        return asF32 && input.dtype !== "F32" ? toF32(ins[0], n) : ins[0];
      }
      compute(input.op, ins, { shape: input.shape, tensor: input.tensor, first, n, numel }, input.dtype, out, step);
      const m = { ptr: out, dtype: input.dtype };
      return asF32 && input.dtype !== "F32" ? toF32(m, n) : m;
    }
    case "gather":
    case "lora":
      throw new Error(`${input.kind} inputs are not supported yet`);
  }
}
function toF32(m, n) {
  const f = arena.alloc(4 * n);
  k.convert(floatCode(m.dtype), m.ptr, KERNEL_DTYPE_CODE.F32, f, n);
  return { ptr: f, dtype: "F32" };
}
async function materializeAll(op, inputs, first, n) {
  const asF32 = op.kind === "program";
  const out = [];
  for (const i of inputs) out.push(await materialize(i, first, n, asF32));
  return out;
}
function rowLen(shape, numel) {
  return shape.length > 1 ? shape[shape.length - 1] : numel;
}
var programs = /* @__PURE__ */ new Map();
function program(op, inputs, c) {
  const key = `${c.tensor}\0${op.method}\0${JSON.stringify(op.params)}`;
  let p = programs.get(key);
  if (!p) {
    p = programFor(op.method, op.params, { shape: c.shape, numel: c.numel, rowLen: rowLen(c.shape, c.numel), k: inputs, tensor: c.tensor });
    programs.clear();
    programs.set(key, p);
  }
  return p;
}
function compute(op, ins, c, outDType, dst, step) {
  const outCode = floatCode(outDType);
  const recs = (from, weights) => {
    const table = arena.alloc(12 * weights.length);
    const view = new DataView(k.memory.buffer, table, 12 * weights.length);
    weights.forEach((w, j) => {
      view.setUint32(12 * j, ins[from + j].ptr, true);
      view.setUint32(12 * j + 4, floatCode(ins[from + j].dtype), true);
      view.setFloat32(12 * j + 8, w, true);
    });
    return table;
  };
  switch (op.kind) {
    case "copy":
      if (op.scale === void 0) k.convert(floatCode(ins[0].dtype), ins[0].ptr, outCode, dst, c.n);
      else k.scale_convert(floatCode(ins[0].dtype), ins[0].ptr, op.scale, outCode, dst, c.n);
      return;
    case "linear":
      k.linear(recs(0, op.weights), op.weights.length, op.divisor, outCode, dst, c.n);
      return;
    case "task_arithmetic":
      k.task_arithmetic(
        ins[0].ptr,
        floatCode(ins[0].dtype),
        recs(1, op.weights),
        op.weights.length,
        op.divisor,
        op.lambda,
        outCode,
        dst,
        c.n
      );
      return;
    case "program": {
      if (!step || step.mode === "pass") throw new Error("internal: a program op needs a whole or apply step");
      const prog = program(op, ins.length, c);
      const view = { inputs: ins.map((i) => i.ptr), first: c.first, n: c.n, rowLen: rowLen(c.shape, c.numel) };
      const stats = step.mode === "whole" ? runAllStats(arena, prog, view) : step.stats;
      const f322 = outDType === "F32" ? dst : arena.alloc(4 * c.n);
      runApply(arena, prog, stats, view, f322);
      if (f322 !== dst) k.convert(KERNEL_DTYPE_CODE.F32, f322, outCode, dst, c.n);
      return;
    }
  }
}
async function runJob(job) {
  arena.reset();
  bytesRead = 0;
  const { op, first, n } = job;
  const numel = job.shape.reduce((a, b) => a * b, 1);
  const c = { shape: job.shape, tensor: job.tensor, first, n, numel };
  const ins = await materializeAll(op, job.inputs, first, n);
  if (job.step?.mode === "pass") {
    if (op.kind !== "program") throw new Error("internal: a statistics pass needs a program op");
    const prog = program(op, ins.length, c);
    const view = { inputs: ins.map((i) => i.ptr), first, n, rowLen: rowLen(job.shape, numel) };
    const stats = runStatPass(arena, prog, job.step.pass, job.step.stats, view);
    return { bytesRead, bytesWritten: 0, stats };
  }
  const outSize = DTYPE_SIZE[job.out.dtype];
  const outBytes = outSize * n;
  const outOffset = job.out.start + first * outSize;
  if (op.kind === "copy" && op.scale === void 0 && ins[0].dtype === job.out.dtype) {
    writeFrom(ins[0].ptr, outBytes, job.out.file, outOffset);
    return { bytesRead, bytesWritten: outBytes };
  }
  const alias = op.kind !== "program" && ins[0].dtype === job.out.dtype;
  const dst = alias ? ins[0].ptr : arena.alloc(outBytes);
  compute(op, ins, c, job.out.dtype, dst, job.step);
  writeFrom(dst, outBytes, job.out.file, outOffset);
  return { bytesRead, bytesWritten: outBytes };
}
function closeAll() {
  for (const fd of [...readFds.values(), ...writeFds.values()]) closeSync(fd);
  readFds.clear();
  writeFds.clear();
}
parentPort.on("message", (msg) => {
  if ("close" in msg) {
    closeAll();
    parentPort.postMessage({ id: msg.id, closed: true });
    return;
  }
  runJob(msg.job).then(
    (r) => parentPort.postMessage({ id: msg.id, ...r }),
    (e) => parentPort.postMessage({ id: msg.id, error: e instanceof Error ? e.message : String(e) })
  );
});
