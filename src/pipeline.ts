/** The stages in order, for the front ends (CLI, Action): recipe file → plan → files. */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve as resolvePath, sep } from 'node:path';
import { idToTitle } from './arch/gguf-general.js';
import { MergeopsError } from './errors.js';
import { executePlan, type ExecuteOptions, type ExecuteResult } from './execute/execute.js';
import {
  acquireOutputLock, checkOutputPlacement, checkOverwrite, resolveOutPath, type GuardedPath,
} from './execute/output-safety.js';
import { checkFrozen } from './hub/check-frozen.js';
import {
  buildLock, defaultLockPath, lockedLoraShas, lockedShas, lockMatchesRecipe, outputFiles, readLock, recipeChangesSinceLock, serializeLock, sha256Text, writeLock,
  type Lockfile,
} from './hub/lockfile.js';
import type { PendingShard } from './store/download-shard.js';
import { resolveRecipe, type ResolveOptions, type ResolveResult } from './hub/resolve.js';
import { defaultCacheDir, ShardCache } from './store/shard-cache.js';
import { ShardFetcher } from './store/shard-fetcher.js';
import { checkRecipe } from './plan/check-recipe.js';
import { buildPlan, ggufTypes, type GGUFOptions, type PlanOptions } from './plan/plan.js';
import type { GGUFSplitOptions } from './formats/gguf.js';
import type { FileTypeName } from './quant/select.js';
import type { Plan } from './plan/types.js';
import { canonicalRecipe, type CanonicalRecipe } from './recipe/canonical.js';
import { parseRecipeText } from './recipe/parse.js';
import { RECIPE_LIMITS } from './recipe/limits.js';
import { writeCardData, type CardData } from './card/data.js';
import { gatherCardData } from './card/gather.js';
import { writeCard } from './card/write.js';
import { stageGraph } from './recipe/stages.js';
import type { PinnedFile, ResolvedModel } from './model/resolved.js';
import type { InputTensorRef, PlannedTensor } from './model/tensor.js';
import type { EvalOptions, Recipe } from './recipe/types.js';
import { loadEvalData, type EvalData } from './eval/data.js';
import { tensorHealthReport } from './eval/health.js';
import { EVAL_SWITCHED_OFF, notRunReport, writeEvalReport, type EvalReport } from './eval/report.js';
import { smokeTestGGUF } from './eval/load-check.js';
import { runEvalStage, type EvalInput } from './eval/stage.js';
import { quantizeFolder } from './quantize.js';
import { EvalResultsCache, localModelIdentity } from './eval/results-cache.js';

/** Every document of a recipe file (one per stage of a multi-stage recipe). */
export function loadRecipeFile(file: string): Recipe[] {
  let text: string;
  try {
    // Not read at all when far too large (a recipe is a short YAML file).
    const size = statSync(file).size;
    if (size > RECIPE_LIMITS.fileBytes) {
      throw new MergeopsError('USAGE', `recipe ${file} is ${size} bytes, more than the ${RECIPE_LIMITS.fileBytes}-byte limit`,
        'a recipe is a short YAML file; put long texts (chat templates, model cards) in files it names');
    }
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof MergeopsError) throw e;
    throw new MergeopsError('USAGE', `cannot read recipe ${file}`, 'check the path of the recipe file');
  }
  return parseRecipeText(text, file);
}

/** What a run's GGUF files (`plan.gguf`) are: their types, names and options. */
export interface RunGGUFOptions {
  /** GGUF file types to write beside the safetensors (default: the recipe's `mergeops.quantize`). */
  gguf?: readonly FileTypeName[];
  /** `tokenizer.ggml.pre` of the GGUF files, for a BPE tokenizer llama.cpp does not recognise. */
  tokenizerPre?: string;
  /** Split each GGUF file (gguf-split format), as `mergeops quantize --split-max-size/--split-max-tensors`. */
  ggufSplit?: GGUFSplitOptions;
  /** Title of the merged model (`general.name` of its GGUF files); default: after the recipe file's name. */
  name?: string;
  /** The output folder: the GGUF files are named after it (default: after the recipe file). */
  outDir?: string;
}

