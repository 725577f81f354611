/** Resolve stage: every model the recipe names → a located, described ResolvedModel. */
import { existsSync, statfsSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve as resolvePath } from 'node:path';
import { checkConfigShapes, checkSameLayout, detectArch } from '../arch/detect.js';
import { MergeopsError, RecipeError } from '../errors.js';
import { donorRef, referencedModels } from '../recipe/stages.js';
import type { LoraRef, ModelRef, Recipe } from '../recipe/types.js';
import { defaultCacheDir, ShardCache } from '../store/shard-cache.js';
import { pinRepo, readHubModel, type PinnedRepo } from './hub-model.js';
import type { PendingShard } from '../store/download-shard.js';
import { readHubLoraAdapter } from './hub-lora.js';
import type { HubOptions } from './hub-options.js';
import { readLocalModel } from './local.js';
import type { RangeReadOptions } from '../io/range-read.js';
import { applyLoraAdapter, readLoraAdapter, type LoraAdapter } from './lora.js';
import { recipeNeedsTokenizers } from '../tokenizer/plan-tokenizer.js';
import { plannedFolderTokenizer, readGGUFSources, readTokenizerFiles } from '../tokenizer/read-files.js';
import type { Resolved, ResolvedModel, ResolvedTensor, StageOutput } from '../model/resolved.js';

/** How Hub shards are read: range requests while merging, or whole files into the cache first. */
export type SourceMode = 'stream' | 'download' | 'auto';

export interface ResolveOptions {
  /** Relative model paths are looked up here first (as mergekit does), then beside the recipe. */
  cwd?: string;
  /** Mix architectures (mergekit's --allow-crimes). */
  allowCrimes?: boolean;
  /** Where Hub models come from (default: huggingface.co, no token). */
  hub?: HubOptions;
  /** Default `auto`. */
  sourceMode?: SourceMode;
  /** Shard cache (default: defaultCacheDir(), no size cap). */
  cache?: ShardCache;
  /** Commits to use instead of resolving revisions (from a lockfile), by model key. */
  pinned?: ReadonlyMap<string, string>;
  /** The same for the Hub LoRA adapters of `model+lora` references, by the reference's key. */
  pinnedLora?: ReadonlyMap<string, string>;
  range?: RangeReadOptions;
  /** Progress lines (already free of tokens). */
  log?: (line: string) => void;
  /** Called once every Hub model is pinned, before any header or shard is read (e.g. to restore caches). */
  onPinned?: (pins: readonly { repo: string; sha: string }[]) => Promise<void>;
  /** Plans of earlier stages of a multi-stage recipe, by name: references to them read their output tensors. */
  stages?: ReadonlyMap<string, StageOutput>;
  /** The run writes GGUF files: read what their metadata is built from in the donor's folder (`ggufSources`). */
  ggufSources?: boolean;
}

export interface ResolveResult extends Resolved {
  /** Hub shards to download into the cache before the merge reads them (download mode). */
  pending: PendingShard[];
  /** The mode chosen for Hub shards (`auto` resolved), or undefined when every model is local. */
  sourceMode?: 'stream' | 'download';
}

/** True for `org/name` (what a Hub id looks like), as opposed to a path. */
export function looksLikeHubId(path: string): boolean {
  return /^[\w.-]+\/[\w.-]+$/.test(path) && !path.startsWith('.');
}

function localCandidates(recipe: Recipe, ref: ModelRef, cwd: string): string[] {
  return isAbsolute(ref.path)
    ? [ref.path]
    : [...new Set([resolvePath(cwd, ref.path), resolvePath(dirname(resolvePath(cwd, recipe.file)), ref.path)])];
}

function findLocal(recipe: Recipe, ref: ModelRef, cwd: string): string | undefined {
  return localCandidates(recipe, ref, cwd).find((c) => existsSync(c) && statSync(c).isDirectory());
}

/** An earlier stage's output as a model: its planned tensors, config and tokenizer donor. */
function stageModel(ref: ModelRef, plan: StageOutput): ResolvedModel {
  const tensors = new Map(plan.tensors.map((t) => [t.name, {
    name: t.name, dtype: t.dtype, shape: t.shape, file: '', source: { kind: 'file' as const, path: '' }, start: 0, end: t.end - t.start, producer: t,
  }]));
  const config = { ...plan.outConfig };
  if (ref.overrideArchitecture) config.architectures = [ref.overrideArchitecture];
  const arch = detectArch(config, [...tensors.keys()], ref.key);
  return { ref, key: ref.key, dir: plan.donor.dir, config, configText: plan.outConfigText, tensors, arch, otherFiles: plan.donor.files };
}

