/**
 * `tokenizer_source: union` and the `tokenizer:` block end to end through the CLI, on generated
 * models with different vocabularies, checked token by token: the output vocabulary and its
 * added tokens, config.json's vocab size, and every embedding and lm_head row against a float64
 * reference that follows mergekit's PermutedEmbeddings (written independently here).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { generateModel } from '../support/generate-model.js';
import { compareWithReference, readModelF64, type F64Tensor } from '../support/reference.js';
import { runCli } from '../support/cli.js';
import { tempDir, writeRecipe } from '../support/tmp.js';

const DIMS = { arch: 'llama', dtype: 'BF16' as const, hiddenSize: 32, numLayers: 1, intermediateSize: 64, numHeads: 4, numKvHeads: 2 };

interface TokJson {
  model: { vocab: Record<string, number> };
  added_tokens: { id: number; content: string; special: boolean; normalized: boolean }[];
}

function readJson<T>(dir: string, name: string): T {
  return JSON.parse(readFileSync(join(dir, name), 'utf8')) as T;
}

/** get_vocab() of a generated model: model vocabulary plus added tokens. */
function vocabOf(dir: string): Map<string, number> {
  const tj = readJson<TokJson>(dir, 'tokenizer.json');
  const m = new Map(Object.entries(tj.model.vocab));
  for (const a of tj.added_tokens) m.set(a.content, a.id);
  return m;
}

function run(recipe: string, out: string): void {
  const r = runCli(['run', recipe, '--out', out]);
  if (r.status !== 0) throw new Error(`mergeops run failed (${r.status}):\n${r.stderr}`);
}

type Source = { model: number; row: number }[] | 'zero';

/**
 * Reference remap of one model's tensor (mergekit's rules), in float64: `defaults[t]` is the
 * default embedding of output token t; the model's own row wins unless `forced`.
 */
function remapped(tensor: F64Tensor, cols: number, perm: number[], defaults: Source[], forced: Set<number>,
  tensors: F64Tensor[], paddedRows: number): Float64Array {
  const V = perm.length;
  const out = new Float64Array(paddedRows * cols);
  const rowOf = (t: F64Tensor, r: number): Float64Array => t.data.subarray(r * cols, (r + 1) * cols);
  for (let t = 0; t < V; t++) {
    let row: Float64Array;
    if (perm[t] >= 0 && !forced.has(t)) row = rowOf(tensor, perm[t]);
    else {
      const d = defaults[t];
      row = new Float64Array(cols);
      if (d !== 'zero') {
        for (const s of d) { const src = rowOf(tensors[s.model], s.row); for (let c = 0; c < cols; c++) row[c] += src[c]; }
        // Each source row is exact in float32, and their float32 mean is what the kernel uses.
        for (let c = 0; c < cols; c++) row[c] = Math.fround(row[c] / d.length);
      }
    }
    out.set(row, t * cols);
  }
  for (let c = 0; c < cols && paddedRows > V; c++) {
    let s = 0;
    for (let t = 0; t < V; t++) s += out[t * cols + c];
    const mean = Math.fround(s / V);
    for (let t = V; t < paddedRows; t++) out[t * cols + c] = mean;
  }
  return out;
}

/**
 * The linear kernel's float32 arithmetic, step by step (acc = w₀x₀, acc += wᵢxᵢ, acc / divisor):
 * with the remapped rows right, the output must equal this bit for bit.
 */
function linearF32(rows: Float64Array[], weights: number[]): Float64Array {
  const f = Math.fround;
  const divisor = f(weights.reduce((a, b) => a + b, 0));
  const out = new Float64Array(rows[0].length);
  for (let i = 0; i < out.length; i++) {
    let acc = f(f(weights[0]) * rows[0][i]);
    for (let m = 1; m < rows.length; m++) acc = f(acc + f(f(weights[m]) * rows[m][i]));
    out[i] = f(acc / divisor);
  }
  return out;
}

function expectMerged(label: string, bytes: Uint8Array, rows: Float64Array[], weights: number[]): void {
  const exact = compareWithReference('BF16', bytes, linearF32(rows, weights));
  const ref = new Float64Array(rows[0].length);
  for (let i = 0; i < ref.length; i++) ref[i] = rows.reduce((a, r, m) => a + weights[m] * r[i], 0);
  const c = compareWithReference('BF16', bytes, ref);
  // Informative only: float32 sums round differently from float64 in some elements (and near 0 by many ulps).
  console.log(`${label}: ${exact.mismatches} of ${exact.n} elements differ from the float32 reference; ${c.mismatches} from the float64 one`);
  expect(exact.mismatches).toBe(0);
}

