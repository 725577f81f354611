/**
 * A PEFT LoRA adapter on the Hub (the `+org/lora[@rev]` part of a reference), read the way
 * readHubModel reads a model: adapter_config.json into the cache's snapshot folder, the
 * safetensors header with range requests (kept in the cache), and the tensors' bytes from the
 * cached copy, from the cache once downloaded (download mode), or over HTTP (stream mode).
 */
import { readFileSync } from 'node:fs';
import {
  cacheSmallFile, pinnedFileSource, pinnedSafetensorsHeader, type ReadHubModelOptions,
} from './hub-model.js';
import { ADAPTER_CONFIG, ADAPTER_WEIGHTS, assembleAdapter, missingAdapterFile, type LoraAdapter } from './lora.js';
import { sha256Text } from './lockfile.js';
import type { PinnedFile } from '../model/resolved.js';
import type { PendingShard } from '../store/download-shard.js';

export interface HubLoraAdapter {
  adapter: LoraAdapter;
  /** The repo, its pinned commit and the two files used (for the lockfile). */
  hub: { repo: string; revision: string; sha: string; files: PinnedFile[] };
  /** The weights file, when it must be downloaded first (download mode, not cached). */
  pending: PendingShard[];
}

export async function readHubLoraAdapter(opts: ReadHubModelOptions): Promise<HubLoraAdapter> {
  const { repo, sha, revision, files } = opts.pinned;
  const label = `${repo}@${sha.slice(0, 12)}`;
  const listed = new Map(files.map((f) => [f.path, f]));
  const missing = missingAdapterFile(`repo ${repo}@${revision} (commit ${sha.slice(0, 12)})`, {
    config: listed.has(ADAPTER_CONFIG), weights: listed.has(ADAPTER_WEIGHTS),
    modelConfig: listed.has('config.json'), pickle: listed.has('adapter_model.bin'),
  });
  if (missing) throw missing;
  const configPath = await cacheSmallFile(opts, ADAPTER_CONFIG);
  const configText = readFileSync(configPath, 'utf8');
  const header = await pinnedSafetensorsHeader(opts, ADAPTER_WEIGHTS);
  const where = pinnedFileSource(opts, ADAPTER_WEIGHTS);
  const adapter = assembleAdapter({
    dir: label, configFile: `${label}/${ADAPTER_CONFIG}`, configText,
    weightsFile: `${label}/${ADAPTER_WEIGHTS}`, header, source: where.source,
  });
  const config = listed.get(ADAPTER_CONFIG)!;
  const weights = listed.get(ADAPTER_WEIGHTS)!;
  return {
    adapter,
    hub: {
      repo, revision, sha,
      files: [
        // Small files kept in git have no LFS oid: hash the copy just fetched.
        { path: ADAPTER_CONFIG, size: config.size, sha256: config.sha256 ?? sha256Text(readFileSync(configPath)) },
        { path: ADAPTER_WEIGHTS, size: weights.size, sha256: weights.sha256 ?? '' },
      ],
    },
    pending: where.pending ? [where.pending] : [],
  };
}
