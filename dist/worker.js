import { createRequire as __mergeopsCreateRequire } from 'node:module';
const require = __mergeopsCreateRequire(import.meta.url);

// src/kernels/worker.ts
import { closeSync, constants as fsConstants, openSync, write, writeSync } from "node:fs";
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

// src/errors.ts
function shortenQuoted(message) {
  if (message.length <= 1e3) return message;
  const cut = message.replace(/`([^`]{200,})`|"((?:[^"\\]|\\.){200,})"/g, (m, a, b) => {
    const inner = a ?? b ?? "";
    const q = a !== void 0 ? "`" : '"';
    return `${q}${inner.slice(0, 60)}\u2026${q} (${inner.length} characters)`;
  });
  return cut.length > 2e3 ? `${cut.slice(0, 1990)}\u2026 (cut)` : cut;
}
var MergeopsError = class extends Error {
  code;
  hint;
  constructor(code, message, hint) {
    super(shortenQuoted(message));
    this.name = "MergeopsError";
    this.code = code;
    this.hint = hint;
  }
  /** Human-readable, multi-line report for the CLI. */
  format() {
    return `error: ${this.message}
  hint: ${this.hint}`;
  }
};

// src/io/range-read.ts
var Transient = class extends Error {
  constructor(message, retryAfterMs2) {
    super(message);
    this.retryAfterMs = retryAfterMs2;
  }
};
var RETRY_STATUS = /* @__PURE__ */ new Set([408, 425, 429, 500, 502, 503, 504]);
var MAX_RESUMES = 100;
var sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function retryAfterMs(h) {
  if (h === null) return void 0;
  const s = Number(h);
  if (Number.isFinite(s) && s >= 0) return s * 1e3;
  const t = Date.parse(h);
  return Number.isNaN(t) ? void 0 : Math.max(0, t - Date.now());
}
function etagSha256(res) {
  const raw = res.headers.get("x-linked-etag") ?? res.headers.get("etag");
  if (!raw) return void 0;
  const v = raw.replace(/^W\//, "").replace(/"/g, "").toLowerCase();
  return /^[0-9a-f]{64}$/.test(v) ? v : void 0;
}
function fail(src, first, last, what, hint, code = "NETWORK") {
  return new MergeopsError(code, `${src.label}: bytes ${first}-${last}: ${what}`, hint);
}
async function rangeRead(src, offset, into, opts = {}) {
  const len = into.length;
  const stats = { requests: 0, retries: 0 };
  if (len === 0) return stats;
  const lastByte = offset + len - 1;
  if (offset < 0 || lastByte >= src.size) {
    throw fail(src, offset, lastByte, `outside the file (size ${src.size})`, "the safetensors header does not match the file; re-resolve the model");
  }
  const doFetch = opts.fetch ?? fetch;
  const retries = opts.retries ?? 5;
  const backoff = opts.backoffMs ?? 500;
  const maxBackoff = opts.maxBackoffMs ?? 3e4;
  const idle = opts.idleTimeoutMs ?? 6e4;
  const progress = { got: 0 };
  let failures = 0;
  let resumes = 0;
  for (; ; ) {
    const before = progress.got;
    try {
      stats.requests++;
      await oneRequest(src, offset + before, lastByte, into, progress, doFetch, idle);
      if (progress.got === len) return stats;
      throw new Transient(`the response ended after ${progress.got - before} of ${len - before} bytes`);
    } catch (e) {
      if (!(e instanceof Transient)) throw e;
      const got = progress.got;
      const progressed = got > before;
      if (progressed) resumes++;
      else failures++;
      if (failures > retries || resumes > MAX_RESUMES) {
        throw fail(
          src,
          offset,
          lastByte,
          `giving up after ${stats.requests} request(s), ${got} of ${len} bytes received: ${e.message}`,
          "the server or network keeps failing; retry later, check HF_ENDPOINT and your connection, or use --source-mode download"
        );
      }
      const wait = Math.min(maxBackoff, e.retryAfterMs ?? (progressed ? 0 : backoff * 2 ** (failures - 1) * (0.75 + Math.random() / 2)));
      stats.retries++;
      opts.onRetry?.({ attempt: failures + resumes, waitMs: wait, reason: e.message, resumeAt: offset + got });
      if (wait > 0) await sleep(wait);
    }
  }
}
async function oneRequest(src, start, lastByte, into, progress, doFetch, idleMs) {
  const ac = new AbortController();
  let timer = setTimeout(() => ac.abort(), idleMs);
  const touch = () => {
    clearTimeout(timer);
    timer = setTimeout(() => ac.abort(), idleMs);
  };
  let received = 0;
  try {
    let res;
    try {
      res = await doFetch(src.url, { headers: { ...src.headers, Range: `bytes=${start}-${lastByte}` }, signal: ac.signal, redirect: "follow" });
    } catch (e) {
      throw new Transient(ac.signal.aborted ? `no response within ${idleMs} ms` : `request failed: ${causeText(e)}`);
    }
    if (res.status !== 206 && res.status !== 200) {
      await res.body?.cancel().catch(() => void 0);
      if (RETRY_STATUS.has(res.status)) throw new Transient(`HTTP ${res.status}`, retryAfterMs(res.headers.get("retry-after")));
      const hint = res.status === 401 || res.status === 403 ? "the repo may be private or gated: set HF_TOKEN (or the hf-token input) to a token with read access" : res.status === 404 ? "the file or revision is gone upstream; re-resolve the recipe (mergeops lock)" : res.status === 416 ? "the file is shorter than expected: it changed upstream; re-resolve the recipe (mergeops lock)" : "check HF_ENDPOINT and the model id";
      throw fail(src, start, lastByte, `HTTP ${res.status} from ${redact(src.url)}`, hint, res.status === 416 ? "UPSTREAM_CHANGED" : "NETWORK");
    }
    const tag = etagSha256(res);
    if (src.sha256 && tag && tag !== src.sha256.toLowerCase()) {
      await res.body?.cancel().catch(() => void 0);
      throw fail(
        src,
        start,
        lastByte,
        `the file changed upstream: its ETag is ${tag}, expected sha256 ${src.sha256}`,
        "the revision was rewritten or the file replaced; re-resolve the recipe (mergeops lock) and run again",
        "UPSTREAM_CHANGED"
      );
    }
    if (res.status === 206) {
      const cr = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(res.headers.get("content-range") ?? "");
      if (!cr) throw fail(src, start, lastByte, `206 without a valid Content-Range (${res.headers.get("content-range")})`, "the server does not support range requests properly; use --source-mode download");
      if (cr[3] !== "*" && Number(cr[3]) !== src.size) {
        await res.body?.cancel().catch(() => void 0);
        throw fail(
          src,
          start,
          lastByte,
          `the file is now ${cr[3]} bytes, expected ${src.size}`,
          "the file changed upstream; re-resolve the recipe (mergeops lock) and run again",
          "UPSTREAM_CHANGED"
        );
      }
      if (Number(cr[1]) !== start || Number(cr[2]) > lastByte) {
        await res.body?.cancel().catch(() => void 0);
        throw fail(src, start, lastByte, `the server sent bytes ${cr[1]}-${cr[2]} instead`, "the server does not honour Range; use --source-mode download");
      }
    } else if (start !== 0 || lastByte !== src.size - 1) {
      await res.body?.cancel().catch(() => void 0);
      throw fail(src, start, lastByte, "the server ignored the Range header (HTTP 200)", "use --source-mode download for this endpoint");
    }
    const want = lastByte - start + 1;
    const reader = res.body?.getReader();
    if (!reader) throw new Transient("empty body");
    try {
      for (; ; ) {
        let r;
        try {
          r = await reader.read();
        } catch (e) {
          throw new Transient(ac.signal.aborted ? `no data for ${idleMs} ms` : `the connection broke: ${causeText(e)}`);
        }
        if (r.done) break;
        touch();
        const chunk = r.value;
        if (received + chunk.length > want) {
          throw fail(src, start, lastByte, `the server sent more than the ${want} bytes asked for`, "the server is misbehaving; use --source-mode download");
        }
        into.set(chunk, progress.got);
        progress.got += chunk.length;
        received += chunk.length;
      }
    } finally {
      reader.releaseLock();
    }
  } finally {
    clearTimeout(timer);
  }
}
function causeText(e) {
  if (e instanceof Error) {
    const c = e.cause;
    return c instanceof Error ? `${e.message} (${c.message})` : e.message;
  }
  return String(e);
}
function redact(url) {
  const i = url.indexOf("?");
  return i < 0 ? url : `${url.slice(0, i)}?\u2026`;
}

// src/io/read-ahead.ts
var ReadAhead = class {
  constructor(opts = {}) {
    this.opts = opts;
    this.small = opts.smallBytes ?? 256 * 1024;
    this.block = opts.blockBytes ?? 1024 * 1024;
    this.perFile = opts.blocksPerFile ?? 4;
    this.max = opts.maxBlocks ?? 16;
  }
  /** Requests made and bytes fetched, for benchmarks. */
  stats = { requests: 0, bytes: 0, hits: 0 };
  blocks = [];
  small;
  block;
  max;
  perFile;
  async read(src, offset, into) {
    if (into.length > this.small) {
      const s = await rangeRead(src, offset, into, this.opts);
      this.stats.requests += s.requests;
      this.stats.bytes += into.length;
      return;
    }
    let done = 0;
    while (done < into.length) {
      const at = offset + done;
      const start = Math.floor(at / this.block) * this.block;
      const data = await this.blockAt(src, start);
      const n = Math.min(into.length - done, start + data.length - at);
      into.set(data.subarray(at - start, at - start + n), done);
      done += n;
    }
  }
  blockAt(src, start) {
    const i = this.blocks.findIndex((b2) => b2.url === src.url && b2.start === start);
    if (i >= 0) {
      const [b2] = this.blocks.splice(i, 1);
      this.blocks.push(b2);
      this.stats.hits++;
      return b2.data;
    }
    const buf = new Uint8Array(Math.min(this.block, src.size - start));
    const b = {
      url: src.url,
      start,
      data: rangeRead(src, start, buf, this.opts).then((s) => {
        this.stats.requests += s.requests;
        this.stats.bytes += buf.length;
        return buf;
      })
    };
    b.data.catch(() => {
      const j = this.blocks.indexOf(b);
      if (j >= 0) this.blocks.splice(j, 1);
    });
    this.blocks.push(b);
    const same = this.blocks.filter((x) => x.url === src.url);
    if (same.length > this.perFile) this.blocks.splice(this.blocks.indexOf(same[0]), 1);
    if (this.blocks.length > this.max) this.blocks.shift();
    return b.data;
  }
};

// src/io/file-range.ts
import { readSync } from "node:fs";
var MAX_IO = 1 << 30;
function truncated(file, at, missing) {
  return new MergeopsError(
    "IO",
    `${file}: file ends at byte ${at}, expected ${missing} more bytes (truncated?)`,
    "the file was truncated or changed while being read; re-download it"
  );
}
function readRangeSync(fd, into, position, file) {
  const len = into.length;
  let done = 0;
  while (done < len) {
    const want = Math.min(MAX_IO, len - done);
    const got = readSync(fd, into, done, want, position + done);
    if (got === 0) throw truncated(file, position + done, len - done);
    done += got;
  }
}

// src/methods/arcee-fusion.ts
var BINS = 65536;
var QUANTILES = [0.25, 0.5, 0.75];
var arceeFusion = {
  name: "arcee_fusion",
  prettyName: "Arcee Fusion",
  reference: "https://arcee.ai",
  base: "required",
  globalParams: [],
  perModelParams: [],
  planTensor({ inputs, tensor }) {
    if (inputs.length === 1) return { op: { kind: "copy" } };
    if (inputs.length !== 2 || !inputs[0].isBase) {
      return {
        error: `arcee_fusion merges exactly two models, the base model and one other, but ${tensor} has ${inputs.length} (${inputs.map((i) => `\`${i.modelKey}\``).join(", ")})`,
        hint: "list exactly one model besides `base_model:`"
      };
    }
    return { op: { kind: "program", method: "arcee_fusion", params: {} } };
  },
  // a function: arceeFusionProgram is defined below this object
  program: (params, shape) => arceeFusionProgram(params, shape)
};
function sumParts(parts, words) {
  const out = new Float64Array(words);
  for (const p of parts) for (let i = 0; i < words; i++) out[i] += p.data[i];
  return out;
}
function keyToFloat(key) {
  const bits = key >= 2147483648 ? key - 2147483648 : ~key >>> 0;
  return new Float32Array(new Uint32Array([bits]).buffer)[0];
}
function quartileRanks(n) {
  return QUANTILES.map((q) => Math.floor(q * (n - 1)));
}
function locate(hist, ranks) {
  return ranks.map((r) => {
    let below = 0;
    for (let b = 0; b < hist.length; b++) {
      if (below + hist[b] > r) return { bin: b, rank: r - below };
      below += hist[b];
    }
    throw new Error(`arcee_fusion: rank ${r} is beyond the histogram's ${below} elements`);
  });
}
function fusionThreshold(q1, median, q3) {
  const f = Math.fround;
  return f(f(median) + f(1.5 * f(f(q3) - f(q1))));
}
var arceeFusionProgram = (_params, shape) => {
  const { rowLen: rowLen2, numel } = shape;
  const ranks = quartileRanks(numel);
  const kl = {
    call: () => ({ fn: "geo_fusion_kl", params: [] }),
    words: (n) => Math.ceil(n / rowLen2),
    reduce(parts) {
      const out = new Float64Array(numel / rowLen2);
      for (const p of parts) out.set(p.data, p.first / rowLen2);
      for (let i = 0; i < out.length; i++) out[i] = Math.fround(out[i]);
      return out;
    }
  };
  const coarse = {
    call: (prev) => ({ fn: "geo_fusion_hist", params: [0, 0, ...prev[0]] }),
    words: () => BINS,
    reduce: (parts) => sumParts(parts, BINS)
  };
  const fine = {
    call: (prev) => ({ fn: "geo_fusion_hist", params: [1, ranks.length, ...locate(prev[1], ranks).map((l) => l.bin), ...prev[0]] }),
    words: () => ranks.length * BINS,
    reduce: (parts) => sumParts(parts, ranks.length * BINS)
  };
  return {
    quantum: rowLen2,
    passes: [kl, coarse, fine],
    scratchBytes: () => 16 * rowLen2,
    // the KL pass's exponentials of a row (2 × f64)
    apply(stats) {
      const where = locate(stats[1], ranks);
      const values = where.map(({ bin, rank }, q) => {
        const h = stats[2].subarray(q * BINS, (q + 1) * BINS);
        const [low] = locate(h, [rank]);
        return keyToFloat(bin * BINS + low.bin);
      });
      const [q1, median, q3] = values;
      const threshold = fusionThreshold(q1, median, q3);
      return { fn: "geo_fusion_apply", params: [threshold, ...stats[0]] };
    }
  };
};

