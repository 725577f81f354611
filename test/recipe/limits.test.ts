/** Bounded work for any recipe: each cap gives a recipe error naming the value and the cap, quickly, quoting only an excerpt. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RecipeError, MergeopsError } from '../../src/errors.js';
import { RECIPE_LIMITS } from '../../src/recipe/limits.js';
import { parseRecipeText } from '../../src/recipe/parse.js';
import { loadRecipeFile } from '../../src/pipeline.js';
import { tempDir } from '../support/tmp.js';

function refused(text: string, pattern: RegExp): RecipeError {
  const t0 = performance.now();
  let caught: unknown;
  try { parseRecipeText(text, 'r.yml'); } catch (e) { caught = e; }
  expect(performance.now() - t0).toBeLessThan(1000);
  expect(caught).toBeInstanceOf(RecipeError);
  const e = caught as RecipeError;
  expect(e.message).toMatch(pattern);
  // Short: the formatted error never echoes a long value.
  expect(e.format().length).toBeLessThan(1000);
  return e;
}

const laughs = (levels: number): string => {
  let s = 'a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n';
  for (let i = 1; i < levels; i++) s += `a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]\n`;
  return s;
};

test('recipe size', () => {
  refused('a: b\n'.repeat(300_000), /the recipe is 1500000 bytes, more than the 1048576-byte limit/);
  const t = tempDir();
  try {
    const f = join(t.dir, 'big.yml');
    writeFileSync(f, Buffer.alloc(RECIPE_LIMITS.fileBytes + 1, 0x20));
    expect(() => loadRecipeFile(f)).toThrow(MergeopsError);
    expect(() => loadRecipeFile(f)).toThrow(/1048577 bytes, more than the 1048576-byte limit/);
  } finally { t.cleanup(); }
});

test('nesting depth: flow, block, compact lists, aliases', () => {
  refused(`models: ${'['.repeat(100_000)}${']'.repeat(100_000)}`, /nests more than 64 levels deep/);
  refused(`a:\n${Array.from({ length: 100 }, (_, i) => `${' '.repeat(i + 1)}b:`).join('\n')}\n`, /nests more than 64 levels deep/);
  refused(`${'- '.repeat(1000)}x\n`, /nests more than 64 levels deep/);
  let chain = 'a0: &a0 [x]\n';
  for (let i = 1; i < 45; i++) chain += `a${i}: &a${i} [[*a${i - 1}]]\n`;
  refused(chain, /nests more than 64 levels deep \(aliases included\)/);
});

test('YAML alias expansion ("billion laughs") and alias counts', () => {
  refused(laughs(9), /expands \(through YAML aliases\) to more than 100000 values/);
  refused(laughs(12), /more than 100 YAML anchors and aliases/);
});

test('string lengths (a chat template included), quoted as a short excerpt', () => {
  const e = refused(`merge_method: linear\nmergeops:\n  chat_template: "${'{{ x }}'.repeat(40_000)}"\n`,
    /a string of 280000 characters .* is longer than the 262144-character limit/);
  expect(e.format()).toMatch(/…/);
});

test('list lengths and stage counts', () => {
  refused(`models:\n${'  - model: a\n'.repeat(RECIPE_LIMITS.entries + 1)}`, /more than 4096 entries \(lines and list items\)/);
  refused(`models: [${'a,'.repeat(RECIPE_LIMITS.entries + 1)}]`, /more than 4096 entries/);
  refused(`models:\n${'  - model: a\n'.repeat(RECIPE_LIMITS.listItems + 1)}`, /a list of 1025 entries is longer than the 1024-entry limit/);
  refused(Array.from({ length: 65 }, (_, i) => `name: s${i}\nmerge_method: linear\n`).join('---\n'), /more than 64 documents \(stages\)/);
});

test('long values are quoted as excerpts in every error', () => {
  const e = new MergeopsError('RECIPE', `unknown merge method \`${'x'.repeat(200_000)}\`; did you mean \`${'x'.repeat(200_000)}\`?`, 'h');
  expect(e.message.length).toBeLessThan(400);
  expect(e.message).toMatch(/\(200000 characters\)/);
});

test('an absurd configured layer count costs nothing: the checkpoint is looked at once', async () => {
  const { detectArch } = await import('../../src/arch/detect.js');
  const names = ['model.embed_tokens.weight', 'model.norm.weight', 'lm_head.weight',
    ...['input_layernorm', 'post_attention_layernorm'].map((n) => `model.layers.0.${n}.weight`),
    ...['q_proj', 'k_proj', 'v_proj', 'o_proj'].map((n) => `model.layers.0.self_attn.${n}.weight`),
    ...['gate_proj', 'up_proj', 'down_proj'].map((n) => `model.layers.0.mlp.${n}.weight`)];
  const t0 = performance.now();
  let caught: unknown;
  try { detectArch({ architectures: ['LlamaForCausalLM'], model_type: 'llama', num_hidden_layers: 1e15 }, names, 'm'); } catch (e) { caught = e; }
  expect(performance.now() - t0).toBeLessThan(1000);
  expect((caught as MergeopsError).message).toMatch(/model\.layers\.1\..* is missing.*\(8999999999999991 required tensors are missing in all\).*num_hidden_layers = 1000000000000000/);
});
