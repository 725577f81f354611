/**
 * A tokenizer merge in an earlier stage of a multi-stage recipe: the fused run (the remapped
 * embeddings computed in memory) writes the same bytes and tokenizer as running the stages one
 * by one; remapping an earlier stage's output again is a clear error.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateModel } from '../support/generate-model.js';
import { runCli } from '../support/cli.js';
import { tempDir, writeRecipe } from '../support/tmp.js';

const DIMS = { arch: 'llama', dtype: 'BF16' as const, hiddenSize: 32, numLayers: 1, intermediateSize: 64, numHeads: 4, numKvHeads: 2 };

function ok(r: { status: number; stderr: string }): void {
  if (r.status !== 0) throw new Error(`mergeops failed (${r.status}):\n${r.stderr}`);
}

describe('tokenizer merges in multi-stage recipes', () => {
  const t = tempDir();
  afterAll(t.cleanup);
  const a = join(t.dir, 'a');
  const b = join(t.dir, 'b');
  const c = join(t.dir, 'c');
  beforeAll(async () => {
    await generateModel({ ...DIMS, dir: a, seed: 61, vocabSize: 300, extraTokens: ['<a>'] });
    await generateModel({ ...DIMS, dir: b, seed: 62, vocabSize: 310, extraTokens: ['<b>'], addedTokens: ['<|s|>'] });
    await generateModel({ ...DIMS, dir: c, seed: 63, vocabSize: 300, extraTokens: ['<a>'] });
  });
  const stage1 = `merge_method: linear
models:
  - model: ${a}
    parameters: {weight: 0.6}
  - model: ${b}
    parameters: {weight: 0.4}
tokenizer:
  source: union
  pad_to_multiple_of: 16
chat_template: chatml
`;
  const stage2 = (mix: string): string => `merge_method: passthrough
models:
  - model: ${mix}
    parameters: {scale: 0.5}
`;

  it('fused run equals the stages run one by one', () => {
    const s1 = join(t.dir, 'staged-mix');
    ok(runCli(['run', writeRecipe(t.dir, 's1.yml', stage1), '--out', s1]));
    ok(runCli(['run', writeRecipe(t.dir, 's2.yml', stage2(s1)), '--out', join(t.dir, 'staged')]));
    ok(runCli(['run', writeRecipe(t.dir, 'fused.yml', `name: mix\n${stage1}---\n${stage2('mix')}`), '--out', join(t.dir, 'fused')]));
    for (const f of ['model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'config.json']) {
      expect([f, readFileSync(join(t.dir, 'fused', f), 'utf8') === readFileSync(join(t.dir, 'staged', f), 'utf8')]).toEqual([f, true]);
    }
    const cfg = JSON.parse(readFileSync(join(t.dir, 'fused', 'config.json'), 'utf8')) as { vocab_size: number };
    expect(cfg.vocab_size).toBe(320);
  });

  it('remapping an earlier stage\'s output again is an error that says what to do', () => {
    const r = runCli(['plan', writeRecipe(t.dir, 'again.yml', `name: mix\n${stage1}---\nmerge_method: linear
models:
  - model: mix
    parameters: {weight: 1.0}
  - model: ${c}
    parameters: {weight: 1.0}
tokenizer_source: union
`)]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('an earlier stage\'s output, is not supported yet');
    expect(r.stderr).toContain('--keep-intermediates');
  });
});
