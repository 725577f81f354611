/** The gate's thresholds over a report's figures. */
import { evaluateGate } from '../../src/eval/gate.js';
import type { EvalReport } from '../../src/eval/report.js';

const models: EvalReport['models'] = [
  { id: 'merge', label: 'm', role: 'merge' }, { id: 'a', label: 'in-a', role: 'input' }, { id: 'b', label: 'in-b', role: 'input' },
];
const checks: EvalReport['checks'] = [
  { kind: 'task', name: 'add', n: 10, results: { merge: { accuracy: 0.2, correct: 2 }, a: { accuracy: 1, correct: 10 } } },
  { kind: 'prompt', name: '"x"', prompt: 'x', results: { merge: { pass: false, output: 'y' } } },
];

describe('eval gate', () => {
  test('min_pass_rate: below fails naming the weakest checks; at the threshold passes', () => {
    const g = evaluateGate({ models, checks, summary: { merge: { passRate: 2 / 11 } } }, { minPassRate: 0.5 });
    expect(g.passed).toBe(false);
    expect(g.failures).toEqual([{ check: 'min_pass_rate', message: 'pass rate 0.182 is below 0.5; weakest: prompt "x" failed ("y"), task add (n=10) 0.200' }]);
    expect(evaluateGate({ models, checks, summary: { merge: { passRate: 0.5 } } }, { minPassRate: 0.5 }).passed).toBe(true);
  });

  test('max_perplexity_increase: relative to the best input', () => {
    const summary = { merge: { perplexity: 13 }, a: { perplexity: 10 }, b: { perplexity: 20 } };
    expect(evaluateGate({ models, checks, summary }, { maxPerplexityIncrease: 0.3 }).passed).toBe(true);
    const g = evaluateGate({ models, checks, summary }, { maxPerplexityIncrease: 0.25 });
    expect(g.failures).toEqual([{ check: 'max_perplexity_increase',
      message: 'perplexity 13.000 is 30.0% above the best input (in-a: 10.000); the limit is 25.0%' }]);
    expect(evaluateGate({ models, checks, summary: { ...summary, merge: { perplexity: NaN } } }, { maxPerplexityIncrease: 1 }).failures[0].message)
      .toBe("the merge's perplexity is NaN");
  });

  test('no thresholds: passes; errors given (a check that could not run) fail it', () => {
    expect(evaluateGate({ models, checks, summary: {} }, {})).toEqual({ passed: true, failures: [] });
    expect(evaluateGate({ models, checks, summary: {} }, {}, [{ check: 'perplexity t.txt', message: 'too short' }]).passed).toBe(false);
  });
});