// src/methods/program.ts
var SKIPPED = new Float64Array(0);
var TILE_TARGET = 8192;
function tileOf(q) {
  return q * Math.max(1, Math.floor(TILE_TARGET / q));
}
function tileStride(tile) {
  return Math.ceil(tile / 4) * 4;
}
var STAT_BLOCK = 4096;

// src/methods/gram.ts
var MAX_INPUTS = 16;
var Gram = class {
  constructor(m, data, offset = 0) {
    this.m = m;
    this.data = data;
    this.offset = offset;
  }
  at(i, j) {
    const [a, b] = i <= j ? [i, j] : [j, i];
    return this.data[this.offset + a * this.m - a * (a - 1) / 2 + (b - a)];
  }
  /** xᵀ G y for coefficient vectors x, y. */
  form(x, y) {
    let s = 0;
    for (let i = 0; i < this.m; i++) for (let j = 0; j < this.m; j++) s += x[i] * this.at(i, j) * y[j];
    return s;
  }
  /** (G x)ᵢ */
  apply(x, i) {
    let s = 0;
    for (let j = 0; j < this.m; j++) s += this.at(i, j) * x[j];
    return s;
  }
  /** ‖Σ xᵢ vᵢ‖ (rounding can make the form slightly negative: clamped at 0). */
  norm(x) {
    return Math.sqrt(Math.max(0, this.form(x, x)));
  }
};
var pairCount = (m) => m * (m + 1) / 2;
function gramPass(k2, layout, shape) {
  const m = layout.rel ? k2 - 1 : k2;
  const pp = pairCount(m);
  const seg = layout.rows ? shape.rowLen : STAT_BLOCK;
  return {
    call: () => ({ fn: "geo_gram", params: [seg, layout.rel ? 1 : 0] }),
    words: (n) => Math.ceil(n / seg) * pp,
    reduce(parts) {
      if (layout.rows) {
        const out2 = new Float64Array(shape.numel / seg * pp);
        for (const p of parts) out2.set(p.data, p.first / seg * pp);
        return out2;
      }
      const out = new Float64Array(pp);
      for (const p of parts) {
        for (let b = 0; b < p.data.length; b += pp) for (let q = 0; q < pp; q++) out[q] += p.data[b + q];
      }
      return out;
    }
  };
}
function gramOf(stats, m, r = 0) {
  return new Gram(m, stats, r * pairCount(m));
}
function combineCall(layout, coeffs) {
  return { fn: "geo_combine", params: [layout.rows ? 1 : 0, layout.rel ? 1 : 0, ...coeffs] };
}
function gramProgram(shape, layout, coefficients) {
  const k2 = shape.k;
  const m = layout.rel ? k2 - 1 : k2;
  const rows = layout.rows ? shape.numel / shape.rowLen : 1;
  return {
    quantum: layout.rows ? shape.rowLen : STAT_BLOCK,
    passes: [gramPass(k2, layout, shape)],
    apply(stats) {
      const coeffs = [];
      for (let r = 0; r < rows; r++) {
        const c = coefficients(gramOf(stats[0], m, r));
        for (const x of c) coeffs.push(x);
      }
      return combineCall(layout, coeffs);
    },
    mixedDTypes: true
  };
}
function safeAcos(x) {
  return Math.acos(Math.min(1, Math.max(-1, x)));
}

// src/methods/karcher.ts
var karcher = {
  name: "karcher",
  prettyName: "Karcher Mean",
  reference: "https://en.wikipedia.org/wiki/Karcher_mean",
  base: "input",
  globalParams: [
    { name: "max_iter", default: 10 },
    { name: "tol", default: 1e-5 }
  ],
  perModelParams: [],
  planTensor({ inputs, global, tensor }) {
    if (inputs.length === 1) return { op: { kind: "copy" } };
    if (inputs.length > MAX_INPUTS) {
      return { error: `karcher merges at most ${MAX_INPUTS} models, but ${tensor} has ${inputs.length}`, hint: "merge fewer models per stage (a multi-stage recipe can merge the results)" };
    }
    return { op: { kind: "program", method: "karcher", params: { max_iter: global.max_iter ?? 10, tol: global.tol ?? 1e-5 } } };
  },
  // a function: karcherProgram is defined below this object
  program: (params, shape) => karcherProgram(params, shape)
};
function karcherCoefficients(g, maxIter, tol) {
  const n = g.m;
  const alphas = new Array(n).fill(1 / n);
  const norms = alphas.map((_, i) => Math.sqrt(Math.max(0, g.at(i, i))));
  const valid = norms.map((_, i) => i).filter((i) => norms[i] > tol);
  const zero = new Array(n).fill(0);
  if (valid.length === 0) return zero;
  const alphaSum = valid.reduce((a2, i) => a2 + alphas[i], 0);
  const a = alphas.map((x) => x / alphaSum);
  const unit = (i) => zero.map((_, j) => j === i ? 1 / norms[i] : 0);
  let u = zero.slice();
  for (const i of valid) u[i] += a[i] / norms[i];
  const un = g.norm(u);
  u = un < tol ? unit(valid[0]) : u.map((x) => x / un);
  for (let it = 0; it < maxIter; it++) {
    const tangent = zero.slice();
    for (const i of valid) {
      const dot = Math.min(1, Math.max(-1, g.apply(u, i) / norms[i]));
      const theta = safeAcos(dot);
      if (theta < tol) continue;
      const f = a[i] * theta / Math.sin(theta);
      for (let j = 0; j < n; j++) tangent[j] += f * ((j === i ? 1 / norms[i] : 0) - dot * u[j]);
    }
    const tn = g.norm(tangent);
    if (tn < tol) break;
    u = u.map((x, j) => Math.cos(tn) * x + Math.sin(tn) * tangent[j] / tn);
    const nn = g.norm(u);
    if (nn > tol) u = u.map((x) => x / nn);
  }
  const scale = alphas.reduce((s, al, i) => s + al * norms[i], 0);
  return u.map((x) => x * scale);
}
var karcherProgram = (params, shape) => gramProgram(shape, { rel: false, rows: false }, (g) => karcherCoefficients(g, params.max_iter, params.tol));

// src/methods/select.ts
var HI_BUCKETS = 32768;
var LO_BUCKETS = 65536;
var ALL_BLOCKS = 2 ** 53;
var EMPTY_SLOT = { thr: -1, cb: -1, rem: 0 };
var FULL_SLOT = { thr: 0, cb: ALL_BLOCKS, rem: 0 };
function sumParts2(parts) {
  if (parts.length === 1) return parts[0].data;
  const out = new Float64Array(parts[0]?.data.length ?? 0);
  for (const p of parts) for (let i = 0; i < out.length; i++) out[i] += p.data[i];
  return out;
}
function concatParts(parts) {
  if (parts.length === 1) return parts[0].data;
  const out = new Float64Array(parts.reduce((a, p) => a + p.data.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p.data, o);
    o += p.data.length;
  }
  return out;
}
function blocksOf(n, first, len = STAT_BLOCK) {
  return n === 0 ? 0 : Math.floor((first + n - 1) / len) - Math.floor(first / len) + 1;
}
function findBucket(hi, off, K) {
  let above = 0;
  for (let b = HI_BUCKETS - 1; b >= 0; b--) {
    const c = hi[off + b];
    if (above + c >= K) return { bucket: b, need: K - above };
    above += c;
  }
  throw new Error(`top-k: K = ${K} exceeds the ${above} counted elements`);
}
function findInBucket(lo, off, bucket, need) {
  let above = 0;
  for (let l = LO_BUCKETS - 1; l >= 0; l--) {
    const c = lo[off + l];
    if (above + c >= need) return { thr: bucket * 65536 + l, ties: c, keep: need - above };
    above += c;
  }
  throw new Error(`top-k: rank ${need} exceeds bucket ${bucket}'s ${above} elements`);
}
function tieCutoff(ties2, stride, at, keep) {
  let cum = 0;
  const blocks = ties2.length / stride;
  for (let b = 0; b < blocks; b++) {
    const c = ties2[b * stride + at];
    if (cum + c >= keep) return { cb: b, rem: keep - cum };
    cum += c;
  }
  throw new Error(`top-k: only ${cum} ties counted, ${keep} to keep`);
}

