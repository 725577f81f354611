/**
 * Perplexity as llama.cpp's llama-perplexity defines it, checked against a direct computation
 * from node-llama-cpp's full logits; greedy decoding against argmax over full logits.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { quantizeFolder } from '../../src/quantize.js';
import { llamaRuntime, type LlamaRuntime } from '../../src/eval/llama.js';
import { ModelSession } from '../../src/eval/session.js';
import { loadGGUF, type LoadedGGUF } from '../support/llama-cpp.js';
import { EXAMPLE_MODELS, tempDir } from '../support/tmp.js';

const t = tempDir();
let file: string;
let session: ModelSession;
let batched: ModelSession;
let direct: LoadedGGUF;
const TEXT = readFileSync(join(EXAMPLE_MODELS, '..', 'evals', 'sample.txt'), 'utf8').split('\n').slice(0, 24).join('\n');

beforeAll(async () => {
  const r = await quantizeFolder({ modelDir: join(EXAMPLE_MODELS, 'add'), outDir: t.dir, fileType: 'Q8_0', threads: 1, check: false });
  file = r.files[0].path;
  const rt = await llamaRuntime(1);
  if ('unavailable' in rt) throw new Error(rt.unavailable);
  session = await ModelSession.open(rt as LlamaRuntime, file, 64, 1);
  batched = await ModelSession.open(rt as LlamaRuntime, file, 64, 1, 6);
  direct = await loadGGUF(file);
});
afterAll(async () => {
  await session?.dispose();
  await batched?.dispose();
  await direct?.dispose();
  t.cleanup();
});

/** -log softmax(logits)[target] in float64. */
function nll(logits: Float64Array, target: number): number {
  let max = -Infinity;
  for (const v of logits) max = Math.max(max, v);
  let sum = 0;
  for (const v of logits) sum += Math.exp(v - max);
  return max + Math.log(sum) - logits[target];
}

/** llama-perplexity, written out from tools/perplexity/perplexity.cpp: chunks of n_ctx, BOS first, second half scored. */
async function referencePerplexity(text: string, nCtx: number, scoreFrom: (n: number) => number): Promise<{ ppl: number; count: number }> {
  const tokens = [direct.bos!, ...direct.tokenize(text)];
  const chunks = Math.floor(tokens.length / nCtx);
  let sum = 0;
  let count = 0;
  for (let c = 0; c < chunks; c++) {
    const w = tokens.slice(c * nCtx, (c + 1) * nCtx);
    w[0] = direct.bos!;
    const logits = await direct.logits(w);
    for (let k = scoreFrom(nCtx); k < nCtx - 1; k++) {
      sum += nll(logits[k], w[k + 1]);
      count++;
    }
  }
  return { ppl: Math.exp(sum / count), count };
}

describe('eval on llama.cpp', () => {
  test('perplexity equals the direct computation from full logits (chunks, BOS, second half)', async () => {
    const ours = await session.perplexity(TEXT, 32);
    const ref = await referencePerplexity(TEXT, 32, (n) => Math.floor(n / 2));
    expect(ours.tokens).toBe(ref.count);
    expect(ours.tokens).toBe(ours.chunks * 15);
    expect(Math.abs(ours.perplexity / ref.ppl - 1)).toBeLessThan(1e-5);
    // Scoring whole windows would give another figure: the test can tell the definitions apart.
    const whole = await referencePerplexity(TEXT, 32, () => 0);
    expect(Math.abs(whole.ppl / ours.perplexity - 1)).toBeGreaterThan(1e-3);
  });

  test('a text shorter than two contexts is refused with the token count', async () => {
    await expect(session.perplexity('12+34=46', 32)).rejects.toThrow(/tokenizes to \d+ tokens; perplexity with context 32 needs at least 64/);
  });

  test('greedy decoding: BOS per add_bos_token, argmax of the full logits, stops at EOS', async () => {
    expect(session.addBos).toBe(true);
    // The fixture's documented ids (examples/models/README.md).
    expect(session.encode('12+34=')).toEqual([1, 271, 272, 273, 287, 274, 277, 276]);
    for (const prompt of ['12+34=', '90+94=', 'rev abc=']) {
      const tokens = session.encode(prompt);
      const g = await session.greedy(tokens, 8);
      expect(g.tokens).toEqual(await direct.greedy(tokens, 8, 2));
    }
    expect((await session.greedy(session.encode('12+34='), 8)).text).toBe('46');
    expect((await session.greedy(session.encode('12+34='), 1)).tokens).toHaveLength(1);
  });

  test('batched: greedyAll over six sequences gives what greedy gives one prompt at a time, in job order', async () => {
    const tasks = ['add', 'rev'].flatMap((name) => readFileSync(join(EXAMPLE_MODELS, '..', 'evals', `${name}.jsonl`), 'utf8')
      .split('\n').filter((l) => l.trim()).slice(0, 12).map((l) => (JSON.parse(l) as { prompt: string }).prompt));
    // Different lengths and limits, so the sequences finish at different steps.
    const jobs = tasks.map((p, i) => ({ prompt: session.encode(p), maxTokens: 1 + (i % 8) }));
    jobs.push({ prompt: session.encode('12+34='), maxTokens: 64 }); // more than the context holds
    const one = [];
    for (const j of jobs.slice(0, -1)) one.push((await session.greedy(j.prompt, j.maxTokens)).tokens);
    const all = await batched.greedyAll(jobs);
    expect(all.slice(0, -1).map((g) => ('tokens' in g ? g.tokens : g.message))).toEqual(one);
    expect(all.at(-1)).toBeInstanceOf(Error);
    expect((all.at(-1) as Error).message).toMatch(/exceed the context of 64 tokens/);
    // Not all empty: the comparison can fail.
    expect(one.filter((x) => x.length > 0).length).toBeGreaterThan(10);
  });

  test('batched: perplexity with its chunks spread over sequences equals the one-sequence figure', async () => {
    const one = await session.perplexity(TEXT, 32);
    const spread = await batched.perplexity(TEXT, 32);
    expect(spread.tokens).toBe(one.tokens);
    expect(Math.abs(spread.perplexity / one.perplexity - 1)).toBeLessThan(1e-6);
  });
});
