/**
 * mergekit's example configurations (mergekit.md §2.8, §3.1, §4.1) parse to the expected
 * structures, with positions.
 */
import { parseRecipeText } from '../../src/recipe/parse.js';
import { evaluateSetting, layerT, resolveParameter } from '../../src/recipe/parameters.js';
import type { ParamSetting } from '../../src/recipe/types.js';
import { FILE, lc, parseOne } from './helpers.js';

const LINEAR = `models:
  - model: psmathur/orca_mini_v3_13b
    parameters:
      weight: 1.0
  - model: WizardLM/WizardLM-13B-V1.2
    parameters:
      weight: 0.3
  - model: garage-bAInd/Platypus2-13B
    parameters:
      weight: 0.5
merge_method: linear
dtype: float16
`;

const TIES = `models:
  - model: psmathur/orca_mini_v3_13b
    parameters:
      density: [1, 0.7, 0.1] # density gradient
      weight: 1.0
  - model: garage-bAInd/Platypus2-13B
    parameters:
      density: 0.5
      weight: [0, 0.3, 0.7, 1] # weight gradient
  - model: WizardLM/WizardMath-13B-V1.0
    parameters:
      density: 0.33
      weight:
        - filter: mlp
          value: 0.5
        - value: 0
merge_method: ties
base_model: TheBloke/Llama-2-13B-fp16
parameters:
  normalize: true
  int8_mask: true
dtype: float16
`;

const GRADIENT_SLERP = `slices:
  - sources:
      - model: psmathur/orca_mini_v3_13b
        layer_range: [0, 40]
      - model: garage-bAInd/Platypus2-13B
        layer_range: [0, 40]
# or, the equivalent models: syntax:
# models:
#   - model: psmathur/orca_mini_v3_13b
#   - model: garage-bAInd/Platypus2-13B
merge_method: slerp
base_model: psmathur/orca_mini_v3_13b
parameters:
  t:
    - filter: self_attn
      value: [0, 0.5, 0.3, 0.7, 1]
    - filter: mlp
      value: [1, 0.5, 0.7, 0.3, 0]
    - value: 0.5 # fallback for rest of tensors
dtype: float16
`;

const ORCAMINI_PLATY_44 = `slices:
  - sources:
    - model: psmathur/orca_mini_v3_13b
      layer_range: [0, 24]
  - sources:
    - model: garage-bAInd/Platypus2-13B
      layer_range: [20, 40]
merge_method: passthrough
dtype: float16
`;

const ARCEE_FUSION = `models:
  - model: model_a
  - model: model_b
merge_method: arcee_fusion
base_model: model_a
dtype: bfloat16
`;

// No trailing newline, as in mergekit's examples/bio-merge.yml.
const BIO_MERGE = `models:
  - model: mistralai/Mistral-7B-Instruct-v0.2
    parameters:
      density: 0.5
      weight: 0.5
  - model: BioMistral/BioMistral-7B
    parameters:
      density: 0.5
      weight: 0.5
merge_method: ties
base_model: mistralai/Mistral-7B-v0.1
parameters:
  normalize: false
  int8_mask: true
dtype: float16`;

const MULTI = `name: first-merge
merge_method: linear
models:
  - model: mistralai/Mistral-7B-v0.1
  - model: BioMistral/BioMistral-7B
parameters:
  weight: 0.5
---
name: second-merge
merge_method: slerp
base_model: first-merge
models:
  - model: NousResearch/Hermes-2-Pro-Mistral-7B
parameters:
  t: 0.5
---
merge_method: dare_ties          # unnamed = final output
base_model: mistralai/Mistral-7B-v0.1
models:
  - model: second-merge
    parameters: {density: 0.6, weight: 0.5}
  - model: teknium/OpenHermes-2.5-Mistral-7B
    parameters: {density: 0.8, weight: 0.5}
`;

function scalar(s: ParamSetting | undefined): number {
  if (!s || s.kind !== 'scalar') throw new Error(`not a scalar: ${JSON.stringify(s)}`);
  return s.value;
}

