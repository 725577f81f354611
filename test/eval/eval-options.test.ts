/** `mergeops.eval` and `--eval FILE`: the configuration, and errors that name file:line:col. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RecipeError } from '../../src/errors.js';
import { loadEvalData, parseTaskLines } from '../../src/eval/data.js';
import { parseEvalText } from '../../src/recipe/eval-options.js';
import { parseRecipeText } from '../../src/recipe/parse.js';
import { tempDir } from '../support/tmp.js';

const t = tempDir();
afterAll(t.cleanup);

const RECIPE = (evalYaml: string): string => `merge_method: linear
models:
  - model: a
    parameters: {weight: 1}
mergeops:
  quantize: [Q8_0]
  eval:
${evalYaml}`;

function recipeError(evalYaml: string): RecipeError {
  try {
    parseRecipeText(RECIPE(evalYaml), 'r.yml');
  } catch (e) {
    if (e instanceof RecipeError) return e;
    throw e;
  }
  throw new Error('no error');
}

describe('mergeops.eval', () => {
  test('the issue\'s example parses with defaults and positions', () => {
    const [r] = parseRecipeText(RECIPE(`    prompts:
      - {prompt: "12+34=", expect: "46", max_tokens: 8}
      - {prompt: "rev abc=", regex: "^cba", max_tokens: 8}
      - {prompt: "Hello", not_contains: "\\ufffd", chat: true}
    tasks:
      - {name: add, file: evals/add.jsonl, max_tokens: 8}
      - {file: evals/rev.jsonl}
    perplexity: {file: evals/sample.txt, context: 256}
    compare_inputs: true
    min_pass_rate: 0.3
    max_perplexity_increase: 0.25
`), join(t.dir, 'r.yml'));
    const e = r.mergeops.eval!;
    expect(e.prompts.map((p) => [p.prompt, p.expect, p.regex, p.notContains, p.chat, p.maxTokens])).toEqual([
      ['12+34=', '46', undefined, undefined, false, 8],
      ['rev abc=', undefined, '^cba', undefined, false, 8],
      ['Hello', undefined, undefined, '\ufffd', true, 32],
    ]);
    expect(e.tasks.map((x) => [x.name, x.file, x.maxTokens])).toEqual([['add', 'evals/add.jsonl', 8], ['rev', 'evals/rev.jsonl', 32]]);
    expect(e.tasks[0].filePos).toMatchObject({ line: 13, col: 27 });
    expect(e.perplexity).toMatchObject({ file: 'evals/sample.txt', context: 256 });
    expect(e).toMatchObject({ compareInputs: true, minPassRate: 0.3, maxPerplexityIncrease: 0.25, baseDir: t.dir });
    expect(r.mergeops.extra.has('eval')).toBe(false);
  });

  test.each([
    ['    prompts:\n      - {prompt: "x", max_tokens: 8}\n', /r\.yml:9:9: a prompt check needs `expect`, `regex` or `not_contains`/],
    ['    prompts:\n      - {prompt: "x", expct: "y"}\n', /r\.yml:9:23: unknown key `expct` in a prompt check; did you mean `expect`\?/],
    ['    prompts:\n      - {prompt: "x", regex: "a("}\n', /r\.yml:9:30: `regex` is not a valid regular expression/],
    ['    prompts:\n      - {prompt: "x", expect: "y", max_tokens: 0}\n', /r\.yml:9:48: `max_tokens` must be a whole number from 1/],
    ['    tasks:\n      - {name: add}\n', /r\.yml:9:9: a task needs `file`/],
    ['    min_pass_rate: 1.5\n    prompts: [{prompt: x, expect: y}]\n', /r\.yml:8:20: `min_pass_rate` must be a number from 0 to 1/],
    ['    min_pass_rate: 0.5\n', /`min_pass_rate` needs prompts or tasks/],
    ['    perplexity: {file: a.txt}\n    max_perplexity_increase: 0.2\n', /r\.yml:9:30: `max_perplexity_increase` compares with the input models/],
    ['    perplexty: {file: a.txt}\n', /r\.yml:8:5: unknown key `perplexty` in `mergeops.eval`; did you mean `perplexity`\?/],
  ])('%s', (yaml, message) => {
    const e = recipeError(yaml);
    expect(e.message).toMatch(message);
    expect(e.hint.length).toBeGreaterThan(0);
  });

  test('--eval FILE: JSON is YAML; the mapping itself or wrapped in mergeops/eval', () => {
    const json = parseEvalText('{"tasks": [{"name": "add", "file": "add.jsonl"}], "min_pass_rate": 0.5}', join(t.dir, 'e.json'));
    expect(json.tasks[0].name).toBe('add');
    expect(json.minPassRate).toBe(0.5);
    const wrapped = parseEvalText('mergeops:\n  eval:\n    prompts: [{prompt: a, expect: b}]\n', join(t.dir, 'e.yml'));
    expect(wrapped.prompts[0].expect).toBe('b');
    expect(() => parseEvalText('{"tasks": [}', 'e.json')).toThrow(/e\.json:1:12: invalid YAML/);
  });

  test('task files: read before the merge; JSON lines errors name the file, line and column', () => {
    mkdirSync(join(t.dir, 'evals'), { recursive: true });
    writeFileSync(join(t.dir, 'evals', 'ok.jsonl'), '{"prompt": "1+1=", "answer": "2"}\n\n{"prompt": "a", "answer": "b"}\n');
    const [r] = parseRecipeText(RECIPE('    tasks:\n      - {file: evals/ok.jsonl}\n      - {file: evals/missing.jsonl}\n'), join(t.dir, 'r.yml'));
    expect(() => loadEvalData(r.mergeops.eval!)).toThrow(/r\.yml:10:16: cannot read evals\/missing\.jsonl \(no such file/);
    r.mergeops.eval!.tasks.pop();
    expect(loadEvalData(r.mergeops.eval!).tasks[0].items).toEqual([{ prompt: '1+1=', answer: '2' }, { prompt: 'a', answer: 'b' }]);
    expect(() => parseTaskLines('{"prompt": "a", "answer": "b"}\n{"prompt": "a", "answer": 4}\n', 'x.jsonl')).toThrow(/x\.jsonl:2:17: "answer" must be a string/);
    expect(() => parseTaskLines('{"prompt": "a",\n', 'x.jsonl')).toThrow(/x\.jsonl:1:\d+: not valid JSON/);
  });
});
