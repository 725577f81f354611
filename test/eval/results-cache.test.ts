/**
 * The inputs' eval results kept between runs (compare_inputs): a second run checks only the merge
 * and reports the same table; a changed input, other checks or --no-eval-cache are checked again.
 */
import { cpSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelResults } from '../../src/eval/checks.js';
import type { EvalData } from '../../src/eval/data.js';
import { readEvalReport, type EvalReport } from '../../src/eval/report.js';
import { EvalResultsCache, localModelIdentity } from '../../src/eval/results-cache.js';
import { runCliAsync } from '../support/cli.js';
import { exampleTaskLines } from '../support/example-recipes.js';
import { EXAMPLE_MODELS, tempDir, writeRecipe } from '../support/tmp.js';

const t = tempDir();
afterAll(t.cleanup);


describe('EvalResultsCache', () => {
  const data = (prompt: string): EvalData => ({
    options: { prompts: [{ prompt, chat: false, maxTokens: 8 }], compareInputs: true } as unknown as EvalData['options'], tasks: [],
  });
  const scope = (prompt: string, llamaCpp = 'b1'): Parameters<EvalResultsCache['get']>[1] => ({
    data: data(prompt), context: 64, ggufType: 'Q8_0', versions: { mergeops: '1', llamaCpp },
  });
  const results: ModelResults = { prompts: [{ pass: true, output: '46' }], tasks: [], passRate: 1 };

  test('a result is found only for the same weights, checks, type and versions', () => {
    const cache = new EvalResultsCache(join(t.dir, 'unit'));
    expect(cache.get('hub:o/a@1', scope('12+34='))).toBeUndefined();
    expect(cache.put('hub:o/a@1', scope('12+34='), results)).toBe(true);
    expect(cache.get('hub:o/a@1', scope('12+34='))).toEqual(results);
    expect(cache.get('hub:o/a@2', scope('12+34='))).toBeUndefined();
    expect(cache.get('hub:o/a@1', scope('12+35='))).toBeUndefined();
    expect(cache.get('hub:o/a@1', scope('12+34=', 'b2'))).toBeUndefined();
    expect(cache.get('hub:o/a@1', { ...scope('12+34='), ggufType: 'F16' })).toBeUndefined();
    // Where the recipe says it, and the gate's threshold, change no result.
    const moved = scope('12+34=');
    moved.data.options = { ...moved.data.options, baseDir: '/elsewhere', minPassRate: 0.9, pos: { file: 'r.yml', line: 9, col: 3 } } as EvalData['options'];
    expect(cache.get('hub:o/a@1', moved)).toEqual(results);
  });

  test('an unreadable entry is a miss; an unwritable cache is only a missed speed-up', () => {
    const dir = join(t.dir, 'corrupt');
    const cache = new EvalResultsCache(dir);
    cache.put('x', scope('a'), results);
    const [entry] = readdirSync(dir);
    writeFileSync(join(dir, entry), '{"format":1,"results":');
    expect(cache.get('x', scope('a'))).toBeUndefined();
    // A file where the folder should be.
    writeFileSync(join(t.dir, 'blocked'), '');
    expect(new EvalResultsCache(join(t.dir, 'blocked', 'eval')).put('x', scope('a'), results)).toBe(false);
  });

  test("a local folder's identity changes when a file is rewritten, and differs for a copy elsewhere", () => {
    const copy = join(t.dir, 'id-add');
    cpSync(join(EXAMPLE_MODELS, 'add'), copy, { recursive: true });
    const before = localModelIdentity(copy);
    expect(localModelIdentity(copy)).toBe(before);
    const later = new Date(Date.now() + 5000);
    utimesSync(join(copy, 'model.safetensors'), later, later);
    expect(localModelIdentity(copy)).not.toBe(before);
    expect(localModelIdentity(join(EXAMPLE_MODELS, 'add'))).not.toBe(localModelIdentity(copy));
  });
});

describe('mergeops run with compare_inputs, twice', () => {
  const add = join(t.dir, 'models', 'add');
  const recipeText = (extra = ''): string => `merge_method: task_arithmetic
base_model: ${join(EXAMPLE_MODELS, 'base')}
models:
  - model: ${add}
    parameters: {weight: 1.0}
  - model: ${join(EXAMPLE_MODELS, 'rev')}
    parameters: {weight: 1.0}
dtype: bfloat16
mergeops:
  quantize: [Q8_0]
  eval:
    tasks: [{name: add, file: ${exampleTaskLines(t.dir, 'add', 8)}, max_tokens: 8}, {name: rev, file: ${exampleTaskLines(t.dir, 'rev', 8)}, max_tokens: 8}]
    compare_inputs: true${extra}
`;
  const table = (r: EvalReport): unknown => ({ checks: r.checks, summary: r.summary, labels: r.models.slice(1).map((m) => m.label) });
  const cached = (r: EvalReport): string[] => r.models.filter((m) => m.cached).map((m) => m.label);

  test('the second run checks only the merge and reports the same table; a rewritten input, new checks and --no-eval-cache check again', async () => {
    cpSync(join(EXAMPLE_MODELS, 'add'), add, { recursive: true });
    const recipe = writeRecipe(t.dir, 'twice.yml', recipeText());
    const cache = join(t.dir, 'cache');
    const run = async (name: string, ...extra: string[]): Promise<EvalReport> => {
      // One folder name, so the merge's label and GGUF name are the same in every run.
      const out = join(t.dir, name, 'out');
      const r = await runCliAsync(['run', recipe, '--out', out, '--cache-dir', cache, ...extra]);
      expect(r.stderr).not.toMatch(/error/);
      expect(r.status).toBe(0);
      return readEvalReport(out)!;
    };
    const first = await run('first');
    expect(cached(first)).toEqual([]);
    const second = await run('second');
    expect(cached(second)).toEqual(second.models.slice(1).map((m) => m.label));
    expect(cached(second)).toHaveLength(3);
    expect(table(second)).toEqual(table(first));
    expect(await run('forced', '--no-eval-cache').then(cached)).toEqual([]);

    // The add model's folder now holds the rev model's weights: its results must be the rev model's, not the cached ones.
    cpSync(join(EXAMPLE_MODELS, 'rev', 'model.safetensors'), join(add, 'model.safetensors'));
    const changed = await run('changed');
    const addLabel = changed.models[1].label;
    expect(cached(changed)).not.toContain(addLabel);
    expect(cached(changed)).toHaveLength(2);
    const acc = (r: EvalReport, task: string, model: number): number => {
      const c = r.checks.find((x) => x.kind === 'task' && x.name === task)!;
      return c.kind === 'task' ? c.results[r.models[model].id].accuracy : NaN;
    };
    expect(acc(first, 'add', 1)).toBeGreaterThanOrEqual(0.85);
    expect(acc(changed, 'add', 1)).toBe(acc(first, 'add', 2));
    expect(acc(changed, 'rev', 1)).toBe(acc(first, 'rev', 2));

    // Other checks: nothing cached matches.
    writeRecipe(t.dir, 'twice.yml', recipeText('\n    prompts: [{prompt: "12+34=", expect: "46", max_tokens: 8}]'));
    expect(cached(await run('new-checks'))).toEqual([]);
  });
});
