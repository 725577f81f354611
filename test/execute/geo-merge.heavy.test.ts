/**
 * The geometric methods end to end through `mergeops run`: merges of the trained fixture models
 * against the float64 references of test/support/geo-reference.ts (rounded directly to bf16),
 * and a larger generated model merged whole and in chunks (tight --max-memory) to the same bytes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateModel } from '../support/generate-model.js';
import { decode, greedy, loadLlama } from '../support/llama-forward.js';
import {
  fusionRef, karcherRef, modelStockRef, multislerpRef, nearswapRef, nuslerpRef, slerpRef, type Vec,
} from '../support/geo-reference.js';
import { compareWithReference, readModelF64, type Comparison, type F64Tensor } from '../support/reference.js';
import { runCli } from '../support/cli.js';
import { EXAMPLE_MODELS, tempDir, writeRecipe } from '../support/tmp.js';

function merge(recipe: string, out: string, extra: string[] = []): void {
  const r = runCli(['run', recipe, '--out', out, ...extra]);
  if (r.status !== 0) throw new Error(`mergeops run failed (${r.status}):\n${r.stderr}`);
}

const M = (name: string): string => join(EXAMPLE_MODELS, name);

interface EvalPrompts {
  tasks: Record<'add' | 'rev', { prompt: string; answer: string; input_ids: number[] }[]>;
  greedy_outputs: Record<string, Record<'add' | 'rev', { outputs: string[] }>>;
}
const EVAL = JSON.parse(readFileSync(join(EXAMPLE_MODELS, 'eval-prompts.json'), 'utf8')) as EvalPrompts;

interface Case {
  method: string;
  recipe: string;
  /** The float64 reference of one tensor from the fixtures' tensors (base, add, rev). */
  ref: (x: { base: Vec; add: Vec; rev: Vec }, shape: number[]) => Vec;
}

const CASES: Case[] = [
  {
    method: 'slerp',
    recipe: `merge_method: slerp\nbase_model: ${M('base')}\nmodels:\n  - model: ${M('add')}\nparameters: {t: 0.4}\n`,
    ref: (x) => slerpRef(0.4, x.base, x.add),
  },
  {
    method: 'nuslerp',
    recipe: `merge_method: nuslerp\nbase_model: ${M('base')}\nmodels:\n  - model: ${M('add')}\n    parameters: {weight: 0.6}\n  - model: ${M('rev')}\n    parameters: {weight: 0.4}\n`,
    ref: (x) => nuslerpRef([0.6, 0.4], x.add, x.rev, x.base, undefined),
  },
  {
    method: 'multislerp',
    recipe: `merge_method: multislerp\nbase_model: ${M('base')}\nmodels:\n  - model: ${M('add')}\n    parameters: {weight: 1}\n  - model: ${M('rev')}\n    parameters: {weight: 1}\n`,
    ref: (x) => {
      // zero task vectors (the embeddings) take mergekit's two-model lerp fallback: the base
      try { return multislerpRef([1, 1], [x.add, x.rev], x.base); } catch { return x.base; }
    },
  },
  {
    method: 'karcher',
    recipe: `merge_method: karcher\nmodels:\n  - model: ${M('base')}\n  - model: ${M('add')}\n  - model: ${M('rev')}\n`,
    ref: (x) => karcherRef([x.base, x.add, x.rev]),
  },
  {
    method: 'model_stock',
    recipe: `merge_method: model_stock\nbase_model: ${M('base')}\nmodels:\n  - model: ${M('add')}\n  - model: ${M('rev')}\n`,
    ref: (x) => modelStockRef(x.base, [x.add, x.rev], undefined),
  },
  {
    method: 'nearswap',
    recipe: `merge_method: nearswap\nbase_model: ${M('base')}\nmodels:\n  - model: ${M('add')}\nparameters: {t: 0.0005}\n`,
    ref: (x) => nearswapRef(0.0005, x.base, x.add),
  },
  {
    method: 'arcee_fusion',
    recipe: `merge_method: arcee_fusion\nbase_model: ${M('base')}\nmodels:\n  - model: ${M('add')}\n`,
    ref: (x, shape) => fusionRef(x.base, x.add, shape[shape.length - 1]).out,
  },
];

