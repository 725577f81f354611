/**
 * A tokenizer merge in an earlier stage of a multi-stage recipe: the fused run (the remapped
 * embeddings computed in memory) writes the same bytes and tokenizer as running the stages one
 * by one; a later stage with another vocabulary remaps the earlier stage's output (rows computed
 * in memory), giving the bytes of the stages run one by one through a folder.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateModel } from '../support/generate-model.js';
import { runCli, runCliMeasured } from '../support/cli.js';
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
  const d = join(t.dir, 'd');
  beforeAll(async () => {
    await generateModel({ ...DIMS, dir: a, seed: 61, vocabSize: 300, extraTokens: ['<a>'] });
    await generateModel({ ...DIMS, dir: b, seed: 62, vocabSize: 310, extraTokens: ['<b>'], addedTokens: ['<|s|>'] });
    await generateModel({ ...DIMS, dir: c, seed: 63, vocabSize: 300, extraTokens: ['<a>'] });
    await generateModel({ ...DIMS, dir: d, seed: 64, vocabSize: 296, extraTokens: ['<d>', '<b>'], addedTokens: ['<|t|>'] });
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

  // A later stage whose vocabulary differs from an earlier stage's output: the earlier stage's
  // embedding and lm_head rows (computed in memory) are remapped to the later vocabulary.
  const tiesStage = `merge_method: ties
base_model: ${a}
models:
  - model: ${b}
    parameters: {weight: 0.7, density: 0.6}
tokenizer:
  source: union
  pad_to_multiple_of: 16
`;
  const slerpStage = `merge_method: slerp
base_model: ${a}
models:
  - model: ${c}
parameters:
  t: 0.4
`;
  const linearStage = `merge_method: linear
models:
  - model: ${a}
    parameters: {weight: 0.5}
  - model: ${b}
    parameters: {weight: 0.5}
tokenizer_source: union
`;
  const over = (mix: string, tok: string): string => `merge_method: linear
models:
  - model: ${mix}
    parameters: {weight: 0.6}
  - model: ${d}
    parameters: {weight: 0.4}
${tok}`;
  // Two workers just above the smallest budget, and one worker with a tiny chunk: rows of the
  // earlier stage's tensors are computed a few at a time, aligned to its program's blocks.
  const SMALL = [['--threads', '2', '--max-memory', String(96 * 2 ** 20 + 2 * (24 * 2 ** 20 + 16384) + 24 * 1024)],
    ['--threads', '1', '--max-memory', String(96 * 2 ** 20 + 24 * 2 ** 20 + 16384 + 10 * 1024)]];

  it.each([
    ['union (padded) over a TIES stage with its own union vocabulary', tiesStage, 'tokenizer:\n  source: union\n  pad_to_multiple_of: 24\n'],
    ['`tokenizer: {source: model}` over a SLERP stage', slerpStage, `tokenizer:\n  source: ${'DMODEL'}\n`],
    ['`tokenizer_source: union` over a SLERP stage', slerpStage, 'tokenizer_source: union\n'],
    ['`tokenizer: {source: model}` over a linear stage with its own union vocabulary', linearStage, `tokenizer:\n  source: ${'DMODEL'}\n`],
  ])('%s: fused equals the stages run one by one, under small budgets too', (name, stage1, tokRaw) => {
    const tok = tokRaw.replace('DMODEL', d);
    const dir = join(t.dir, name.replace(/[^a-z]+/gi, '-'));
    const s1 = join(dir, 'staged-mix');
    ok(runCli(['run', writeRecipe(t.dir, 'r1.yml', stage1), '--out', s1]));
    ok(runCli(['run', writeRecipe(t.dir, 'r2.yml', over(s1, tok)), '--out', join(dir, 'staged')]));
    const fused = writeRecipe(t.dir, 'remap.yml', `name: mix\n${stage1}---\n${over('mix', tok)}`);
    const plan = runCli(['plan', fused]);
    ok(plan);
    ok(runCli(['run', fused, '--out', join(dir, 'fused'), '--keep-intermediates', join(dir, 'inter')]));
    const files = ['model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'config.json'];
    const same = (x: string, y: string, f: string): boolean => readFileSync(join(x, f)).equals(readFileSync(join(y, f)));
    for (const f of files) expect([f, same(join(dir, 'fused'), join(dir, 'staged'), f)]).toEqual([f, true]);
    expect(same(join(dir, 'inter', 'mix'), s1, 'model.safetensors')).toBe(true);
    for (const [i, budget] of SMALL.entries()) {
      ok(runCli(['run', fused, '--out', join(dir, `small${i}`), ...budget]));
      expect([budget.join(' '), same(join(dir, `small${i}`), join(dir, 'staged'), 'model.safetensors')]).toEqual([budget.join(' '), true]);
    }
    // Within a whole-process budget: the remap adds no unbounded buffer.
    const measured = runCliMeasured(['run', fused, '--out', join(dir, 'budget'), '--threads', '2', '--max-memory', '160MiB']);
    ok(measured);
    expect(measured.maxRssBytes).toBeLessThan(160 * 2 ** 20);
    // The output really has the later stage's vocabulary, different from the earlier stage's.
    const vocab = (x: string): number => (JSON.parse(readFileSync(join(x, 'config.json'), 'utf8')) as { vocab_size: number }).vocab_size;
    const rows = (x: string): number => {
      const buf = readFileSync(join(x, 'model.safetensors'));
      const header = JSON.parse(buf.subarray(8, 8 + Number(buf.readBigUInt64LE(0))).toString()) as Record<string, { shape: number[] }>;
      return header['model.embed_tokens.weight'].shape[0];
    };
    expect(rows(join(dir, 'fused'))).toBe(vocab(join(dir, 'fused')));
    expect(rows(join(dir, 'fused'))).not.toBe(rows(s1));
  });
});
