/** Model reference forms (mergekit.md §2.2). */
import { RecipeError } from '../../src/errors.js';
import { modelRefKey, parseModelRef } from '../../src/recipe/model-ref.js';
import { parseRecipeText } from '../../src/recipe/parse.js';
import { FILE, catchRecipeError, expectErrorAt, lc } from './helpers.js';

const pos = { file: 'x.yml', line: 3, col: 7 };

describe('parseModelRef (strings)', () => {
  it.each([
    ['org/repo', { path: 'org/repo', key: 'org/repo' }],
    ['/abs/path/model', { path: '/abs/path/model', key: '/abs/path/model' }],
    ['./rel/path', { path: './rel/path', key: './rel/path' }],
    ['org/repo@revision', { path: 'org/repo', revision: 'revision', key: 'org/repo@revision' }],
    ['model+lora', { path: 'model', lora: { path: 'lora' }, key: 'model+lora' }],
    ['org/model@v1+org/lora@main', { path: 'org/model', revision: 'v1', lora: { path: 'org/lora', revision: 'main' }, key: 'org/model@v1+org/lora@main' }],
    ['org/model+org/lora@abc123', { path: 'org/model', lora: { path: 'org/lora', revision: 'abc123' }, key: 'org/model+org/lora@abc123' }],
  ])('%s', (raw, expected) => {
    expect(parseModelRef(raw, pos)).toEqual({ ...expected, pos });
  });

  it.each([
    ['', 'empty model reference'],
    ['a+b+c', 'more than one `+`'],
    ['a@b@c', 'more than one `@`'],
    ['org/x@', 'empty revision'],
    ['@main', 'the path is empty'],
    ['org/x+', 'nothing after `+`'],
    ['org/x+lora@a@b', 'more than one `@`'],
  ])('rejects %j', (raw, msg) => {
    const err = catchRecipeError(() => parseModelRef(raw, pos, 'the line'));
    expect(err).toBeInstanceOf(RecipeError);
    expect(err.message).toContain(msg);
    expect(err.pos).toEqual(pos);
    expect(err.sourceLine).toBe('the line');
  });
});

describe('parseModelRef (dict form)', () => {
  it('model/lora as {path, revision} or strings, override_architecture', () => {
    expect(parseModelRef({
      model: { path: 'org/m', revision: 'v1' },
      lora: { path: 'org/l' },
      override_architecture: 'LlamaForCausalLM',
    }, pos)).toEqual({
      path: 'org/m', revision: 'v1', lora: { path: 'org/l' }, overrideArchitecture: 'LlamaForCausalLM',
      key: 'org/m@v1+org/l', pos,
    });
    expect(parseModelRef({ model: 'org/m@v2' }, pos)).toEqual({ path: 'org/m', revision: 'v2', key: 'org/m@v2', pos });
  });
  it('modelRefKey', () => {
    expect(modelRefKey({ path: 'a' })).toBe('a');
    expect(modelRefKey({ path: 'a', revision: 'r' }, { path: 'l', revision: 's' })).toBe('a@r+l@s');
  });
});

describe('model references in recipes', () => {
  const wrap = (ref: string) => `merge_method: linear\nmodels:\n  - model: ${ref}\n`;

  it('dict form in YAML, with positions of nested nodes in errors', () => {
    const text = `merge_method: linear
models:
  - model:
      model: {path: org/m, revision: main}
      lora: org/adapter@v3
      override_architecture: MistralForCausalLM
  - model: {model: org/other}
`;
    const [r] = parseRecipeText(text, FILE);
    expect(r.models![0].model).toMatchObject({
      path: 'org/m', revision: 'main', lora: { path: 'org/adapter', revision: 'v3' },
      overrideArchitecture: 'MistralForCausalLM', key: 'org/m@main+org/adapter@v3',
    });
    expect(lc(r.models![0].model.pos)).toEqual([4, 7]);
    expect(r.models![1].model.key).toBe('org/other');
    expect(lc(r.models![1].model.pos)).toEqual([7, 12]);
  });

  it('a revision YAML would read as a number keeps its text', () => {
    const [r] = parseRecipeText('merge_method: linear\nmodels:\n  - model: {model: {path: org/m, revision: 0123}}\n', FILE);
    expect(r.models![0].model.revision).toBe('0123');
  });

  it('a+b+c points at the reference', () => {
    expectErrorAt(wrap('org/a+org/b+org/c'), 3, 12, 'more than one `+`');
  });

  it('a@b@c points at the reference', () => {
    expectErrorAt(wrap('a@b@c'), 3, 12, 'more than one `@`');
  });

  it('empty string reference', () => {
    expectErrorAt(wrap('""'), 3, 12, 'empty model reference');
  });

  it('unknown key in the dict form', () => {
    expectErrorAt('merge_method: linear\nmodels:\n  - model: {model: org/m, lroa: org/l}\n', 3, 27, 'did you mean `lora`?');
  });

  it('bad nested path in the dict form points at it', () => {
    expectErrorAt('merge_method: linear\nmodels:\n  - model:\n      model: {path: org/m, revision: a@b}\n      lora: x+y\n', 5, 13, '`+` is not allowed');
  });

  it('a number where a reference is expected', () => {
    expectErrorAt(wrap('1234'), 3, 12, 'must be a string or a mapping');
  });
});
