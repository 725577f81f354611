/**
 * On the trained fixtures (one shared vocabulary), `tokenizer_source: union` changes no tensor:
 * every remapped row is the model's own row, so the merge equals the plain one byte for byte.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { runCli } from '../support/cli.js';
import { EXAMPLE_MODELS, tempDir, writeRecipe } from '../support/tmp.js';

const recipe = (extra: string): string => `merge_method: linear
models:
  - model: ${join(EXAMPLE_MODELS, 'add')}
    parameters: {weight: 0.5}
  - model: ${join(EXAMPLE_MODELS, 'rev')}
    parameters: {weight: 0.5}
${extra}`;

describe('union of models that share a vocabulary', () => {
  const t = tempDir();
  afterAll(t.cleanup);

  it('writes the same tensors as the plain merge and a tokenizer with the same vocabulary', () => {
    for (const [name, extra] of [['plain', ''], ['union', 'tokenizer_source: union\n']]) {
      const r = runCli(['run', writeRecipe(t.dir, `${name}.yml`, recipe(extra)), '--out', join(t.dir, name)]);
      if (r.status !== 0) throw new Error(r.stderr);
    }
    const w = (d: string): Buffer => readFileSync(join(t.dir, d, 'model.safetensors'));
    expect(w('union').equals(w('plain'))).toBe(true);
    const cfg = (d: string): unknown => JSON.parse(readFileSync(join(t.dir, d, 'config.json'), 'utf8'));
    expect(cfg('union')).toEqual(cfg('plain'));
    const tok = (d: string): Tokenizer => new Tokenizer(
      JSON.parse(readFileSync(join(d, 'tokenizer.json'), 'utf8')), JSON.parse(readFileSync(join(d, 'tokenizer_config.json'), 'utf8')));
    const donor = tok(join(EXAMPLE_MODELS, 'add'));
    const merged = tok(join(t.dir, 'union'));
    expect(merged.get_vocab()).toEqual(donor.get_vocab());
    const text = 'The quick brown fox: 12 + 30 = 42.';
    expect(merged.encode(text).ids).toEqual(donor.encode(text).ids);
  });
});
