/** evaluateSetting / resolveParameter / layerT against hand-computed values (mergekit §2.4). */
import { evaluateGradient, evaluateSetting, filterMatches, layerT, resolveParameter } from '../../src/recipe/parameters.js';
import type { ParamMap, ParamSetting } from '../../src/recipe/types.js';

const pos = { file: 'r.yml', line: 1, col: 1 };
const scalar = (value: number): ParamSetting => ({ kind: 'scalar', value, pos });
const gradient = (...values: number[]): ParamSetting => ({ kind: 'gradient', values, pos });
const cond = (...entries: { filter?: string; value: number | number[] }[]): ParamSetting => ({
  kind: 'conditional',
  entries: entries.map((e) => ({ ...e, pos })),
  pos,
});

describe('layerT', () => {
  it('is i/(N-1) inside a slice', () => {
    expect(layerT(0, 40)).toBe(0);
    expect(layerT(39, 40)).toBe(1);
    expect(layerT(13, 40)).toBe(13 / 39);
    expect(layerT(2, 5)).toBe(0.5);
  });
  it('is 1 for a one-layer slice', () => {
    expect(layerT(0, 1)).toBe(1);
  });
  it('rejects out-of-range arguments', () => {
    expect(() => layerT(5, 5)).toThrow(RangeError);
    expect(() => layerT(-1, 5)).toThrow(RangeError);
    expect(() => layerT(0, 0)).toThrow(RangeError);
  });
});

describe('evaluateSetting', () => {
  it('scalars ignore tensor and t', () => {
    expect(evaluateSetting(scalar(0.25), 'x', 0)).toBe(0.25);
    expect(evaluateSetting(scalar(0.25), '', 1)).toBe(0.25);
  });

  it('gradients interpolate over evenly spaced anchors', () => {
    const g = gradient(0, 0.5, 0.3, 0.7, 1); // K = 4
    expect(evaluateSetting(g, 'x', 0)).toBe(0);
    expect(evaluateSetting(g, 'x', 0.25)).toBe(0.5); // s = 1
    expect(evaluateSetting(g, 'x', 0.5)).toBe(0.3); // s = 2
    expect(evaluateSetting(g, 'x', 1)).toBe(1); // s = 4, i1 clamps to K
    // s = 0.5 → halfway between 0 and 0.5
    expect(evaluateSetting(g, 'x', 0.125)).toBe(0.25);
    // s = 2.5 → 0.5·0.3 + 0.5·0.7
    expect(evaluateSetting(g, 'x', 0.625)).toBeCloseTo(0.5, 15);
    // three anchors [1, 0.7, 0.1] at t = 0.75: s = 1.5 → 0.5·0.7 + 0.5·0.1 = 0.4
    expect(evaluateSetting(gradient(1, 0.7, 0.1), 'x', 0.75)).toBeCloseTo(0.4, 15);
  });

  it('uses mergekit\'s float64 operation order exactly', () => {
    const v = [0.1, 0.7, 0.3];
    const t = 7 / 19;
    const s = t * 2;
    const i0 = Math.trunc(s);
    const f = s - i0;
    expect(evaluateGradient(v, t)).toBe((1 - f) * v[i0] + f * v[i0 + 1]);
  });

  it('a one-element gradient is that value everywhere', () => {
    for (const t of [0, 0.3, 1]) expect(evaluateSetting(gradient(0.42), 'x', t)).toBe(0.42);
  });

  it('conditionals: first matching filter wins; absent or * matches all; substring match', () => {
    const c = cond({ filter: 'self_attn', value: 0.1 }, { filter: 'mlp', value: [0, 1] }, { value: 0.5 });
    expect(evaluateSetting(c, 'model.layers.0.self_attn.q_proj.weight', 0.3)).toBe(0.1);
    expect(evaluateSetting(c, 'model.layers.0.mlp.gate_proj.weight', 0.3)).toBeCloseTo(0.3, 15); // gradient value
    expect(evaluateSetting(c, 'model.norm.weight', 0.3)).toBe(0.5);
    const star = cond({ filter: 'lm_head', value: 2 }, { filter: '*', value: 3 }, { value: 4 });
    expect(evaluateSetting(star, 'model.norm.weight', 0)).toBe(3);
    // order matters: an early catch-all shadows later filters
    expect(evaluateSetting(cond({ value: 1 }, { filter: 'mlp', value: 2 }), 'x.mlp.y', 0)).toBe(1);
  });

  it('conditionals with no match give undefined', () => {
    const c = cond({ filter: 'self_attn', value: 0.1 }, { filter: 'mlp', value: 0.2 });
    expect(evaluateSetting(c, 'model.embed_tokens.weight', 0)).toBeUndefined();
  });

  it('an empty tensor name matches only filter-less or * entries (mergekit: `tensor_name and ...`)', () => {
    expect(filterMatches('', '')).toBe(false);
    expect(filterMatches('*', '')).toBe(true);
    expect(filterMatches(undefined, '')).toBe(true);
    expect(filterMatches('', 'a')).toBe(true);
  });

  it('rejects t outside [0, 1]', () => {
    expect(() => evaluateSetting(gradient(0, 1), 'x', 1.5)).toThrow(RangeError);
    expect(() => evaluateSetting(gradient(0, 1), 'x', Number.NaN)).toThrow(RangeError);
  });
});

describe('resolveParameter', () => {
  const source: ParamMap = new Map([['weight', cond({ filter: 'self_attn', value: 0.9 })]]);
  const slice: ParamMap = new Map([['weight', cond({ filter: 'mlp', value: [0.2, 0.6] })], ['density', scalar(0.5)]]);
  const top: ParamMap = new Map([['weight', scalar(0.1)], ['density', scalar(1)], ['t', gradient(0, 1)]]);
  const levels = [source, slice, top];

  it('walks levels highest precedence first', () => {
    expect(resolveParameter('weight', levels, 'l.3.self_attn.k', 0.5)).toBe(0.9);
    expect(resolveParameter('density', levels, 'l.3.self_attn.k', 0.5)).toBe(0.5);
    expect(resolveParameter('t', levels, 'l.3.self_attn.k', 0.25)).toBe(0.25);
  });

  it('a conditional with no matching filter falls through to the next level', () => {
    expect(resolveParameter('weight', levels, 'l.3.mlp.up', 0.5)).toBeCloseTo(0.4, 15);
    expect(resolveParameter('weight', levels, 'l.3.input_layernorm', 0.5)).toBe(0.1);
  });

  it('undefined when no level defines it', () => {
    expect(resolveParameter('lambda', levels, 'x', 0)).toBeUndefined();
    expect(resolveParameter('weight', [], 'x', 0)).toBeUndefined();
    expect(resolveParameter('weight', [source], 'l.mlp', 0)).toBeUndefined();
  });

  it('pre/post weights: the caller passes t = 0, the first gradient value', () => {
    expect(resolveParameter('weight', [new Map([['weight', gradient(0.3, 0.9)]])], 'model.embed_tokens.weight', 0)).toBe(0.3);
  });
});