// src/methods/gta-topk.ts
var BAND = 1024;
function topkSelection(spec) {
  const { n, m, nslots, K, needSel } = spec;
  const q = m * nslots;
  const slot = (j, s) => j * nslots + s;
  const S = 0, B = 1, H = 2, T = 3, L = 4, R = 5;
  const HEAD = 1 + 2 * BAND;
  const bottomOf = (ties2, at) => {
    let total = 0;
    for (let i = at; i < ties2.length; i += q) total += ties2[i];
    return { total, blocks: { ties: ties2, at } };
  };
  const chooseBands = (sample) => {
    const out = new Float64Array(3 * q).fill(-1);
    K.forEach((ks, j) => [0, 1].forEach((s) => {
      if (!needSel(j, s)) return;
      let ns = 0;
      for (let b = 0; b < HI_BUCKETS; b++) ns += sample[j * HI_BUCKETS + b];
      if (ns === 0) return;
      const pr = ks[s] / n;
      const r = pr * ns;
      const margin = ns === n ? 0 : 4 * Math.sqrt(ns * pr * (1 - pr)) + 1e-3 * ns + 2;
      const rank = (x) => findBucket(sample, j * HI_BUCKETS, Math.max(1, Math.min(ns, x))).bucket;
      const hi = rank(Math.floor(r - margin)), lo = rank(Math.ceil(r + margin));
      if (hi - lo < BAND) out.set([lo, hi, rank(Math.round(r))], 3 * slot(j, s));
    }));
    return out;
  };
  const bandsOf = (chosen) => K.map((_, j) => [0, 1].map((s) => {
    const at = 3 * slot(j, s);
    return s < nslots && chosen[at] >= 0 ? { lo: chosen[at], hi: chosen[at + 1], cand: chosen[at + 2] } : void 0;
  }));
  const bandResult = (chosen, band) => {
    const bands = bandsOf(chosen);
    const head = q * HEAD;
    const out = K.map((_, j) => [0, 1].map((s) => {
      const bd = bands[j][s];
      if (!bd) return void 0;
      const at = slot(j, s) * HEAD;
      let above = band[at];
      if (above >= K[j][s]) return void 0;
      for (let t = bd.hi - bd.lo; t >= 0; t--) {
        const c = band[at + 1 + t];
        if (above + c >= K[j][s]) {
          const bucket = bd.lo + t;
          const total = band[at + 1 + BAND + t];
          return { bucket, need: K[j][s] - above, count: c, total, ...bucket === bd.cand ? bottomOf(band.subarray(head), slot(j, s)) : {} };
        }
        above += c;
      }
      return void 0;
    }));
    return K.every((_, j) => [0, 1].every((s) => !needSel(j, s) || out[j][s])) ? out : void 0;
  };
  let bandMemo;
  const bandBases = (stats) => {
    if (stats.length <= B || stats[B] === SKIPPED) return void 0;
    if (bandMemo?.band !== stats[B]) bandMemo = { band: stats[B], val: bandResult(stats[S], stats[B]) };
    return bandMemo.val;
  };
  let memo;
  const basesOf = (stats) => {
    if (memo && memo.key.length === Math.min(stats.length, T + 1) && memo.key.every((x, i) => x === stats[i])) return memo.bases;
    const key = stats.slice(0, T + 1);
    const bases = (bandBases(stats) ?? K.map((ks, j) => [0, 1].map((s) => {
      if (!needSel(j, s) || stats.length <= H) return void 0;
      const { bucket, need } = findBucket(stats[H], j * HI_BUCKETS, ks[s]);
      return { bucket, need, count: stats[H][j * HI_BUCKETS + bucket] };
    }))).map((row2, j) => row2.map((b, s) => b && !b.blocks && stats.length > T && stats[T] !== SKIPPED ? { ...b, ...bottomOf(stats[T], slot(j, s)) } : b));
    memo = { key, bases };
    return bases;
  };
  const settled = (b) => {
    const bottom = b.total ?? 0;
    const above = b.count - bottom;
    return b.need > above ? { thr: b.bucket * 65536, ties: bottom, keep: b.need - above } : void 0;
  };
  const unsettled = (stats) => basesOf(stats).some((row2) => row2.some((b) => b !== void 0 && !settled(b)));
  const refinedOf = (stats) => basesOf(stats).map((row2, j) => row2.map((b, s) => b && !settled(b) ? findInBucket(stats[L], slot(j, s) * LO_BUCKETS, b.bucket, b.need) : void 0));
  const slotsOf = (stats) => {
    const bases = basesOf(stats);
    const fine = unsettled(stats) ? refinedOf(stats) : void 0;
    return K.map((_, j) => [0, 1].map((s) => {
      const b = bases[j][s];
      if (!b) return void 0;
      const bot = settled(b);
      const t = bot ?? fine?.[j][s];
      if (!t) throw new Error(`internal: top-k slot ${j}/${s} unresolved`);
      if (t.keep === t.ties) return { thr: t.thr, cb: ALL_BLOCKS, rem: 0 };
      return bot && b.blocks ? { thr: t.thr, ...tieCutoff(b.blocks.ties, q, b.blocks.at, t.keep) } : { thr: t.thr, ...tieCutoff(stats[R], q, slot(j, s), t.keep) };
    }));
  };
  const passes = [];
  const selecting = (j) => needSel(j, 0) || needSel(j, 1);
  passes.push({
    // S
    call: () => spec.call("gta_hist_sample", (j) => ({ act: selecting(j) })),
    words: () => m * HI_BUCKETS,
    reduce: (parts) => chooseBands(sumParts2(parts))
  });
  passes.push({
    // B
    skip: ([chosen]) => bandsOf(chosen).every((row2) => row2.every((b) => !b)),
    call: ([chosen]) => {
      const bands = bandsOf(chosen);
      const sl = (b) => ({ thr: 0, cb: b ? b.hi : -1, rem: b ? b.cand + 1 : 0 });
      return spec.call("gta_band", (j) => ({ slots: [sl(bands[j][0]), sl(bands[j][1])], raw: [bands[j][0]?.lo ?? -1, bands[j][1]?.lo ?? -1] }));
    },
    words: (cn, first) => q * HEAD + blocksOf(cn, first) * q,
    reduce: (parts) => {
      const head = q * HEAD;
      const out = new Float64Array(parts.reduce((a, pt) => a + pt.data.length - head, head));
      let o = head;
      for (const pt of parts) {
        for (let i = 0; i < head; i++) out[i] += pt.data[i];
        out.set(pt.data.subarray(head), o);
        o += pt.data.length - head;
      }
      return out;
    }
  });
  const banded = (stats) => bandBases(stats) !== void 0;
  passes.push({
    // H
    skip: banded,
    call: () => spec.call("gta_hist_hi", (j) => ({ act: selecting(j) })),
    words: () => m * HI_BUCKETS,
    reduce: sumParts2
  });
  passes.push({
    // T
    // Needed for per-block counts of a bottom value that settles its K-th key (not the candidate).
    skip: (prev) => {
      const b = bandBases(prev);
      return b !== void 0 && b.every((row2) => row2.every((x) => !x || x.blocks || !settled(x)));
    },
    call: (prev) => {
      const bases = basesOf(prev);
      const bottom = (j, s) => {
        const b = bases[j][s];
        return b && !b.blocks ? b.bucket * 65536 : -1;
      };
      return spec.call("gta_ties", (j) => ({ raw: [bottom(j, 0), bottom(j, 1)] }));
    },
    words: (cn, first) => blocksOf(cn, first) * q,
    reduce: concatParts
  });
  passes.push({
    // L
    skip: (prev) => !unsettled(prev),
    call: (prev) => {
      const b = basesOf(prev).map((row2) => row2.map((x) => x && !settled(x) ? x.bucket : -1));
      return spec.call("gta_hist_lo", (j) => ({ raw: [b[j][0], b[j][1]] }));
    },
    words: () => q * LO_BUCKETS,
    reduce: sumParts2
  });
  passes.push({
    // R
    skip: (prev) => !unsettled(prev) || refinedOf(prev).every((row2) => row2.every((x) => !x || x.keep === x.ties)),
    call: (prev) => {
      const t = refinedOf(prev);
      const raw = (x) => x && x.keep < x.ties ? x.thr : -1;
      return spec.call("gta_ties", (j) => ({ raw: [raw(t[j][0]), raw(t[j][1])] }));
    },
    words: (cn, first) => blocksOf(cn, first) * q,
    reduce: concatParts
  });
  return { passes, slotsOf };
}

// src/methods/rng.ts
var FNV_OFFSET = 0xcbf29ce484222325n;
var FNV_PRIME = 0x100000001b3n;
var MASK64 = (1n << 64n) - 1n;
function tensorRngKey(seed, tensor) {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`seed must be a non-negative safe integer, got ${seed}`);
  let h = FNV_OFFSET;
  const eat = (b) => {
    h = (h ^ BigInt(b)) * FNV_PRIME & MASK64;
  };
  let s = BigInt(seed);
  for (let i = 0; i < 8; i++) {
    eat(Number(s & 0xffn));
    s >>= 8n;
  }
  for (const b of new TextEncoder().encode(tensor)) eat(b);
  return [Number(h & 0xffffffffn), Number(h >> 32n)];
}

// src/methods/gta.ts
var SPARSE_CODE = { none: 0, magnitude: 1, outliers: 1, random: 2, della: 3 };
var RESCALE_CODE = { l1: 1, l2: 2, linf: 3, inverse_density: 4 };
var CONSENSUS_CODE = { none: 0, sum: 1, count: 2 };
function gtaGlobalParams(defaults) {
  return [
    // Accepted for compatibility: only changes the mask dtype in mergekit, never the result.
    { name: "int8_mask", default: 0 },
    { name: "normalize", default: defaults.normalize ? 1 : 0 },
    { name: "rescale", default: defaults.rescale ? 1 : 0 },
    { name: "lambda", default: 1 }
  ];
}
var WEIGHT = { name: "weight", required: true };
var DENSITY = {
  name: "density",
  default: 1,
  validate: (v) => v < 0 ? `density must be \u2265 0 (the fraction of each delta kept), got ${v}` : v > 1 ? `density must be \u2264 1 (the fraction of each delta kept; 1 keeps them all), got ${v}` : void 0
};
var GAMMA = {
  name: "gamma",
  default: 0.01,
  validate: (v) => v >= 0 && v <= 1 ? void 0 : `gamma must be in [0, 1] (the fraction of largest deltas dropped), got ${v}`
};
var EPSILON = {
  name: "epsilon",
  default: 0.15,
  validate: (v) => v >= 0 ? void 0 : `epsilon must be \u2265 0 (the spread of DELLA's keep probabilities), got ${v}`
};
var CONSENSUS_OPTION = {
  key: "consensus_method",
  kind: "enum",
  values: ["sum", "count"],
  default: "sum",
  doc: "sign election of the TIES-style methods: `sum` of weighted deltas (mergekit) or `count` of signs"
};
var RESCALE_NORM_OPTION = {
  key: "rescale_norm",
  kind: "enum",
  values: ["l1", "l2", "linf", "inverse_density"],
  default: "l1",
  doc: "the norm `rescale: true` matches: `l1` (mergekit), `l2`, `linf`, or `inverse_density` (the papers' 1/p)"
};
function gtaOptions(consensus) {
  return consensus ? [CONSENSUS_OPTION, RESCALE_NORM_OPTION] : [RESCALE_NORM_OPTION];
}
function planGta(ctx, spec) {
  const others = ctx.inputs.filter((i) => !i.isBase);
  if (others.length === ctx.inputs.length) {
    return { error: `${spec.method} needs the base model's ${ctx.tensor}`, hint: "set `base_model:` to the model the others were fine-tuned from" };
  }
  if (others.length === 0) return { op: { kind: "copy" } };
  const opts = ctx.options ?? { seed: 0, values: {} };
  const num = (v, d) => v ?? d;
  const densities = others.map((i) => num(i.params.density, 1));
  const epsilons = others.map((i) => num(i.params.epsilon, 0.15));
  if (spec.sparsifier === "della") {
    for (let j = 0; j < others.length; j++) {
      const d = densities[j], e = epsilons[j];
      if (d > 0 && d < 1 && !(d - e > 0 && d + e < 1)) {
        return {
          error: `${spec.method}: model \`${others[j].modelKey}\` has density ${d} and epsilon ${e}, but DELLA's keep probabilities density \xB1 epsilon must lie strictly between 0 and 1 (tensor ${ctx.tensor})`,
          hint: `use an epsilon below ${Math.min(d, 1 - d)} for this density (the default is 0.15, so density must be in (0.15, 0.85)), or change the density`
        };
      }
    }
  }
  const random = spec.sparsifier === "random" || spec.sparsifier === "della";
  const params = {
    sparsifier: spec.sparsifier,
    consensus: spec.consensus ? CONSENSUS_CODE[opts.values["consensus_method"] ?? "sum"] : 0,
    normalize: ctx.global.normalize ? 1 : 0,
    lambda: num(ctx.global.lambda, 1),
    rescale: ctx.global.rescale && spec.sparsifier !== "none" ? RESCALE_CODE[opts.values["rescale_norm"] ?? "l1"] : 0,
    key: random ? tensorRngKey(opts.seed, ctx.tensor) : [0, 0],
    weights: others.map((i) => i.params.weight),
    densities,
    epsilons,
    gammas: others.map((i) => num(i.params.gamma, 0.01))
  };
  return { op: { kind: "program", method: spec.method, params } };
}
function windowOf(sp, density, gamma, n) {
  const target = Math.trunc(density * n);
  if (sp === "magnitude") return [target, 0];
  let nTop = Math.trunc(gamma * n);
  let nBot = n - target - nTop;
  if (nBot < 0) {
    nTop += nBot;
    nBot = 0;
  }
  return [n - nBot, nTop];
}
function gtaProgram(raw, shape) {
  const p = raw;
  const n = shape.numel;
  const m = shape.k - 1;
  const sp = p.sparsifier;
  const topk = sp === "magnitude" || sp === "outliers";
  const nslots = sp === "outliers" ? 2 : 1;
  const active = p.densities.map((d) => sp !== "none" && d < 1);
  const segLen = sp === "della" ? Math.max(1, shape.rowLen) : STAT_BLOCK;
  const K = p.densities.map((d, j) => topk && active[j] ? windowOf(sp, d, p.gammas[j], n) : [n, 0]);
  const needSel = (j, s) => topk && active[j] && K[j][s] > 0 && K[j][s] < n;
  const anySel = K.some((_, j) => needSel(j, 0) || needSel(j, 1));
  const header = () => [m, p.consensus, p.normalize, p.lambda, SPARSE_CODE[sp], p.rescale, p.key[0], p.key[1], nslots, 0];
  const record = (j, slots, scale, act, raw2) => {
    const s0 = slots[0] ?? EMPTY_SLOT, s1 = slots[1] ?? EMPTY_SLOT;
    return [
      p.weights[j],
      act ? 1 : 0,
      p.densities[j],
      p.epsilons[j],
      scale,
      raw2 ? raw2[0] : s0.thr,
      s0.cb,
      s0.rem,
      raw2 ? raw2[1] : s1.thr,
      s1.cb,
      s1.rem,
      0
    ];
  };
  const call = (fn, recs) => ({ fn, params: [...header(), ...recs.flat()] });
  const sel = anySel ? topkSelection({
    n,
    m,
    nslots,
    K,
    needSel,
    call: (fn, rec) => call(fn, K.map((_, j) => {
      const r = rec(j);
      return record(j, r.slots ?? [], 1, r.act ?? false, r.raw);
    }))
  }) : void 0;
  const slotsOf = (stats) => {
    const sets = sel?.slotsOf(stats);
    return K.map((ks, j) => [0, 1].map((s) => {
      const t = sets?.[j][s];
      if (t) return t;
      if (!topk || !active[j]) return s === 0 ? FULL_SLOT : EMPTY_SLOT;
      return ks[s] >= n ? FULL_SLOT : EMPTY_SLOT;
    }));
  };
  const passes = [...sel?.passes ?? []];
  const normPass = p.rescale >= 1 && p.rescale <= 3 && active.some((a) => a);
  const normAt = passes.length;
  const linf = p.rescale === 3;
  if (normPass) {
    passes.push({
      call: (prev) => {
        const slots = slotsOf(prev);
        return call("gta_norms", K.map((_, j) => record(j, slots[j], 1, active[j])));
      },
      words: (cn, first) => blocksOf(cn, first, segLen) * m * 2,
      reduce: (parts) => {
        const out = new Float64Array(2 * m);
        for (const part of parts) {
          for (let i = 0; i < part.data.length; i++) {
            const at = i % (2 * m);
            out[at] = linf ? Math.max(out[at], part.data[i]) : out[at] + part.data[i];
          }
        }
        return out;
      }
    });
  }
  return {
    quantum: segLen,
    passes,
    apply: (stats) => {
      const slots = slotsOf(stats);
      const scales = K.map((_, j) => {
        if (!active[j]) return 1;
        if (p.rescale === RESCALE_CODE.inverse_density) return sp === "della" ? 1 : 1 / p.densities[j];
        if (!normPass) return 1;
        let before = stats[normAt][2 * j], after = stats[normAt][2 * j + 1];
        if (p.rescale === RESCALE_CODE.l2) {
          before = Math.sqrt(before);
          after = Math.sqrt(after);
        }
        return before < 1e-7 || after < 1e-7 ? 1 : before / after;
      });
      return call("gta_apply", K.map((_, j) => record(j, slots[j], scales[j], active[j])));
    },
    scratchBytes: () => Math.max(segLen * (4 * m + 21) + 64, 8 * HI_BUCKETS + 64),
    mixedDTypes: true
  };
}

