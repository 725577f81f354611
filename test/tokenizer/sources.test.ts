/**
 * `tokenizer_source: base` (tokens past the embedding rows stripped), `tokenizer_source: <model>`,
 * and `chat_template` (built-in, `auto`, a broken template) end to end through the CLI.
 */
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUILTIN_CHAT_TEMPLATES } from '../../src/tokenizer/chat-templates.js';
import { generateModel } from '../support/generate-model.js';
import { readModelF64 } from '../support/reference.js';
import { runCli } from '../support/cli.js';
import { tempDir, writeRecipe } from '../support/tmp.js';

const DIMS = { arch: 'llama', dtype: 'BF16' as const, hiddenSize: 32, numLayers: 1, intermediateSize: 64, numHeads: 4, numKvHeads: 2 };
const ROW = 32 * 2; // bytes of one BF16 row

interface TokJson {
  model: { vocab: Record<string, number>; merges: [string, string][] };
  added_tokens: { id: number; content: string }[];
}

const readJson = <T>(dir: string, name: string): T => JSON.parse(readFileSync(join(dir, name), 'utf8')) as T;

function run(recipe: string, out: string): void {
  const r = runCli(['run', recipe, '--out', out]);
  if (r.status !== 0) throw new Error(`mergeops run failed (${r.status}):\n${r.stderr}`);
}

function row(bytes: Uint8Array, r: number): Uint8Array {
  return bytes.subarray(r * ROW, (r + 1) * ROW);
}

describe('tokenizer sources', () => {
  const t = tempDir();
  afterAll(t.cleanup);
  const a = join(t.dir, 'a');
  const b = join(t.dir, 'b');

  beforeAll(async () => {
    // a: 370 embedding rows but a 380-token tokenizer (the last ten are merges) (ten tokens past its rows); b: 360 tokens.
    const big = join(t.dir, 'big');
    await generateModel({ ...DIMS, dir: big, seed: 30, vocabSize: 380 });
    await generateModel({ ...DIMS, dir: a, seed: 31, vocabSize: 370 });
    copyFileSync(join(big, 'tokenizer.json'), join(a, 'tokenizer.json'));
    await generateModel({ ...DIMS, dir: b, seed: 32, vocabSize: 360 });
  });

  it('base: keeps the base ids, strips tokens past its rows, fills the other model\'s missing rows from the base', async () => {
    const recipe = writeRecipe(t.dir, 'base.yml', `merge_method: linear
models:
  - model: ${a}
    parameters: {weight: 1.0}
  - model: ${b}
    parameters: {weight: 1.0}
tokenizer_source: base
`);
    const out = join(t.dir, 'out-base');
    run(recipe, out);
    const tj = readJson<TokJson>(out, 'tokenizer.json');
    const src = readJson<TokJson>(a, 'tokenizer.json');
    const kept = Object.entries(src.model.vocab).filter(([, id]) => id < 370);
    expect(Object.entries(tj.model.vocab).sort((x, y) => x[1] - y[1])).toEqual(kept.sort((x, y) => x[1] - y[1]));
    const gone = new Set(Object.entries(src.model.vocab).filter(([, id]) => id >= 370).map(([tok]) => tok));
    expect(gone.size).toBe(10);
    expect(src.model.merges.some(([x, y]) => gone.has(x + y))).toBe(true);
    expect(tj.model.merges.some(([x, y]) => gone.has(x + y) || gone.has(x) || gone.has(y))).toBe(false);
    expect(readJson<{ vocab_size: number }>(out, 'config.json').vocab_size).toBe(370);

    const [ma, mb, mo] = await Promise.all([readModelF64(a), readModelF64(b), readModelF64(out)]);
    for (const name of ['model.embed_tokens.weight', 'lm_head.weight']) {
      const o = mo.get(name)!;
      expect(o.shape).toEqual([370, 32]);
      // Tokens 360..369 are only in a: b borrows a's rows, and (a + a) / 2 is a's row exactly.
      for (let r = 360; r < 370; r++) expect(Buffer.compare(row(o.bytes, r), row(ma.get(name)!.bytes, r))).toBe(0);
      // Shared tokens keep their ids: the mean of the two models' own rows.
      for (const r of [0, 5, 150, 359]) {
        const want = Array.from({ length: 32 }, (_, c) => (ma.get(name)!.data[r * 32 + c] + mb.get(name)!.data[r * 32 + c]) / 2);
        o.data.subarray(r * 32, r * 32 + 32).forEach((v, c) => expect(Math.abs(v - want[c])).toBeLessThanOrEqual(Math.abs(want[c]) / 128));
      }
    }
  });

  it('<model>: takes that model\'s tokenizer and vocabulary size', async () => {
    const recipe = writeRecipe(t.dir, 'model.yml', `merge_method: linear
models:
  - model: ${a}
    parameters: {weight: 1.0}
  - model: ${b}
    parameters: {weight: 0.0}
tokenizer:
  source: ${b}
`);
    const out = join(t.dir, 'out-model');
    run(recipe, out);
    expect(readFileSync(join(out, 'tokenizer.json'), 'utf8')).toBe(JSON.stringify(readJson(b, 'tokenizer.json'), null, 2) + '\n');
    expect(readJson<{ vocab_size: number }>(out, 'config.json').vocab_size).toBe(360);
    const [ma, mo] = await Promise.all([readModelF64(a), readModelF64(out)]);
    const o = mo.get('model.embed_tokens.weight')!;
    expect(o.shape).toEqual([360, 32]);
    // b has weight 0 and a has every token of b at the same id: a's first 360 rows.
    expect(Buffer.compare(Buffer.from(o.bytes), Buffer.from(ma.get('model.embed_tokens.weight')!.bytes.subarray(0, 360 * ROW)))).toBe(0);
  });
});

