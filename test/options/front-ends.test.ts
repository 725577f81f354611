/** The CLI and the Action reject the same bad value in the same error style, each naming it its own way. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readActionInputs } from '../../src/action/inputs.js';
import { MergeopsError } from '../../src/errors.js';
import { runCli } from '../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'mergeops-options-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function actionFailure(inputs: Record<string, string>): MergeopsError {
  try {
    readActionInputs((n) => inputs[n] ?? '');
  } catch (e) {
    expect(e).toBeInstanceOf(MergeopsError);
    return e as MergeopsError;
  }
  throw new Error('no error');
}

it.each([
  ['threads', 'two', 'is not a whole number from 1 to 1024'],
  ['max-memory', 'lots', 'is not a size'],
  ['gguf', 'Q9', 'is not a GGUF file type'],
  ['shard', '4/3', 'is not a part of a matrix build'],
])('--%s and input %s reject %s alike', (name, value, what) => {
  const a = actionFailure({ [name]: value });
  const shown = name === 'shard' ? JSON.stringify(value) : value;
  expect(a.message).toBe(`input \`${name}\`: ${shown} ${what}`);
  // The CLI fails before reading the recipe (which does not exist): the check is at the edge.
  const r = runCli(['run', join(dir, 'missing.yml'), '--out', join(dir, 'out'), `--${name}`, value]);
  expect(r.status).toBe(2);
  expect(r.stderr).toContain(`error: --${name} ${shown} ${what}\n  hint: ${a.hint.replace(/input `[^`]+`:/g, `--${name}`)}`);
});
