/**
 * `mergeops quantize`: a local safetensors model folder → one GGUF file (or gguf-split parts).
 * Reads the headers and tokenizer files, plans the file (src/plan/gguf-plan.ts), then streams
 * chunk by chunk: read into a kernel instance's memory → encode (src/kernels/gguf-encode.ts, the
 * encoder the merge workers use too) → write at the tensor's offset. Memory: one chunk at a time.
 */
import { promises as fs } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import type { GGUFGeneralInfo } from '../arch/gguf-general.js';
import { parse as parseYaml } from 'yaml';
import type { HFConfig } from '../arch/types.js';
import { MergeopsError, type ErrorCode } from '../errors.js';
import type { GGUFSplitOptions } from '../formats/gguf.js';
import { readLocalModel } from '../hub/local.js';
import { folderView, type FileView } from '../io/optional-file.js';
import { ggufQuantum } from '../kernels/gguf-encode.js';
import { asSystemError, KernelError, KernelPool } from '../kernels/pool.js';
import type { GGUFPlan } from '../plan/gguf-plan.js';
import { folderGGUFInfo, planFolderGGUF, type FolderGGUFInfo } from '../plan/gguf-files.js';
import type { FileTypeName } from '../quant/select.js';
import { readGGUFSources } from '../tokenizer/read-files.js';
import { GGUFFileSink } from './gguf-sink.js';
import { acquireOutputLock, CARD_DATA_FILE, readOutputMarker, removeStalePartials, resolveOutPath } from './output-safety.js';
import { asFsError } from '../fs-errors.js';
import { onInterruptCleanup, onInterruptStop } from '../interrupt.js';
import type { LoadCheck, SmokeResult } from './gguf-check.js';
import { verifyGGUF } from './gguf-verify.js';

export interface ConvertOptions {
  modelDir: string;
  /** output folder (created) */
  outDir: string;
  fileType: FileTypeName;
  /** file name prefix; default `<folder name>-<TYPE>` */
  prefix?: string;
  /** `general.*` values; default: name from the folder name (as convert) */
  general?: Partial<GGUFGeneralInfo>;
  /** `tokenizer.ggml.pre` for BPE tokenizers whose fingerprint llama.cpp does not know */
  tokenizerPre?: string;
  split?: GGUFSplitOptions;
  overwrite?: boolean;
  /** Replace an existing file of the same name even when it is not a GGUF file. */
  forceOverwrite?: boolean;
  /** Notes (stale partial files removed). */
  log?: (line: string) => void;
  /** Stands for the folder name where convert would use it. */
  modelId?: string;
  /** elements per processing chunk (rounded to whole rows, whole heads for Q/K); bounds memory */
  chunkElements?: number;
  /** kernel workers (default: one per core) */
  threads?: number;
  /** load the file with `loadCheck` (default true, when one is given) */
  check?: boolean;
  /** the load check (eval/load-check.ts `smokeTestGGUF`), passed in by the caller */
  loadCheck?: LoadCheck;
}

/** 16 Mi elements: 64 MiB of f32 per chunk (a few times that with the source and output copies). */
const CHUNK_ELEMENTS = 16 << 20;

export interface ConvertResult {
  files: { path: string; bytes: number }[];
  plan: GGUFPlan;
  /** What llama.cpp decoded from the file (undefined with check: false). */
  check?: SmokeResult;
}