describe('mergekit examples', () => {
  it('linear.yml', () => {
    const r = parseOne(LINEAR);
    expect(r.file).toBe(FILE);
    expect(r.mergeMethod).toBe('linear');
    expect(lc(r.mergeMethodPos)).toEqual([11, 15]);
    expect(r.dtype).toBe('F16');
    expect(r.outDtype).toBeUndefined();
    expect(r.slices).toBeUndefined();
    expect(r.baseModel).toBeUndefined();
    expect(r.models!.map((m) => m.model.key)).toEqual([
      'psmathur/orca_mini_v3_13b',
      'WizardLM/WizardLM-13B-V1.2',
      'garage-bAInd/Platypus2-13B',
    ]);
    expect(r.models!.map((m) => scalar(m.parameters.get('weight')))).toEqual([1.0, 0.3, 0.5]);
    expect(r.models!.every((m) => m.layerRange === undefined)).toBe(true);
    expect(lc(r.models![0].pos)).toEqual([2, 5]);
    expect(lc(r.models![0].model.pos)).toEqual([2, 12]);
    expect(lc(r.models![1].parameters.get('weight')!.pos)).toEqual([7, 15]);
    expect(r.parameters.size).toBe(0);
    expect(r.mergeops).toEqual({ extra: new Map() });
    expect(r.text).toBe(LINEAR);
    expect(r.lines).toEqual(LINEAR.split('\n'));
    expect(lc(r.pos)).toEqual([1, 1]);
  });

  it('ties.yml: density gradient, weight gradient, filter-conditional weight', () => {
    const r = parseOne(TIES);
    expect(r.mergeMethod).toBe('ties');
    expect(r.baseModel!.key).toBe('TheBloke/Llama-2-13B-fp16');
    expect(lc(r.baseModel!.pos)).toEqual([18, 13]);
    const [a, b, c] = r.models!;
    expect(a.parameters.get('density')).toEqual({ kind: 'gradient', values: [1, 0.7, 0.1], pos: { file: FILE, line: 4, col: 16 } });
    expect(scalar(a.parameters.get('weight'))).toBe(1);
    expect(scalar(b.parameters.get('density'))).toBe(0.5);
    expect(b.parameters.get('weight')).toMatchObject({ kind: 'gradient', values: [0, 0.3, 0.7, 1] });
    expect(scalar(c.parameters.get('density'))).toBe(0.33);
    const w = c.parameters.get('weight')!;
    expect(w).toEqual({
      kind: 'conditional',
      entries: [
        { filter: 'mlp', value: 0.5, pos: { file: FILE, line: 14, col: 11 } },
        { value: 0, pos: { file: FILE, line: 16, col: 11 } },
      ],
      pos: { file: FILE, line: 14, col: 9 },
    });
    // booleans become 1 / 0 as in mergekit
    expect(scalar(r.parameters.get('normalize'))).toBe(1);
    expect(scalar(r.parameters.get('int8_mask'))).toBe(1);
    expect(r.dtype).toBe('F16');

    // Evaluated over a 40-layer model (one slice): layer 13 → t = 13/39 = 1/3.
    const t13 = layerT(13, 40);
    expect(t13).toBeCloseTo(1 / 3, 15);
    // density [1, 0.7, 0.1] at t = 1/3: s = 2/3 → (1/3)·1 + (2/3)·0.7 = 0.8
    expect(evaluateSetting(a.parameters.get('density')!, 'model.layers.13.mlp.up_proj.weight', t13)).toBeCloseTo(0.8, 12);
    // weight [0, 0.3, 0.7, 1] at t = 1/3: s = 1 → 0.3
    expect(evaluateSetting(b.parameters.get('weight')!, 'model.layers.13.mlp.up_proj.weight', t13)).toBeCloseTo(0.3, 12);
    // filter-conditional: mlp tensors 0.5, everything else 0
    expect(evaluateSetting(w, 'model.layers.13.mlp.up_proj.weight', t13)).toBe(0.5);
    expect(evaluateSetting(w, 'model.layers.13.self_attn.q_proj.weight', t13)).toBe(0);
  });

  it('gradient-slerp.yml: conditional gradients of t over a 40-layer slice', () => {
    const r = parseOne(GRADIENT_SLERP);
    expect(r.mergeMethod).toBe('slerp');
    expect(r.models).toBeUndefined();
    expect(r.slices).toHaveLength(1);
    const s = r.slices![0];
    expect(s.baseModel).toBeUndefined();
    expect(s.sources.map((x) => [x.model.key, x.layerRange])).toEqual([
      ['psmathur/orca_mini_v3_13b', [0, 40]],
      ['garage-bAInd/Platypus2-13B', [0, 40]],
    ]);
    expect(lc(s.pos)).toEqual([2, 5]);
    expect(lc(s.sources[1].pos)).toEqual([5, 9]);
    const t = r.parameters.get('t')!;
    expect(t.kind).toBe('conditional');
    if (t.kind !== 'conditional') return;
    expect(t.entries.map((e) => [e.filter, e.value])).toEqual([
      ['self_attn', [0, 0.5, 0.3, 0.7, 1]],
      ['mlp', [1, 0.5, 0.7, 0.3, 0]],
      [undefined, 0.5],
    ]);
    const attn = (i: number) => `model.layers.${i}.self_attn.o_proj.weight`;
    const mlp = (i: number) => `model.layers.${i}.mlp.down_proj.weight`;
    const tv = (name: string, i: number) => evaluateSetting(t, name, layerT(i, 40));
    expect(tv(attn(0), 0)).toBe(0);
    expect(tv(mlp(0), 0)).toBe(1);
    expect(tv(attn(39), 39)).toBe(1);
    expect(tv(mlp(39), 39)).toBe(0);
    // layer 10: t = 10/39, s = 40/39 → i0 = 1, f = 1/39: (38/39)·0.5 + (1/39)·0.3 = 19.3/39
    expect(tv(attn(10), 10)).toBeCloseTo(19.3 / 39, 14);
    // same layer, mlp: (38/39)·0.5 + (1/39)·0.7 = 19.7/39
    expect(tv(mlp(10), 10)).toBeCloseTo(19.7 / 39, 14);
    // layer 30: t = 30/39, s = 120/39 = 3 + 3/39 → (36/39)·0.7 + (3/39)·1 = 28.2/39
    expect(tv(attn(30), 30)).toBeCloseTo(28.2 / 39, 14);
    // other tensors: the fallback
    expect(tv('model.layers.30.input_layernorm.weight', 30)).toBe(0.5);
    // pre-weights are evaluated by the caller at t = 0: embed_tokens matches no filter → 0.5
    expect(evaluateSetting(t, 'model.embed_tokens.weight', 0)).toBe(0.5);
  });

  it('orcamini-platy-44layer.yml: passthrough frankenmerge with two slices', () => {
    const r = parseOne(ORCAMINI_PLATY_44);
    expect(r.mergeMethod).toBe('passthrough');
    expect(r.slices!.map((s) => s.sources.map((x) => [x.model.path, x.layerRange]))).toEqual([
      [['psmathur/orca_mini_v3_13b', [0, 24]]],
      [['garage-bAInd/Platypus2-13B', [20, 40]]],
    ]);
    expect(r.slices!.map((s) => lc(s.pos))).toEqual([[2, 5], [5, 5]]);
    expect(lc(r.slices![1].sources[0].model.pos)).toEqual([6, 14]);
    expect(r.slices!.every((s) => s.parameters.size === 0 && s.sources[0].parameters.size === 0)).toBe(true);
    expect(r.dtype).toBe('F16');
  });

  it('arcee_fusion.yml', () => {
    const r = parseOne(ARCEE_FUSION);
    expect(r.mergeMethod).toBe('arcee_fusion');
    expect(r.models!.map((m) => m.model.key)).toEqual(['model_a', 'model_b']);
    expect(r.models!.every((m) => m.parameters.size === 0)).toBe(true);
    expect(r.baseModel).toMatchObject({ path: 'model_a', key: 'model_a' });
    expect(r.dtype).toBe('BF16');
  });

  it('bio-merge.yml (no final newline), normalize: false → 0', () => {
    const r = parseOne(BIO_MERGE);
    expect(scalar(r.parameters.get('normalize'))).toBe(0);
    expect(scalar(r.parameters.get('int8_mask'))).toBe(1);
    expect(r.text).toBe(BIO_MERGE);
    expect(lc(r.models![1].parameters.get('weight')!.pos)).toEqual([9, 15]);
  });

  it('an empty `parameters:` (null) is an empty map, as in mergekit', () => {
    const r = parseOne('models:\n  - model: a/b\n    parameters:\nmerge_method: linear\nparameters:\ndtype: bfloat16\n');
    expect(r.parameters.size).toBe(0);
    expect(r.models![0].parameters.size).toBe(0);
  });
});