/** Options of parse → resolve → plan (the GGUF files' through RunGGUFOptions). */
export type PlanFileOptions = Omit<ResolveOptions, 'ggufSources'> & Omit<PlanOptions, 'gguf'> & RunGGUFOptions;

/**
 * parse → resolve → plan. A multi-stage recipe gives the final stage's plan, whose inputs from
 * earlier stages are those stages' planned tensors (computed in memory, never written), with the
 * earlier stages' own plans in `plan.stages`.
 */
export async function planRecipeFile(file: string, opts: PlanFileOptions = {}): Promise<Plan> {
  return (await planDocs(file, loadRecipeFile(file), opts)).plan;
}

/** The GGUF files of a run of recipe `file`: named after the output folder (default the recipe file's name). */
function ggufOptions(file: string, o: RunGGUFOptions): GGUFOptions {
  const modelId = o.outDir !== undefined ? basename(o.outDir) : basename(file).replace(/\.ya?ml$/i, '');
  return { types: o.gguf, modelId, title: o.name ?? recipeTitle(file), tokenizerPre: o.tokenizerPre, split: o.ggufSplit };
}

/** Plans every stage in order; also returns each stage's resolve result (for lockfiles and downloads). */
async function planDocs(file: string, docs: Recipe[], opts: PlanFileOptions): Promise<{ plan: Plan; resolved: ResolveResult[] }> {
  // Every document's method, parameters and options are checked before any model is read.
  for (const doc of docs) checkRecipe(doc);
  const resolvedAll: ResolveResult[] = [];
  const resolve = async (doc: Recipe, o: ResolveOptions): Promise<ResolveResult> => {
    const r = await resolveRecipe(doc, o);
    resolvedAll.push(r);
    return r;
  };
  // The final stage's plan holds the run's GGUF files: resolve reads what their metadata needs of its donor.
  const gguf = ggufOptions(file, opts);
  const finalOptions = (doc: Recipe): { resolve: ResolveOptions; plan: PlanOptions } => {
    return { resolve: { ...opts, ggufSources: ggufTypes(doc, gguf.types).length > 0 }, plan: { ...opts, gguf } };
  };
  if (docs.length === 1) {
    const o = finalOptions(docs[0]);
    return { plan: buildPlan(await resolve(docs[0], o.resolve), o.plan), resolved: resolvedAll };
  }
  const graph = stageGraph(docs);
  const plans = new Map<string, Plan>();
  const stages: { name: string; plan: Plan }[] = [];
  let final: Plan | undefined;
  for (const doc of graph.order) {
    const o = doc === graph.final ? finalOptions(doc) : { resolve: opts, plan: { outShardSize: opts.outShardSize } };
    const plan = buildPlan(await resolve(doc, { ...o.resolve, stages: plans }), o.plan);
    if (doc === graph.final) final = plan;
    else {
      plans.set(doc.name!, plan);
      stages.push({ name: doc.name!, plan });
    }
  }
  final!.stages = stages;
  const unused = stages.filter((s) => !usesStage(final!, s.plan));
  for (const s of unused) final!.warnings.push(`stage \`${s.name}\` is not used by the final merge (written only with --keep-intermediates)`);
  return { plan: final!, resolved: resolvedAll };
}

function usesStage(plan: Plan, stage: Plan): boolean {
  const seen = new Set(stage.tensors);
  const walk = (t: Plan['tensors'][number]): boolean => t.inputs.some((r) => r.producer !== undefined && (seen.has(r.producer) || walk(r.producer)));
  return plan.tensors.some(walk);
}