/** The YAML front matter of a model card (README.md), as convert reads it; {} without one. */
export async function readModelCard(from: string | FileView): Promise<Record<string, unknown>> {
  const view = typeof from === 'string' ? folderView(from) : from;
  const b = view.read('README.md');
  if (!b) return {};
  const lines = b.toString('utf8').split(/\r?\n/);
  if (lines[0] !== '---') return {};
  const end = lines.indexOf('---', 1);
  const yaml = lines.slice(1, end < 0 ? undefined : end).join('\n').replace(/\t/g, '  ');
  try {
    const v = parseYaml(yaml, { version: '1.1' }) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch (e) {
    throw new MergeopsError('IO', `${view.path('README.md')}: the model card's YAML header is invalid (${(e as Error).message})`,
      'fix the front matter between the --- lines, or pass --name');
  }
}

export interface FolderPlanOptions {
  /** the model folder: config.json's neighbours (tokenizer files, generation_config.json, README.md) */
  dir: string;
  config: HFConfig;
  general?: Partial<GGUFGeneralInfo>;
  tokenizerPre?: string;
  /** stands for the folder name where convert uses it; default the folder's name */
  modelId?: string;
}

/**
 * Reads what convert takes from a model folder besides the tensors (plan/gguf-files.ts
 * `folderGGUFInfo`): tokenizer files, generation config, the model card, the title a mergeops run
 * recorded in its marker.
 */
export async function readFolderGGUFInfo(o: FolderPlanOptions): Promise<FolderGGUFInfo> {
  const files = folderView(o.dir);
  const sources = readGGUFSources(files);
  const marker = readOutputMarker(o.dir);
  // The card a run renders into its own output comes after its GGUF files: it is not a source of
  // their `general.*`, so quantize of the folder writes the bytes the run wrote.
  const generatedCard = marker !== undefined && await fs.stat(path.join(o.dir, CARD_DATA_FILE)).then(() => true, () => false);
  return folderGGUFInfo({
    config: o.config, sources, modelCard: generatedCard ? {} : await readModelCard(files), title: marker?.name,
    general: o.general, tokenizerPre: o.tokenizerPre, modelId: o.modelId ?? path.basename(o.dir),
  });
}

/** Waits for every job; the first failure is rethrown (a worker's typed error keeps its code and hint). */
async function settleAll(jobs: readonly Promise<void>[]): Promise<void> {
  const results = await Promise.allSettled(jobs);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (!failed) return;
  const e: unknown = failed.reason;
  if (e instanceof KernelError && e.code && e.hint) throw new MergeopsError(e.code as ErrorCode, e.message, e.hint);
  throw asSystemError(e);
}

export async function convertModelToGGUF(o: ConvertOptions): Promise<ConvertResult> {
  const model = await readLocalModel(o.modelDir);
  const info = await readFolderGGUFInfo({
    dir: model.dir, config: model.config as HFConfig, general: o.general, tokenizerPre: o.tokenizerPre, modelId: o.modelId,
  });
  const tensors = [...model.tensors.values()].map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, shard: path.basename(t.file) }));
  const plan = planFolderGGUF(info, tensors, o.fileType, { prefix: o.prefix, split: o.split });

  // Files are added (the default --out is the model folder itself) under names no input has
  // (*.gguf): nothing is replaced but an earlier GGUF file, so no placement rule applies.
  const outDir = resolveOutPath(o.outDir);
  const created = !(await fs.stat(outDir).then(() => true, () => false));
  try {
    await fs.mkdir(outDir, { recursive: true });
  } catch (e) {
    throw asFsError(e, 'create the folder', outDir);
  }
  // An empty folder this run created goes again when the run fails or is interrupted.
  const dropCreated = async (): Promise<void> => { if (created) await fs.rmdir(outDir).catch(() => undefined); };
  const unregisterDir = onInterruptCleanup(dropCreated);
  const lock = acquireOutputLock(path.join(outDir, plan.files[0].fileName));
  try {
    removeStalePartials(outDir, o.log);
    for (const f of plan.files) {
      const p = path.join(outDir, f.fileName);
      const exists = await fs.stat(p).then(() => true, () => false);
      if (exists && !o.overwrite && !o.forceOverwrite) {
        throw new MergeopsError('USAGE', `${p} already exists`, 'pass --overwrite to replace it, or choose another --out folder');
      }
      if (exists && !o.forceOverwrite && !(await isGGUFFile(p))) {
        throw new MergeopsError('USAGE', `${p} exists and is not a GGUF file: --overwrite replaces only GGUF files`,
          'choose another --out folder or --name, or pass --force-overwrite to replace it anyway');
      }
    }
    return await writeConverted(o, model, plan, outDir);
  } catch (e) {
    lock.release();
    await dropCreated();
    throw e;
  } finally {
    unregisterDir();
    lock.release();
  }
}