describe('mergekit-multi (§4.1)', () => {
  it('parses the three stages', () => {
    const rs = parseRecipeText(MULTI, FILE);
    expect(rs.map((r) => [r.name, r.mergeMethod])).toEqual([
      ['first-merge', 'linear'],
      ['second-merge', 'slerp'],
      [undefined, 'dare_ties'],
    ]);
    const [a, b, c] = rs;
    expect(scalar(a.parameters.get('weight'))).toBe(0.5);
    // a stage is referenced by its bare name: resolved later, parsed as a plain reference
    expect(b.baseModel).toMatchObject({ path: 'first-merge', key: 'first-merge' });
    expect(lc(b.baseModel!.pos)).toEqual([11, 13]);
    expect(scalar(b.parameters.get('t'))).toBe(0.5);
    expect(c.models!.map((m) => [m.model.key, scalar(m.parameters.get('density')), scalar(m.parameters.get('weight'))])).toEqual([
      ['second-merge', 0.6, 0.5],
      ['teknium/OpenHermes-2.5-Mistral-7B', 0.8, 0.5],
    ]);
    expect(lc(c.mergeMethodPos)).toEqual([17, 15]);
    expect(lc(c.pos)).toEqual([17, 1]);
    expect(lc(c.models![0].parameters.get('density')!.pos)).toEqual([21, 27]);
    // each stage keeps its own text (written out as its mergekit_config.yml); lines are the file's
    expect(a.text).toBe(MULTI.split('---\n')[0]);
    expect(b.text).toBe(MULTI.split('---\n')[1]);
    expect(c.text).toBe(MULTI.split('---\n')[2]);
    expect(parseRecipeText(b.text, 'stage.yml')[0].name).toBe('second-merge');
    for (const r of rs) expect(r.lines).toEqual(MULTI.split('\n'));
  });

  it('keeps comments that open a stage in its text', () => {
    const text = 'merge_method: linear\nmodels:\n  - model: a\n---\n# the final merge\nmerge_method: linear\nmodels:\n  - model: b\nname: final\n';
    const rs = parseRecipeText(text, FILE);
    expect(rs[1].text).toBe('# the final merge\nmerge_method: linear\nmodels:\n  - model: b\nname: final\n');
    expect(lc(rs[1].pos)).toEqual([6, 1]);
    expect(rs[1].name).toBe('final');
    expect(rs[0].name).toBeUndefined();
  });
});

