/**
 * The GGUF files a merge writes while it merges (`--gguf`, `mergeops.quantize`): planned from the
 * merge plan before any tensor is computed (the output folder already holds config.json and the
 * tokenizer files), every header written, then each merged chunk is encoded into every file by
 * the kernel worker that computed it. The bytes equal `mergeops quantize` on the merged folder:
 * both plan with `readFolderGGUFInfo` + `planFolderGGUF` and encode with kernels/gguf-encode.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HFConfig } from '../arch/types.js';
import { MergeopsError } from '../errors.js';
import type { GGUFSplitOptions } from '../formats/gguf.js';
import type { GGUFTarget } from '../kernels/jobs.js';
import type { GGUFPlan } from '../plan/gguf-plan.js';
import type { Plan } from '../plan/types.js';
import type { FileTypeName } from '../quant/select.js';
import { planFolderGGUF, readFolderGGUFInfo } from './gguf-convert.js';
import { GGUFFileSink } from './gguf-sink.js';
import { smokeTestGGUF, type GGUFCheck } from '../eval/load-check.js';
import { verifyGGUF } from './gguf-verify.js';

export interface GGUFOutputOptions {
  /** stands for the output folder's name (file names, `general.name`) */
  modelId: string;
  tokenizerPre?: string;
  /** told as each type is planned */
  onType?: (t: FileTypeName) => void;
  /** gguf-split sets instead of single files */
  split?: GGUFSplitOptions;
  /**
   * A matrix job (plan/matrix.ts): asked once per planned file, in order, with the checkpoint
   * names of the tensors it holds, whether this job writes it; the others are planned (their
   * layout fixes every name and offset) but not created.
   */
  keep?: (fileName: string, bytes: number, tensors: readonly string[]) => boolean;
}

export class GGUFOutputs {
  private constructor(
    private readonly plans: readonly GGUFPlan[],
    private readonly sinks: readonly GGUFFileSink[],
    private readonly byTensor: ReadonlyMap<string, GGUFTarget[]>,
    /** Names of the files this run writes (all of them unless a matrix job). */
    private readonly kept: Set<string>,
  ) {}

  private sinkOf(file: string): GGUFFileSink {
    const s = this.sinks.find((x) => x.tempPath === file);
    if (!s) throw new MergeopsError('INTERNAL', `no GGUF file is being written at ${file}`, 'jobs may only target the files GGUFOutputs opened');
    return s;
  }

  /**
   * Plans one GGUF file (or gguf-split set) per type for the merge's output tensors and writes
   * their headers into `dir`, the output folder being built (it must hold config.json and the
   * tokenizer files already). Tensors computed from the config (rope_freqs) are written here.
   */
  static async open(plan: Plan, dir: string, types: readonly FileTypeName[], o: GGUFOutputOptions): Promise<GGUFOutputs> {
    // The config as `mergeops quantize` would read it back from the folder.
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as HFConfig;
    const tensors = plan.tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, shard: plan.shards[t.shard].fileName }));
    const plans: GGUFPlan[] = [];
    const sinks: GGUFFileSink[] = [];
    const byTensor = new Map<string, GGUFTarget[]>();
    const kept = new Set<string>();
    const out = new GGUFOutputs(plans, sinks, byTensor, kept);
    try {
      const info = await readFolderGGUFInfo({ dir, config, modelId: o.modelId, tokenizerPre: o.tokenizerPre });
      for (const fileType of new Set(types)) {
        o.onType?.(fileType);
        const gp = planFolderGGUF(info, tensors, fileType, { split: o.split });
        plans.push(gp);
        const fileOf = new Map<string, GGUFFileSink>();
        const hfName = new Map(gp.tensors.filter((t) => !t.generated).map((t) => [t.ggufName, t.hfName]));
        for (const f of gp.files) {
          if (o.keep && !o.keep(f.fileName, f.layout.fileSize, f.layout.tensors.flatMap((t) => hfName.get(t.name) ?? []))) continue;
          kept.add(f.fileName);
          const s = await GGUFFileSink.create(join(dir, f.fileName), f.layout);
          sinks.push(s);
          for (const t of f.layout.tensors) fileOf.set(t.name, s);
        }
        for (const t of gp.tensors) {
          const sink = fileOf.get(t.ggufName);
          if (!sink) continue; // in a file another matrix job writes
          if (t.generated) await sink.writeTensor(t.ggufName, new Uint8Array(t.generated.buffer.slice(0)));
          else byTensor.set(t.hfName, [...(byTensor.get(t.hfName) ?? []), sink.target(t)]);
        }
      }
    } catch (e) {
      await out.abort();
      throw e;
    }
    return out;
  }

  /** The GGUF files planned, by type (the first file of a split set). */
  get files(): { file: string; type: FileTypeName }[] {
    return this.plans.map((p) => ({ file: p.files[0].fileName, type: p.fileType }));
  }

  /** Where the chunks of output tensor `name` go besides its shard (none for tensors GGUF drops). */
  targets(name: string): readonly GGUFTarget[] {
    return this.byTensor.get(name) ?? [];
  }

  /** Bytes of every header planned (what the plans hold is a few times that). */
  get headerBytes(): number {
    return this.plans.reduce((a, p) => a + p.files.reduce((b, f) => b + f.layout.header.length, 0), 0);
  }

  /** The files being written, for background flushing. */
  get paths(): string[] {
    return this.sinks.map((s) => s.tempPath);
  }

  /** Records bytes a worker wrote for a target. */
  written(t: GGUFTarget, bytes: number): void {
    this.sinkOf(t.file).markWritten(t.name, bytes);
  }

  /**
   * Checks every tensor was written, syncs, renames each file into place and reads it back; with
   * `smoke`, llama.cpp loads each model (the first file of a split) and decodes a few tokens.
   */
  async finish(dir: string, smoke = true): Promise<GGUFCheck[]> {
    for (const s of this.sinks) await s.finish();
    for (const p of this.plans) for (const f of p.files) if (this.kept.has(f.fileName)) await verifyGGUF(join(dir, f.fileName), f.layout, f.metadata);
    const checks: GGUFCheck[] = [];
    // llama.cpp loads a split set from its first file with every part beside it: only a job that holds the whole set.
    const whole = (p: GGUFPlan): boolean => p.files.every((f) => this.kept.has(f.fileName));
    if (smoke) for (const p of this.plans) if (whole(p)) checks.push({ file: p.files[0].fileName, ...await smokeTestGGUF(join(dir, p.files[0].fileName)) });
    return checks;
  }

  async abort(): Promise<void> {
    for (const s of this.sinks) await s.abort();
  }
}
