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
var heapBase = k.heap_base() >>> 0;
var readFds = /* @__PURE__ */ new Map();
var writeFds = /* @__PURE__ */ new Map();
function fdFor(map, file, flags) {
  let fd = map.get(file);
  if (fd === void 0) {
    fd = openSync(file, flags);
    map.set(file, fd);
  }
  return fd;
}
function reserve(bytes) {
  const need = heapBase + bytes;
  const have = k.memory.buffer.byteLength;
  if (need > have) k.memory.grow(Math.ceil((need - have) / 65536));
  if (need > 2 ** 32) throw new Error(`a kernel job needs ${bytes} bytes, more than a 4 GiB WebAssembly memory`);
}
function readInto(ptr, len, input) {
  const fd = fdFor(readFds, input.file, "r");
  let done = 0;
  while (done < len) {
    const want = Math.min(MAX_IO, len - done);
    const got = readSync(fd, new Uint8Array(k.memory.buffer, ptr + done, want), 0, want, input.offset + done);
    if (got === 0) {
      throw new Error(`${input.file}: file ends at byte ${input.offset + done}, expected ${len - done} more bytes (truncated?)`);
    }
    done += got;
  }
}
function writeFrom(ptr, len, file, offset) {
  const fd = fdFor(writeFds, file, "r+");
  let done = 0;
  while (done < len) {
    const want = Math.min(MAX_IO, len - done);
    done += writeSync(fd, new Uint8Array(k.memory.buffer, ptr + done, want), 0, want, offset + done);
  }
}
var align = (x) => x + 15 & ~15;
function floatCode(d) {
  if (!isFloatDType(d)) throw new Error(`dtype ${d} cannot be computed on; only copied`);
  return KERNEL_DTYPE_CODE[d];
}
function runJob(job) {
  const { op, inputs, n, out } = job;
  const inBytes = inputs.map((i) => DTYPE_SIZE[i.dtype] * n);
  const outBytes = DTYPE_SIZE[out.dtype] * n;
  const recBytes = align(12 * inputs.length);
  const total = recBytes + inBytes.reduce((a, b) => a + align(b), 0) + align(outBytes);
  reserve(total);
  const inPtrs = [];
  let p = heapBase + recBytes;
  for (let i = 0; i < inputs.length; i++) {
    inPtrs.push(p);
    readInto(p, inBytes[i], inputs[i]);
    p += align(inBytes[i]);
  }
  const bytesRead = inBytes.reduce((a, b) => a + b, 0);
  if (op.kind === "copy" && op.scale === void 0 && inputs[0].dtype === out.dtype) {
    writeFrom(inPtrs[0], outBytes, out.file, out.offset);
    return { bytesRead, bytesWritten: outBytes };
  }
  const dst = p;
  const outCode = floatCode(out.dtype);
  const recs = (first, weights) => {
    const view = new DataView(k.memory.buffer, heapBase, recBytes);
    weights.forEach((w, j) => {
      view.setUint32(12 * j, inPtrs[first + j], true);
      view.setUint32(12 * j + 4, floatCode(inputs[first + j].dtype), true);
      view.setFloat32(12 * j + 8, w, true);
    });
    return heapBase;
  };
  switch (op.kind) {
    case "copy":
      if (op.scale === void 0) k.convert(floatCode(inputs[0].dtype), inPtrs[0], outCode, dst, n);
      else k.scale_convert(floatCode(inputs[0].dtype), inPtrs[0], op.scale, outCode, dst, n);
      break;
    case "linear":
      k.linear(recs(0, op.weights), op.weights.length, op.divisor, outCode, dst, n);
      break;
    case "task_arithmetic":
      k.task_arithmetic(
        inPtrs[0],
        floatCode(inputs[0].dtype),
        recs(1, op.weights),
        op.weights.length,
        op.divisor,
        op.lambda,
        outCode,
        dst,
        n
      );
      break;
  }
  writeFrom(dst, outBytes, out.file, out.offset);
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
  try {
    const r = runJob(msg.job);
    parentPort.postMessage({ id: msg.id, ...r });
  } catch (e) {
    parentPort.postMessage({ id: msg.id, error: e instanceof Error ? e.message : String(e) });
  }
});
