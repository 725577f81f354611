/**
 * The Action's inputs (action.yml), read and validated at once by src/options/ (the CLI's checks,
 * named as inputs): every bad value fails before any work. Pure: takes a getter, so tests need no
 * environment.
 */
import { MergeopsError } from '../errors.js';
import { readRunOptions } from '../options/run-options.js';
import { ACTION_NAMING, booleanValue, countValue, enumValue, invalid } from '../options/validate.js';
import type { ShardSpec } from '../plan/matrix.js';
import type { FileTypeName } from '../quant/select.js';

/** The rows of the modes table (modes.ts `ACTION_MODES`, keyed by these names). */
export const ACTION_MODE_NAMES = ['build', 'review', 'drift'] as const;
export type ActionModeName = typeof ACTION_MODE_NAMES[number];
export type ModeInput = ActionModeName | 'auto';

export interface ActionInputs {
  recipes: string;
  mode: ModeInput;
  hfToken?: string;
  hfEndpoint?: string;
  /** `hf:org/{name}`: the publish target, `{name}` replaced by each recipe's file name (without extension) */
  publish?: string;
  gguf?: FileTypeName[];
  eval: boolean;
  frozen: boolean;
  cache: boolean;
  maxMemory?: number;
  threads?: number;
  /** 1-based part of N */
  shard?: ShardSpec;
  /** plan step of a matrix build: emit the `matrix` output for this many jobs per recipe, build nothing */
  jobs?: number;
  /** final job of a matrix build: the folder of the part jobs' manifests; commits all parts at once */
  commitParts?: string;
  /** upload each finished file during the merge and delete it (the CLI's --low-disk) */
  lowDisk: boolean;
  githubToken?: string;
  onDrift: 'pr' | 'rebuild';
  dryRun: boolean;
  commitLockfile: boolean;
  /** output folder of the build (one sub-folder per recipe) */
  out?: string;
}

/** `hf:org/{name}`: one namespace and a name, `{name}` the only placeholder. */
export function checkPublishPattern(v: string, input = 'publish'): string {
  const t = v.trim();
  if (!/^hf:[A-Za-z0-9][A-Za-z0-9._{}-]*\/[A-Za-z0-9{][A-Za-z0-9._{}-]*$/.test(t) || /[{}]/.test(t.replace(/\{name\}/g, ''))) {
    throw invalid(ACTION_NAMING, input, v, 'a Hub repo pattern',
      'write a pattern such as `hf:my-org/{name}` ({name}, the only placeholder, is the recipe file name) in the step\'s `with:`');
  }
  return t;
}

/** The publish target of one recipe: the pattern with `{name}` replaced. */
export function publishTargetFor(pattern: string, recipeName: string): string {
  return pattern.replace(/\{name\}/g, recipeName);
}

/** Reads and checks every input; throws a MergeopsError naming the first bad one. */
export function readActionInputs(get: (name: string) => string): ActionInputs {
  const opt = (n: string): string | undefined => get(n).trim() || undefined;
  const flag = (n: string, dflt: boolean): boolean => {
    const v = opt(n);
    return v === undefined ? dflt : booleanValue(ACTION_NAMING, n, v);
  };
  const hfEndpoint = opt('hf-endpoint');
  if (hfEndpoint !== undefined) {
    let ok = false;
    try { ok = /^https?:$/.test(new URL(hfEndpoint).protocol); } catch { ok = false; }
    if (!ok) throw invalid(ACTION_NAMING, 'hf-endpoint', hfEndpoint, 'an http(s) URL', 'e.g. `hf-endpoint: https://huggingface.co`');
  }
  const hfToken = opt('hf-token');
  if (hfToken !== undefined && /\s/.test(hfToken)) throw new MergeopsError('USAGE', 'input `hf-token` contains white space', 'pass the secret itself, e.g. `hf-token: ${{ secrets.HF_TOKEN }}`');
  const publish = opt('publish');
  const jobs = opt('jobs');
  const mode = opt('mode');
  const onDrift = opt('on-drift');
  const commitParts = opt('commit-parts');
  const shard = opt('shard');
  // The three roles of a matrix build are one each per step: plan (jobs), part (shard), final (commit-parts).
  const roles = [['jobs', jobs], ['shard', shard], ['commit-parts', commitParts]].filter(([, v]) => v !== undefined).map(([n]) => `\`${n}\``);
  if (roles.length > 1) {
    throw new MergeopsError('USAGE', `inputs ${roles.join(' and ')} are steps of a matrix build that one step cannot combine`,
      'give the plan step `jobs: N`, each part job `shard: ${{ matrix.shard }}`, and the final job `commit-parts: <folder of the manifests>` (see workflows-examples/sharded-build.yml)');
  }
  if (commitParts !== undefined && publish === undefined) {
    throw new MergeopsError('USAGE', 'input `commit-parts` needs `publish`', 'give the final job the same `publish` input as the part jobs');
  }
  const lowDisk = flag('low-disk', false);
  if (lowDisk && publish === undefined) {
    throw new MergeopsError('USAGE', 'input `low-disk` needs `publish`', 'low-disk mode uploads each finished file and deletes it: set `publish: hf:ORG/{name}`');
  }
  const run = readRunOptions({ gguf: get('gguf'), 'max-memory': get('max-memory'), threads: get('threads'), shard: get('shard') }, ACTION_NAMING);
  return {
    recipes: opt('recipes') ?? 'recipes/**/*.yml',
    mode: mode === undefined ? 'auto' : enumValue(ACTION_NAMING, 'mode', mode, ['auto', ...ACTION_MODE_NAMES] as const),
    hfToken,
    hfEndpoint,
    publish: publish === undefined ? undefined : checkPublishPattern(publish),
    gguf: run.gguf,
    eval: flag('eval', true),
    frozen: flag('frozen', false),
    cache: flag('cache', true),
    maxMemory: run.maxMemory,
    threads: run.threads,
    shard: run.shard,
    jobs: jobs === undefined ? undefined : countValue(ACTION_NAMING, 'jobs', jobs, '4', 256),
    commitParts,
    lowDisk,
    githubToken: opt('github-token'),
    onDrift: onDrift === undefined ? 'pr' : enumValue(ACTION_NAMING, 'on-drift', onDrift, ['pr', 'rebuild'] as const),
    dryRun: flag('dry-run', false),
    commitLockfile: flag('commit-lockfile', false),
    out: opt('out'),
  };
}