describe('tokenizer, chat template and mergeops (§3.1)', () => {
  const TEXT = `merge_method: linear
models:
  - model: a/b
    parameters: {weight: 1}
tokenizer:
  source: union
  tokens:
    "<|im_start|>":
      source: some/chatml-model
      force: false
    "<|renamed|>":
      source: {kind: model_token, model: some/model, token: "<|orig|>"}
    "<|id|>":
      source: {kind: model_token, model: some/model, token_id: 1234}
    "<|unused|>":
      source: {kind: zero}
      force: true
    "<|added|>":
  pad_to_multiple_of: 64
chat_template: chatml
out_dtype: torch.bfloat16
mergeops:
  seed: 42
  quantize: [Q4_K_M, Q8_0]
  out_shard_size: 2G
  eval:
    prompts: [hi, there]
`;

  it('parses the tokenizer block', () => {
    const r = parseOne(TEXT);
    const tok = r.tokenizer!;
    expect(tok.source).toBe('union');
    expect(tok.padToMultipleOf).toBe(64);
    expect(lc(tok.pos)).toEqual([6, 3]);
    expect([...tok.tokens.keys()]).toEqual(['<|im_start|>', '<|renamed|>', '<|id|>', '<|unused|>', '<|added|>']);
    const im = tok.tokens.get('<|im_start|>')!;
    expect(im.force).toBe(false);
    expect(im.source).toMatchObject({ kind: 'model', model: { key: 'some/chatml-model' } });
    expect(lc(im.pos)).toEqual([8, 5]);
    expect(tok.tokens.get('<|renamed|>')!.source).toMatchObject({ kind: 'model_token', model: { key: 'some/model' }, token: '<|orig|>' });
    expect(tok.tokens.get('<|id|>')!.source).toMatchObject({ kind: 'model_token', tokenId: 1234 });
    expect(tok.tokens.get('<|unused|>')).toMatchObject({ source: { kind: 'zero' }, force: true });
    expect(tok.tokens.get('<|added|>')).toMatchObject({ force: false });
    expect(tok.tokens.get('<|added|>')!.source).toBeUndefined();
    expect(r.tokenizerSource).toBeUndefined();
    expect(r.chatTemplate).toBe('chatml');
    expect(r.outDtype).toBe('BF16');
  });

  it('parses mergeops: seed, quantize, out_shard_size, extras with positions', () => {
    const r = parseOne(TEXT);
    expect(r.mergeops.seed).toBe(42);
    expect(r.mergeops.quantize).toEqual(['Q4_K_M', 'Q8_0']);
    expect(r.mergeops.outShardSize).toBe(2_000_000_000);
    expect([...r.mergeops.extra.keys()]).toEqual([]);
    const ev = r.mergeops.eval!;
    expect(ev.prompts.map((p) => [p.prompt, p.notContains])).toEqual([['hi', '\ufffd'], ['there', '\ufffd']]);
    expect(lc(ev.pos)).toEqual([27, 5]);
  });

  it('tokenizer_source forms', () => {
    const base = 'merge_method: linear\nmodels:\n  - model: a\n';
    expect(parseOne(base + 'tokenizer_source: base\n').tokenizerSource).toBe('base');
    expect(parseOne(base + 'tokenizer_source: union\n').tokenizerSource).toBe('union');
    expect(parseOne(base + 'tokenizer_source: org/tok@v2\n').tokenizerSource).toMatchObject({ path: 'org/tok', revision: 'v2' });
    expect(parseOne(base + 'tokenizer:\n  source: base\n').tokenizer!.source).toBe('base');
    expect(parseOne(base + 'tokenizer: {}\n').tokenizer!.source).toBe('union');
  });

  it('accepts a Jinja chat template string', () => {
    const tpl = "{% for m in messages %}{{ m['content'] }}{% endfor %}";
    const r = parseOne(`merge_method: linear\nmodels:\n  - model: a\nchat_template: "${tpl}"\n`);
    expect(r.chatTemplate).toBe(tpl);
  });
});