describe('tokenizer_source: union of three models with different vocabularies', () => {
  const t = tempDir();
  afterAll(t.cleanup);
  const dirs: string[] = [];
  const names = ['a', 'b', 'c'];

  beforeAll(async () => {
    // a: 300 tokens ending <a1>, <shared>; b: 310, nine more generated tokens, <b1>, <shared> and
    // the special <|im_start|>; c: 300 ending <c1>, <b1>.
    const specs = [
      { seed: 1, vocabSize: 300, extraTokens: ['<a1>', '<shared>'] },
      { seed: 2, vocabSize: 310, extraTokens: ['<b1>', '<shared>'], addedTokens: ['<|im_start|>'] },
      { seed: 3, vocabSize: 300, extraTokens: ['<c1>', '<b1>'] },
    ];
    for (const [i, s] of specs.entries()) {
      const dir = join(t.dir, names[i]);
      await generateModel({ ...DIMS, ...s, dir });
      dirs.push(dir);
    }
  });

  /** Output vocabulary mergekit builds: a's ids, then new ordinary tokens in model order, then new added tokens. */
  function expectedVocab(extra: string[] = []): string[] {
    const vocabs = dirs.map(vocabOf);
    const out = [...vocabs[0]].sort((x, y) => x[1] - y[1]).map(([tok]) => tok);
    const added = dirs.map((d) => new Set(readJson<TokJson>(d, 'tokenizer.json').added_tokens.map((a) => a.content)));
    const have = new Set(out);
    const newAdded: string[] = [];
    vocabs.forEach((v, i) => {
      for (const [tok] of [...v].sort((x, y) => x[1] - y[1])) {
        if (have.has(tok)) continue;
        if (added[i].has(tok)) { if (!newAdded.includes(tok)) newAdded.push(tok); continue; }
        have.add(tok); out.push(tok);
      }
    });
    for (const a of [...newAdded, ...extra]) if (!out.includes(a)) out.push(a);
    return out;
  }

  it('builds the union vocabulary, config vocab size and every embedding and lm_head row (linear, no base model)', async () => {
    const recipe = writeRecipe(t.dir, 'union.yml', `merge_method: linear
models:
  - model: ${dirs[0]}
    parameters: {weight: 0.5}
  - model: ${dirs[1]}
    parameters: {weight: 0.3}
  - model: ${dirs[2]}
    parameters: {weight: 0.2}
tokenizer_source: union
`);
    const out = join(t.dir, 'out-union');
    run(recipe, out);

    // Vocabulary: a's 300 ids kept, b's 9 new generated tokens and <b1>, c's <c1>, then b's <|im_start|>.
    const want = expectedVocab();
    expect(want.length).toBe(312);
    expect(want.slice(298, 300)).toEqual(['<a1>', '<shared>']);
    expect(want.slice(309)).toEqual(['<b1>', '<c1>', '<|im_start|>']);
    const got = vocabOf(out);
    expect(got.size).toBe(want.length);
    want.forEach((tok, id) => expect([tok, got.get(tok)]).toEqual([tok, id]));
    const tj = readJson<TokJson>(out, 'tokenizer.json');
    const im = tj.added_tokens.find((a) => a.content === '<|im_start|>')!;
    expect(im).toMatchObject({ id: 311, special: true, normalized: false });
    expect(tj.added_tokens.find((a) => a.content === '<b1>')).toMatchObject({ id: 309, special: false, normalized: true });
    const tc = readJson<{ added_tokens_decoder: Record<string, { content: string; special: boolean }> }>(out, 'tokenizer_config.json');
    expect(tc.added_tokens_decoder['311']).toMatchObject({ content: '<|im_start|>', special: true });
    expect(tc.added_tokens_decoder['310']).toMatchObject({ content: '<c1>', special: false });
    expect(readJson<{ vocab_size: number }>(out, 'config.json').vocab_size).toBe(312);
    // A tokenizer library loads the written files and sees the same vocabulary; new tokens encode to their ids.
    const lib = new Tokenizer(readJson(out, 'tokenizer.json'), readJson(out, 'tokenizer_config.json'));
    expect(new Map([...lib.get_vocab()].sort((x, y) => x[1] - y[1]))).toEqual(new Map(want.map((tok, id) => [tok, id])));
    const enc = lib.encode('hello <b1><|im_start|> <c1>');
    expect(enc.ids).toEqual(expect.arrayContaining([309, 310, 311]));
    expect(lib.decode(enc.ids, { skip_special_tokens: true })).toContain('<b1>');

    // Rows: each model remapped (own row, else the token's default), then merged linearly.
    const vocabs = dirs.map(vocabOf);
    const perms = vocabs.map((v) => want.map((tok) => v.get(tok) ?? -1));
    const defaults: Source[] = want.map((_, id) => {
      const having = perms.map((p, m) => ({ model: m, row: p[id] })).filter((s) => s.row >= 0);
      return having.length === 0 ? 'zero' : having; // no base model: one model → its row, several → their mean
    });
    // Spot checks of the rules on named tokens.
    expect(defaults[want.indexOf('<b1>')]).toEqual([{ model: 1, row: 307 }, { model: 2, row: 299 }]);
    expect(defaults[want.indexOf('<|im_start|>')]).toEqual([{ model: 1, row: 309 }]);

    const inputs = await Promise.all(dirs.map((d) => readModelF64(d)));
    const merged = await readModelF64(out);
    const weights = [0.5, 0.3, 0.2];
    for (const name of ['model.embed_tokens.weight', 'lm_head.weight']) {
      const o = merged.get(name)!;
      expect(o.shape).toEqual([312, 32]);
      const tensors = inputs.map((m) => m.get(name)!);
      const rows = tensors.map((x, m) => remapped(x, 32, perms[m], defaults, new Set(), tensors, 312));
      expectMerged(`union ${name}`, o.bytes, rows, weights);
    }
    // Other tensors are merged as before.
    expect(merged.get('model.norm.weight')!.shape).toEqual([32]);
    // Same bytes with one worker.
    const r = runCli(['run', recipe, '--out', join(t.dir, 'out-union-1'), '--threads', '1']);
    expect(r.status).toBe(0);
    expect(readFileSync(join(t.dir, 'out-union-1', 'model.safetensors')).equals(readFileSync(join(out, 'model.safetensors')))).toBe(true);
  });

  it('applies tokens overrides (force, model_token, zero), rule 3 (base model) and pad_to_multiple_of', async () => {
    const recipe = writeRecipe(t.dir, 'block.yml', `merge_method: linear
base_model: ${dirs[0]}
models:
  - model: ${dirs[0]}
    parameters: {weight: 0.5}
  - model: ${dirs[1]}
    parameters: {weight: 0.3}
  - model: ${dirs[2]}
    parameters: {weight: 0.2}
tokenizer:
  source: union
  pad_to_multiple_of: 64
  tokens:
    "<b1>":
      source: ${dirs[2]}
      force: true
    "<c1>":
      source: {kind: model_token, model: ${dirs[1]}, token: "<s>"}
    "<new>":
      source: {kind: zero}
`);
    const out = join(t.dir, 'out-block');
    run(recipe, out);
    const want = expectedVocab(['<new>']);
    expect(want.length).toBe(313);
    expect(want[312]).toBe('<new>');
    const got = vocabOf(out);
    want.forEach((tok, id) => expect([tok, got.get(tok)]).toEqual([tok, id]));
    expect(readJson<{ vocab_size: number }>(out, 'config.json').vocab_size).toBe(320);

    const vocabs = dirs.map(vocabOf);
    const perms = vocabs.map((v) => want.map((tok) => v.get(tok) ?? -1));
    const defaults: Source[] = want.map((tok, id) => {
      if (tok === '<b1>') return [{ model: 2, row: 299 }];
      if (tok === '<c1>') return [{ model: 1, row: 1 }];
      if (tok === '<new>') return 'zero';
      const having = perms.map((p, m) => ({ model: m, row: p[id] })).filter((s) => s.row >= 0);
      if (having.length > 1 && perms[0][id] >= 0) return [{ model: 0, row: perms[0][id] }]; // rule 3
      return having.length === 0 ? 'zero' : having;
    });
    // <shared> is in a and b: c takes the base model's row, not the mean.
    expect(defaults[want.indexOf('<shared>')]).toEqual([{ model: 0, row: 299 }]);
    const forced = new Set([want.indexOf('<b1>')]);

    const inputs = await Promise.all(dirs.map((d) => readModelF64(d)));
    const merged = await readModelF64(out);
    const weights = [0.5, 0.3, 0.2];
    for (const name of ['model.embed_tokens.weight', 'lm_head.weight']) {
      const o = merged.get(name)!;
      expect(o.shape).toEqual([320, 32]);
      const tensors = inputs.map((m) => m.get(name)!);
      const rows = tensors.map((x, m) => remapped(x, 32, perms[m], defaults, forced, tensors, 320));
      expectMerged(`tokenizer block ${name}`, o.bytes, rows, weights);
      // The forced token is c's row in every model, so the merge is exactly that row (weights sum to 1).
      const b1 = want.indexOf('<b1>');
      const cRow = tensors[2].data.subarray(299 * 32, 300 * 32);
      const oRow = o.data.subarray(b1 * 32, (b1 + 1) * 32);
      oRow.forEach((v, i) => expect(v).toBeCloseTo(cRow[i], 2));
      // The zero token is zero everywhere.
      expect([...o.data.subarray(312 * 32, 313 * 32)].every((v) => v === 0)).toBe(true);
      // Padding rows are all the same row.
      for (let r = 314; r < 320; r++) expect(Buffer.compare(o.bytes.subarray(r * 64, r * 64 + 64), o.bytes.subarray(313 * 64, 314 * 64))).toBe(0);
    }
  });
});

