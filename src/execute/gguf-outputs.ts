/**
 * The GGUF files a merge writes while it merges (`--gguf`, `mergeops.quantize`): planned by the
 * plan stage (`plan.gguf`, plan/gguf-files.ts, from the output folder as the run will write it),
 * every header written, then each merged chunk is encoded into every file by the kernel worker
 * that computed it. The bytes equal `mergeops quantize` on the merged folder: both plan with
 * plan/gguf-files.ts and encode with kernels/gguf-encode.ts.
 */
import { join } from 'node:path';
import { MergeopsError } from '../errors.js';
import type { GGUFTarget } from '../kernels/jobs.js';
import type { GGUFPlan } from '../plan/gguf-plan.js';
import type { FileTypeName } from '../quant/select.js';
import { GGUFFileSink } from './gguf-sink.js';
import type { GGUFCheck, LoadCheck } from './gguf-check.js';
import { verifyGGUF } from './gguf-verify.js';

export interface GGUFOpenOptions {
  /** told as each type's files open */
  onType?: (t: FileTypeName) => void;
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
   * Opens the planned GGUF files in `dir`, the output folder being built, and writes their
   * headers; tensors computed from the config (rope_freqs) are written here.
   */
  static async open(planned: readonly GGUFPlan[], dir: string, o: GGUFOpenOptions = {}): Promise<GGUFOutputs> {
    const plans: GGUFPlan[] = [];
    const sinks: GGUFFileSink[] = [];
    const byTensor = new Map<string, GGUFTarget[]>();
    const kept = new Set<string>();
    const out = new GGUFOutputs(plans, sinks, byTensor, kept);
    try {
      for (const gp of planned) {
        o.onType?.(gp.fileType);
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
  async finish(dir: string, check?: LoadCheck): Promise<GGUFCheck[]> {
    for (const s of this.sinks) await s.finish();
    for (const p of this.plans) for (const f of p.files) if (this.kept.has(f.fileName)) await verifyGGUF(join(dir, f.fileName), f.layout, f.metadata);
    const checks: GGUFCheck[] = [];
    // llama.cpp loads a split set from its first file with every part beside it: only a job that holds the whole set.
    const whole = (p: GGUFPlan): boolean => p.files.every((f) => this.kept.has(f.fileName));
    if (check) for (const p of this.plans) if (whole(p)) checks.push({ file: p.files[0].fileName, ...await check(join(dir, p.files[0].fileName)) });
    return checks;
  }

  async abort(): Promise<void> {
    for (const s of this.sinks) await s.abort();
  }
}
