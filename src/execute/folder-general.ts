/**
 * What a model folder says of its GGUF `general.*` values beside config.json (which resolve
 * reads with the tensors): its model card's front matter, as convert reads it, and the title a
 * mergeops run recorded in the folder's marker. Read for `mergeops quantize` of the folder.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { generalFromModelCard, type GGUFGeneralInfo } from '../arch/gguf-general.js';
import { MergeopsError } from '../errors.js';
import { folderView, type FileView } from '../io/optional-file.js';
import { CARD_DATA_FILE, readOutputMarker } from './output-safety.js';

/** The YAML front matter of a model card (README.md), as convert reads it; {} without one. */
function readModelCard(from: string | FileView): Record<string, unknown> {
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

/**
 * The folder's `general.*` values from its model card, and the title a mergeops run recorded
 * (below the card: after the recipe, not the folder). The card a run renders into its own output
 * comes after its GGUF files: it is not a source, so quantize of the folder writes the bytes the run wrote.
 */
export function readFolderGeneral(dir: string): { general: Partial<GGUFGeneralInfo>; title?: string } {
  const marker = readOutputMarker(dir);
  const generatedCard = marker !== undefined && existsSync(join(dir, CARD_DATA_FILE));
  return { general: generalFromModelCard(generatedCard ? {} : readModelCard(dir)), ...(marker?.name !== undefined ? { title: marker.name } : {}) };
}