describe('precedence through resolveParameter on a parsed recipe', () => {
  it('source > slice > top level, per tensor and layer', () => {
    const r = parseOne(`merge_method: ties
base_model: base/m
parameters:
  weight: 0.1
  density: [0.2, 0.4]
slices:
  - sources:
      - model: a/m
        layer_range: [0, 5]
        parameters:
          weight:
            - filter: self_attn
              value: 0.9
      - model: b/m
        layer_range: [0, 5]
    parameters:
      weight:
        - filter: mlp
          value: 0.7
`);
    const s = r.slices![0];
    const [a, b] = s.sources;
    const levels = (src: typeof a) => [src.parameters, s.parameters, r.parameters];
    const attn = 'model.layers.2.self_attn.q_proj.weight';
    const mlp = 'model.layers.2.mlp.up_proj.weight';
    const norm = 'model.layers.2.input_layernorm.weight';
    const t = layerT(2, 5); // 0.5
    expect(resolveParameter('weight', levels(a), attn, t)).toBe(0.9); // source level
    expect(resolveParameter('weight', levels(a), mlp, t)).toBe(0.7); // source filter misses → slice
    expect(resolveParameter('weight', levels(a), norm, t)).toBe(0.1); // both miss → top level
    expect(resolveParameter('weight', levels(b), attn, t)).toBe(0.1); // b has no source params
    expect(resolveParameter('weight', levels(b), mlp, t)).toBe(0.7);
    expect(resolveParameter('density', levels(a), norm, t)).toBeCloseTo(0.3, 15);
    expect(resolveParameter('lambda', levels(a), norm, t)).toBeUndefined();
    // global parameters skip the source level
    expect(resolveParameter('weight', [s.parameters, r.parameters], attn, t)).toBe(0.1);
  });
});