export { referencedModels } from '../recipe/stages.js';

function lineOf(recipe: Recipe, ref: ModelRef): string | undefined {
  return recipe.lines[ref.pos.line - 1];
}

/** Finds a model's folder: an existing path relative to cwd, else relative to the recipe. */
export function locateModel(recipe: Recipe, ref: ModelRef, cwd: string): string {
  const candidates = localCandidates(recipe, ref, cwd);
  const found = findLocal(recipe, ref, cwd);
  if (found) return found;
  throw new RecipeError(
    `model \`${ref.key}\` not found: no folder ${candidates.map((c) => `\`${c}\``).join(' or ')}`,
    'check the path (relative paths are tried from the current directory, then from the recipe\'s folder); '
      + 'a Hugging Face id is written `org/name` or `org/name@revision`',
    ref.pos, lineOf(recipe, ref));
}

/**
 * `models/base` is both a relative path and a Hub id: with no such folder it was tried on the Hub.
 * When that fails too, the error says first that the folder does not exist (the likelier mistake),
 * then what the Hub said, and how to fix either.
 */
function notLocalNorHub(recipe: Recipe, ref: ModelRef, cwd: string, e: unknown): unknown {
  if (!(e instanceof MergeopsError) || e instanceof RecipeError) return e;
  const folders = localCandidates(recipe, ref, cwd).map((c) => `\`${c}\``).join(' or ');
  return Object.assign(new RecipeError(
    `model \`${ref.key}\` not found: no folder ${folders}; also tried as a Hugging Face id: ${e.message}`,
    `if it is a local folder, check the path (relative paths are tried from the current directory, then from the recipe's folder); `
      + `if it is a Hub model: ${e.hint}`,
    ref.pos, lineOf(recipe, ref)), { cause: e, upstreamCode: e.code });
}

/** Adds a model reference's position to an error from reading it (`what`: the part at fault, e.g. its adapter). */
function atRef(recipe: Recipe, ref: ModelRef, e: unknown, what?: string): unknown {
  return e instanceof MergeopsError && !(e instanceof RecipeError)
    ? Object.assign(new RecipeError(`model \`${ref.key}\`: ${what ? `${what}: ` : ''}${e.message}`, e.hint, ref.pos, lineOf(recipe, ref)), { cause: e, upstreamCode: e.code })
    : e;
}

/** auto: download when the missing shards plus an output of the same size fit the disk with margin. */
function chooseMode(mode: SourceMode, pins: PinnedRepo[], cache: ShardCache): 'stream' | 'download' {
  if (mode !== 'auto') return mode;
  let missing = 0;
  let largest = 0;
  for (const p of pins) {
    let modelBytes = 0;
    for (const f of p.files) {
      if (f.path.includes('/') || !f.path.endsWith('.safetensors')) continue;
      modelBytes += f.size;
      if (!cache.lookup(p.repo, p.sha, f.path, f.size)) missing += f.size;
    }
    largest = Math.max(largest, modelBytes);
  }
  let dir = cache.root;
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  const st = statfsSync(dir);
  const free = st.bavail * st.bsize;
  return (missing + largest) * 1.1 + 2 * 2 ** 30 < free ? 'download' : 'stream';
}

/** The local folder of `ref`'s adapter, or undefined when it is none (then a Hub id is read from the Hub). */
function findLocalLora(recipe: Recipe, ref: ModelRef, lora: LoraRef, cwd: string): string | undefined {
  return folderCandidates(recipe, lora.path, cwd).find((c) => existsSync(c) && statSync(c).isDirectory());
}

/** True when the adapter of `ref` is read from the Hub: no such local folder, and it looks like `org/name`. */
function loraOnHub(recipe: Recipe, ref: ModelRef, lora: LoraRef, cwd: string): boolean {
  return findLocalLora(recipe, ref, lora, cwd) === undefined && looksLikeHubId(lora.path);
}

