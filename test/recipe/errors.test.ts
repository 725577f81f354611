/** Malformed recipes: each error is a RecipeError pointing at the offending node, with a hint. */
import { parseRecipeText } from '../../src/recipe/parse.js';
import { checkRecipe } from '../../src/plan/check-recipe.js';
import { FILE, catchRecipeError, expectErrorAt, lc, parseOne } from './helpers.js';

describe('YAML syntax errors carry the yaml library position', () => {
  it('unclosed flow sequence', () => {
    const err = expectErrorAt('merge_method: linear\nmodels: [a, b\ndtype: float16\n', 3, 1, 'invalid YAML');
    expect(err.hint).toMatch(/indentation|closed/);
  });

  it('duplicate key', () => {
    const err = expectErrorAt('merge_method: linear\nmodels:\n  - model: a\nmerge_method: slerp\n', 4, 1, 'Map keys must be unique');
    expect(err.hint).toContain('only once');
  });

  it('tab indentation', () => {
    expectErrorAt('merge_method: linear\nmodels:\n\t- model: a\n', 3, 1, 'invalid YAML');
  });

  it('unknown alias', () => {
    expectErrorAt('merge_method: linear\nmodels:\n  - model: *nope\n', 3, 12, 'unknown alias `*nope`');
  });
});

describe('document-level errors', () => {
  it('empty file', () => {
    expectErrorAt('', 1, 1, 'the recipe is empty');
    expectErrorAt('# nothing here\n', 1, 1, 'the recipe is empty');
  });

  it('empty document in a multi-document file', () => {
    expectErrorAt('name: a\nmerge_method: linear\nmodels:\n  - model: x\n---\n---\nmerge_method: linear\nmodels:\n  - model: a\n', 5, 1, 'document 2 is empty');
  });

  it('a document that is not a mapping', () => {
    expectErrorAt('- merge_method: linear\n', 1, 1, 'must be a mapping');
  });

  it('missing merge_method points at the document', () => {
    expectErrorAt('models:\n  - model: a\n', 1, 1, 'has no `merge_method`');
    expectErrorAt('# comment\n\nmodels:\n  - model: a\n', 3, 1, 'has no `merge_method`');
  });

  it('empty merge_method points at the key', () => {
    expectErrorAt('merge_method:\nmodels:\n  - model: a\n', 1, 1, '`merge_method` is empty');
  });

  it('merge_method that is not a string', () => {
    expectErrorAt('merge_method: [linear]\nmodels:\n  - model: a\n', 1, 15, '`merge_method` must be a string');
  });

  it('both models and slices: points at the later key', () => {
    const text = `merge_method: linear
models:
  - model: a
slices:
  - sources:
      - model: a
        layer_range: [0, 4]
`;
    const err = expectErrorAt(text, 4, 1, 'both `models` and `slices`');
    expect(err.hint).toContain('keep one');
  });

  it('neither models nor slices', () => {
    expectErrorAt('merge_method: linear\ndtype: float16\n', 1, 1, 'neither `models` nor `slices`');
  });

  it('modules is not supported yet', () => {
    expectErrorAt('merge_method: linear\nmodules:\n  text_decoder:\n    models:\n      - model: a\n', 2, 1, '`modules:`');
  });

  it('tokenizer and tokenizer_source together: points at the later key', () => {
    const text = `merge_method: linear
models:
  - model: a
tokenizer_source: union
tokenizer:
  source: base
`;
    expectErrorAt(text, 5, 1, '`tokenizer` and `tokenizer_source` cannot both be given');
  });
});