/** What a run or a lock needs beyond resolve and plan options. */
export interface PrepareOptions extends Omit<ResolveOptions, 'ggufSources'>, Omit<PlanOptions, 'gguf'>, RunGGUFOptions {
  /** Default: `mergeops.lock` beside the recipe. */
  lockPath?: string;
  /** Fail unless the lockfile matches the recipe and upstream still has the locked commits. */
  frozen?: boolean;
  /** Resolve afresh, ignoring an existing lockfile (`mergeops lock`). */
  relock?: boolean;
  /** The recipe's text, when it differs from the file's (a sweep's candidates); `file` still names it and anchors relative paths. */
  recipeText?: string;
}

export interface Prepared {
  plan: Plan;
  /** Every model of every stage (earlier stages' outputs excluded, unless an adapter patches them), by key. */
  models: ResolvedModel[];
  /** Hub shards to download (download mode). */
  pending: PendingShard[];
  sourceMode?: 'stream' | 'download';
  recipeText: string;
  /** The recipe's canonical form (what the lockfile hashes and keeps). */
  recipe: CanonicalRecipe;
  lockPath: string;
  /** The lockfile in use (existing and matching the recipe), if any. */
  lock?: Lockfile;
}

/**
 * parse → (lockfile) → resolve → plan. An existing lockfile whose recipe hash matches pins the
 * Hub commits; with `frozen`, it must exist, match, and agree with upstream.
 */
export async function prepareRecipeFile(file: string, opts: PrepareOptions = {}): Promise<Prepared> {
  const docs = opts.recipeText !== undefined ? parseRecipeText(opts.recipeText, file) : loadRecipeFile(file);
  const recipeText = docs.map((d) => d.text).join('');
  const recipe = canonicalRecipe(docs.map((d) => d.text));
  const lockPath = opts.lockPath ?? defaultLockPath(file);
  let lock: Lockfile | undefined;
  if (opts.frozen) {
    lock = readLock(lockPath);
    await checkFrozen(lock, recipe, recipeText, lockPath, opts.hub ?? {});
  } else if (!opts.relock && existsSync(lockPath)) {
    const l = readLock(lockPath);
    if (lockMatchesRecipe(l, recipe, recipeText)) lock = l;
    else {
      opts.log?.(`warning: ${lockPath} is for another version of the recipe (${recipeChangesSinceLock(l, recipe)}): `
        + 'not used (run `mergeops lock` to update it)');
    }
  }
  const { plan, resolved } = await planDocs(file, docs, {
    ...opts, pinned: lock ? lockedShas(lock) : opts.pinned, pinnedLora: lock ? lockedLoraShas(lock) : opts.pinnedLora,
  });
  const models = new Map<string, ResolvedModel>();
  for (const r of resolved) {
    // An earlier stage's output is not an input to pin, but an adapter applied to it is.
    for (const m of r.models.values()) if (m.loraDir !== undefined || ![...m.tensors.values()].some((t) => t.producer)) models.set(m.key, m);
  }
  return {
    plan, models: [...models.values()], pending: resolved.flatMap((r) => r.pending),
    sourceMode: resolved.find((r) => r.sourceMode)?.sourceMode, recipeText, recipe, lockPath, lock,
  };
}

/** Whether the lockfile at `lockPath` exists and is for this recipe (comments and formatting aside). */
export function lockIsCurrent(file: string, lockPath = defaultLockPath(file)): boolean {
  if (!existsSync(lockPath)) return false;
  const docs = loadRecipeFile(file);
  return lockMatchesRecipe(readLock(lockPath), canonicalRecipe(docs.map((d) => d.text)), docs.map((d) => d.text).join(''));
}

/** `mergeops lock`: resolves every model afresh and writes the lockfile. */
export async function lockRecipeFile(file: string, opts: PrepareOptions = {}): Promise<{ lockPath: string; lock: Lockfile }> {
  const p = await prepareRecipeFile(file, { ...opts, relock: true, frozen: false, sourceMode: 'stream', gguf: [] });
  const lock = await buildLock(p.models, basename(file), p.recipe, dirname(resolvePath(p.lockPath)));
  writeLock(p.lockPath, lock);
  return { lockPath: p.lockPath, lock };
}

