/** `mergeops sweep`: AdaMMS's unlabeled pick on the example models, and its parts. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { choose, inconsistency, setRecipeParam, type SweepCandidate } from '../../src/sweep.js';
import { parseRecipeText } from '../../src/recipe/parse.js';
import { runCliAsync } from '../support/cli.js';
import { EXAMPLE_MODELS, tempDir } from '../support/tmp.js';

const t = tempDir();
afterAll(t.cleanup);

describe('mergeops sweep', () => {
  test('over lambda on the example models, without labels, picks a value within 0.1 of the grid\'s best on both tasks', async () => {
    const out = join(t.dir, 'sweep');
    const r = await runCliAsync(['sweep', join(EXAMPLE_MODELS, '..', 'task-arithmetic.yml'), '--param', 'lambda',
      '--values', '0.6,0.8,1.0,1.2,1.4', '--unlabeled', '--out', out]);
    expect(r.stderr).not.toMatch(/error/);
    expect(r.status).toBe(0);
    const s = JSON.parse(readFileSync(join(out, 'sweep.json'), 'utf8')) as { rule: string; chosen: number; candidates: SweepCandidate[] };
    expect(s.rule).toBe('consistency');
    expect(s.candidates.map((c) => c.value)).toEqual([0.6, 0.8, 1, 1.2, 1.4]);
    const chosen = s.candidates.find((c) => c.value === s.chosen)!;
    for (const task of ['add', 'rev']) {
      const best = Math.max(...s.candidates.map((c) => c.accuracy[task]));
      expect(chosen.accuracy[task]).toBeGreaterThanOrEqual(best - 0.1);
    }
    // The chosen recipe is a recipe with the chosen value; the chart and the table are beside it.
    const recipe = readFileSync(join(out, `task-arithmetic.lambda-${s.chosen}.yml`), 'utf8');
    const [parsed] = parseRecipeText(recipe, 'chosen.yml');
    expect(parsed.parameters.get('lambda')).toMatchObject({ kind: 'scalar', value: s.chosen });
    expect(recipe).toContain('# Task arithmetic of two fine-tunes');
    const svg = readFileSync(join(out, 'sweep.svg'), 'utf8');
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svg.match(/<polyline /g)).toHaveLength(3);
    expect(readFileSync(join(out, 'sweep.md'), 'utf8')).toContain(`| ${s.chosen} ✓ |`);
    expect(r.stdout).toContain(`chosen: lambda = ${s.chosen}`);
    expect(existsSync(join(out, 'candidate-0'))).toBe(false);
  });

  test('--eval FILE gives the prompts (unlabeled: bare prompts) of a recipe without eval', async () => {
    const evalFile = join(t.dir, 'prompts.yml');
    writeFileSync(evalFile, 'prompts: ["12+34=", "rev abc=", "45-12=", "cp abc="]\n');
    const out = join(t.dir, 'sweep-weight');
    const r = await runCliAsync(['sweep', join(EXAMPLE_MODELS, '..', 'linear.yml'), '--param', 'weight', '--values', '0.5,1', '--eval', evalFile, '--out', out]);
    expect(r.stderr).not.toMatch(/error/);
    expect(r.status).toBe(0);
    const s = JSON.parse(readFileSync(join(out, 'sweep.json'), 'utf8')) as { rule: string; chosen: number; candidates: SweepCandidate[] };
    expect(s.rule).toBe('consistency');
    expect(s.candidates.map((c) => [c.value, c.accuracy])).toEqual([[0.5, {}], [1, {}]]);
    expect([0.5, 1]).toContain(s.chosen);
  });

  test('parameters are set where the method reads them; comments stay', () => {
    const text = '# note\nmerge_method: linear\nmodels:\n  - model: a\n    parameters: {weight: 0.3}\n  - model: b\n';
    const r = parseRecipeText(setRecipeParam(text, 'weight', 0.5), 'r.yml')[0];
    expect(r.models!.map((m) => m.parameters.get('weight'))).toMatchObject([{ value: 0.5 }, { value: 0.5 }]);
    expect(setRecipeParam(text, 'weight', 0.5)).toContain('# note');
    const g = parseRecipeText(setRecipeParam('merge_method: slerp\nbase_model: a\nmodels: [{model: a}, {model: b}]\n', 't', 0.25), 'r.yml')[0];
    expect(g.parameters.get('t')).toMatchObject({ value: 0.25 });
  });

  test('consistency: each candidate against its neighbours; accuracy: best mean, ties to the middle', () => {
    const outs = [['a', 'b'], ['a', 'c'], ['a', 'c'], ['x', 'y']];
    expect(inconsistency(outs)).toEqual([0.5, 0.25, 0.5, 1]);
    const c = (value: number, acc: number[], inc: number): SweepCandidate => ({ value, outputs: [], accuracy: { a: acc[0], b: acc[1] }, inconsistency: inc, seconds: 0 });
    const cands = [c(1, [0.2, 0.2], 0.1), c(2, [0.5, 0.4], 0.1), c(3, [0.6, 0.3], 0.3)];
    expect(choose(cands, 'accuracy')).toBe(2);
    expect(choose(cands, 'consistency')).toBe(2);
  });
});