// src/methods/breadcrumbs.ts
var breadcrumbs = {
  name: "breadcrumbs",
  prettyName: "Model Breadcrumbs",
  reference: "https://arxiv.org/abs/2312.06795",
  base: "required",
  globalParams: gtaGlobalParams({ normalize: false, rescale: false }),
  perModelParams: [WEIGHT, DENSITY, GAMMA],
  planTensor: (ctx) => planGta(ctx, { method: "breadcrumbs", sparsifier: "outliers", consensus: false }),
  options: gtaOptions(false),
  program: gtaProgram
};

// src/methods/breadcrumbs-ties.ts
var breadcrumbsTies = {
  name: "breadcrumbs_ties",
  prettyName: "Model Breadcrumbs with TIES",
  reference: "https://arxiv.org/abs/2312.06795",
  base: "required",
  globalParams: gtaGlobalParams({ normalize: false, rescale: false }),
  perModelParams: [WEIGHT, DENSITY, GAMMA],
  planTensor: (ctx) => planGta(ctx, { method: "breadcrumbs_ties", sparsifier: "outliers", consensus: true }),
  options: gtaOptions(true),
  program: gtaProgram
};

// src/methods/dare-linear.ts
var dareLinear = {
  name: "dare_linear",
  prettyName: "Linear DARE",
  reference: "https://arxiv.org/abs/2311.03099",
  base: "required",
  globalParams: gtaGlobalParams({ normalize: false, rescale: true }),
  perModelParams: [WEIGHT, DENSITY],
  planTensor: (ctx) => planGta(ctx, { method: "dare_linear", sparsifier: "random", consensus: false }),
  options: gtaOptions(false),
  program: gtaProgram
};

// src/methods/dare-ties.ts
var dareTies = {
  name: "dare_ties",
  prettyName: "DARE TIES",
  reference: "https://arxiv.org/abs/2311.03099",
  base: "required",
  globalParams: gtaGlobalParams({ normalize: false, rescale: true }),
  perModelParams: [WEIGHT, DENSITY],
  planTensor: (ctx) => planGta(ctx, { method: "dare_ties", sparsifier: "random", consensus: true }),
  options: gtaOptions(true),
  program: gtaProgram
};

// src/methods/della.ts
var della = {
  name: "della",
  prettyName: "DELLA",
  reference: "https://arxiv.org/abs/2406.11617",
  base: "required",
  globalParams: gtaGlobalParams({ normalize: true, rescale: true }),
  perModelParams: [WEIGHT, DENSITY, EPSILON],
  planTensor: (ctx) => planGta(ctx, { method: "della", sparsifier: "della", consensus: true }),
  options: gtaOptions(true),
  program: gtaProgram
};

// src/methods/della-linear.ts
var dellaLinear = {
  name: "della_linear",
  prettyName: "Linear DELLA",
  reference: "https://arxiv.org/abs/2406.11617",
  base: "required",
  globalParams: gtaGlobalParams({ normalize: false, rescale: true }),
  perModelParams: [WEIGHT, DENSITY, EPSILON],
  planTensor: (ctx) => planGta(ctx, { method: "della_linear", sparsifier: "della", consensus: false }),
  options: gtaOptions(false),
  program: gtaProgram
};

// src/methods/linear.ts
var linear = {
  name: "linear",
  prettyName: "Linear",
  reference: "https://arxiv.org/abs/2203.05482",
  base: "input",
  globalParams: [{ name: "normalize", default: 1 }],
  perModelParams: [{ name: "weight", required: true }],
  planTensor({ inputs, global }) {
    const weights = inputs.map((i) => i.params.weight);
    let divisor = 1;
    if (global.normalize) {
      divisor = weights.reduce((a, b) => a + b, 0);
      if (divisor === 0) {
        return {
          error: `the weights of linear sum to 0 (${weights.join(", ")}), so normalizing would divide by zero`,
          hint: "change the weights, or set `normalize: false` to use the plain weighted sum"
        };
      }
    }
    return { op: { kind: "linear", weights, divisor } };
  }
};

// src/methods/model-stock.ts
var modelStock = {
  name: "model_stock",
  prettyName: "Model Stock",
  reference: "https://arxiv.org/abs/2403.19522",
  base: "required",
  globalParams: [{ name: "filter_wise", default: 0 }],
  perModelParams: [],
  options: [{
    key: "model_stock_clamp",
    kind: "boolean",
    default: false,
    doc: "write `model_stock_clamp: true` to clamp model_stock's ratio t to [0, 1] (mergekit does not)"
  }],
  planTensor({ inputs, global, tensor, options }) {
    if (inputs.length === 1 && inputs[0].isBase) return { op: { kind: "copy" } };
    const others = inputs.filter((i) => !i.isBase);
    if (!inputs[0].isBase || others.length < 2) {
      return {
        error: `model_stock needs the base model and at least two other models, but ${tensor} has ${inputs[0].isBase ? `the base and ${others.length} other` : `no base and ${others.length}`} (${inputs.map((i) => `\`${i.modelKey}\``).join(", ")})`,
        hint: "list at least two fine-tunes of `base_model:` under `models:`"
      };
    }
    if (inputs.length > MAX_INPUTS) {
      return { error: `model_stock merges at most ${MAX_INPUTS - 1} models besides the base, but ${tensor} has ${others.length}`, hint: "merge fewer models per stage" };
    }
    const params = { filter_wise: Boolean(global.filter_wise) };
    return { op: { kind: "program", method: "model_stock", params: options?.values["model_stock_clamp"] === true ? { ...params, clamp: true } : params } };
  },
  // a function: modelStockProgram is defined below this object
  program: (params, shape) => modelStockProgram(params, shape)
};
function modelStockRatio(g, clamp = false) {
  const n = g.m;
  let sum = 0;
  let pairs = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const normProduct = Math.sqrt(Math.max(0, g.at(i, i))) * Math.sqrt(Math.max(0, g.at(j, j)));
      sum += Math.min(1, Math.max(-1, g.at(i, j) / Math.max(normProduct, 1e-6)));
      pairs++;
    }
  }
  const cos = sum / pairs;
  const t = n * cos / (1 + (n - 1) * cos);
  if (!Number.isFinite(t)) return { cos, t: 0 };
  return { cos, t: clamp ? cos <= 0 ? 0 : Math.min(1, t) : t };
}
var modelStockProgram = (params, shape) => {
  const clamp = Boolean(params.clamp);
  const rows = params.filter_wise ? shape.numel / shape.rowLen : 1;
  const prog = gramProgram(shape, { rel: true, rows: Boolean(params.filter_wise) }, (g) => {
    const { t } = modelStockRatio(g, clamp);
    return new Array(g.m).fill(t / g.m);
  });
  return {
    ...prog,
    notes(stats) {
      const m = shape.k - 1;
      let apart = 0;
      let worst = { cos: Infinity, t: 0 };
      for (let r = 0; r < rows; r++) {
        const g = gramOf(stats[0], m, r);
        const x = modelStockRatio(g, clamp);
        if (x.cos < 0) apart++;
        if (x.cos < worst.cos) worst = x;
      }
      if (apart === 0) return [];
      const where = rows > 1 ? ` in ${apart} of ${rows} rows (lowest mean cosine ${worst.cos.toFixed(3)})` : ` (mean cosine ${worst.cos.toFixed(3)})`;
      const what = clamp ? `t clamped to ${worst.t.toFixed(3)}` : `t = ${worst.t.toFixed(3)} by mergekit's formula, outside [0, 1]`;
      return [`model_stock: the task vectors of ${shape.tensor} point apart${where}: ${what}` + (clamp ? "" : "; `mergeops: {model_stock_clamp: true}` clamps t to [0, 1]")];
    }
  };
};

// src/methods/multislerp.ts
var multislerp = {
  name: "multislerp",
  prettyName: "Multi-SLERP",
  reference: "https://goddard.blog/posts/multislerp-wow-what-a-cool-idea",
  base: "optional",
  globalParams: [
    { name: "normalize_weights", default: 1 },
    { name: "eps", default: 1e-8 }
  ],
  perModelParams: [{ name: "weight", required: true }],
  planTensor({ inputs, global, tensor }) {
    const base = inputs.find((i) => i.isBase);
    const others = inputs.filter((i) => !i.isBase);
    if (others.length === 0) return { op: { kind: "copy" } };
    if (others.length === 1) return { op: base ? { kind: "linear", weights: [0, 1], divisor: 1 } : { kind: "copy" } };
    if (others.length > MAX_INPUTS - 1) {
      return { error: `multislerp merges at most ${MAX_INPUTS - 1} models, but ${tensor} has ${others.length}`, hint: "merge fewer models per stage (a multi-stage recipe can merge the results)" };
    }
    const weights = others.map((i) => i.params.weight);
    const sum = weights.reduce((a, b) => a + b, 0);
    if (global.normalize_weights && sum === 0) {
      return {
        error: `the weights of multislerp sum to 0 (${weights.join(", ")}), so normalizing them would divide by zero`,
        hint: "change the weights, or set `normalize_weights: false`"
      };
    }
    const w = global.normalize_weights ? weights.map((x) => x / sum) : weights;
    return { op: { kind: "program", method: "multislerp", params: { weights: w, eps: global.eps ?? 1e-8, rel: base !== void 0 } } };
  },
  // a function: multislerpProgram is defined below this object
  program: (params, shape) => multislerpProgram(params, shape)
};
function multislerpCoefficients(w, eps, g, tensor = "tensor") {
  const n = w.length;
  const norms = w.map((_, i) => Math.sqrt(Math.max(0, g.at(i, i))));
  const inv = norms.map((x) => 1 / (x + eps));
  const m = w.map((wi, i) => wi * inv[i]);
  const mNorm = g.norm(m);
  if (!(mNorm >= eps)) {
    if (n === 2) return [w[0], w[1]];
    throw new MergeopsError(
      "RECIPE",
      `multislerp: the weighted mean of the directions of ${tensor} is zero (antipodal inputs whose weights cancel out)`,
      "change the weights of the models, or merge these models with another method"
    );
  }
  const mHat = m.map((x) => x / mNorm);
  const dots = w.map((_, i) => inv[i] * g.apply(mHat, i));
  const s = w.reduce((a, wi, i) => a + wi * dots[i], 0);
  const tangent = w.map((wi, j) => wi * inv[j] - s * mHat[j]);
  const tau = g.norm(tangent) + eps;
  const avgNorm = w.reduce((a, wi, i) => a + wi * norms[i], 0);
  const cosT = Math.cos(tau);
  const sinc = Math.sin(tau) / tau;
  return mHat.map((x, j) => (x * cosT + tangent[j] * sinc) * avgNorm);
}
var multislerpProgram = (params, shape) => gramProgram(shape, { rel: Boolean(params.rel), rows: false }, (g) => multislerpCoefficients(params.weights, params.eps, g, shape.tensor));