/** The local files a tensor's inputs read, through earlier stages' tensors, gathered rows and LoRA factors too. */
function inputFiles(refs: readonly InputTensorRef[], out: string[] = []): string[] {
  for (const r of refs) {
    if (r.producer) inputFiles(r.producer.inputs, out);
    else if (r.gather) inputFiles(r.gather.sources.map((s) => ({ ...s, gather: undefined })), out);
    else if (r.source.kind === 'file') out.push(r.source.path);
    if (r.lora) for (const f of [r.lora.a, r.lora.b]) if (f.source.kind === 'file') out.push(f.source.path);
  }
  return out;
}

/**
 * Records a run's output files (path, size, sha256) in its lockfile, unless `frozen` without
 * `record`; returns the lockfile's path when recorded. (Also the final job of a matrix build,
 * which knows the parts' digests from their manifests.)
 */
export function recordLockOutputs(lock: Lockfile, lockPath: string, outputs: PinnedFile[],
  opts: { frozen?: boolean; record?: boolean; log?: (line: string) => void }): string | undefined {
  const next = serializeLock({ ...lock, outputs });
  const changed = lock.outputs !== undefined && next !== serializeLock(lock);
  if (opts.frozen && !opts.record) {
    if (changed) opts.log?.(`note: the outputs differ from those recorded in ${lockPath} (not recorded: --frozen leaves the lockfile as it is; add --record to record them)`);
    return undefined;
  }
  if (changed) opts.log?.(`note: the outputs differ from those recorded in ${lockPath}; recording the new ones`);
  // An unchanged lockfile is not rewritten (no new mtime, nothing for git to look at).
  if (!existsSync(lockPath) || readFileSync(lockPath, 'utf8') !== next) writeLock(lockPath, { ...lock, outputs });
  return lockPath;
}

export interface RunOptions extends PrepareOptions, Omit<ExecuteOptions, 'inputsReady'> {
  outDir: string;
  /** Called once the plan is known, before any tensor data is read. */
  onPlan?: (plan: Plan, run: { evalChecks: boolean }) => void;
  /** Multi-stage recipes: also write each named stage to `<dir>/<name>` (computed from its inputs again). */
  keepIntermediates?: string;
  /** Write the model card (README.md) and its data into the output (gathered before the merge). */
  card?: { mergeopsVersion: string; licenseRequired?: boolean };
  /** The eval's checks: false skips the stage (--no-eval); default the recipe's `mergeops.eval`. */
  eval?: EvalOptions | false;
  /** Recorded in eval.json. */
  mergeopsVersion?: string;
  /** false: check every input again (compare_inputs) instead of reusing results kept in `<cache>/eval`. */
  evalCache?: boolean;
  /**
   * Record the output files' sha256 in the lockfile even with `frozen` (a frozen run, as in CI,
   * otherwise leaves the lockfile as committed). Without `frozen`, a run with a matching lockfile records them.
   */
  record?: boolean;
  /** Low-disk runs: the digest of a file `onFileDone` uploaded and deleted, so the lockfile records it too. */
  uploadedDigest?: (name: string) => { size: number; sha256: string } | undefined;
}

export interface RunResult extends ExecuteResult {
  plan: Plan;
  sourceMode?: 'stream' | 'download';
  /** Set when the outputs were recorded in the lockfile. */
  lockPath?: string;
  /** Stages written with keepIntermediates. */
  stages: { name: string; outDir: string; seconds: number }[];
  /** What the card says (when `card` was asked). */
  card?: CardData;
  /** The eval stage's report (also in eval.json); `gate.passed` false means: do not publish. */
  eval: EvalReport;
}

/**
 * What an output may not overlap: every local input folder (models, adapters) and the shard cache
 * (not be, contain or lie inside); the recipe file, the lockfile and, when it holds inputs, the
 * working directory (not be or contain: replacing the output would delete them).
 */