async function isGGUFFile(p: string): Promise<boolean> {
  try {
    const fh = await fs.open(p, 'r');
    try {
      const b = Buffer.alloc(4);
      await fh.read(b, 0, 4, 0);
      return b.toString('latin1') === 'GGUF';
    } finally {
      await fh.close();
    }
  } catch {
    return false;
  }
}

async function writeConverted(o: ConvertOptions, model: Awaited<ReturnType<typeof readLocalModel>>, plan: GGUFPlan, outDir: string): Promise<ConvertResult> {
  const sinks: GGUFFileSink[] = [];
  const fileOf = new Map<string, GGUFFileSink>();
  try {
    for (const f of plan.files) {
      const s = await GGUFFileSink.create(path.join(outDir, f.fileName), f.layout);
      sinks.push(s);
      for (const t of f.layout.tensors) fileOf.set(t.name, s);
    }
    // The kernel workers read each chunk straight into their memory, encode it and write it at
    // its place in the temporary GGUF file (the same path as `run --gguf`), tensors in parallel.
    const pool = await KernelPool.create(o.threads ?? availableParallelism());
    const unregisterPool = onInterruptStop(() => pool.close());
    try {
      const jobs: Promise<void>[] = [];
      for (const t of plan.tensors) {
        const sink = fileOf.get(t.ggufName)!;
        if (t.generated) {
          await sink.writeTensor(t.ggufName, new Uint8Array(t.generated.buffer.slice(0)));
          continue;
        }
        const src = model.tensors.get(t.hfName)!;
        const target = sink.target(t);
        const numel = target.rows * target.cols;
        const q = ggufQuantum(target);
        const step = Math.max(q, Math.floor((o.chunkElements ?? CHUNK_ELEMENTS) / q) * q);
        for (let first = 0; first < numel; first += step) {
          const n = Math.min(step, numel - first);
          // A GGUF-only job: the stored bytes, no shard output, one GGUF target.
          jobs.push(pool.run({
            op: { kind: 'copy' }, inputs: [{ kind: 'tensor', source: { kind: 'file', path: src.file }, start: src.start, dtype: src.dtype }],
            shape: [numel], tensor: t.hfName, first, n, out: { file: '', start: 0, dtype: src.dtype }, gguf: [target],
          }).then((r) => sink.markWritten(t.ggufName, r.ggufBytes?.[0] ?? 0)));
        }
      }
      await settleAll(jobs);
      await pool.closeFiles();
    } finally {
      unregisterPool();
      await pool.close();
    }
    for (const s of sinks) await s.finish();
  } catch (e) {
    for (const s of sinks) await s.abort();
    // A full disk or a read-only folder: typed, naming the file and (ENOSPC) the space the GGUF files need.
    throw asFsError(e, 'write', outDir, { needed: plan.files.reduce((a, f) => a + f.layout.fileSize, 0) });
  }
  for (const f of plan.files) await verifyGGUF(path.join(outDir, f.fileName), f.layout, f.metadata);
  let check: SmokeResult | undefined;
  try {
    if ((o.check ?? true) && o.loadCheck) check = await o.loadCheck(path.join(outDir, plan.files[0].fileName));
  } catch (e) {
    for (const f of plan.files) await fs.rm(path.join(outDir, f.fileName), { force: true }); // unusable: not left behind
    throw e;
  }
  return { files: plan.files.map((f) => ({ path: path.join(outDir, f.fileName), bytes: f.layout.fileSize })), plan, check };
}