describe('geometric methods on the trained fixtures', () => {
  const t = tempDir();
  afterAll(t.cleanup);
  let fixtures: Map<string, F64Tensor>[];
  beforeAll(async () => {
    fixtures = await Promise.all(['base', 'add', 'rev'].map((m) => readModelF64(M(m))));
  });

  /** Layer 0 and the tensors outside layers (the other layers are alike; this keeps the suite fast). */
  const checked = (name: string): boolean => !/layers\.[123]\./.test(name);

  it.each(CASES.map((c) => [c.method, c] as const))('%s equals the float64 reference (embeddings, final norm, head, layer 0)', async (_l, c) => {
    const out = join(t.dir, c.method.replace(/\W+/g, '-'));
    merge(writeRecipe(t.dir, `${c.method.replace(/\W+/g, '-')}.yml`, c.recipe), out);
    const merged = await readModelF64(out);
    const [base, add, rev] = fixtures;
    expect([...merged.keys()].sort()).toEqual([...base.keys()].sort());
    let total: Comparison = { n: 0, mismatches: 0, maxUlp: 0 };
    let changed = 0;
    let worstExcess = 0;
    for (const [name, b] of base) {
      const o = merged.get(name)!;
      if (Buffer.compare(o.bytes, b.bytes) !== 0) changed++;
      if (!checked(name)) continue;
      expect(o.dtype).toBe('BF16');
      expect(o.shape).toEqual(b.shape);
      expect(o.data.every(Number.isFinite)).toBe(true);
      const ref = c.ref({ base: b.data, add: add.get(name)!.data, rev: rev.get(name)!.data }, b.shape);
      const cmp = compareWithReference('BF16', o.bytes, ref);
      if (cmp.mismatches > 0) {
        // Differently rounded elements: within float32 cancellation error of the inputs'
        // magnitudes (near-zero results are many bf16 ulps away but absolutely close).
        const xs = [b.data, add.get(name)!.data, rev.get(name)!.data];
        for (let e = 0; e < ref.length; e++) {
          const err = Math.abs(o.data[e] - ref[e]) - 2 ** -8 * Math.abs(ref[e]);
          const mag = xs.reduce((s, x) => s + Math.abs(x[e]), 0);
          worstExcess = Math.max(worstExcess, err / (mag * 2 ** -24));
        }
      }
      total = { n: total.n + cmp.n, mismatches: total.mismatches + cmp.mismatches, maxUlp: Math.max(total.maxUlp, cmp.maxUlp) };
    }
    console.log(`${c.method} (fixtures): ${total.mismatches} of ${total.n} elements differ from the float64 reference (max ${total.maxUlp} bf16 ulp, `
      + `beyond one bf16 ulp by at most ${worstExcess.toFixed(2)} × 2⁻²⁴ of the inputs' magnitudes); ${changed} tensors differ from the base`);
    expect(changed).toBeGreaterThan(0);
    expect(worstExcess).toBeLessThanOrEqual(16);
    expect(total.mismatches / total.n).toBeLessThan(2e-3);
    // the output loads as a model of the same architecture and runs: greedy answers to two
    // prompts of each task are printable text (NaN weights would give token 0, `<unk>`)
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(config.architectures).toEqual(['LlamaForCausalLM']);
    const model = await loadLlama(out);
    const answers = [...EVAL.tasks.add.slice(0, 2), ...EVAL.tasks.rev.slice(0, 2)].map((p) => decode(model, greedy(model, p.input_ids)));
    console.log(`${c.method} (fixtures) answers: ${JSON.stringify(answers)}`);
    for (const a of answers) expect(a).toMatch(/^[\x20-\x7e]+$/);
  });
});

describe('merged fixtures run', () => {
  const t = tempDir();
  afterAll(t.cleanup);

  it('the test forward pass reproduces the recorded greedy outputs of `add`', async () => {
    const model = await loadLlama(M('add'));
    for (const task of ['add', 'rev'] as const) {
      const got = EVAL.tasks[task].slice(0, 5).map((p) => decode(model, greedy(model, p.input_ids)));
      expect(got).toEqual(EVAL.greedy_outputs.add[task].outputs.slice(0, 5));
    }
  });

  it.each([
    ['multislerp', `merge_method: multislerp\nbase_model: ${M('base')}\nmodels:\n  - model: ${M('add')}\n    parameters: {weight: 1}\n  - model: ${M('rev')}\n    parameters: {weight: 1}\n`],
  ])('%s of the task vectors of add and rev learns addition (base: 0%%)', async (method, recipe) => {
    const out = join(t.dir, method);
    merge(writeRecipe(t.dir, `${method}.yml`, recipe), out);
    const model = await loadLlama(out);
    const prompts = EVAL.tasks.add.slice(0, 10);
    const correct = prompts.filter((p) => decode(model, greedy(model, p.input_ids)) === p.answer).length;
    console.log(`${method} of add and rev around base: ${correct} of ${prompts.length} additions right`);
    expect(correct).toBeGreaterThanOrEqual(2);
  });
});

describe('geometric programs chunked by the executor', () => {
  const t = tempDir();
  afterAll(t.cleanup);
  const dirs: string[] = [];
  beforeAll(async () => {
    const base = join(t.dir, 'g0');
    // embeddings of 16384 × 256 (16 MiB as f32 per input): chunked under a tight budget
    await generateModel({ arch: 'llama', dir: base, seed: 5, dtype: 'BF16', hiddenSize: 256, numLayers: 1, vocabSize: 16384, intermediateSize: 512, numHeads: 4, numKvHeads: 2 });
    dirs.push(base);
    for (const i of [1, 2]) {
      const d = join(t.dir, `g${i}`);
      await generateModel({ arch: 'llama', dir: d, seed: 5 + i, baseFrom: base });
      dirs.push(d);
    }
  });

  it.each([
    ['slerp', (d: string[]) => `merge_method: slerp\nbase_model: ${d[0]}\nmodels:\n  - model: ${d[1]}\nparameters: {t: 0.3}\n`],
    ['arcee_fusion', (d: string[]) => `merge_method: arcee_fusion\nbase_model: ${d[0]}\nmodels:\n  - model: ${d[1]}\n`],
  ] as const)('%s gives the same bytes whole and chunked', (method, recipeText) => {
    const recipe = writeRecipe(t.dir, `${method}.yml`, recipeText(dirs));
    merge(recipe, join(t.dir, `${method}-whole`), ['--threads', '1']);
    merge(recipe, join(t.dir, `${method}-chunked`), ['--max-memory', '160MiB', '--threads', '2']);
    const a = readFileSync(join(t.dir, `${method}-whole`, 'model.safetensors'));
    const b = readFileSync(join(t.dir, `${method}-chunked`, 'model.safetensors'));
    expect(Buffer.compare(a, b)).toBe(0);
  });
});
