/** Recipes and task files over the example models (examples/models, examples/evals), shared by the end-to-end tests. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXAMPLE_MODELS } from './tmp.js';

/**
 * Task arithmetic of the example fine-tunes over their base, then `extra` (e.g. a `mergeops:` block).
 * λ = 1 (the default when not given) does both skills; λ = 10 breaks the merge.
 */
export function exampleTaskArithmetic(extra = '', o: { lambda?: number; dtype?: string } = {}): string {
  const m = (name: string): string => join(EXAMPLE_MODELS, name);
  return `merge_method: task_arithmetic
base_model: ${m('base')}
models:
  - model: ${m('add')}
    parameters: {weight: 1.0}
  - model: ${m('rev')}
    parameters: {weight: 1.0}
${o.lambda !== undefined ? `parameters: {lambda: ${o.lambda}}\n` : ''}${o.dtype !== undefined ? `dtype: ${o.dtype}\n` : ''}${extra}`;
}

/** Writes the first `n` items of an example task file (`add`, `rev`) into `dir`; returns its path. */
export function exampleTaskLines(dir: string, name: string, n: number): string {
  const file = join(dir, `${name}-${n}.jsonl`);
  writeFileSync(file, readFileSync(join(EXAMPLE_MODELS, '..', 'evals', `${name}.jsonl`), 'utf8').split('\n').slice(0, n).join('\n') + '\n');
  return file;
}