export function outputGuards(recipeFile: string, models: readonly ResolvedModel[], cacheRoot: string, lockPath?: string): GuardedPath[] {
  const guards: GuardedPath[] = [
    { path: resolvePath(recipeFile), what: 'the recipe', rule: 'ancestor' },
    { path: cacheRoot, what: 'the shard cache', rule: 'any' },
  ];
  if (lockPath !== undefined) guards.push({ path: resolvePath(lockPath), what: 'the lockfile', rule: 'ancestor' });
  const inputs: string[] = [];
  for (const m of models) {
    if (!m.hub) { guards.push({ path: m.dir, what: `input model \`${m.key}\``, rule: 'any' }); inputs.push(resolvePath(m.dir)); }
    if (m.loraDir !== undefined && !m.loraHub) {
      guards.push({ path: m.loraDir, what: `the LoRA adapter of \`${m.key}\``, rule: 'any' });
      inputs.push(resolvePath(m.loraDir));
    }
  }
  const cwd = process.cwd();
  if (inputs.some((p) => p === cwd || p.startsWith(cwd.endsWith(sep) ? cwd : cwd + sep))) {
    guards.push({ path: cwd, what: 'the working directory (it holds inputs)', rule: 'ancestor' });
  }
  return guards;
}

/** Recipe file names that say nothing of the merge: such a file leaves the title to the output folder's name. */
const GENERIC_RECIPE_NAMES = new Set(['recipe', 'config', 'merge', 'mergekit_config', 'mergeops_recipe', 'mergekit', 'mergeops']);

/** The merged model's title from its recipe file: `qwen-coder-ties.yml` → "Qwen Coder Ties" (as convert titles an id). */
export function recipeTitle(file: string): string | undefined {
  const stem = basename(file).replace(/\.ya?ml$/i, '');
  return stem === '' || GENERIC_RECIPE_NAMES.has(stem.toLowerCase()) ? undefined : idToTitle(stem);
}

/** parse → resolve → plan → execute, with Hub shards streamed or downloaded alongside. */
export async function runRecipeFile(file: string, opts: RunOptions): Promise<RunResult> {
  const cache = opts.cache ?? new ShardCache(defaultCacheDir());
  // The output path is checked before anything is read: a file, a dangling link, a loop fail here.
  const early = outputGuards(file, [], cache.root, opts.lockPath ?? defaultLockPath(file));
  const realOut = resolveOutPath(opts.outDir);
  checkOutputPlacement(opts.outDir, realOut, early);
  // The GGUF files are named after the output folder as it really is.
  const { plan, pending, sourceMode, lockPath, lock, models } = await prepareRecipeFile(file, { ...opts, cache, outDir: realOut });
  const guards = outputGuards(file, models, cache.root, lockPath);
  // The eval's files are read and checked now: a typo costs seconds, not a merge.
  const evalOptions = opts.eval === false ? undefined : opts.eval ?? plan.recipe.mergeops.eval;
  const evalRun = { data: evalOptions ? loadEvalData(evalOptions) : undefined, inputs: evalInputs(file, models, opts, cache) };
  // Before any download or write: the outputs may not overlap what the run reads, an existing
  // output is replaceable, and no other process writes it (the lock is held to the end).
  checkOutputPlacement(opts.outDir, realOut, guards);
  checkOverwrite(realOut, opts);
  if (opts.keepIntermediates !== undefined) {
    for (const s of plan.stages ?? []) {
      const dir = join(opts.keepIntermediates, s.name);
      checkOutputPlacement(dir, resolveOutPath(dir, '--keep-intermediates'), guards);
    }
  }
  // Before any tensor is read: a license the card cannot decide fails now, not after the merge.
  const card = opts.card ? await gatherCardData({
    recipeFile: file, plan, models, hub: opts.hub ?? {}, lockPath: lock ? lockPath : undefined,
    mergeopsVersion: opts.card.mergeopsVersion, licenseRequired: opts.card.licenseRequired ?? false,
  }) : undefined;
  const marker = { command: 'run', name: opts.name ?? recipeTitle(file) };
  mkdirSync(dirname(realOut), { recursive: true });
  const outputLock = acquireOutputLock(realOut);
  try {
    return await runPrepared(plan, pending, sourceMode, lockPath, lock, cache, evalRun, card, { ...opts, guards, marker, outputLock });
  } finally {
    outputLock.release();
  }
}

