/**
 * The Action's inputs (action.yml), read and validated at once: every bad value fails before any
 * work, naming the input and the accepted values. Pure: takes a getter, so tests and the CLI's
 * shared checks need no environment.
 */
import { MergeopsError } from '../errors.js';
import { parseByteSize } from '../formats/byte-size.js';
import { parseShardSpec, type ShardSpec } from '../plan/matrix.js';
import { parseFileType, type FileTypeName } from '../quant/select.js';

export type ActionModeName = 'build' | 'review' | 'drift';
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
  githubToken?: string;
  onDrift: 'pr' | 'rebuild';
  dryRun: boolean;
  commitLockfile: boolean;
  /** output folder of the build (one sub-folder per recipe) */
  out?: string;
}

function bad(input: string, value: string, expected: string): MergeopsError {
  return new MergeopsError('USAGE', `input \`${input}\`: ${JSON.stringify(value)} is not valid`, `use ${expected} (in the step's \`with:\`)`);
}

function oneOf<T extends string>(get: (n: string) => string, name: string, values: readonly T[], dflt: T): T {
  const v = get(name).trim();
  if (v === '') return dflt;
  if ((values as readonly string[]).includes(v)) return v as T;
  throw bad(name, v, values.map((x) => `\`${x}\``).join(' | '));
}

/** YAML 1.2 core schema booleans, as `core.getBooleanInput` accepts. */
function bool(get: (n: string) => string, name: string, dflt: boolean): boolean {
  const v = get(name).trim();
  if (v === '') return dflt;
  if (['true', 'True', 'TRUE'].includes(v)) return true;
  if (['false', 'False', 'FALSE'].includes(v)) return false;
  throw bad(name, v, '`true` or `false`');
}

/** `hf:org/{name}`: one namespace and a name, `{name}` the only placeholder. */
export function checkPublishPattern(v: string, input = 'publish'): string {
  const t = v.trim();
  if (!/^hf:[A-Za-z0-9][A-Za-z0-9._{}-]*\/[A-Za-z0-9{][A-Za-z0-9._{}-]*$/.test(t) || /[{}]/.test(t.replace(/\{name\}/g, ''))) {
    throw bad(input, v, 'a Hub repo pattern such as `hf:my-org/{name}` ({name}, the only placeholder, is the recipe file name)');
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
  const recipes = opt('recipes') ?? 'recipes/**/*.yml';
  const hfEndpoint = opt('hf-endpoint');
  if (hfEndpoint !== undefined) {
    let ok = false;
    try { ok = /^https?:$/.test(new URL(hfEndpoint).protocol); } catch { ok = false; }
    if (!ok) throw bad('hf-endpoint', hfEndpoint, 'an http(s) URL such as https://huggingface.co');
  }
  const hfToken = opt('hf-token');
  if (hfToken !== undefined && /\s/.test(hfToken)) throw new MergeopsError('USAGE', 'input `hf-token` contains white space', 'pass the secret itself, e.g. `hf-token: ${{ secrets.HF_TOKEN }}`');
  const publish = opt('publish');
  const gguf = opt('gguf');
  let types: FileTypeName[] | undefined;
  if (gguf !== undefined) {
    types = [];
    for (const t of gguf.split(/[\s,]+/).filter(Boolean)) {
      try { types.push(parseFileType(t)); } catch (e) {
        throw bad('gguf', t, e instanceof MergeopsError ? e.hint.replace(/^use /, 'one of ') : 'a GGUF type such as Q4_K_M');
      }
    }
  }
  const mm = opt('max-memory');
  let maxMemory: number | undefined;
  if (mm !== undefined) {
    maxMemory = parseByteSize(mm);
    if (maxMemory === undefined) throw bad('max-memory', mm, 'a size such as `12G` or `8GiB`');
  }
  const th = opt('threads');
  let threads: number | undefined;
  if (th !== undefined) {
    threads = Number(th);
    if (!Number.isInteger(threads) || threads < 1 || threads > 1024) throw bad('threads', th, 'a whole number ≥ 1, e.g. `4`');
  }
  const shard = opt('shard');
  const jobsText = opt('jobs');
  let jobs: number | undefined;
  if (jobsText !== undefined) {
    jobs = Number(jobsText);
    if (!Number.isInteger(jobs) || jobs < 1 || jobs > 256) throw bad('jobs', jobsText, 'a whole number of matrix jobs per recipe, 1 to 256');
  }
  return {
    recipes,
    mode: oneOf(get, 'mode', ['auto', 'build', 'review', 'drift'] as const, 'auto'),
    hfToken,
    hfEndpoint,
    publish: publish === undefined ? undefined : checkPublishPattern(publish),
    gguf: types,
    eval: bool(get, 'eval', true),
    frozen: bool(get, 'frozen', false),
    cache: bool(get, 'cache', true),
    maxMemory,
    threads,
    shard: shard === undefined ? undefined : parseShardSpec(shard, 'input `shard`'),
    jobs,
    githubToken: opt('github-token'),
    onDrift: oneOf(get, 'on-drift', ['pr', 'rebuild'] as const, 'pr'),
    dryRun: bool(get, 'dry-run', false),
    commitLockfile: bool(get, 'commit-lockfile', false),
    out: opt('out'),
  };
}