describe('unknown keys: rejected with a suggestion', () => {
  it('top-level typo', () => {
    const err = expectErrorAt('merge_methd: linear\nmodels:\n  - model: a\n', 1, 1, 'unknown key `merge_methd` in the recipe; did you mean `merge_method`?');
    expect(err.hint).toContain('merge_method');
  });

  it('separator variants are suggested too', () => {
    expectErrorAt('merge_method: linear\nmodels:\n  - model: a\nbase-model: a\n', 4, 1, 'did you mean `base_model`?');
  });

  it('no close match lists the allowed keys', () => {
    const err = expectErrorAt('merge_method: linear\nmodels:\n  - model: a\nfoo: 1\n', 4, 1, 'unknown key `foo`');
    expect(err.message).not.toContain('did you mean');
    expect(err.hint).toContain('`merge_method`');
  });

  it('a mergeops option at the top level', () => {
    const err = expectErrorAt('merge_method: linear\nmodels:\n  - model: a\nseed: 1\n', 4, 1, 'unknown key `seed`');
    expect(err.hint).toContain('mergeops:');
  });

  it('a parameter directly under a models entry', () => {
    const err = expectErrorAt('merge_method: linear\nmodels:\n  - model: a\n    weight: 0.5\n', 4, 5, 'unknown key `weight` in a `models` entry');
    expect(err.hint).toContain('parameters:');
  });

  it('typo in a nested key', () => {
    expectErrorAt('merge_method: linear\nmodels:\n  - model: a\n    paramters: {weight: 1}\n', 4, 5, 'did you mean `parameters`?');
  });

  it('`pattern:` instead of `filter:` in a conditional (old mergekit example)', () => {
    const text = `merge_method: slerp
base_model: a
models:
  - model: a
  - model: b
parameters:
  t:
    - pattern: self_attn
      value: [0, 1]
    - value: 0.5
`;
    const err = expectErrorAt(text, 8, 7, 'unknown key `pattern`');
    expect(err.hint).toContain('filter');
  });
});

describe('slices', () => {
  it('layer_range [4, 2] points at the range', () => {
    const text = `merge_method: passthrough
slices:
  - sources:
      - model: a
        layer_range: [4, 2]
`;
    const err = expectErrorAt(text, 5, 22, '`layer_range` [4, 2]');
    expect(err.hint).toContain('[2, 4]');
  });

  it('negative or non-integer bounds point at the bound', () => {
    const mk = (r: string) => `merge_method: passthrough\nslices:\n  - sources:\n      - model: a\n        layer_range: ${r}\n`;
    expectErrorAt(mk('[-1, 2]'), 5, 23, 'cannot be negative');
    expectErrorAt(mk('[0, 2.5]'), 5, 26, 'must be integers');
    expectErrorAt(mk('[0, 2, 4]'), 5, 22, 'exactly two numbers');
    expectErrorAt(mk('0'), 5, 22, 'must be a list');
  });

  it('missing layer_range', () => {
    expectErrorAt('merge_method: passthrough\nslices:\n  - sources:\n      - model: a\n', 4, 9, 'has no `layer_range`');
  });

  it('sources of different lengths in one slice', () => {
    const text = `merge_method: slerp
base_model: a
slices:
  - sources:
      - model: a
        layer_range: [0, 8]
      - model: b
        layer_range: [8, 20]
parameters:
  t: 0.5
`;
    expectErrorAt(text, 8, 22, 'same number of layers');
  });

  it('the same model twice in one slice', () => {
    const text = `merge_method: linear
slices:
  - sources:
      - model: a
        layer_range: [0, 4]
      - model: a
        layer_range: [4, 8]
`;
    expectErrorAt(text, 6, 16, 'appears twice');
  });

  it('the same model in two slices is fine (frankenmerge)', () => {
    const r = parseOne(`merge_method: passthrough
slices:
  - sources:
      - model: a
        layer_range: [0, 4]
  - sources:
      - model: a
        layer_range: [2, 6]
`);
    expect(r.slices).toHaveLength(2);
  });

  it('residual_weight is accepted (and unused, as in mergekit)', () => {
    const r = parseOne('merge_method: linear\nslices:\n  - sources:\n      - model: a\n        layer_range: [0, 2]\n    residual_weight: 0.1\n');
    expect(r.slices![0].sources[0].layerRange).toEqual([0, 2]);
  });
});

describe('models', () => {
  it('a bare string entry', () => {
    const err = expectErrorAt('merge_method: linear\nmodels:\n  - org/a\n', 3, 5, 'must be a mapping with a `model` key');
    expect(err.hint).toContain('- model: org/a');
  });

  it('the same model twice is one input, as in mergekit: each parameter from the first entry that sets it', () => {
    const r = parseOne('merge_method: ties\nbase_model: b\nmodels:\n  - model: a\n    parameters: {weight: 0.3}\n  - model: a\n    parameters: {weight: 0.9, density: 0.5}\n');
    expect(r.models!.map((m) => m.model.key)).toEqual(['a']);
    const p = r.models![0].parameters;
    expect([...p.keys()].sort()).toEqual(['density', 'weight']);
    expect(JSON.stringify(p.get('weight'))).toContain('0.3');
    expect(JSON.stringify(p.get('density'))).toContain('0.5');
    expect(r.notes).toEqual([expect.stringContaining('model `a` is listed twice in `models` (lines 4 and 6)')]);
  });

  it('an empty list', () => {
    expectErrorAt('merge_method: linear\nmodels: []\n', 2, 9, '`models` is empty');
  });
});