async function runPrepared(plan: Plan, pending: PendingShard[], sourceMode: Prepared['sourceMode'], lockPath: string,
  lock: Lockfile | undefined, cache: ShardCache, evalRun: { data?: EvalData; inputs: EvalInput[] }, card: CardData | undefined,
  opts: RunOptions & Pick<ExecuteOptions, 'guards' | 'marker' | 'outputLock'>): Promise<RunResult> {
  const { guards, marker } = opts;
  opts.onPlan?.(plan, { evalChecks: evalRun.data !== undefined });
  const fetch: { f?: ShardFetcher } = {};
  const startFetcher = (tensors: readonly PlannedTensor[]): void => {
    const order = tensors.flatMap((t) => inputFiles(t.inputs));
    const reading = new Set(order);
    // Only shards the plan reads (a slice of layers may need a few of a model's shards), each once
    // (an adapter or a model may be referenced twice).
    const needed = [...new Map(pending.filter((p) => reading.has(p.dest)).map((p) => [p.dest, p])).values()];
    if (needed.length > 0) {
      cache.clearTemp();
      // Make room first; never evict what this run reads.
      cache.evict(reading, needed.reduce((a, p) => a + p.src.size, 0));
      fetch.f = new ShardFetcher(needed, cache, { ...opts.range, log: opts.log }, order);
    }
  };
  // A matrix job learns which tensors it computes from execute (its GGUF files are assigned
  // there): it downloads the inputs of those only.
  const deferred = opts.shard !== undefined && opts.keepIntermediates === undefined;
  if (!deferred) startFetcher(plan.tensors);
  const inputsReady = async (t: PlannedTensor): Promise<void> => {
    const f = fetch.f;
    if (f) for (const p of inputFiles(t.inputs)) await f.ready(p);
  };
  const stages: RunResult['stages'] = [];
  if (opts.keepIntermediates !== undefined) {
    for (const s of plan.stages ?? []) {
      opts.log?.(`stage ${s.name}: ${s.plan.tensors.length} tensors with ${s.plan.methodName}`);
      const r = await executePlan(s.plan, {
        ...opts, outDir: join(opts.keepIntermediates, s.name), inputsReady, guards,
        marker: { command: 'run --keep-intermediates', name: idToTitle(s.name) }, outputLock: undefined, onFileDone: undefined,
      });
      stages.push({ name: s.name, outDir: r.outDir, seconds: r.seconds });
    }
  }
  const result = await executePlan(plan, {
    loadCheck: smokeTestGGUF, ...opts, inputsReady, guards, marker, ...(deferred ? { onTensors: startFetcher } : {}),
  });
  await fetch.f?.all();
  if (sourceMode) cache.evict();
  let recorded: string | undefined;
  // A matrix job's folder holds part of the output: the lockfile records whole outputs only.
  if (lock && !opts.shard) {
    const removed = new Set(result.removed.map((x) => x.name));
    const gone = result.removed.flatMap((x) => { const d = opts.uploadedDigest?.(x.name); return d ? [{ path: x.name, size: d.size, sha256: d.sha256 }] : []; });
    const outputs = [...await outputFiles(result.outDir, result.files.filter((x) => !removed.has(x.name)).map((x) => x.name)), ...gone]
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    recorded = recordLockOutputs(lock, lockPath, outputs, opts);
  }
  const version = opts.mergeopsVersion ?? 'unknown';
  // Computed by the kernels during the merge, whether or not the eval's checks run.
  const health = tensorHealthReport(result.health, { baseModel: plan.recipe.baseModel?.key });
  let report: EvalReport;
  if (opts.shard) {
    // A matrix job holds part of the model: the eval runs where the parts come together.
    report = notRunReport(`a matrix job (--shard ${opts.shard.index}/${opts.shard.count}) holds part of the output`, version, { health });
  } else if (opts.eval === false) {
    report = notRunReport(EVAL_SWITCHED_OFF, version, { health });
    writeEvalReport(result.outDir, report);
  } else if (result.removed.some((f) => f.name.endsWith('.safetensors')) && result.gguf.length === 0) {
    report = notRunReport('low-disk mode uploaded and deleted the shards during the merge; ask for a GGUF type (--gguf) to evaluate the merge', version, { health });
    writeEvalReport(result.outDir, report);
  } else {
    report = await runEvalStage({
      outDir: result.outDir, data: evalRun.data, gguf: result.gguf, loadChecks: result.ggufChecks, inputs: evalRun.inputs,
      mergeopsVersion: version, threads: opts.threads, log: opts.log, health, quantize: (q) => quantizeFolder({ ...q, check: false, maxMemory: opts.maxMemory }),
      resultsCache: opts.evalCache === false ? undefined : new EvalResultsCache(join(cache.root, 'eval')),
    });
  }
  // A matrix job's card would describe part of the model: the job that commits the parts writes it.
  if (card && !opts.shard) {
    if (recorded) card.provenance.lockSha256 = sha256Text(readFileSync(recorded));
    writeCardData(result.outDir, card);
    const ggufs = result.files.some((x) => x.name.endsWith('.gguf'));
    writeCard(result.outDir, card, {
      kind: ggufs ? 'combined' : 'model', name: basename(result.outDir), files: result.files, hubUrl: opts.hub?.hubUrl, eval: report.ran ? report : undefined,
    });
  }
  // What the folder holds now (eval and card files included; not the marker), and what low-disk took away.
  result.files = [...readdirSync(result.outDir).filter((n) => !n.startsWith('.')).map((name) => ({ name, bytes: statSync(join(result.outDir, name)).size })), ...result.removed]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { ...result, plan, sourceMode, lockPath: recorded, stages, card, eval: report };
}

