/** The Action's inputs: each bad value fails at once naming the input; defaults; mode picking; pins. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MergeopsError } from '../../src/errors.js';
import { readActionInputs } from '../../src/action/inputs.js';
import { NODE_LLAMA_CPP_VERSION, PREBUILT_PACKAGES } from '../../src/action/llama-runtime.js';
import { pickMode } from '../../src/action/modes.js';
import { globPatterns, matchesAny } from '../../src/action/glob.js';

const read = (inputs: Record<string, string>) => readActionInputs((n) => inputs[n] ?? '');

function failure(inputs: Record<string, string>): string {
  try {
    read(inputs);
  } catch (e) {
    expect(e).toBeInstanceOf(MergeopsError);
    return (e as MergeopsError).message;
  }
  throw new Error('no error');
}

describe('Action inputs', () => {
  it('has defaults', () => {
    const i = read({});
    expect(i).toMatchObject({ recipes: 'recipes/**/*.yml', mode: 'auto', eval: true, frozen: false, cache: true, onDrift: 'pr', dryRun: false });
  });

  it('parses every typed input', () => {
    const i = read({ mode: 'build', gguf: 'q4_k_m, Q8_0', 'max-memory': '12G', threads: '4', shard: '2/3', publish: 'hf:my-org/{name}-merge', 'on-drift': 'rebuild', eval: 'False' });
    expect(i).toMatchObject({ mode: 'build', gguf: ['Q4_K_M', 'Q8_0'], maxMemory: 12e9, threads: 4, shard: { index: 2, count: 3 }, publish: 'hf:my-org/{name}-merge', onDrift: 'rebuild', eval: false });
  });

  it.each([
    [{ mode: 'deploy' }, 'input `mode`'],
    [{ eval: 'yes' }, 'input `eval`'],
    [{ gguf: 'Q4_K_M,Q9' }, 'input `gguf`'],
    [{ 'max-memory': 'lots' }, 'input `max-memory`'],
    [{ threads: '0' }, 'input `threads`'],
    [{ shard: '4/3' }, 'input `shard`'],
    [{ shard: '1-3' }, 'input `shard`'],
    [{ publish: 'my-org/{name}' }, 'input `publish`'],
    [{ publish: 'hf:my-org/{recipe}' }, 'input `publish`'],
    [{ 'on-drift': 'merge' }, 'input `on-drift`'],
    [{ 'hf-endpoint': 'ftp://x' }, 'input `hf-endpoint`'],
    [{ 'low-disk': 'maybe', publish: 'hf:o/{name}' }, 'input `low-disk`'],
    [{ 'low-disk': 'true' }, 'input `low-disk` needs `publish`'],
    [{ 'commit-parts': 'parts' }, 'input `commit-parts` needs `publish`'],
    [{ 'commit-parts': 'parts', shard: '1/3', publish: 'hf:o/{name}' }, 'inputs `shard` and `commit-parts`'],
    [{ jobs: '3', shard: '1/3' }, 'inputs `jobs` and `shard`'],
  ])('rejects %j naming the input', (inputs, name) => {
    expect(failure(inputs)).toContain(name);
  });

  it('reads the matrix and low-disk inputs', () => {
    expect(read({ 'commit-parts': ' parts ', publish: 'hf:o/{name}' })).toMatchObject({ commitParts: 'parts', lowDisk: false });
    expect(read({ 'low-disk': 'true', publish: 'hf:o/{name}' })).toMatchObject({ lowDisk: true, commitParts: undefined });
  });

  it('picks the mode by event under auto, and refuses pull_request_target', () => {
    expect(pickMode('auto', 'push').name).toBe('build');
    expect(pickMode('auto', 'pull_request').name).toBe('review');
    expect(pickMode('auto', 'schedule').name).toBe('drift');
    expect(pickMode('auto', 'workflow_dispatch').name).toBe('drift');
    expect(pickMode('review', 'push').name).toBe('review');
    expect(() => pickMode('auto', 'release')).toThrow(/input `mode`/);
    expect(() => pickMode('review', 'pull_request_target')).toThrow(/pull_request_target/);
  });

  it('matches recipe globs as workflow path filters do', () => {
    const p = globPatterns('recipes/**/*.yml, merges/*.{yml,yaml}');
    expect(matchesAny('recipes/a.yml', p)).toBe(true);
    expect(matchesAny('recipes/x/y/a.yml', p)).toBe(true);
    expect(matchesAny('recipes/a.yaml', p)).toBe(false);
    expect(matchesAny('merges/b.yaml', p)).toBe(true);
    expect(matchesAny('merges/x/b.yml', p)).toBe(false);
  });

  it('installs the node-llama-cpp version package.json pins', () => {
    const pkg = JSON.parse(readFileSync(fileURLToPath(new URL('../../../package.json', import.meta.url)), 'utf8')) as { devDependencies: Record<string, string> };
    expect(pkg.devDependencies['node-llama-cpp']).toBe(NODE_LLAMA_CPP_VERSION);
    expect(pkg.devDependencies[PREBUILT_PACKAGES['linux-x64']]).toBe(NODE_LLAMA_CPP_VERSION);
  });
});