describe('parameters', () => {
  it('a string parameter is rejected', () => {
    const text = `merge_method: ties
base_model: base/m
models:
  - model: a/b
    parameters:
      weight: 0.5
      consensus_method: count
`;
    const err = expectErrorAt(text, 7, 25, 'parameter `consensus_method` must be a number, found the string "count"');
    expect(err.hint).toContain('only accepts numbers');
  });

  it('a string inside a gradient points at the item', () => {
    expectErrorAt('merge_method: linear\nmodels:\n  - model: a\nparameters:\n  weight: [0, high, 1]\n', 5, 15, 'found the string "high"');
  });

  it('an empty gradient', () => {
    expectErrorAt('merge_method: linear\nmodels:\n  - model: a\nparameters:\n  weight: []\n', 5, 11, 'empty list');
  });

  it('a parameter without a value', () => {
    expectErrorAt('merge_method: linear\nmodels:\n  - model: a\nparameters:\n  weight:\n', 5, 3, 'has no value');
  });

  it('mixing numbers and conditionals', () => {
    expectErrorAt('merge_method: linear\nmodels:\n  - model: a\nparameters:\n  weight: [0.5, {filter: mlp, value: 1}]\n', 5, 17, 'mixes');
  });

  it('a conditional entry without value', () => {
    expectErrorAt('merge_method: linear\nmodels:\n  - model: a\nparameters:\n  weight:\n    - filter: mlp\n', 6, 7, 'has no `value`');
  });

  it('a non-finite value', () => {
    expectErrorAt('merge_method: linear\nmodels:\n  - model: a\nparameters:\n  weight: .nan\n', 5, 11, 'finite');
  });

  it('accepts what mergekit\'s validation accepts: numeric strings, PyYAML booleans, a single {filter, value}', () => {
    const r = parseOne(`merge_method: linear
models:
  - model: a
parameters:
  weight: "0.25"
  normalize: yes
  int8_mask: off
  lambda: 1e-5
  t: {filter: mlp, value: [0, 1]}
`);
    const get = (k: string) => r.parameters.get(k)!;
    expect(get('weight')).toMatchObject({ kind: 'scalar', value: 0.25 });
    expect(get('normalize')).toMatchObject({ kind: 'scalar', value: 1 });
    expect(get('int8_mask')).toMatchObject({ kind: 'scalar', value: 0 });
    expect(get('lambda')).toMatchObject({ kind: 'scalar', value: 1e-5 });
    expect(get('t')).toMatchObject({ kind: 'conditional', entries: [{ filter: 'mlp', value: [0, 1] }] });
  });
});

describe('dtype', () => {
  it('unknown dtype with a suggestion and the allowed names', () => {
    const err = expectErrorAt('merge_method: linear\nmodels:\n  - model: a\ndtype: bfloat61\n', 4, 8, 'unknown dtype `bfloat61`; did you mean `bfloat16`?');
    expect(err.hint).toContain('`float16`');
    expect(err.hint).toContain('`float32`');
  });

  it('int64 out_dtype is refused', () => {
    expectErrorAt('merge_method: linear\nmodels:\n  - model: a\nout_dtype: int64\n', 4, 12, 'not supported');
  });

  it('torch.-prefixed names and aliases', () => {
    const r = parseOne('merge_method: linear\nmodels:\n  - model: a\ndtype: torch.float32\nout_dtype: bf16\n');
    expect([r.dtype, r.outDtype]).toEqual(['F32', 'BF16']);
  });
});

describe('tokenizer and chat template', () => {
  const base = 'merge_method: linear\nmodels:\n  - model: a\n';
  it('model_token needs token or token_id, not both', () => {
    expectErrorAt(base + 'tokenizer:\n  tokens:\n    "<x>":\n      source: {kind: model_token, model: a, token: b, token_id: 3}\n', 7, 55, 'only one of `token` and `token_id`');
    expectErrorAt(base + 'tokenizer:\n  tokens:\n    "<x>":\n      source: {kind: model_token, model: a}\n', 7, 15, 'needs `token` or `token_id`');
  });

  it('unknown token source kind', () => {
    expectErrorAt(base + 'tokenizer:\n  tokens:\n    "<x>":\n      source: {kind: zeros}\n', 7, 22, 'did you mean `zero`?');
  });

  it('force must be boolean', () => {
    expectErrorAt(base + 'tokenizer:\n  tokens:\n    "<x>":\n      force: maybe\n', 7, 14, '`force` must be true or false');
  });

  it('pad_to_multiple_of must be a positive integer', () => {
    expectErrorAt(base + 'tokenizer:\n  pad_to_multiple_of: 0\n', 5, 23, 'positive integer');
  });

  it('chat_template typo', () => {
    expectErrorAt(base + 'chat_template: chatm\n', 4, 16, 'did you mean `chatml`?');
  });
});