describe('chat_template', () => {
  const t = tempDir();
  afterAll(t.cleanup);
  const dirs: string[] = [];

  beforeAll(async () => {
    const templates = ['{{ "X" }}{% for m in messages %}{{ m.content }}{% endfor %}', '{{ "Y" }}{% for m in messages %}{{ m.content }}{% endfor %}'];
    for (const [i, tpl] of [templates[0], templates[1], templates[0]].entries()) {
      const dir = join(t.dir, `m${i}`);
      await generateModel({ ...DIMS, dir, seed: 40 + i, vocabSize: 280, chatTemplate: tpl });
      dirs.push(dir);
    }
  });

  const recipeFor = (extra: string): string => `merge_method: linear
models:
  - model: ${dirs[0]}
    parameters: {weight: 1.0}
  - model: ${dirs[1]}
    parameters: {weight: 1.0}
  - model: ${dirs[2]}
    parameters: {weight: 1.0}
${extra}`;

  it('a built-in name sets the template of the copied tokenizer', () => {
    const out = join(t.dir, 'out-chatml');
    run(writeRecipe(t.dir, 'chatml.yml', recipeFor('chat_template: chatml\n')), out);
    expect(readJson<{ chat_template: string }>(out, 'tokenizer_config.json').chat_template).toBe(BUILTIN_CHAT_TEMPLATES.chatml);
    // The tokenizer itself is the donor's, byte for byte.
    expect(readFileSync(join(out, 'tokenizer.json'))).toEqual(readFileSync(join(dirs[0], 'tokenizer.json')));
  });

  it('auto takes the template most models use', () => {
    const out = join(t.dir, 'out-auto');
    run(writeRecipe(t.dir, 'auto.yml', recipeFor('tokenizer_source: union\nchat_template: auto\n')), out);
    expect(readJson<{ chat_template: string }>(out, 'tokenizer_config.json').chat_template).toBe('{{ "X" }}{% for m in messages %}{{ m.content }}{% endfor %}');
  });

  it('a broken template is a recipe error with its position', () => {
    const r = runCli(['plan', writeRecipe(t.dir, 'bad.yml', recipeFor('chat_template: "{% for m in messages %}{{ m.content }}{% endif %}"\n'))]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('bad.yml:9:1');
    expect(r.stderr).toContain('template line 1, column 39');
    expect(r.stderr).toContain('needs `{% endfor %}`');
    expect(r.stderr).toContain('chatml');
  });
});

describe('tokenizer configuration errors', () => {
  const t = tempDir();
  afterAll(t.cleanup);
  const a = join(t.dir, 'a');
  const b = join(t.dir, 'b');
  beforeAll(async () => {
    await generateModel({ ...DIMS, dir: a, seed: 51, vocabSize: 280, extraTokens: ['<only-a>'] });
    await generateModel({ ...DIMS, dir: b, seed: 52, vocabSize: 290 });
  });
  const plan = (name: string, tokens: string): { status: number; stderr: string } => runCli(['plan', writeRecipe(t.dir, name, `merge_method: linear
models:
  - model: ${a}
    parameters: {weight: 1.0}
  - model: ${b}
    parameters: {weight: 1.0}
tokenizer:
  source: union
  tokens:
${tokens}`)]);

  it('a token taken from a model that lacks it', () => {
    const r = plan('t1.yml', `    "<only-a>":\n      source: ${b}\n`);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('t1.yml:10:5');
    expect(r.stderr).toContain('"<only-a>" is not in the vocabulary of');
    expect(r.stderr).toContain('model_token');
  });

  it('a model_token past the rows, and an unknown source token', () => {
    const r1 = plan('t2.yml', `    "<only-a>":\n      source: {kind: model_token, model: ${b}, token_id: 290}\n`);
    expect(r1.status).not.toBe(0);
    expect(r1.stderr).toContain('token id 290 is past the 290 embedding rows');
    const r2 = plan('t3.yml', `    "<only-a>":\n      source: {kind: model_token, model: ${b}, token: "<nope>"}\n`);
    expect(r2.stderr).toContain('"<nope>" is not in the vocabulary of');
  });

  it('a source model that does not exist', () => {
    const r = plan('t4.yml', `    "<only-a>":\n      source: ${join(t.dir, 'elsewhere')}\n`);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('t4.yml:11:15');
    expect(r.stderr).toContain('not found');
  });

  it('a config.json vocab_size larger than the embedding matrix', async () => {
    const big = join(t.dir, 'bigcfg');
    await generateModel({ ...DIMS, dir: big, seed: 53, vocabSize: 280 });
    const cfgPath = join(big, 'config.json');
    const cfg = JSON.parse(readFileSync(cfgPath, 'utf8')) as Record<string, unknown>;
    writeFileSync(cfgPath, JSON.stringify({ ...cfg, vocab_size: 300 }));
    // Give it a tokenizer with 300 tokens, so ids 280..299 look present.
    await generateModel({ ...DIMS, dir: join(t.dir, 'tok300'), seed: 54, vocabSize: 300 });
    copyFileSync(join(t.dir, 'tok300', 'tokenizer.json'), join(big, 'tokenizer.json'));
    const r = runCli(['plan', writeRecipe(t.dir, 'bigcfg.yml', `merge_method: linear
models:
  - model: ${big}
    parameters: {weight: 1.0}
  - model: ${b}
    parameters: {weight: 1.0}
tokenizer_source: union
`)]);
    expect(r.status).not.toBe(0);
    // Refused when the model is read (config checked against the checkpoint), before any tokenizer work.
    expect(r.stderr).toContain('config.json says vocab_size = 300, but tensor `model.embed_tokens.weight`');
    expect(r.stderr).toContain('has shape [280, 32]');
    expect(r.stderr).toContain('vocab_size should be 280');
  });

  it('plans a valid configuration and shows the tokenizer', () => {
    const r = runCli(['plan', writeRecipe(t.dir, 'ok.yml', `merge_method: linear
models:
  - model: ${a}
    parameters: {weight: 1.0}
  - model: ${b}
    parameters: {weight: 1.0}
tokenizer:
  source: union
  pad_to_multiple_of: 32
  tokens:
    "<brand-new>": {source: {kind: zero}}
    "<unheard>":
`)]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    // a's 280 tokens, b's 11 generated ones a lacks, <brand-new>, <unheard>: 293, padded to 320.
    expect(r.stdout).toContain('tokenizer: union, 320 rows (13 tokens added), embeddings remapped');
    // Zero rows nobody asked for are reported (the explicit {kind: zero} is not).
    expect(r.stdout).toContain('warning: model.embed_tokens.weight: 1 token(s) are in no merged model and get zero rows ("<unheard>")');
  });
});
