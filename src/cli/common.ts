/**
 * Options several commands share (Hub access, lockfile, cache, output shards). Their raw values
 * are checked by src/options/ (shared with the Action), named as flags.
 */
import { MergeopsError } from '../errors.js';
import { hubOptionsFromEnv, maskTokens, type HubOptions } from '../hub/hub-options.js';
import { readRunOptions } from '../options/run-options.js';
import { CLI_NAMING } from '../options/validate.js';
import type { PrepareOptions } from '../pipeline.js';
import { defaultCacheDir, ShardCache } from '../store/shard-cache.js';
import type { ParsedArgs } from './args.js';
import type { CommandIO } from './command.js';

/** Options of every command that reads a recipe (plan, run, lock). */
export const RECIPE_OPTIONS = {
  'out-shard-size': { type: 'string' },
  'source-mode': { type: 'string' },
  frozen: { type: 'boolean' },
  lock: { type: 'string' },
  'cache-dir': { type: 'string' },
  'cache-size': { type: 'string' },
} as const;

export const RECIPE_OPTIONS_HELP = `  --out-shard-size SIZE  safetensors shard size, e.g. 5B (default), 500M, 2GiB
  --source-mode MODE     Hub models: stream (range requests while merging), download (whole
                         shards into the cache, verified by sha256, while merging) or auto
                         (download when inputs and output fit the disk with margin; default)
  --frozen               fail unless mergeops.lock matches the recipe and upstream still has the
                         locked commits
  --lock FILE            lockfile (default: mergeops.lock beside the recipe)
  --cache-dir DIR        shard cache (default: $MERGEOPS_CACHE, else ~/.cache/mergeops)
  --cache-size SIZE      evict least recently used cached files beyond this size
  -h, --help             this text

Environment: HF_TOKEN (Hub access token, hf_…), HF_ENDPOINT (default https://huggingface.co).
`;

/** The one positional argument a command needs. */
export function onePositional(positionals: string[], command: string, what: string, example: string): string {
  if (positionals.length === 0) throw new MergeopsError('USAGE', `\`mergeops ${command}\` needs ${what}`, `mergeops ${command} ${example}`);
  if (positionals.length > 1) {
    throw new MergeopsError('USAGE', `\`mergeops ${command}\` takes one ${what.replace(/^an? /, '')}, got ${positionals.length}: ${positionals.join(' ')}`,
      `mergeops ${command} ${example} (quote a path with spaces)`);
  }
  return positionals[0];
}

/** Hub access from the environment, and a stderr logger that masks its token. */
export function hubAndLog(io: CommandIO): { hub: HubOptions; log: (line: string) => void } {
  const hub = hubOptionsFromEnv(io.env, undefined, (m) => io.err(`warning: ${maskTokens(m)}\n`));
  return { hub, log: (line) => io.err(`${maskTokens(line, hub)}\n`) };
}

/** The prepare options of plan, run and lock, from their shared flags. */
export function prepareOptions(values: ParsedArgs<typeof RECIPE_OPTIONS>['values'], io: CommandIO): PrepareOptions {
  const o = readRunOptions({ 'source-mode': values['source-mode'], 'cache-size': values['cache-size'], 'out-shard-size': values['out-shard-size'] }, CLI_NAMING);
  return {
    ...hubAndLog(io), sourceMode: o.sourceMode ?? 'auto', lockPath: values.lock, frozen: values.frozen ?? false,
    cache: new ShardCache(values['cache-dir'] ?? defaultCacheDir(), o.cacheSize),
    outShardSize: o.outShardSize,
  };
}