export function locateLora(recipe: Recipe, ref: ModelRef, lora: LoraRef, cwd: string): string {
  const found = findLocalLora(recipe, ref, lora, cwd);
  if (found && lora.revision !== undefined) {
    throw new RecipeError(`LoRA adapter \`${lora.path}@${lora.revision}\` of \`${ref.key}\`: revisions of local adapters are not supported`,
      `drop the \`@revision\` and give the adapter's folder (\`${lora.path}\` is a local folder, so it is not read from the Hub)`, ref.pos, lineOf(recipe, ref));
  }
  if (found) return found;
  const candidates = folderCandidates(recipe, lora.path, cwd);
  throw new RecipeError(
    `LoRA adapter \`${lora.path}\` of \`${ref.key}\` not found: no folder ${candidates.map((c) => `\`${c}\``).join(' or ')}`,
    'check the path (relative paths are tried from the current directory, then from the recipe\'s folder); '
      + 'an adapter on the Hugging Face Hub is written `org/name` or `org/name@revision`',
    ref.pos, lineOf(recipe, ref));
}

function folderCandidates(recipe: Recipe, p: string, cwd: string): string[] {
  return isAbsolute(p) ? [p] : [...new Set([resolvePath(cwd, p), resolvePath(dirname(resolvePath(cwd, recipe.file)), p)])];
}

/** Where a `model+lora` reference's adapter comes from. */
type LoraSource = { kind: 'local'; cwd: string } | { kind: 'hub'; pinned: PinnedRepo; read: Omit<Parameters<typeof readHubLoraAdapter>[0], 'pinned'> };

interface AppliedLora {
  dir: string;
  tensors: Map<string, ResolvedTensor>;
  hub?: ResolvedModel['loraHub'];
  pending: PendingShard[];
}

/** The base model's tensors with `ref`'s LoRA adapter applied (patches marked, no data read). */
async function withLora(recipe: Recipe, ref: ModelRef, lora: LoraRef, base: ReadonlyMap<string, ResolvedTensor>, from: LoraSource): Promise<AppliedLora> {
  let adapter: LoraAdapter;
  let hub: AppliedLora['hub'];
  let pending: PendingShard[] = [];
  if (from.kind === 'local') {
    const dir = locateLora(recipe, ref, lora, from.cwd);
    adapter = await readLoraAdapter(dir).catch((e: unknown) => { throw atRef(recipe, ref, e); });
  } else {
    // Its errors name the adapter's repo already.
    const h = await readHubLoraAdapter({ ...from.read, pinned: from.pinned }).catch((e: unknown) => { throw atRef(recipe, ref, e); });
    adapter = h.adapter;
    hub = h.hub;
    pending = h.pending;
  }
  try {
    return { dir: adapter.dir, tensors: applyLoraAdapter(adapter, base, `the base model \`${ref.path}\``), hub, pending };
  } catch (e) {
    throw atRef(recipe, ref, e);
  }
}

