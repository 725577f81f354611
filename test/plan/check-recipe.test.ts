/** Strict recipes: every parameter and `mergeops:` key checked against the method, at its position. */
import type { RecipeError } from '../../src/errors.js';
import { checkRecipe } from '../../src/plan/check-recipe.js';
import { catchRecipeError, FILE, parseOne } from '../recipe/helpers.js';

const TIES = 'merge_method: ties\nbase_model: base\nmodels:\n  - model: a\n    parameters:\n      weight: 0.5\n';

function expectCheckErrorAt(text: string, line: number, col: number, message: string | RegExp): RecipeError {
  const recipe = parseOne(text); // parses: the method decides what is valid
  const err = catchRecipeError(() => checkRecipe(recipe));
  expect([err.pos.file, err.pos.line, err.pos.col]).toEqual([FILE, line, col]);
  if (typeof message === 'string') expect(err.message).toContain(message);
  else expect(err.message).toMatch(message);
  expect(err.sourceLine).toBe(text.split('\n')[line - 1]);
  expect(err.hint.length).toBeGreaterThan(10);
  return err;
}

describe('checkRecipe: parameters', () => {
  it('a misspelled parameter gets a did-you-mean at its name', () => {
    const err = expectCheckErrorAt(TIES + '      densty: 0.5\n', 7, 7, 'unknown parameter `densty`; did you mean `density`?');
    expect(err.hint).toContain('`weight`');
  });

  it('a misspelled top-level parameter too', () => {
    expectCheckErrorAt(TIES + 'parameters:\n  lamda: 1\n', 8, 3, 'did you mean `lambda`?');
  });

  it("another method's parameter is ignored with a warning naming the methods that take it, as mergekit ignores it (its tests pass weight to slerp)", () => {
    const { notes } = checkRecipe(parseOne('merge_method: linear\nmodels:\n  - model: a\n    parameters:\n      weight: 1\n      density: 0.5\n'));
    expect(notes).toEqual([expect.stringContaining('`density` (line 6) is not a parameter of linear and is ignored')]);
    expect(notes[0]).toContain('ties');
  });

  it('density above 1 is an error at its value, not clamped', () => {
    expectCheckErrorAt(TIES + '      density: 1.5\n', 7, 16, 'density must be ≤ 1');
  });

  it('checks every value of a gradient and of a conditional list', () => {
    expectCheckErrorAt(TIES + 'parameters:\n  density: [0.5, 1.2]\n', 8, 12, 'got 1.2');
    expectCheckErrorAt(TIES + 'parameters:\n  density:\n    - filter: mlp\n      value: 2\n    - value: 0.5\n', 9, 7, 'got 2');
  });

  it('accepts what the method declares', () => {
    const { method, options } = checkRecipe(parseOne(TIES + '      density: 1\nparameters:\n  normalize: true\n  int8_mask: true\n'));
    expect(method.name).toBe('ties');
    expect(options.values).toEqual({ consensus_method: 'sum', rescale_norm: 'l1' });
  });
});

describe('checkRecipe: mergeops options', () => {
  it('a misspelled option gets a did-you-mean at its key', () => {
    expectCheckErrorAt(TIES + 'mergeops:\n  seeed: 4\n', 8, 3, 'unknown `mergeops` option `seeed`; did you mean `seed`?');
  });

  it("a method's own option is checked against that method", () => {
    const err = expectCheckErrorAt('merge_method: linear\nmodels:\n  - model: a\nmergeops:\n  consensus_method: count\n',
      5, 3, '`mergeops.consensus_method` is not an option of linear');
    expect(err.hint).toContain('ties');
    expectCheckErrorAt(TIES + 'mergeops:\n  consensus_method: majority\n', 8, 21, 'unknown consensus_method `majority`');
    expectCheckErrorAt(TIES + 'mergeops:\n  rescale_norm: l3\n', 8, 17, /unknown rescale_norm `l3`; did you mean `l[12]`\?/);
    expect(checkRecipe(parseOne(TIES + 'mergeops:\n  consensus_method: count\n  seed: 3\n')).options)
      .toEqual({ seed: 3, values: { consensus_method: 'count', rescale_norm: 'l1' } });
  });

  it("later stages' keys pass", () => {
    expect(() => checkRecipe(parseOne(TIES + 'mergeops:\n  eval:\n    prompts: [hi]\n  license: mit\n'))).not.toThrow();
  });

  it('a quant type that does not exist fails at its position', () => {
    expectCheckErrorAt(TIES + 'mergeops:\n  quantize: [Q8_0, Q4_K_X]\n', 8, 20, /unknown GGUF type `Q4_K_X`; did you mean `Q4_K_[MS]`\?/);
    expectCheckErrorAt(TIES + 'mergeops:\n  quantize: Q5_K_Z\n', 8, 13, 'unknown GGUF type `Q5_K_Z`');
    expect(() => checkRecipe(parseOne(TIES + 'mergeops:\n  quantize: [q4_k_m, Q8_0]\n'))).not.toThrow();
  });
});

describe('checkRecipe on the shipped examples', () => {
  it('accepts every example recipe', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const { dirname, join } = await import('node:path');
    const { fileURLToPath } = await import('node:url');
    const { parseRecipeText } = await import('../../src/recipe/parse.js');
    const dir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'examples');
    const files = readdirSync(dir).filter((f) => f.endsWith('.yml'));
    expect(files.length).toBeGreaterThan(3);
    for (const f of files) {
      for (const r of parseRecipeText(readFileSync(join(dir, f), 'utf8'), f)) expect(() => checkRecipe(r)).not.toThrow();
    }
  });
});