describe('mergeops', () => {
  const base = 'merge_method: linear\nmodels:\n  - model: a\n';
  it.each([
    ['5B', 5e9], ['500M', 5e8], ['1k', 1000], ['2G', 2e9], ['1.5G', 1.5e9], ['4GiB', 4 * 2 ** 30],
    ['512MiB', 512 * 2 ** 20], ['10KiB', 10240], ['2GB', 2e9], ['1000', 1000],
  ])('out_shard_size %s', (s, bytes) => {
    expect(parseOne(base + `mergeops:\n  out_shard_size: ${s}\n`).mergeops.outShardSize).toBe(bytes);
  });

  it('model_stock_clamp is true or false (model_stock checks its own option at plan time)', () => {
    const ms = 'merge_method: model_stock\nbase_model: b\nmodels:\n  - model: a\n';
    expect(checkRecipe(parseOne(ms + 'mergeops:\n  model_stock_clamp: true\n')).options.values['model_stock_clamp']).toBe(true);
    const err = catchRecipeError(() => checkRecipe(parseOne(ms + 'mergeops:\n  model_stock_clamp: 1\n')));
    expect(lc(err.pos)).toEqual([6, 22]);
    expect(err.message).toContain('`model_stock_clamp` must be true or false');
  });

  it('out_shard_size as a number of bytes', () => {
    expect(parseOne(base + 'mergeops:\n  out_shard_size: 1000000000\n').mergeops.outShardSize).toBe(1e9);
  });

  it('bad out_shard_size', () => {
    expectErrorAt(base + 'mergeops:\n  out_shard_size: 5X\n', 5, 19, '`out_shard_size` must be a positive size');
    expectErrorAt(base + 'mergeops:\n  out_shard_size: 0\n', 5, 19, '`out_shard_size` must be a positive size');
  });

  it('quantize: a string or a list', () => {
    expect(parseOne(base + 'mergeops:\n  quantize: Q8_0\n').mergeops.quantize).toEqual(['Q8_0']);
    expectErrorAt(base + 'mergeops:\n  quantize: [Q8_0, q8_0]\n', 5, 20, 'twice');
    expectErrorAt(base + 'mergeops:\n  quantize: [Q8_0, 4]\n', 5, 20, 'must be a string');
  });

  it('seed must be a non-negative integer', () => {
    expectErrorAt(base + 'mergeops:\n  seed: -3\n', 5, 9, '`seed` must be a non-negative integer');
    expectErrorAt(base + 'mergeops:\n  seed: "42"\n', 5, 9, '`seed` must be a non-negative integer');
  });
});

describe('multi-stage', () => {
  it('duplicate stage names point at the second name', () => {
    const text = `name: step
merge_method: linear
models:
  - model: a
---
name: step
merge_method: linear
models:
  - model: step
`;
    const err = expectErrorAt(text, 6, 7, 'duplicate stage name `step` (already used at line 1)');
    expect(err.hint).toContain('different');
  });

  it('more than one unnamed document', () => {
    expectErrorAt('merge_method: linear\nmodels:\n  - model: a\n---\nmerge_method: linear\nmodels:\n  - model: b\n', 5, 1, 'more than one unnamed document');
  });

  it('stage names cannot look like model references', () => {
    expectErrorAt('name: org/step\nmerge_method: linear\nmodels:\n  - model: a\n', 1, 7, 'contains `/`');
  });

  it('an error in a later document points into that document', () => {
    expectErrorAt('name: s1\nmerge_method: linear\nmodels:\n  - model: a\n---\nmerge_method: linear\nmodels:\n  - model: s1\nparameters:\n  weight: heavy\n', 10, 11, 'must be a number');
  });
});

describe('RecipeError rendering', () => {
  it('format() shows the offending line and a caret under the column', () => {
    const err = catchRecipeError(() => parseRecipeText('merge_method: linear\nmodels:\n  - model: a\ndtype: bfloat61\n', FILE));
    expect(err.format()).toBe([
      'error: recipe.yml:4:8: unknown dtype `bfloat61`; did you mean `bfloat16`?',
      '  4 | dtype: bfloat61',
      '    |        ^',
      `  hint: ${err.hint}`,
    ].join('\n'));
  });
});
