/** Plan-time recipe errors point at the value that is wrong (file:line:col of that value). */
import { join } from 'node:path';
import { RecipeError } from '../../src/errors.js';
import { planRecipeFile } from '../../src/pipeline.js';
import { EXAMPLE_MODELS, tempDir, writeRecipe } from '../support/tmp.js';

const t = tempDir('mergeops-positions-');
afterAll(t.cleanup);
const BASE = join(EXAMPLE_MODELS, 'base');
const ADD = join(EXAMPLE_MODELS, 'add');

async function planError(name: string, yaml: string): Promise<RecipeError> {
  try {
    await planRecipeFile(writeRecipe(t.dir, `${name}.yml`, yaml));
  } catch (e) {
    if (e instanceof RecipeError) return e;
    throw e;
  }
  throw new Error('expected a recipe error');
}

describe('plan errors point at the wrong value', () => {
  it('a layer_range past the last layer: its end bound', async () => {
    // the fixtures have 4 layers
    const e = await planError('past', `merge_method: passthrough\nslices:\n  - sources:\n      - model: ${BASE}\n        layer_range: [0, 6]\n`);
    expect([e.pos.line, e.pos.col]).toEqual([5, 26]);
    expect(e.message).toContain('layer_range [0, 6] goes past the last layer');
    expect(e.sourceLine).toContain('layer_range: [0, 6]');
  });

  it('an invalid per-model parameter: its value, at whichever level it is set', async () => {
    const own = await planError('density', `merge_method: ties\nbase_model: ${BASE}\nmodels:\n  - model: ${ADD}\n    parameters:\n      weight: 1\n      density: -0.5\n`);
    expect([e2(own)]).toEqual([[7, 16]]);
    const top = await planError('density-top', `merge_method: ties\nbase_model: ${BASE}\nmodels:\n  - model: ${ADD}\n    parameters: {weight: 1}\nparameters:\n  density: -0.5\n`);
    expect(e2(top)).toEqual([7, 12]);
  });
});

const e2 = (e: RecipeError): [number, number] => [e.pos.line, e.pos.col];