describe('tied embeddings and mismatched vocabularies', () => {
  const t = tempDir();
  afterAll(t.cleanup);

  it('remaps a tied embedding once and writes no lm_head (F32 inputs, read straight into place)', async () => {
    const a = join(t.dir, 'ta');
    const b = join(t.dir, 'tb');
    await generateModel({ ...DIMS, dtype: 'F32', dir: a, seed: 11, vocabSize: 280, tieEmbeddings: true, extraTokens: ['<x>'] });
    await generateModel({ ...DIMS, dtype: 'F32', dir: b, seed: 12, vocabSize: 290, tieEmbeddings: true, extraTokens: ['<y>'] });
    const recipe = writeRecipe(t.dir, 'tied.yml', `merge_method: linear
models:
  - model: ${a}
    parameters: {weight: 1.0}
  - model: ${b}
    parameters: {weight: 1.0}
tokenizer_source: union
`);
    const out = join(t.dir, 'out');
    run(recipe, out);
    const merged = await readModelF64(out);
    expect(merged.has('lm_head.weight')).toBe(false);
    const cfg = readJson<{ vocab_size: number; tie_word_embeddings: boolean }>(out, 'config.json');
    const v = vocabOf(out);
    expect(cfg.tie_word_embeddings).toBe(true);
    expect(cfg.vocab_size).toBe(v.size);
    const o = merged.get('model.embed_tokens.weight')!;
    expect(o.shape).toEqual([v.size, 32]);
    expect(o.dtype).toBe('F32');
    const [ea, eb] = await Promise.all([readModelF64(a), readModelF64(b)]).then((ms) => ms.map((m) => m.get('model.embed_tokens.weight')!));
    const va = vocabOf(a);
    const vb = vocabOf(b);
    const rowF = (x: F64Tensor, r: number): Float64Array => x.data.subarray(r * 32, r * 32 + 32);
    for (const [tok, id] of v) {
      const ia = va.get(tok);
      const ib = vb.get(tok);
      // Own rows where a model has the token, the other model's row where it does not.
      const ra = rowF(ia !== undefined ? ea : eb, ia ?? ib!);
      const rb = rowF(ib !== undefined ? eb : ea, ib ?? ia!);
      const want = Array.from(ra, (x, c) => Math.fround(Math.fround(x + rb[c]) / 2));
      expect([tok, ...rowF(o, id)]).toEqual([tok, ...want]);
    }
  });

  it('refuses different vocabularies without a tokenizer configuration, and says how to fix it', async () => {
    const a = join(t.dir, 'ma');
    const b = join(t.dir, 'mb');
    await generateModel({ ...DIMS, dir: a, seed: 21, vocabSize: 280 });
    await generateModel({ ...DIMS, dir: b, seed: 22, vocabSize: 290 });
    const recipe = writeRecipe(t.dir, 'mismatch.yml', `merge_method: linear
models:
  - model: ${a}
    parameters: {weight: 1.0}
  - model: ${b}
    parameters: {weight: 1.0}
`);
    const r = runCli(['run', recipe, '--out', join(t.dir, 'never')]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('mismatch.yml:5:');
    expect(r.stderr).toContain('the vocabularies differ');
    expect(r.stderr).toContain('280');
    expect(r.stderr).toContain('290');
    expect(r.stderr).toContain('tokenizer_source: union');
  });

  it('a frankenmerge taking the embedding and the head from models with different vocabularies: error, or remapped with union', async () => {
    const a = join(t.dir, 'fa');
    const b = join(t.dir, 'fb');
    await generateModel({ ...DIMS, dir: a, seed: 31, vocabSize: 280 });
    await generateModel({ ...DIMS, dir: b, seed: 32, vocabSize: 290, extraTokens: ['<only-b>'] });
    const slices = `merge_method: passthrough
slices:
  - sources:
      - model: ${a}
        layer_range: [0, 1]
  - sources:
      - model: ${b}
        layer_range: [0, 1]
`;
    const bad = runCli(['plan', writeRecipe(t.dir, 'franken.yml', slices)]);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('model.embed_tokens.weight');
    expect(bad.stderr).toContain('has 280 rows');
    expect(bad.stderr).toContain('has 290 rows');
    expect(bad.stderr).toContain('tokenizer_source: union');

    const out = join(t.dir, 'out-franken');
    run(writeRecipe(t.dir, 'franken-union.yml', `${slices}tokenizer_source: union\n`), out);
    const v = vocabOf(out);
    expect(v.size).toBe(290); // a's 280, b's 9 more generated tokens and <only-b>
    const merged = await readModelF64(out);
    const [ma, mb] = await Promise.all([readModelF64(a), readModelF64(b)]);
    const vb = vocabOf(b);
    const rowOf = (x: F64Tensor, r: number): Uint8Array => x.bytes.subarray(r * 64, r * 64 + 64);
    const id = v.get('<only-b>')!;
    // The embedding is a's; like mergekit, only the models merged into a tensor supply its rows, so
    // b's tokens get zero embedding rows (and a warning). The head is b's, remapped to the union ids.
    expect(merged.get('model.embed_tokens.weight')!.shape).toEqual([290, 32]);
    expect([...merged.get('model.embed_tokens.weight')!.data.subarray(id * 32, id * 32 + 32)].every((x) => x === 0)).toBe(true);
    const plan = runCli(['plan', join(t.dir, 'franken-union.yml')]);
    expect(plan.stdout).toContain('warning: model.embed_tokens.weight: 10 token(s) are in no merged model and get zero rows');
    expect(Buffer.compare(rowOf(merged.get('model.embed_tokens.weight')!, 7), rowOf(ma.get('model.embed_tokens.weight')!, 7))).toBe(0);
    expect(Buffer.compare(rowOf(merged.get('lm_head.weight')!, id), rowOf(mb.get('lm_head.weight')!, vb.get('<only-b>')!))).toBe(0);
    expect(Buffer.compare(rowOf(merged.get('lm_head.weight')!, 7), rowOf(mb.get('lm_head.weight')!, 7))).toBe(0);
  });

  it('a byte-level BPE (Qwen) union keeps the base special tokens and appends the other model\'s new tokens', async () => {
    const a = join(t.dir, 'qa');
    const b = join(t.dir, 'qb');
    const Q = { ...DIMS, arch: 'qwen2' };
    await generateModel({ ...Q, dir: a, seed: 71, vocabSize: 300 });
    await generateModel({ ...Q, dir: b, seed: 72, vocabSize: 310, addedTokens: ['<tool_call>'] });
    const out = join(t.dir, 'out-qwen');
    run(writeRecipe(t.dir, 'qwen.yml', `merge_method: linear
models:
  - model: ${a}
    parameters: {weight: 1.0}
  - model: ${b}
    parameters: {weight: 1.0}
tokenizer_source: union
`), out);
    const va = vocabOf(a);
    const vb = vocabOf(b);
    const lib = new Tokenizer(readJson(out, 'tokenizer.json'), readJson(out, 'tokenizer_config.json'));
    const v = lib.get_vocab();
    // a's ids unchanged, its specials included; b's tokens a lacks follow, then <tool_call>.
    for (const [tok, id] of va) expect([tok, v.get(tok)]).toEqual([tok, id]);
    expect(v.get('<|im_start|>')).toBe(va.get('<|im_start|>'));
    const fresh = [...vb].filter(([tok]) => !va.has(tok)).sort((x, y) => x[1] - y[1]).map(([tok]) => tok);
    expect(fresh[fresh.length - 1]).toBe('<tool_call>');
    fresh.forEach((tok, i) => expect([tok, v.get(tok)]).toEqual([tok, 300 + i]));
    expect(v.size).toBe(300 + fresh.length);
    expect(readJson<{ vocab_size: number }>(out, 'config.json').vocab_size).toBe(v.size);
    expect(lib.encode('<|im_start|>hi<tool_call>').ids).toEqual(expect.arrayContaining([va.get('<|im_start|>')!, v.get('<tool_call>')!]));
  });
});