// src/methods/nearswap.ts
var nearswap = {
  name: "nearswap",
  prettyName: "NearSwap",
  reference: "https://huggingface.co/alchemonaut/QuartetAnemoi-70B-t0.0001",
  base: "required",
  globalParams: [{ name: "t", required: true }],
  perModelParams: [],
  planTensor({ inputs, global, tensor }) {
    if (inputs.length === 1) return { op: { kind: "copy" } };
    const others = inputs.filter((i) => !i.isBase);
    if (others.length !== 1 || !inputs[0].isBase) {
      return {
        error: `nearswap merges the base model with exactly one other model, but ${tensor} has ${others.length} besides the base (${others.map((i) => `\`${i.modelKey}\``).join(", ")})`,
        hint: "list exactly one model besides `base_model:`"
      };
    }
    return { op: { kind: "program", method: "nearswap", params: { t: global.t } } };
  },
  // a function: nearswapProgram is defined below this object
  program: (params, shape) => nearswapProgram(params, shape)
};
var nearswapProgram = (params) => ({
  quantum: 1,
  passes: [],
  apply: () => ({ fn: "geo_nearswap", params: [params.t] })
});

// src/methods/nuslerp.ts
var NORM_MIN = 1e-7;
var COLINEAR_EPS = 1e-8;
var nuslerp = {
  name: "nuslerp",
  prettyName: "NuSLERP",
  base: "optional",
  globalParams: [
    { name: "nuslerp_row_wise", default: 0 },
    { name: "nuslerp_flatten", default: 1 }
  ],
  perModelParams: [{ name: "weight", required: true }],
  planTensor({ inputs, global, tensor }) {
    if (inputs.length === 1) return { op: { kind: "copy" } };
    const base = inputs.find((i) => i.isBase);
    const others = inputs.filter((i) => !i.isBase);
    if (others.length !== 2) {
      const list = others.map((i) => `\`${i.modelKey}\``).join(", ");
      return {
        error: base && others.length === 1 ? `nuslerp merges two models besides the base model, but ${tensor} has only ${list} besides the base \`${base.modelKey}\`; the base model cannot be one of the two models to merge` : `nuslerp merges exactly two models${base ? " besides the base model" : ""}, but ${tensor} has ${others.length} (${list})`,
        hint: base ? "list two models other than `base_model:` under `models:`, or remove `base_model:` to interpolate the two models directly" : "list exactly two models (plus an optional `base_model:`)"
      };
    }
    const flatten = Boolean(global.nuslerp_flatten);
    const [w0, w1] = others.map((i) => i.params.weight);
    const sum = w0 + w1;
    const t = Math.abs(sum) < 1e-6 ? 0.5 : w1 / sum;
    const params = { t, rel: base !== void 0, flatten };
    return { op: { kind: "program", method: "nuslerp", params: !flatten && global.nuslerp_row_wise ? { ...params, columns: true } : params } };
  },
  // a function: nuslerpProgram is defined below this object
  program: (params, shape) => nuslerpProgram(params, shape)
};
function nuslerpCoefficients(t, g00, g01, g11) {
  const n0 = Math.max(Math.sqrt(g00), NORM_MIN);
  const n1 = Math.max(Math.sqrt(g11), NORM_MIN);
  const theta = Math.acos(Math.min(1, Math.max(-1, g01 / (n0 * n1))));
  const s = Math.sin(theta);
  if (!(Math.abs(s) >= COLINEAR_EPS)) return [1 - t, t];
  return [Math.sin((1 - t) * theta) / s, Math.sin(t * theta) / s];
}
var COL_BLOCK_ROWS = 64;
function columnProgram(t, rel, shape) {
  const c = shape.numel / shape.shape[0];
  const blockRows = Math.min(COL_BLOCK_ROWS, shape.numel / c);
  const words = 3 * c;
  return {
    quantum: blockRows * c,
    passes: [{
      call: () => ({ fn: "geo_col_gram", params: [blockRows, rel ? 1 : 0] }),
      words: (n) => Math.ceil(n / c / blockRows) * words,
      reduce(parts) {
        const out = new Float64Array(words);
        for (const p of parts) for (let b = 0; b < p.data.length; b += words) for (let q = 0; q < words; q++) out[q] += p.data[b + q];
        return out;
      }
    }],
    apply(stats) {
      const g = stats[0];
      const c0 = [];
      const c1 = [];
      for (let col = 0; col < c; col++) {
        const [a, b] = nuslerpCoefficients(t, g[col], g[c + col], g[2 * c + col]);
        c0.push(a);
        c1.push(b);
      }
      return { fn: "geo_combine_cols", params: [rel ? 1 : 0, ...c0, ...c1] };
    },
    scratchBytes: () => 4 * 2 * c,
    rowLen: c
  };
}
var nuslerpProgram = (params, shape) => {
  const t = params.t;
  const rel = Boolean(params.rel);
  if (params.columns && shape.shape.length >= 2) return columnProgram(t, rel, shape);
  return gramProgram(shape, { rel, rows: !params.flatten }, (g) => nuslerpCoefficients(t, g.at(0, 0), g.at(0, 1), g.at(1, 1)));
};

// src/methods/passthrough.ts
var passthrough = {
  name: "passthrough",
  prettyName: "Passthrough",
  base: "none",
  singleInput: true,
  globalParams: [],
  perModelParams: [{ name: "scale" }],
  planTensor({ inputs, tensor }) {
    if (inputs.length !== 1) {
      return {
        error: `passthrough takes exactly one model per tensor, but ${inputs.length} models give ${tensor}`,
        hint: "list one source per slice with passthrough, or use another merge method to combine models"
      };
    }
    const scale = inputs[0].params.scale;
    return { op: scale === void 0 || scale === 1 ? { kind: "copy" } : { kind: "copy", scale } };
  }
};

