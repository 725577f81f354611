/**
 * The gate over an eval's results: `min_pass_rate` (prompts + task items the merge got right) and
 * `max_perplexity_increase` (the merge's perplexity relative to the best input model's). A
 * failure names the threshold and the checks that pulled the merge below it.
 */
import type { EvalOptions } from '../recipe/types.js';
import { checkLabel } from './render.js';
import type { EvalGate, EvalReport } from './report.js';

export type GateThresholds = Pick<EvalOptions, 'minPassRate' | 'maxPerplexityIncrease'>;

export function evaluateGate(report: Pick<EvalReport, 'models' | 'checks' | 'summary'>, t: GateThresholds, errors: { check: string; message: string }[] = []): EvalGate {
  const failures = [...errors];
  const merge = report.models.find((m) => m.role === 'merge');
  if (!merge) return { passed: failures.length === 0, failures };
  const s = report.summary[merge.id] ?? {};
  if (t.minPassRate !== undefined) {
    const rate = s.passRate;
    if (rate === undefined || rate < t.minPassRate - 1e-12) {
      const weakest = report.checks.flatMap((c) => {
        if (c.kind === 'task') {
          const r = c.results[merge.id];
          return r ? [{ label: checkLabel(c), score: r.accuracy, text: `${checkLabel(c)} ${r.accuracy.toFixed(3)}` }] : [];
        }
        if (c.kind === 'prompt' && c.results[merge.id] && !c.results[merge.id].pass && !c.name.startsWith('load ')) {
          return [{ label: checkLabel(c), score: 0, text: `${checkLabel(c)} failed (${JSON.stringify(c.results[merge.id].output)})` }];
        }
        return [];
      }).sort((a, b) => a.score - b.score).slice(0, 3);
      failures.push({
        check: 'min_pass_rate',
        message: `pass rate ${rate === undefined ? 'unknown' : rate.toFixed(3)} is below ${t.minPassRate}`
          + (weakest.length ? `; weakest: ${weakest.map((w) => w.text).join(', ')}` : ''),
      });
    }
  }
  if (t.maxPerplexityIncrease !== undefined) {
    const inputs = report.models.filter((m) => m.role === 'input')
      .map((m) => ({ m, p: report.summary[m.id]?.perplexity }))
      .filter((x): x is { m: typeof x.m; p: number } => x.p !== undefined && Number.isFinite(x.p));
    const best = inputs.sort((a, b) => a.p - b.p)[0];
    const p = s.perplexity;
    if (p === undefined || !Number.isFinite(p)) {
      failures.push({ check: 'max_perplexity_increase', message: `the merge's perplexity is ${p === undefined ? 'unknown' : String(p)}` });
    } else if (!best) {
      failures.push({ check: 'max_perplexity_increase', message: 'no input model has a perplexity to compare with' });
    } else {
      const increase = p / best.p - 1;
      if (increase > t.maxPerplexityIncrease + 1e-12) { // 13 / 10 - 1 is 0.30000000000000004
        failures.push({
          check: 'max_perplexity_increase',
          message: `perplexity ${p.toFixed(3)} is ${(increase * 100).toFixed(1)}% above the best input (${best.m.label}: ${best.p.toFixed(3)}); `
            + `the limit is ${(t.maxPerplexityIncrease * 100).toFixed(1)}%`,
        });
      }
    }
  }
  return { passed: failures.length === 0, failures };
}
