/**
 * On the trained fixtures (one shared vocabulary), `tokenizer_source: union` changes no tensor:
 * every remapped row is the model's own row, so the merge equals the plain one byte for byte.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { runCli } from '../support/cli.js';
import { readModelF64, type F64Tensor } from '../support/reference.js';
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

describe('examples/tokenizer-union.yml', () => {
  const t = tempDir();
  afterAll(t.cleanup);

  it('adds the ChatML tokens with the base model\'s <s> and </s> rows, pads to 384 and sets the template', async () => {
    const examples = join(EXAMPLE_MODELS, '..');
    const out = join(t.dir, 'out');
    const r = runCli(['run', 'tokenizer-union.yml', '--out', out], examples);
    if (r.status !== 0) throw new Error(r.stderr);
    const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { vocab_size: number };
    expect(cfg.vocab_size).toBe(384);
    const merged = (await readModelF64(out)).get('model.embed_tokens.weight')!;
    const base = (await readModelF64(join(EXAMPLE_MODELS, 'base'))).get('model.embed_tokens.weight')!;
    const H = merged.shape[1];
    const row = (x: F64Tensor, r: number): Uint8Array => x.bytes.subarray(r * H * 2, (r + 1) * H * 2);
    const lib = new Tokenizer(JSON.parse(readFileSync(join(out, 'tokenizer.json'), 'utf8')), JSON.parse(readFileSync(join(out, 'tokenizer_config.json'), 'utf8')));
    const vocab = lib.get_vocab();
    // Every model takes these rows from the base model, so the task vectors are zero there.
    expect(Buffer.compare(row(merged, vocab.get('<|im_start|>')!), row(base, vocab.get('<s>')!))).toBe(0);
    expect(Buffer.compare(row(merged, vocab.get('<|im_end|>')!), row(base, vocab.get('</s>')!))).toBe(0);
    const tc = JSON.parse(readFileSync(join(out, 'tokenizer_config.json'), 'utf8')) as { chat_template: string };
    expect(tc.chat_template).toContain('<|im_start|>');
  });
});