/**
 * The recipe's input models for compare_inputs: a local folder is converted as it is; a Hub model
 * or a model with a LoRA adapter is first written to a temporary folder by a one-model merge
 * (weight 1: its tensors as they are, streamed or downloaded like the merge's inputs).
 */
function evalInputs(file: string, models: ResolvedModel[], opts: RunOptions, cache: ShardCache): EvalInput[] {
  return models.map((m) => {
    if (!m.hub && m.loraDir === undefined) return { label: m.ref.path, dir: m.dir, identity: () => localModelIdentity(m.dir) };
    const label = m.key;
    // The commits (or local folders) the merge read: the same weights whatever the folder they are written to.
    const identity = (): string => [
      m.hub ? `hub:${m.hub.repo}@${m.hub.sha}` : localModelIdentity(m.dir),
      m.loraDir === undefined ? '' : m.loraHub ? `lora:${m.loraHub.repo}@${m.loraHub.sha}` : `lora ${localModelIdentity(m.loraDir)}`,
    ].join('\n');
    const materialize = async (dir: string): Promise<string> => {
      const recipeText = `merge_method: linear\nmodels:\n  - model: ${JSON.stringify(m.key)}\n    parameters: {weight: 1.0}\n`;
      const r = await runRecipeFile(file, {
        hub: opts.hub, range: opts.range, cache, sourceMode: opts.sourceMode, maxMemory: opts.maxMemory, threads: opts.threads,
        // The commits the merge read, so the comparison is with the same weights.
        pinned: m.hub ? new Map([[m.key, m.hub.sha]]) : undefined, pinnedLora: m.loraHub ? new Map([[m.key, m.loraHub.sha]]) : undefined,
        recipeText, outDir: dir, gguf: [], ggufCheck: false, eval: false,
        lockPath: join(dir + '.none', 'mergeops.lock'), overwrite: true,
      });
      return r.outDir;
    };
    return { label, materialize, identity };
  });
}
