/**
 * The eval stage end to end, as a user runs it (`mergeops run`): the demo recipe's table on the
 * example models, a broken merge failing the gate, --eval FILE with a chat prompt, --no-eval.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readEvalReport, type EvalReport } from '../../src/eval/report.js';
import { runCliAsync } from '../support/cli.js';
import { exampleTaskArithmetic, exampleTaskLines } from '../support/example-recipes.js';
import { EXAMPLE_MODELS, tempDir, writeRecipe } from '../support/tmp.js';

const t = tempDir();
afterAll(t.cleanup);

const EXAMPLES = join(EXAMPLE_MODELS, '..');
const m = (name: string): string => join(EXAMPLE_MODELS, name);

function taskAccuracy(r: EvalReport, task: string, label: string): number {
  const model = r.models.find((x) => x.label === label || (label === 'merge' && x.role === 'merge'))!;
  const c = r.checks.find((x) => x.kind === 'task' && x.name === task);
  if (!c || c.kind !== 'task') throw new Error(`no task ${task}`);
  return c.results[model.id].accuracy;
}

describe('mergeops run: the eval stage', () => {
  test('the demo recipe: each parent strong on its own task, near zero on the other; the merge good at both (Q8_0)', async () => {
    const out = join(t.dir, 'demo');
    const r = await runCliAsync(['run', join(EXAMPLES, 'task-arithmetic.yml'), '--out', out]);
    expect(r.stderr).not.toMatch(/error/);
    expect(r.status).toBe(0);
    const report = readEvalReport(out)!;
    expect(report).toMatchObject({ ran: true, gguf: { file: 'demo-Q8_0.gguf', type: 'Q8_0' }, gate: { passed: true } });
    expect(report.models.map((x) => [x.label, x.role])).toEqual([['demo', 'merge'], ['models/add', 'input'], ['models/rev', 'input'], ['models/base', 'input']]);
    expect(taskAccuracy(report, 'add', 'models/add')).toBeGreaterThanOrEqual(0.9);
    expect(taskAccuracy(report, 'rev', 'models/add')).toBeLessThanOrEqual(0.05);
    expect(taskAccuracy(report, 'rev', 'models/rev')).toBeGreaterThanOrEqual(0.9);
    expect(taskAccuracy(report, 'add', 'models/rev')).toBeLessThanOrEqual(0.05);
    expect(taskAccuracy(report, 'add', 'merge')).toBeGreaterThanOrEqual(0.4);
    expect(taskAccuracy(report, 'rev', 'merge')).toBeGreaterThanOrEqual(0.4);
    expect(taskAccuracy(report, 'add', 'models/base')).toBeLessThanOrEqual(0.05);
    for (const x of report.models) expect(Number.isFinite(report.summary[x.id].perplexity)).toBe(true);
    // The table at the end of the output, and eval.md beside the model.
    expect(r.stdout).toMatch(/task add \(n=50\) +0\.\d{3} \(\d+\/50\) +0\.9\d0 \(4\d\/50\)/);
    expect(r.stdout).toContain('gate: passed');
    expect(readFileSync(join(out, 'eval.md'), 'utf8')).toContain('| task rev (n=50) |');
    // The inputs' GGUFs were temporary.
    expect(readdirSync(out).filter((f) => f.endsWith('.gguf'))).toEqual(['demo-Q8_0.gguf']);
  });

  test('a broken merge (lambda 10) fails the gate: non-zero exit naming the check, nothing published, the report says so', async () => {
    const recipe = writeRecipe(t.dir, 'broken.yml', exampleTaskArithmetic(`mergeops:
  license: apache-2.0
  eval:
    prompts:
      - {prompt: "Hello", not_contains: "\\ufffd", chat: true, max_tokens: 4}
    tasks:
      - {name: add, file: ${exampleTaskLines(t.dir, 'add', 10)}, max_tokens: 8}
      - {name: rev, file: ${exampleTaskLines(t.dir, 'rev', 10)}, max_tokens: 8}
    min_pass_rate: 0.3
`, { lambda: 10, dtype: 'bfloat16' }));
    const out = join(t.dir, 'broken');
    const published = join(t.dir, 'published');
    const r = await runCliAsync(['run', recipe, '--out', out, '--publish', `dir:${published}`]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/error: the eval gate failed: min_pass_rate: pass rate 0\.0\d\d is below 0\.3; weakest: /);
    expect(r.stderr).toMatch(/hint: .* not fit to publish \(nothing was published\)/);
    expect(existsSync(published)).toBe(false);
    expect(existsSync(`${published}-GGUF`)).toBe(false);
    expect(r.stdout).toContain('gate: FAILED');
    const report = readEvalReport(out)!;
    expect(report.gate.passed).toBe(false);
    expect(report.gate.failures.map((f) => f.check)).toEqual(['min_pass_rate']);
    // No GGUF asked for: the checks ran on a temporary F16, not left in the output.
    expect(report.gguf).toEqual({ file: 'eval-merge.gguf (temporary)', type: 'F16' });
    expect(readdirSync(out).filter((f) => f.endsWith('.gguf'))).toEqual([]);
    // The model has no chat template: the chat prompt fails saying why.
    const chat = report.checks.find((c) => c.kind === 'prompt' && c.prompt === 'Hello')!;
    expect(chat.kind === 'prompt' && chat.results.merge).toEqual({ pass: false, output: expect.stringContaining('no chat template') });
  });

  test('--eval FILE (JSON) replaces the recipe\'s checks; chat: true applies the model\'s template', async () => {
    const recipe = writeRecipe(t.dir, 'chat.yml', `merge_method: linear
models:
  - model: ${m('add')}
    parameters: {weight: 1.0}
chat_template: chatml
mergeops:
  eval:
    tasks: [{file: does-not-exist.jsonl}]
`);
    const evalFile = join(t.dir, 'checks.json');
    writeFileSync(evalFile, JSON.stringify({
      prompts: [
        { prompt: '12+34=', expect: '46', max_tokens: 8 },
        { prompt: '12+34=', not_contains: '\ufffd', chat: true, max_tokens: 4 },
      ],
      min_pass_rate: 1,
    }));
    const out = join(t.dir, 'chat');
    const r = await runCliAsync(['run', recipe, '--out', out, '--eval', evalFile]);
    expect(r.stderr).not.toMatch(/error/);
    expect(r.status).toBe(0);
    const report = readEvalReport(out)!;
    const [plain, chat] = report.checks;
    expect(plain.kind === 'prompt' && plain.results.merge).toEqual({ pass: true, output: '46' });
    expect(chat.name).toBe('"12+34=" (chat)');
    expect(chat.kind === 'prompt' && chat.results.merge.pass).toBe(true);
    expect(report.summary.merge.passRate).toBe(1);
  });

  test('--no-eval skips the stage and says so; a missing task file fails before the merge', async () => {
    const recipe = writeRecipe(t.dir, 'skip.yml', exampleTaskArithmetic(`mergeops:
  eval:
    tasks: [{name: add, file: nowhere/add.jsonl}]
`, { lambda: 1, dtype: 'bfloat16' }));
    const out = join(t.dir, 'skip');
    const r = await runCliAsync(['run', recipe, '--out', out, '--no-eval']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('eval not run: skipped with --no-eval');
    expect(readEvalReport(out)).toMatchObject({ ran: false, reason: 'skipped with --no-eval', gate: { passed: true } });
    const missing = await runCliAsync(['run', recipe, '--out', join(t.dir, 'missing')]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/skip\.yml:12:31: cannot read nowhere\/add\.jsonl \(no such file/);
    expect(missing.stderr).not.toMatch(/merging/);
    expect(existsSync(join(t.dir, 'missing'))).toBe(false);
  });
});
