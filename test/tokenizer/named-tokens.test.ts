/**
 * Tokens named under `tokenizer.tokens:` become added tokens as mergekit makes them
 * (transformers' `add_tokens`): one the vocabulary already has keeps its id but is matched as an
 * added token, so the output tokenizer splits text around it as transformers would.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { runCli } from '../support/cli.js';
import { EXAMPLE_MODELS, tempDir, writeRecipe } from '../support/tmp.js';

const t = tempDir('mergeops-named-tokens-');
afterAll(t.cleanup);
const json = <T>(dir: string, f: string): T => JSON.parse(readFileSync(join(dir, f), 'utf8')) as T;
const tokenizer = (dir: string): Tokenizer => new Tokenizer(json(dir, 'tokenizer.json'), json(dir, 'tokenizer_config.json'));

it('a vocabulary token named under tokens: is an added token at its id, and tokenizes as one', () => {
  const base = join(EXAMPLE_MODELS, 'base');
  const vocab = json<{ model: { vocab: Record<string, number> } }>(base, 'tokenizer.json').model.vocab;
  // `ABC` and `▁ABC` are both in the vocabulary: plain BPE reads " ABC" as `▁ABC`.
  expect(vocab.ABC).toBeDefined();
  expect(vocab['▁ABC']).toBeDefined();
  const out = join(t.dir, 'out');
  const r = runCli(['run', writeRecipe(t.dir, 'tokens.yml', `merge_method: linear
models:
  - model: ${base}
    parameters: {weight: 1}
tokenizer:
  source: base
  tokens:
    ABC:
      source: ${base}
    "<|new|>":
      source: {kind: zero}
`), '--out', out]);
  if (r.status !== 0) throw new Error(r.stderr);
  const tj = json<{ added_tokens: { id: number; content: string; normalized: boolean; special: boolean }[] }>(out, 'tokenizer.json');
  expect(tj.added_tokens.find((a) => a.content === 'ABC')).toEqual(expect.objectContaining({ id: vocab.ABC, normalized: true, special: false }));
  expect(tj.added_tokens.find((a) => a.content === '<|new|>')).toEqual(expect.objectContaining({ id: 320, special: false }));
  const tc = json<{ added_tokens_decoder: Record<string, { content: string }> }>(out, 'tokenizer_config.json');
  expect(tc.added_tokens_decoder[String(vocab.ABC)].content).toBe('ABC');

  const donor = tokenizer(base);
  const merged = tokenizer(out);
  const text = 'x ABC y';
  expect(donor.encode(text).ids).toContain(vocab['▁ABC']);
  // The added token is matched first (its normalized form `▁ABC`, as the tokenizers library
  // matches normalized added tokens), so the text gets the id of `ABC`.
  expect(merged.encode(text).ids).toContain(vocab.ABC);
  expect(merged.encode(text).ids).not.toContain(vocab['▁ABC']);
  expect(merged.encode('x <|new|>').ids).toContain(320);
});