export async function resolveRecipe(recipe: Recipe, opts: ResolveOptions = {}): Promise<ResolveResult> {
  const cwd = opts.cwd ?? process.cwd();
  const hub = opts.hub ?? {};
  const log = opts.log ?? ((): void => undefined);
  const refs = referencedModels(recipe);
  // Local folders win over Hub ids (as in mergekit); anything else that looks like `org/name` is on the Hub.
  const local = new Map<string, string>();
  const pins = new Map<string, PinnedRepo>();
  let cache: ShardCache | undefined;
  for (const ref of refs) {
    if (opts.stages?.has(ref.path)) continue;
    // The base of `base+lora` may come from the Hub; the adapter folder is local (see withLora).
    if (findLocal(recipe, ref, cwd) || !looksLikeHubId(ref.path)) {
      local.set(ref.key, locateModel(recipe, ref, cwd));
      continue;
    }
    cache ??= opts.cache ?? new ShardCache(defaultCacheDir());
    try {
      const p = await pinRepo({ ...hub, repo: ref.path, revision: ref.revision, sha: opts.pinned?.get(ref.key), cache });
      log(`${ref.key}: ${p.sha}${opts.pinned?.has(ref.key) ? ' (locked)' : ''}`);
      pins.set(ref.key, p);
    } catch (e) {
      throw notLocalNorHub(recipe, ref, cwd, e);
    }
  }
  // Adapters on the Hub are pinned like models (their own revision, their own lockfile entry).
  const loraPins = new Map<string, PinnedRepo>();
  for (const ref of refs) {
    if (!ref.lora || !loraOnHub(recipe, ref, ref.lora, cwd)) continue;
    cache ??= opts.cache ?? new ShardCache(defaultCacheDir());
    const { path: repo, revision } = ref.lora;
    try {
      const p = await pinRepo({ ...hub, repo, revision, sha: opts.pinnedLora?.get(ref.key), cache });
      log(`${ref.key}: adapter ${repo}: ${p.sha}${opts.pinnedLora?.has(ref.key) ? ' (locked)' : ''}`);
      loraPins.set(ref.key, p);
    } catch (e) {
      throw atRef(recipe, ref, e, `LoRA adapter \`${repo}\``);
    }
  }
  const allPins = [...pins.values(), ...loraPins.values()];
  if (opts.onPinned && allPins.length > 0) await opts.onPinned(allPins.map((p) => ({ repo: p.repo, sha: p.sha })));
  const sourceMode = cache ? chooseMode(opts.sourceMode ?? 'auto', allPins, cache) : undefined;
  if (sourceMode) log(`Hub shards: ${sourceMode} mode${opts.sourceMode === 'auto' || !opts.sourceMode ? ' (auto)' : ''}`);

  const models = new Map<string, ResolvedModel>();
  const pending: PendingShard[] = [];
  const loraFrom = (ref: ModelRef): LoraSource => {
    const p = loraPins.get(ref.key);
    return p ? { kind: 'hub', pinned: p, read: { ...hub, cache: cache!, mode: sourceMode!, range: opts.range } } : { kind: 'local', cwd };
  };
  const loraFields = (l: AppliedLora): Partial<ResolvedModel> => ({ loraDir: l.dir, ...(l.hub ? { loraHub: l.hub } : {}) });
  const ggufDonor = opts.ggufSources ? donorRef(recipe)?.key : undefined;
  for (const ref of refs) {
    const stage = opts.stages?.get(ref.path);
    const needTok = recipeNeedsTokenizers(recipe);
    if (stage) {
      const m = stageModel(ref, stage);
      // The stage's donor folder as it is (read once); its tokenizer as the stage writes it: its
      // written files over the donor files it copies. GGUF metadata takes the folder as it is (the
      // plan lays the files it writes over it).
      const donorTok = needTok || ref.key === ggufDonor ? readTokenizerFiles(stage.donor.dir) : undefined;
      m.tokenizer = needTok ? plannedFolderTokenizer(donorTok!, stage.donor.files, stage.outFiles ?? []) : undefined;
      if (ref.key === ggufDonor) m.ggufSources = readGGUFSources(stage.donor.dir, donorTok);
      m.writtenFiles = stage.outFiles;
      // An adapter on an earlier stage's output patches that stage's tensors as they are computed.
      if (ref.lora) {
        const lora = await withLora(recipe, ref, ref.lora, m.tensors, loraFrom(ref));
        pending.push(...lora.pending);
        m.tensors = lora.tensors;
        Object.assign(m, loraFields(lora));
      }
      models.set(ref.key, m);
      continue;
    }
    let m: Omit<ResolvedModel, 'arch' | 'ref' | 'key'>;
    try {
      const dir = local.get(ref.key);
      if (dir !== undefined) {
        const lm = await readLocalModel(dir);
        m = { dir, config: lm.config, configText: lm.configText, tensors: lm.tensors, otherFiles: lm.otherFiles };
      } else {
        const hm = await readHubModel({ ...hub, pinned: pins.get(ref.key)!, cache: cache!, mode: sourceMode!, range: opts.range });
        pending.push(...hm.pending);
        m = {
          dir: hm.dir, config: hm.config, configText: hm.configText, tensors: hm.tensors, otherFiles: hm.otherFiles,
          hub: { repo: hm.repo, revision: hm.revision, sha: hm.sha, files: hm.used },
        };
      }
    } catch (e) {
      throw atRef(recipe, ref, e);
    }
    const config = { ...m.config };
    if (ref.overrideArchitecture) config.architectures = [ref.overrideArchitecture];
    const arch = detectArch(config, [...m.tensors.keys()], ref.key);
    checkConfigShapes(config, arch, m.tensors, ref.key);
    const lora = ref.lora ? await withLora(recipe, ref, ref.lora, m.tensors, loraFrom(ref)) : undefined;
    if (lora) pending.push(...lora.pending);
    // Read once when both the tokenizer merge and the GGUF metadata need them.
    const tokenizer = needTok ? readTokenizerFiles(m.dir) : undefined;
    models.set(ref.key, {
      ...m, ref, key: ref.key, config, arch, tensors: lora?.tensors ?? m.tensors, tokenizer,
      ...(ref.key === ggufDonor ? { ggufSources: readGGUFSources(m.dir, tokenizer) } : {}),
      ...(lora ? loraFields(lora) : {}),
    });
  }
  checkSameLayout(
    [...models.values()].map((m) => ({ label: m.key, arch: m.arch, tensorNames: [...m.tensors.keys()] })),
    { allowCrimes: opts.allowCrimes },
  );
  return { recipe, models, pending, sourceMode };
}