// src/methods/slerp.ts
var NORM_EPS = 1e-8;
var DOT_THRESHOLD = 0.9995;
var slerp = {
  name: "slerp",
  prettyName: "SLERP",
  reference: "https://en.wikipedia.org/wiki/Slerp",
  base: "required",
  globalParams: [{ name: "t", required: true }],
  perModelParams: [],
  planTensor({ inputs, global, tensor }) {
    if (inputs.length === 1) return { op: { kind: "copy" } };
    if (inputs.length !== 2 || !inputs[0].isBase) {
      return {
        error: `slerp interpolates exactly two models, the base model and one other, but ${tensor} has ${inputs.length} (${inputs.map((i) => `\`${i.modelKey}\``).join(", ")})`,
        hint: "list one model besides `base_model:` (or use multislerp or karcher to merge more than two)"
      };
    }
    return { op: { kind: "program", method: "slerp", params: { t: global.t } } };
  },
  // a function: slerpProgram is defined below this object
  program: (params, shape) => slerpProgram(params, shape)
};
function slerpCoefficients(t, g00, g01, g11) {
  const n0 = Math.sqrt(g00);
  const n1 = Math.sqrt(g11);
  const dot = g01 / ((n0 > NORM_EPS ? n0 : 1) * (n1 > NORM_EPS ? n1 : 1));
  if (!Number.isFinite(dot) || Math.abs(dot) > DOT_THRESHOLD) return [1 - t, t];
  const theta0 = Math.acos(dot);
  const sin0 = Math.sin(theta0);
  const thetaT = theta0 * t;
  return [Math.sin(theta0 - thetaT) / sin0, Math.sin(thetaT) / sin0];
}
var slerpProgram = (params, shape) => gramProgram(shape, { rel: false, rows: false }, (g) => slerpCoefficients(params.t, g.at(0, 0), g.at(0, 1), g.at(1, 1)));

// src/methods/ram.ts
var ram = {
  name: "ram",
  prettyName: "Reinforced Agent Merging",
  reference: "https://arxiv.org/abs/2601.13572",
  base: "required",
  // RAM's epsilon is global and is the activity threshold, unlike DELLA's.
  globalParams: [{ name: "epsilon", default: 1e-5 }],
  perModelParams: [],
  planTensor({ inputs, global }) {
    if (inputs.every((i) => i.isBase)) return { op: { kind: "copy" } };
    return { op: { kind: "program", method: "ram", params: { epsilon: global.epsilon ?? 1e-5 } } };
  },
  program: ramProgram
};
function ramProgram(raw, shape) {
  const m = shape.k - 1;
  return {
    quantum: STAT_BLOCK,
    passes: [],
    apply: () => ({ fn: "ram_apply", params: [m, raw.epsilon, ...Array.from({ length: m }, () => 1)] })
  };
}

// src/methods/ramplus-tl.ts
var ramplusTl = {
  name: "ramplus_tl",
  prettyName: "Reinforced Agent Merging Plus (Tensor-Local)",
  reference: "https://arxiv.org/abs/2601.13572",
  base: "required",
  globalParams: [{ name: "r", default: 0.1 }, { name: "alpha", default: 0.2 }, { name: "epsilon", default: 1e-5 }],
  perModelParams: [],
  planTensor({ inputs, global }) {
    if (inputs.every((i) => i.isBase)) return { op: { kind: "copy" } };
    return { op: { kind: "program", method: "ramplus_tl", params: { r: global.r ?? 0.1, alpha: global.alpha ?? 0.2, epsilon: global.epsilon ?? 1e-5 } } };
  },
  program: ramplusTlProgram
};
function ramplusTlProgram(raw, shape) {
  const m = shape.k - 1;
  const eps = raw.epsilon, r = raw.r, alpha = raw.alpha;
  return {
    quantum: STAT_BLOCK,
    passes: [{ call: () => ({ fn: "ram_counts", params: [m, eps, ...Array.from({ length: m }, () => 1)] }), words: () => 2 * m, reduce: sumParts2 }],
    apply: ([counts]) => {
      const lambda = Array.from({ length: m }, (_, j) => {
        const rho = counts[2 * j] / Math.max(counts[2 * j + 1], eps);
        return 1 + r * Math.min(Math.max(rho, 0), alpha);
      });
      return { fn: "ram_apply", params: [m, eps, ...lambda] };
    }
  };
}

// src/methods/sce.ts
var sce = {
  name: "sce",
  prettyName: "SCE",
  reference: "https://arxiv.org/abs/2408.07990",
  base: "required",
  globalParams: [
    // Accepted for compatibility: only changes the mask dtype in mergekit, never the result.
    { name: "int8_mask", default: 0 },
    { name: "select_topk", default: 1 }
  ],
  perModelParams: [],
  planTensor({ inputs, global }) {
    if (inputs.every((i) => i.isBase)) return { op: { kind: "copy" } };
    return { op: { kind: "program", method: "sce", params: { selectTopk: global.select_topk ?? 1 } } };
  },
  program: sceProgram
};
function sceProgram(raw, shape) {
  const topk = Math.abs(raw.selectTopk);
  const m = shape.k - 1;
  const n = shape.numel;
  const select = raw.selectTopk < 1;
  const header = (slot, sel2, w = []) => [m, sel2 ? 1 : 0, slot.thr, slot.cb, slot.rem, ...Array.from({ length: m }, (_, j) => w[j] ?? 0)];
  const kOf = (hi) => Math.trunc((n - hi[HI_BUCKETS]) * topk);
  const sel = (hi, lo) => {
    const K = kOf(hi);
    if (K <= 0 || K >= n) return { K, b: void 0, t: void 0 };
    const b = findBucket(hi, 0, K);
    return { K, b, t: lo ? findInBucket(lo, 0, b.bucket, b.need) : void 0 };
  };
  const slotOf = (stats) => {
    if (!select) return FULL_SLOT;
    const { K, t } = sel(stats[0], stats[1]);
    if (K <= 0) return EMPTY_SLOT;
    if (!t) return FULL_SLOT;
    return t.keep === t.ties ? { thr: t.thr, cb: ALL_BLOCKS, rem: 0 } : { thr: t.thr, ...tieCutoff(stats[2], 1, 0, t.keep) };
  };
  const passes = [];
  if (select) {
    passes.push({ call: () => ({ fn: "sce_hist_hi", params: header(EMPTY_SLOT, true) }), words: () => HI_BUCKETS + 1, reduce: sumParts2 });
    passes.push({
      call: ([hi]) => ({ fn: "sce_hist_lo", params: header({ thr: sel(hi).b?.bucket ?? -1, cb: 0, rem: 0 }, true) }),
      words: () => LO_BUCKETS,
      reduce: sumParts2
    });
    passes.push({
      call: ([hi, lo]) => {
        const t = sel(hi, lo).t;
        return { fn: "sce_ties", params: header({ thr: t && t.keep < t.ties ? t.thr : -1, cb: 0, rem: 0 }, true) };
      },
      words: (cn, first) => blocksOf(cn, first),
      reduce: concatParts
    });
  }
  const sumsAt = passes.length;
  passes.push({
    call: (prev) => ({ fn: "sce_sums", params: header(slotOf(prev), select) }),
    words: (cn, first) => blocksOf(cn, first) * m,
    reduce: (parts) => {
      const out = new Float64Array(m);
      for (const p of parts) for (let i = 0; i < p.data.length; i++) out[i % m] += p.data[i];
      return out;
    }
  });
  return {
    quantum: STAT_BLOCK,
    passes,
    apply: (stats) => {
      const w = Array.from(stats[sumsAt], (s) => s / n);
      const total = w.reduce((a, b) => a + b, 0);
      return { fn: "sce_apply", params: header(slotOf(stats), select, total === 0 ? w.map(() => 1 / m) : w.map((x) => x / total)) };
    }
  };
}

// src/methods/task-arithmetic.ts
var taskArithmetic = {
  name: "task_arithmetic",
  prettyName: "Task Arithmetic",
  reference: "https://arxiv.org/abs/2212.04089",
  base: "required",
  globalParams: [
    { name: "int8_mask", default: 0 },
    { name: "normalize", default: 0 },
    { name: "rescale", default: 0 },
    { name: "lambda", default: 1 }
  ],
  perModelParams: [
    { name: "weight", required: true },
    // Accepted for compatibility; task_arithmetic has no sparsifier, so density has no effect.
    { name: "density", default: 1 }
  ],
  planTensor({ inputs, global }) {
    const others = inputs.filter((i) => !i.isBase);
    const weights = others.map((i) => i.params.weight);
    let divisor = 1;
    if (global.normalize) {
      const s = weights.reduce((a, b) => a + b, 0);
      divisor = Math.abs(s) < 1e-8 ? 1 : s;
    }
    return { op: { kind: "task_arithmetic", weights, divisor, lambda: global.lambda ?? 1 } };
  }
};

// src/methods/ties.ts
var ties = {
  name: "ties",
  prettyName: "TIES",
  reference: "https://arxiv.org/abs/2306.01708",
  base: "required",
  globalParams: gtaGlobalParams({ normalize: true, rescale: false }),
  perModelParams: [WEIGHT, DENSITY],
  planTensor: (ctx) => planGta(ctx, { method: "ties", sparsifier: "magnitude", consensus: true }),
  options: gtaOptions(true),
  program: gtaProgram
};

// src/methods/registry.ts
var METHODS = [
  linear,
  taskArithmetic,
  passthrough,
  slerp,
  nuslerp,
  multislerp,
  karcher,
  modelStock,
  nearswap,
  arceeFusion,
  ties,
  dareTies,
  dareLinear,
  breadcrumbs,
  breadcrumbsTies,
  della,
  dellaLinear,
  sce,
  ram,
  ramplusTl
];
function getMethod(name) {
  return METHODS.find((m) => m.name === name);
}
function programFor(method, params, shape) {
  const f = getMethod(method)?.program;
  if (!f) throw new Error(`no tensor program for merge method '${method}'`);
  return f(params, shape);
}

// src/kernels/arena.ts
var WASM_PAGE = 65536;
var MAX_MEMORY = 2 ** 32;
var PAGE = 4096;
var SLOW_WINDOW = 63;
function slow(dstMinusSrc) {
  const d = (dstMinusSrc % PAGE + PAGE) % PAGE;
  return d !== 0 && d <= SLOW_WINDOW;
}
function ioPhase(from, reads, writes) {
  for (let step = 0; step < PAGE; step += 16) {
    const x = (from + step) % PAGE;
    if (reads.every((r) => !slow(x - r)) && writes.every((w) => !slow(w - x))) return x;
  }
  return from % PAGE;
}
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
    return this.take(this.top + 15 & ~15, bytes);
  }
  /**
   * Like `alloc`, placed for fast file I/O: `reads` are the file offsets whose bytes will be read
   * into the buffer's start, `writes` those it will be written to (see SLOW_WINDOW). With one
   * write target at an 8-aligned offset the buffer sits exactly at its page phase (8-byte
   * aligned then), so the write's page-aligned middle can go out by direct I/O (worker.ts).
   */
  allocIO(bytes, reads, writes = []) {
    const top = this.top + 15 & ~15;
    const w = writes.length === 1 && writes[0] % 8 === 0 ? writes[0] % PAGE : -1;
    const phase = w >= 0 && reads.every((r) => !slow(w - r)) ? w : ioPhase(top % PAGE, reads, writes);
    return this.take(top + (phase - top % PAGE + PAGE) % PAGE, bytes);
  }
  take(p, bytes) {
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

// src/kernels/factor-cache.ts
var FactorCache = class {
  /** `maxBytes`: kept beyond the two most recent factors (those of the job running now). */
  constructor(maxBytes) {
    this.maxBytes = maxBytes;
  }
  /** Factors fetched (misses) and bytes fetched, for tests and benchmarks. */
  stats = { fetches: 0, bytes: 0, hits: 0 };
  entries = [];
  /** The whole factor under `key` (`bytes` long), fetched once while it stays cached. */
  get(key, bytes, fetch2) {
    const i = this.entries.findIndex((e2) => e2.key === key);
    if (i >= 0) {
      const [e2] = this.entries.splice(i, 1);
      this.entries.push(e2);
      this.stats.hits++;
      return e2.data;
    }
    const e = {
      key,
      bytes,
      data: fetch2().then((d) => {
        if (d.length !== bytes) throw new Error(`internal: a LoRA factor of ${bytes} bytes came back with ${d.length}`);
        this.stats.fetches++;
        this.stats.bytes += bytes;
        return d;
      })
    };
    e.data.catch(() => {
      const j = this.entries.indexOf(e);
      if (j >= 0) this.entries.splice(j, 1);
    });
    this.entries.push(e);
    let total = this.entries.reduce((a, x) => a + x.bytes, 0);
    while (this.entries.length > 2 && total > this.maxBytes) total -= this.entries.shift().bytes;
    return e.data;
  }
};

// src/kernels/gather.ts
function arrayDest(a) {
  return { view: () => a };
}
function checkRow(rows, r) {
  const m = rows.map[r];
  if (m === void 0) throw new Error(`gather: row ${r} is past the ${rows.map.length} rows of the gathered tensor`);
  return m;
}
function rowGatherer(input, readRows, batchRows) {
  const { cols, rows } = input;
  const acc = new Float64Array(cols);
  const tmp = new Float32Array(cols);
  const means = /* @__PURE__ */ new Map();
  const mixRow = async (mixIndex) => {
    const mix = rows.mixes[mixIndex];
    if (!mix) throw new Error(`gather: mix ${mixIndex} does not exist`);
    if ("meanOf" in mix) {
      let mean = means.get(mix.meanOf);
      if (!mean) {
        mean = await meanOfRows(mix.meanOf);
        means.set(mix.meanOf, mean);
      }
      return mean;
    }
    acc.fill(0);
    for (const t of mix.terms) {
      await readRows(t.source, t.row, 1, arrayDest(tmp), 0);
      for (let c = 0; c < cols; c++) acc[c] += t.weight * tmp[c];
    }
    const d = mix.divisor ?? 1;
    const out = new Float32Array(cols);
    for (let c = 0; c < cols; c++) out[c] = acc[c] / d;
    return out;
  };
  async function meanOfRows(count) {
    for (let r = 0; r < count; r++) {
      const m = checkRow(rows, r);
      if (m < -1 && "meanOf" in rows.mixes[-2 - m]) throw new Error(`gather: mean row ${r} is inside the rows it averages`);
    }
    const sum = new Float64Array(cols);
    const batch = new Float32Array(Math.min(batchRows, Math.max(1, count)) * cols);
    const dest = arrayDest(batch);
    for (let r = 0; r < count; r += batchRows) {
      const k2 = Math.min(batchRows, count - r);
      await gather(r, k2, dest, 0);
      for (let i = 0; i < k2 * cols; i += cols) for (let c = 0; c < cols; c++) sum[c] += batch[i + c];
    }
    const out = new Float32Array(cols);
    for (let c = 0; c < cols; c++) out[c] = count > 0 ? sum[c] / count : 0;
    return out;
  }
  async function gather(firstRow, nRows, dst, at) {
    for (let i = 0; i < nRows; ) {
      const m = checkRow(rows, firstRow + i);
      const here = at + i * cols;
      if (m === -1) dst.view().fill(0, here, here + cols);
      else if (m < -1) {
        const v = await mixRow(-2 - m);
        dst.view().set(v, here);
      }
      if (m < 0) {
        i++;
        continue;
      }
      let run = 1;
      while (i + run < nRows && rows.map[firstRow + i + run] === m + run) run++;
      await readRows(0, m, run, dst, here);
      i += run;
    }
  }
  return gather;
}
async function gatherElements(input, first, n, readRows, dst) {
  const { cols } = input;
  if (n <= 0) return;
  const gather = rowGatherer(input, readRows, Math.max(1, Math.ceil(n / cols)));
  const r0 = Math.floor(first / cols);
  const r1 = Math.ceil((first + n) / cols);
  if (first % cols === 0 && (first + n) % cols === 0) {
    await gather(r0, r1 - r0, dst, 0);
    return;
  }
  const scratch = new Float32Array(cols);
  let done = 0;
  for (let r = r0; r < r1; r++) {
    const from = Math.max(first, r * cols);
    const to = Math.min(first + n, (r + 1) * cols);
    if (from === r * cols && to === (r + 1) * cols) {
      let k2 = r;
      while (k2 + 1 < r1 && (k2 + 2) * cols <= first + n) k2++;
      await gather(r, k2 - r + 1, dst, done);
      done += (k2 - r + 1) * cols;
      r = k2;
      continue;
    }
    await gather(r, 1, arrayDest(scratch), 0);
    dst.view().set(scratch.subarray(from - r * cols, to - r * cols), done);
    done += to - from;
  }
}

// src/quant/types.ts
var row = (name, id, blockSize, typeSize, kernel) => kernel ? { name, id, blockSize, typeSize, kernel } : { name, id, blockSize, typeSize };
var GGML_TYPES = [
  row("F32", 0, 1, 4),
  row("F16", 1, 1, 2, "quantize_f16"),
  row("Q4_0", 2, 32, 18, "quantize_q4_0"),
  row("Q4_1", 3, 32, 20, "quantize_q4_1"),
  row("Q5_0", 6, 32, 22, "quantize_q5_0"),
  row("Q5_1", 7, 32, 24, "quantize_q5_1"),
  row("Q8_0", 8, 32, 34, "quantize_q8_0"),
  row("Q8_1", 9, 32, 36),
  row("Q2_K", 10, 256, 84, "quantize_q2_k"),
  row("Q3_K", 11, 256, 110, "quantize_q3_k"),
  row("Q4_K", 12, 256, 144, "quantize_q4_k"),
  row("Q5_K", 13, 256, 176, "quantize_q5_k"),
  row("Q6_K", 14, 256, 210, "quantize_q6_k"),
  row("Q8_K", 15, 256, 292),
  row("IQ2_XXS", 16, 256, 66),
  row("IQ2_XS", 17, 256, 74),
  row("IQ3_XXS", 18, 256, 98),
  row("IQ1_S", 19, 256, 50),
  row("IQ4_NL", 20, 32, 18),
  row("IQ3_S", 21, 256, 110),
  row("IQ2_S", 22, 256, 82),
  row("IQ4_XS", 23, 256, 136),
  row("I8", 24, 1, 1),
  row("I16", 25, 1, 2),
  row("I32", 26, 1, 4),
  row("I64", 27, 1, 8),
  row("F64", 28, 1, 8),
  row("IQ1_M", 29, 256, 56),
  row("BF16", 30, 1, 2, "quantize_bf16"),
  row("TQ1_0", 34, 256, 54),
  row("TQ2_0", 35, 256, 66),
  row("MXFP4", 39, 32, 17),
  row("NVFP4", 40, 64, 36),
  row("Q1_0", 41, 128, 18),
  row("Q2_0", 42, 64, 18)
];
var QUANT_TYPE_NAMES = ["F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"];
var BY_NAME = new Map(GGML_TYPES.map((t) => [t.name, t]));
var BY_ID = new Map(GGML_TYPES.map((t) => [t.id, t]));
function ggmlTypeByName(name) {
  return BY_NAME.get(name.toUpperCase());
}
function isQuantTypeName(name) {
  return QUANT_TYPE_NAMES.includes(name);
}

// src/kernels/quantize.ts
function quantType(name) {
  const t = isQuantTypeName(name.toUpperCase()) ? ggmlTypeByName(name) : void 0;
  if (!t) {
    throw new MergeopsError("USAGE", `cannot quantize to '${name}'`, `use one of ${QUANT_TYPE_NAMES.join(", ")}`);
  }
  return t;
}
function checkRow2(t, nPerRow, what) {
  if (!Number.isInteger(nPerRow) || nPerRow <= 0 || nPerRow % t.blockSize !== 0) {
    throw new MergeopsError(
      "SHAPE_MISMATCH",
      `${what}: rows of ${nPerRow} elements cannot be quantized to ${t.name} (blocks of ${t.blockSize})`,
      t.blockSize === 256 ? "llama.cpp quantizes such tensors with a fallback type (Q4_0/Q5_0/Q5_1/Q8_0, blocks of 32); pick one for this tensor" : `use a type whose block size divides ${nPerRow}, or F16/BF16/F32`
    );
  }
}
function quantizeRows(k2, type, src, dst, nrows, nPerRow, what = "tensor") {
  const t = typeof type === "string" ? quantType(type) : type;
  checkRow2(t, nPerRow, what);
  if (t.name === "F32") {
    k2.convert(0, src, 0, dst, nrows * nPerRow);
    return;
  }
  if (!t.kernel) throw new MergeopsError("USAGE", `cannot quantize to ${t.name}`, `use one of ${QUANT_TYPE_NAMES.join(", ")}`);
  k2[t.kernel](src, dst, nrows, nPerRow);
}

// src/kernels/gguf-encode.ts
function typeInfo(t) {
  const info = ggmlTypeByName(t.type);
  if (!info) throw new MergeopsError("INTERNAL", `unknown GGUF type ${t.type} for ${t.name}`, "plan GGUF tensors with src/plan/gguf-plan.ts");
  return info;
}
function headRows(t, heads) {
  if (t.rows % heads !== 0 || t.rows / heads % 2 !== 0) {
    throw new MergeopsError(
      "SHAPE_MISMATCH",
      `cannot permute the ${t.rows} rows of ${t.hfName} as ${heads} heads of an even head size`,
      "check num_attention_heads / num_key_value_heads in config.json against the q_proj/k_proj shapes"
    );
  }
  return t.rows / heads;
}
function ggufQuantum(t) {
  if (t.permuteHeads !== void 0) return headRows(t, t.permuteHeads) * t.cols;
  return typeInfo(t).blockSize === 1 ? 1 : t.cols;
}
function roundThrough(arena2, f322, n, via) {
  const mark = arena2.mark();
  const tmp = arena2.alloc(2 * n);
  arena2.k.convert(KERNEL_DTYPE_CODE.F32, f322, KERNEL_DTYPE_CODE[via], tmp, n);
  arena2.k.convert(KERNEL_DTYPE_CODE[via], tmp, KERNEL_DTYPE_CODE.F32, f322, n);
  arena2.release(mark);
}
function checkFinite(t, v, first) {
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i])) {
      throw new MergeopsError(
        "USAGE",
        `tensor ${t.hfName} has a non-finite value (${v[i]}) at element ${first + i}`,
        'llama-quantize rejects NaN/Inf weights ("quantized data validation failed"); fix the model first'
      );
    }
  }
}
function encodeChunk(arena2, t, src, dtype, first, n, fileStart) {
  if (!isFloatDType(dtype)) {
    throw new MergeopsError(
      "USAGE",
      `tensor ${t.hfName} is ${dtype}; GGUF conversion reads F32, F16 and BF16 tensors`,
      "convert the checkpoint to a float dtype first"
    );
  }
  const q = ggufQuantum(t);
  if (first % q !== 0 || n % q !== 0) {
    throw new MergeopsError(
      "INTERNAL",
      `${t.name}: elements [${first}, ${first + n}) are not whole chunks of ${q}`,
      "chunk GGUF tensors by ggufQuantum (whole rows; whole heads for Q/K)"
    );
  }
  const k2 = arena2.k;
  const type = typeInfo(t);
  const code = KERNEL_DTYPE_CODE[dtype];
  const f322 = arena2.alloc(4 * n);
  if (t.permuteHeads !== void 0) {
    const hd = headRows(t, t.permuteHeads);
    const half = hd / 2;
    const inRow = t.cols * DTYPE_SIZE[dtype];
    for (let h = 0; h < n / (hd * t.cols); h++) {
      for (let i = 0; i < 2; i++) {
        for (let j = 0; j < half; j++) {
          k2.convert(code, src + (h * hd + i * half + j) * inRow, KERNEL_DTYPE_CODE.F32, f322 + (h * hd + 2 * j + i) * t.cols * 4, t.cols);
        }
      }
    }
  } else k2.convert(code, src, KERNEL_DTYPE_CODE.F32, f322, n);
  if (t.shift !== void 0) {
    const v = arena2.f32(f322, n);
    for (let i = 0; i < n; i++) v[i] = Math.fround(v[i] + t.shift);
    if (dtype === "F16") roundThrough(arena2, f322, n, "F16");
  }
  if (type.blockSize > 1) checkFinite(t, arena2.f32(f322, n), first);
  if (t.intermediate !== void 0) roundThrough(arena2, f322, n, t.intermediate);
  const at = first / type.blockSize * type.typeSize;
  if (type.name === "F32") return { ptr: f322, len: 4 * n, at };
  const len = n / type.blockSize * type.typeSize;
  const out = fileStart === void 0 ? arena2.alloc(len) : arena2.allocIO(len, [], [fileStart + at]);
  const perRow = type.blockSize === 1 ? n : t.cols;
  quantizeRows(k2, type, f322, out, n / perRow, perRow, t.hfName);
  return { ptr: out, len, at };
}
function writeGGUFChunks(arena2, targets, src, dtype, first, n, write2) {
  return targets.map((t) => {
    const mark = arena2.mark();
    const e = encodeChunk(arena2, t, src, dtype, first, n, t.start);
    write2(e.ptr, e.len, t.file, t.start + e.at);
    arena2.release(mark);
    return e.len;
  });
}

// src/kernels/health.ts
var HEALTH_OUT_WORDS = 3;
var HEALTH_INPUT_WORDS = 4;
function healthWords(k2) {
  return HEALTH_OUT_WORDS + HEALTH_INPUT_WORDS * k2;
}
function chunkHealth(arena2, out, ins, n) {
  const k2 = ins.length;
  const mark = arena2.mark();
  try {
    const recs = arena2.alloc(12 * Math.max(1, k2));
    const dv = new DataView(arena2.k.memory.buffer, recs, 12 * Math.max(1, k2));
    ins.forEach((a, j) => {
      dv.setUint32(12 * j, a.ptr, true);
      dv.setUint32(12 * j + 4, a.code, true);
      dv.setFloat32(12 * j + 8, 1, true);
    });
    const words = 1 + 2 * k2;
    const stats = arena2.alloc(8 * words);
    const counts = arena2.alloc(16);
    const sums = () => arena2.f64(stats, words);
    sums().fill(0);
    arena2.k.health_sums(out.ptr, out.code, recs, k2, n, stats);
    const res = new Float64Array(healthWords(k2));
    const count = (a, at) => {
      arena2.f64(counts, 2).fill(0);
      arena2.k.count_nonfinite(a.ptr, a.code, n, counts);
      res.set(arena2.f64(counts, 2), at);
    };
    let s = sums();
    let overflow = false;
    if (!Number.isFinite(s[0])) {
      count(out, 0);
      overflow ||= res[0] + res[1] === 0;
    }
    for (let j = 0; j < k2; j++) {
      s = sums();
      if (Number.isFinite(s[1 + 2 * j]) && Number.isFinite(s[2 + 2 * j])) continue;
      const at = HEALTH_OUT_WORDS + HEALTH_INPUT_WORDS * j;
      count(ins[j], at);
      overflow ||= res[at] + res[at + 1] === 0 && res[0] + res[1] === 0;
    }
    if (overflow) {
      sums().fill(0);
      arena2.k.health_sums_exact(out.ptr, out.code, recs, k2, n, stats);
    }
    s = sums();
    res[2] = s[0];
    for (let j = 0; j < k2; j++) {
      const at = HEALTH_OUT_WORDS + HEALTH_INPUT_WORDS * j;
      res[at + 2] = s[1 + 2 * j];
      res[at + 3] = s[2 + 2 * j];
    }
    return res;
  } finally {
    arena2.release(mark);
  }
}

// src/kernels/lora-input.ts
function loraRows(cols, first, n) {
  const row0 = Math.floor(first / cols);
  const col0 = first - row0 * cols;
  return { row0, col0, nrows: n === 0 ? 0 : Math.ceil((col0 + n) / cols) };
}
async function materializeLora(mem, input, first, n, read) {
  const { rank, cols, scale } = input;
  if (!(rank >= 1 && cols >= 1)) throw new Error(`internal: LoRA input with rank ${rank} and ${cols} columns`);
  const x = await read(input.base, first, n);
  if (n === 0) return x;
  const { row0, nrows, col0 } = loraRows(cols, first, n);
  let b;
  let a;
  if (input.embedding === void 0) {
    b = await read(input.b, row0 * rank, nrows * rank, input.rows * rank);
    a = await read(input.a, 0, rank * cols, rank * cols);
  } else {
    const { rows } = input.embedding;
    const bt = mem.alloc(4 * rank * nrows);
    for (let r = 0; r < rank; r++) {
      const p = await read(input.b, r * rows + row0, nrows, rank * rows);
      new Uint8Array(mem.k.memory.buffer).copyWithin(bt + 4 * r * nrows, p, p + 4 * nrows);
    }
    b = mem.alloc(4 * rank * nrows);
    mem.k.lora_transpose(bt, rank, nrows, b);
    const at = await read(input.a, 0, cols * rank, cols * rank);
    a = mem.alloc(4 * rank * cols);
    mem.k.lora_transpose(at, cols, rank, a);
  }
  mem.k.lora_apply(x, n, b, a, rank, cols, col0, scale);
  return x;
}

// src/kernels/program-runner.ts
var CTX_BYTES = 64;
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
    const mixed = c.dtypes !== void 0 || (c.outDType ?? 0) !== 0;
    if (mixed && !prog.mixedDTypes) throw new Error(`internal: ${call.fn} takes F32 inputs only`);
    const dtypes = mixed ? arena2.alloc(4 * Math.max(1, c.inputs.length)) : 0;
    const tile = mixed ? tileOf(prog.quantum) : 0;
    const stage = mixed ? arena2.alloc(4 * (c.inputs.length + 1) * tileStride(tile)) : 0;
    const mem = arena2.k.memory.buffer;
    const t = new Uint32Array(mem, table, c.inputs.length);
    c.inputs.forEach((p, i) => {
      t[i] = p;
    });
    if (mixed) new Uint32Array(mem, dtypes, c.inputs.length).set(c.dtypes ?? c.inputs.map(() => 0));
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
      scratchBytes,
      dtypes,
      c.outDType ?? 0,
      stage,
      tile
    ];
    w.forEach((x, i) => v.setUint32(4 * i, x, true));
    programKernel(arena2.k, call.fn)(ctx);
  } finally {
    arena2.release(mark);
  }
}
function withStatPass(arena2, prog, pass, prev, c, use) {
  const p = prog.passes[pass];
  const words = p.words(c.n, c.first);
  const mark = arena2.mark();
  try {
    const out = arena2.alloc(8 * Math.max(1, words));
    arena2.f64(out, words).fill(0);
    callKernel(arena2, prog, p.call(prev), c, out, words);
    return use(arena2.f64(out, words));
  } finally {
    arena2.release(mark);
  }
}
function runStatPass(arena2, prog, pass, prev, c) {
  return withStatPass(arena2, prog, pass, prev, c, (w) => w.slice());
}
function runApply(arena2, prog, stats, c, out) {
  callKernel(arena2, prog, prog.apply(stats), c, out, 0);
}
function runAllStats(arena2, prog, c) {
  const stats = [];
  for (let i = 0; i < prog.passes.length; i++) {
    if (prog.passes[i].skip?.(stats)) {
      stats.push(SKIPPED);
      continue;
    }
    stats.push(withStatPass(arena2, prog, i, stats, c, (data) => {
      const r = prog.passes[i].reduce([{ first: c.first, n: c.n, data }]);
      return r.buffer === arena2.k.memory.buffer ? r.slice() : r;
    }));
  }
  return stats;
}

// src/kernels/wasm-module.ts
var EXPORTED_FUNCTIONS = [
  "heap_base",
  "convert",
  "scale_convert",
  "linear",
  "task_arithmetic",
  "lora_apply",
  "lora_transpose",
  "quantize_f16",
  "quantize_bf16",
  "quantize_q8_0",
  "quantize_q4_0",
  "quantize_q4_1",
  "quantize_q5_0",
  "quantize_q5_1",
  "quantize_q2_k",
  "quantize_q3_k",
  "quantize_q4_k",
  "quantize_q5_k",
  "quantize_q6_k"
];
var KERNELS_WASM_URL = new URL("./kernels.wasm", import.meta.url);
function hasHealthKernels(k2) {
  const ex = k2;
  return ["health_sums", "health_sums_exact", "count_nonfinite"].every((n) => typeof ex[n] === "function");
}
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
var MAX_IO2 = 1 << 30;
var k = instantiateKernels(workerData.module);
var arena = new Arena(k);
var healthKernels = hasHealthKernels(k);
var readFds = /* @__PURE__ */ new Map();
var writeFds = /* @__PURE__ */ new Map();
var bytesRead = 0;
var bytesDirect = 0;
var remote = new ReadAhead();
function fdFor(map, file, flags) {
  let fd = map.get(file);
  if (fd === void 0) {
    fd = openSync(file, flags);
    map.set(file, fd);
  }
  return fd;
}
function readFile(ptr, len, file, offset) {
  readRangeSync(fdFor(readFds, file, "r"), arena.bytes(ptr, len), offset, file);
  bytesRead += len;
}
function writeAll(fd, ptr, len, offset) {
  let done = 0;
  while (done < len) {
    const want = Math.min(MAX_IO2, len - done);
    done += writeSync(fd, arena.bytes(ptr + done, want), 0, want, offset + done);
  }
}
var DIRECT_BLOCK = 4096;
var DIRECT_MIN = 1 << 20;
var directFds = /* @__PURE__ */ new Map();
var useDirect = workerData.directIO === true;
function directFd(file) {
  let fd = directFds.get(file);
  if (fd === void 0) {
    try {
      fd = openSync(file, fsConstants.O_WRONLY | fsConstants.O_DIRECT);
    } catch {
      fd = null;
    }
    directFds.set(file, fd);
  }
  return fd;
}
function directSplit(offset, len) {
  const head = Math.min(len, (DIRECT_BLOCK - offset % DIRECT_BLOCK) % DIRECT_BLOCK);
  const middle = Math.floor((len - head) / DIRECT_BLOCK) * DIRECT_BLOCK;
  return { head, middle, tail: len - head - middle };
}
function writeFrom(ptr, len, file, offset) {
  try {
    writeFromUnchecked(ptr, len, file, offset);
  } catch (e) {
    throw atFile(e, file);
  }
}
function atFile(e, file) {
  if (typeof e === "object" && e !== null && typeof e.code === "string" && e.path === void 0) e.path = file;
  return e;
}
function writeFromUnchecked(ptr, len, file, offset) {
  const fd = fdFor(writeFds, file, "r+");
  const { head, middle, tail } = directSplit(offset, len);
  const dfd = useDirect && len >= DIRECT_MIN && (ptr + head) % DIRECT_BLOCK === 0 && middle > 0 ? directFd(file) : null;
  if (dfd === null) {
    writeAll(fd, ptr, len, offset);
    return;
  }
  if (head > 0) writeAll(fd, ptr, head, offset);
  try {
    writeAll(dfd, ptr + head, middle, offset + head);
    bytesDirect += middle;
  } catch (e) {
    if (e.code !== "EINVAL") throw e;
    closeSync(dfd);
    directFds.set(file, null);
    writeAll(fd, ptr + head, middle, offset + head);
  }
  if (tail > 0) writeAll(fd, ptr + head + middle, tail, offset + head + middle);
}
var staging = new WebAssembly.Memory({ initial: 1 });
var inFlight;
async function drainWrites() {
  const p = inFlight;
  inFlight = void 0;
  if (p) await p;
}
function writeAsync(fd, buf, offset) {
  return new Promise((resolve, reject) => {
    const step = (done) => {
      if (done === buf.length) {
        resolve();
        return;
      }
      const want = Math.min(MAX_IO2, buf.length - done);
      write(fd, buf, done, want, offset + done, (err, n) => err ? reject(err) : step(done + n));
    };
    step(0);
  });
}
async function writeBehind(ptr, len, file, offset) {
  await drainWrites();
  try {
    startWrite(ptr, len, file, offset);
  } catch (e) {
    throw atFile(e, file);
  }
  const p = inFlight.catch((e) => {
    throw atFile(e, file);
  });
  p.catch(() => void 0);
  inFlight = p;
}
function startWrite(ptr, len, file, offset) {
  const phase = offset % DIRECT_BLOCK;
  const need = phase + len;
  if (need > staging.buffer.byteLength) staging.grow(Math.ceil((need - staging.buffer.byteLength) / 65536));
  const buf = new Uint8Array(staging.buffer, phase, len);
  buf.set(arena.bytes(ptr, len));
  const fd = fdFor(writeFds, file, "r+");
  const { head, middle, tail } = directSplit(offset, len);
  const dfd = useDirect && len >= DIRECT_MIN && middle > 0 ? directFd(file) : null;
  if (dfd === null) {
    inFlight = writeAsync(fd, buf, offset);
    return;
  }
  if (head > 0) writeSync(fd, buf, 0, head, offset);
  if (tail > 0) writeSync(fd, buf, head + middle, tail, offset + head + middle);
  bytesDirect += middle;
  const mid = buf.subarray(head, head + middle);
  inFlight = writeAsync(dfd, mid, offset + head).catch(async (e) => {
    if (e.code !== "EINVAL") throw e;
    directFds.set(file, null);
    closeSync(dfd);
    await writeAsync(fd, mid, offset + head);
  });
}
function floatCode(d) {
  if (!isFloatDType(d)) throw new Error(`dtype ${d} cannot be computed on; only copied`);
  return KERNEL_DTYPE_CODE[d];
}
async function materialize(input, first, n, asF32) {
  switch (input.kind) {
    case "tensor": {
      const size = DTYPE_SIZE[input.dtype];
      const at = input.start + first * size;
      const ptr = input.source.kind === "file" ? arena.allocIO(size * n, [at]) : arena.alloc(size * n);
      if (input.source.kind === "http") {
        await remote.read(input.source, input.start + first * size, new Uint8Array(k.memory.buffer, ptr, size * n));
        bytesRead += size * n;
      } else readFile(ptr, size * n, input.source.path, at);
      return asF32 && input.dtype !== "F32" ? toF32({ ptr, dtype: input.dtype }, n) : { ptr, dtype: input.dtype };
    }
    case "op": {
      const info = { shape: input.shape, tensor: input.tensor, first, n, numel: input.shape.reduce((a, b) => a * b, 1) };
      const ins = await materializeAll(input.op, input.inputs, first, n, needsF32(input.op, input.inputs.length, info));
      const size = DTYPE_SIZE[input.dtype];
      const out = arena.alloc(size * n);
      const step = input.op.kind === "program" ? { mode: "apply", stats: input.stats ?? [] } : void 0;
      if (input.op.kind === "copy" && input.op.scale === void 0 && ins[0].dtype === input.dtype) {
        return asF32 && input.dtype !== "F32" ? toF32(ins[0], n) : ins[0];
      }
      compute(input.op, ins, info, input.dtype, out, step);
      const m = { ptr: out, dtype: input.dtype };
      return asF32 && input.dtype !== "F32" ? toF32(m, n) : m;
    }
    case "gather":
      return await materializeGather(input, first, n);
    case "lora":
      return {
        ptr: await materializeLora(
          arena,
          input,
          first,
          n,
          async (i, f, m, whole) => whole !== void 0 && i.kind === "tensor" ? readFactor(i, f, m, whole) : (await materialize(i, f, m, true)).ptr
        ),
        dtype: "F32"
      };
  }
}
var factors = new FactorCache(16 * 1024 * 1024);
async function readFactor(input, first, n, whole) {
  const size = DTYPE_SIZE[input.dtype];
  const src = input.source;
  const bytes = whole * size;
  const key = `${src.kind === "file" ? src.path : src.url}\0${input.start}`;
  const data = await factors.get(key, bytes, async () => {
    const buf = new Uint8Array(bytes);
    if (src.kind === "http") await rangeRead(src, input.start, buf);
    else {
      readRangeSync(fdFor(readFds, src.path, "r"), buf, input.start, src.path);
    }
    bytesRead += bytes;
    return buf;
  });
  const ptr = arena.alloc(size * n);
  arena.bytes(ptr, size * n).set(data.subarray(first * size, (first + n) * size));
  return input.dtype === "F32" ? ptr : toF32({ ptr, dtype: input.dtype }, n).ptr;
}
async function materializeGather(input, first, n) {
  const { cols } = input;
  const out = arena.alloc(4 * n);
  await gatherElements(input, first, n, async (si, r, nRows, dst, at) => {
    const s = input.sources[si];
    const count = nRows * cols;
    const mark = arena.mark();
    if (s.kind === "tensor" && s.source.kind === "file") {
      const size = DTYPE_SIZE[s.dtype];
      const into = dst.ptr !== void 0 ? dst.ptr + 4 * at : arena.alloc(4 * count);
      if (s.dtype === "F32") readFile(into, 4 * count, s.source.path, s.start + r * cols * 4);
      else {
        const staging2 = arena.alloc(size * count);
        readFile(staging2, size * count, s.source.path, s.start + r * cols * size);
        k.convert(floatCode(s.dtype), staging2, KERNEL_DTYPE_CODE.F32, into, count);
      }
      if (dst.ptr === void 0) dst.view().set(arena.f32(into, count), at);
    } else {
      const { quantum, numel } = input.align[si];
      const from = r * cols;
      const a0 = Math.floor(from / quantum) * quantum;
      const a1 = Math.min(numel, Math.ceil((from + count) / quantum) * quantum);
      const m = await materialize(s, a0, a1 - a0, true);
      dst.view().set(arena.f32(m.ptr + 4 * (from - a0), count), at);
    }
    arena.release(mark);
  }, { ptr: out, view: () => arena.f32(out, n) });
  return { ptr: out, dtype: "F32" };
}
function toF32(m, n) {
  const f = arena.alloc(4 * n);
  k.convert(floatCode(m.dtype), m.ptr, KERNEL_DTYPE_CODE.F32, f, n);
  return { ptr: f, dtype: "F32" };
}
function needsF32(op, inputs, c) {
  return op.kind === "program" && !program(op, inputs, c).mixedDTypes;
}
async function materializeAll(op, inputs, first, n, asF32) {
  const fetched = await fetchRemote(inputs, first, n);
  const out = [];
  for (const [j, i] of inputs.entries()) {
    const m = fetched.get(j);
    out.push(m ? asF32 && m.dtype !== "F32" ? toF32(m, n) : m : await materialize(i, first, n, asF32));
  }
  return out;
}
async function fetchRemote(inputs, first, n) {
  const got = /* @__PURE__ */ new Map();
  const jobs = [];
  for (const [j, i] of inputs.entries()) {
    if (i.kind !== "tensor" || i.source.kind !== "http") continue;
    const len = DTYPE_SIZE[i.dtype] * n;
    const ptr = arena.alloc(len);
    got.set(j, { ptr, dtype: i.dtype });
    jobs.push({ src: i, ptr, len });
  }
  if (jobs.length === 0) return got;
  const mem = k.memory.buffer;
  await Promise.all(jobs.map(({ src, ptr, len }) => src.source.kind === "http" && remote.read(src.source, src.start + first * DTYPE_SIZE[src.dtype], new Uint8Array(mem, ptr, len))));
  for (const j of jobs) bytesRead += j.len;
  return got;
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
      const view = programView(prog, ins, c.first, c.n, prog.rowLen ?? rowLen(c.shape, c.numel));
      const stats = step.mode === "whole" ? runAllStats(arena, prog, view) : step.stats;
      const notes = step.mode === "whole" ? prog.notes?.(stats) : void 0;
      if (prog.mixedDTypes) {
        runApply(arena, prog, stats, { ...view, outDType: outCode }, dst);
        return notes;
      }
      const f322 = outDType === "F32" ? dst : arena.alloc(4 * c.n);
      runApply(arena, prog, stats, view, f322);
      if (f322 !== dst) k.convert(KERNEL_DTYPE_CODE.F32, f322, outCode, dst, c.n);
      return notes;
    }
  }
}
function programView(prog, ins, first, n, row2) {
  const view = { inputs: ins.map((i) => i.ptr), first, n, rowLen: row2 };
  return prog.mixedDTypes ? { ...view, dtypes: ins.map((i) => floatCode(i.dtype)) } : view;
}
function healthOf(job, out, ins) {
  if (!job.health || !healthKernels || !isFloatDType(job.out.dtype) || !ins.every((i) => isFloatDType(i.dtype))) return {};
  return { health: chunkHealth(arena, { ptr: out, code: floatCode(job.out.dtype) }, ins.map((i) => ({ ptr: i.ptr, code: floatCode(i.dtype) })), job.n) };
}
async function runJob(job) {
  arena.reset();
  bytesRead = 0;
  bytesDirect = 0;
  const { op, first, n } = job;
  const numel = job.shape.reduce((a, b) => a * b, 1);
  const c = { shape: job.shape, tensor: job.tensor, first, n, numel };
  const outSize = DTYPE_SIZE[job.out.dtype];
  const outBytes = outSize * n;
  const outOffset = job.out.start + first * outSize;
  const ins = await materializeAll(op, job.inputs, first, n, needsF32(op, job.inputs.length, c));
  if (job.step?.mode === "pass") {
    if (op.kind !== "program") throw new Error("internal: a statistics pass needs a program op");
    const prog = program(op, ins.length, c);
    const view = programView(prog, ins, first, n, prog.rowLen ?? rowLen(job.shape, numel));
    const stats = runStatPass(arena, prog, job.step.pass, job.step.stats, view);
    return { bytesRead, bytesWritten: 0, bytesDirect, stats };
  }
  if (op.kind === "copy" && op.scale === void 0 && ins[0].dtype === job.out.dtype) {
    if (job.out.file !== "") await writeBehind(ins[0].ptr, outBytes, job.out.file, outOffset);
    const health2 = healthOf(job, ins[0].ptr, ins);
    const gguf2 = writeGGUF(job, ins[0].ptr);
    return { bytesRead, bytesWritten: job.out.file !== "" ? outBytes : 0, bytesDirect, ...gguf2, ...health2 };
  }
  const alias = !job.health && op.kind !== "program" && ins[0].dtype === job.out.dtype;
  const dst = alias ? ins[0].ptr : arena.alloc(outBytes);
  const notes = compute(op, ins, c, job.out.dtype, dst, job.step);
  if (job.out.file !== "") await writeBehind(dst, outBytes, job.out.file, outOffset);
  const health = healthOf(job, dst, ins);
  const gguf = writeGGUF(job, dst);
  return { bytesRead, bytesWritten: job.out.file !== "" ? outBytes : 0, bytesDirect, ...gguf, ...notes?.length ? { notes } : {}, ...health };
}
function writeGGUF(job, ptr) {
  if (!job.gguf?.length) return {};
  return { ggufBytes: writeGGUFChunks(arena, job.gguf, ptr, job.out.dtype, job.first, job.n, writeFrom) };
}
function closeAll() {
  for (const fd of [...readFds.values(), ...writeFds.values(), ...directFds.values()]) if (fd !== null) closeSync(fd);
  readFds.clear();
  writeFds.clear();
  directFds.clear();
}
function closeFile(file) {
  for (const map of [readFds, writeFds, directFds]) {
    const fd = map.get(file);
    if (fd !== void 0 && fd !== null) closeSync(fd);
    map.delete(file);
  }
}
function failure(id, e) {
  const base = { id, error: e instanceof Error ? e.message : String(e) };
  if (e instanceof MergeopsError) return { ...base, code: e.code, hint: e.hint };
  const sys = e;
  if (typeof e === "object" && e !== null && typeof sys.code === "string" && /^E[A-Z]+$/.test(sys.code)) {
    return { ...base, errno: sys.code, syscall: typeof sys.syscall === "string" ? sys.syscall : void 0, path: typeof sys.path === "string" ? sys.path : void 0 };
  }
  return base;
}
parentPort.on("message", (msg) => {
  if ("closeFile" in msg) {
    drainWrites().then(
      () => {
        closeFile(msg.closeFile);
        parentPort.postMessage({ id: msg.id });
      },
      (e) => parentPort.postMessage(failure(msg.id, e))
    );
    return;
  }
  if ("close" in msg) {
    drainWrites().then(
      () => {
        closeAll();
        parentPort.postMessage({ id: msg.id, closed: true });
      },
      (e) => {
        closeAll();
        parentPort.postMessage(failure(msg.id, e));
      }
    );
    return;
  }
  runJob(msg.job).then(
    // A pass's words (a copy out of the kernel memory, owning its buffer) move to the main thread.
    (r) => parentPort.postMessage({ id: msg.id, ...r }, r.stats && r.stats.byteLength === r.stats.buffer.byteLength ? [r.stats.buffer] : []),
    // A MergeopsError (e.g. a Hub read that gave up) keeps its code and hint across the thread boundary.
    (e) => parentPort.postMessage(failure(msg.id, e))
  );
});
