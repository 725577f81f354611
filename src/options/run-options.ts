/**
 * The run options both front ends share, assembled from a raw record of option name → text
 * (CLI flag values, Action inputs; blank means not given) and checked at once in the one error style.
 */
import type { GGUFSplitOptions } from '../formats/gguf.js';
import type { SourceMode } from '../hub/resolve.js';
import type { ShardSpec } from '../plan/matrix.js';
import type { FileTypeName } from '../quant/select.js';
import { fileTypeListValue, shardValue, sizeValue, sourceModeValue, splitValue, threadsValue, type Naming } from './validate.js';

/** Raw values by option name (`max-memory`, `threads`, ...); undefined or blank = not given (booleans, parsed already by the CLI, are ignored). */
export type RawOptions = Readonly<Record<string, string | boolean | undefined>>;

export interface RunOptions {
  maxMemory?: number;
  threads?: number;
  gguf?: FileTypeName[];
  ggufSplit?: GGUFSplitOptions;
  shard?: ShardSpec;
  sourceMode?: SourceMode;
  outShardSize?: number;
  cacheSize?: number;
}

/** The raw text of an option, or undefined when it is absent or blank. */
export function given(raw: RawOptions, name: string): string | undefined {
  const v = raw[name];
  return typeof v !== 'string' || v.trim() === '' ? undefined : v;
}

/** Checks every run option present in `raw`; throws a MergeopsError naming the first bad one. */
export function readRunOptions(raw: RawOptions, naming: Naming): RunOptions {
  const opt = <T>(name: string, check: (naming: Naming, name: string, value: string) => T): T | undefined => {
    const v = given(raw, name);
    return v === undefined ? undefined : check(naming, name, v);
  };
  const out: RunOptions = {
    maxMemory: opt('max-memory', sizeValue),
    threads: opt('threads', threadsValue),
    gguf: opt('gguf', fileTypeListValue),
    ggufSplit: splitValue(naming, given(raw, 'split-max-size'), given(raw, 'split-max-tensors')),
    shard: opt('shard', shardValue),
    sourceMode: opt('source-mode', sourceModeValue),
    outShardSize: opt('out-shard-size', sizeValue),
    cacheSize: opt('cache-size', sizeValue),
  };
  // Absent keys stay absent, so spreading the result never overrides a default with undefined.
  for (const k of Object.keys(out) as (keyof RunOptions)[]) if (out[k] === undefined) delete out[k];
  return out;
}
