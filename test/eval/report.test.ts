import { mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readEvalReport, writeEvalReport, notRunReport, type EvalReport } from '../../src/eval/report.js';
import { renderEvalText } from '../../src/eval/render.js';
import { MergeopsError } from '../../src/errors.js';

const report: EvalReport = {
  version: 1, ran: true, versions: { mergeops: '0.1.0', nodeLlamaCpp: '3.22.1', llamaCpp: 'b1234' },
  gguf: { file: 'out-Q8_0.gguf', type: 'Q8_0' },
  models: [{ id: 'merge', label: 'merged', role: 'merge' }, { id: 'in0', label: 'add', role: 'input' }],
  checks: [
    { kind: 'prompt', name: '"12+34="', prompt: '12+34=', results: { merge: { pass: true, output: '46' }, in0: { pass: false, output: 'a|b' } } },
    { kind: 'task', name: 'add', n: 50, results: { merge: { accuracy: 0.52, correct: 26 }, in0: { accuracy: 0.98, correct: 49 } } },
    { kind: 'perplexity', name: 'sample.txt', tokens: 512, results: { merge: { perplexity: 3.25 }, in0: { perplexity: 2.5 } } },
  ],
  summary: { merge: { passRate: 27 / 51, perplexity: 3.25 }, in0: { passRate: 49 / 51, perplexity: 2.5 } },
  gate: { passed: false, failures: [{ check: 'max_perplexity_increase', message: 'perplexity 3.250 is 30.0% above the best input (2.500); the limit is 25%' }] },
  health: { tensors: [{ name: 'a', nan: 1, inf: 0 }], outliers: [{ name: 'a', reason: '1 NaN value' }] },
  seconds: 1.5,
};

describe('eval.json / eval.md', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'eval-report-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('round trip through eval.json; eval.md holds the table, the gate and health', () => {
    writeEvalReport(dir, report);
    expect(readEvalReport(dir)).toEqual(report);
    expect(readdirSync(dir).sort()).toEqual(['eval.json', 'eval.md']);
    const md = readFileSync(join(dir, 'eval.md'), 'utf8');
    expect(md).toContain('| check | merged (merge) | add |');
    expect(md).toContain('| task add (n=50) | 0.520 (26/50) | 0.980 (49/50) |');
    expect(md).toContain('FAIL "a\\|b"');
    expect(md).toContain('**Gate: FAILED.**');
    expect(md).toContain('- max_perplexity_increase: perplexity 3.250');
    expect(md).toContain('| a | 1 NaN value |');
    const text = renderEvalText(report);
    expect(text).toMatch(/perplexity sample\.txt \(512 tokens\) +3\.250 +2\.500/);
    expect(text).toContain('gate: FAILED');
  });

  test('absent report reads as undefined; a damaged one is a typed error', () => {
    expect(readEvalReport(dir)).toBeUndefined();
    writeFileSync(join(dir, 'eval.json'), '{"version": 2}');
    expect(() => readEvalReport(dir)).toThrow(MergeopsError);
    writeFileSync(join(dir, 'eval.json'), '{');
    expect(() => readEvalReport(dir)).toThrow(/not valid JSON/);
  });

  test('a report of an eval that did not run says why', () => {
    writeEvalReport(dir, notRunReport('--no-eval', '0.1.0'));
    expect(readEvalReport(dir)).toMatchObject({ ran: false, reason: '--no-eval', gate: { passed: true } });
    expect(readFileSync(join(dir, 'eval.md'), 'utf8')).toContain('The eval was not run: --no-eval.');
  });
});
