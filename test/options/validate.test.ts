/** src/options/: every check of a raw front-end value, in one error style named as the caller names it. */
import { MergeopsError } from '../../src/errors.js';
import { readRunOptions } from '../../src/options/run-options.js';
import {
  ACTION_NAMING, booleanValue, CLI_NAMING, countValue, enumValue, fileTypeListValue, fileTypeValue, shardValue,
  sizeValue, sourceModeValue, splitValue, threadsValue,
} from '../../src/options/validate.js';

function failure(f: () => unknown): MergeopsError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(MergeopsError);
    expect((e as MergeopsError).code).toBe('USAGE');
    expect((e as MergeopsError).hint).not.toBe('');
    return e as MergeopsError;
  }
  throw new Error('no error');
}

describe('validators', () => {
  it('sizes: the one byte-size syntax', () => {
    expect(sizeValue(CLI_NAMING, 'max-memory', '12G')).toBe(12e9);
    expect(sizeValue(ACTION_NAMING, 'max-memory', ' 2GiB ')).toBe(2 * 1024 ** 3);
    expect(failure(() => sizeValue(CLI_NAMING, 'max-memory', 'lots')).message).toBe('--max-memory lots is not a size');
    expect(failure(() => sizeValue(ACTION_NAMING, 'max-memory', 'lots')).message).toBe('input `max-memory`: lots is not a size');
  });

  it('counts and threads: whole numbers within range', () => {
    expect(countValue(CLI_NAMING, 'jobs', '256', '4', 256)).toBe(256);
    expect(threadsValue(CLI_NAMING, 'threads', '8')).toBe(8);
    for (const bad of ['0', '-1', '1.5', '1e3', 'two', '', '0x10', '1025']) {
      expect(failure(() => threadsValue(CLI_NAMING, 'threads', bad)).message).toBe(`--threads ${bad} is not a whole number from 1 to 1024`);
    }
    expect(failure(() => countValue(ACTION_NAMING, 'jobs', '257', '4', 256)).message).toBe('input `jobs`: 257 is not a whole number from 1 to 256');
    expect(failure(() => countValue(CLI_NAMING, 'split-max-tensors', '0', '128')).message).toBe('--split-max-tensors 0 is not a whole number ≥ 1');
  });

  it('source mode and enums: one of the allowed words', () => {
    expect(sourceModeValue(CLI_NAMING, 'source-mode', 'download')).toBe('download');
    const e = failure(() => sourceModeValue(CLI_NAMING, 'source-mode', 'fast'));
    expect(e.message).toBe('--source-mode fast is not one of stream, download, auto');
    expect(e.hint).toContain('--source-mode stream');
    expect(enumValue(ACTION_NAMING, 'on-drift', 'rebuild', ['pr', 'rebuild'])).toBe('rebuild');
    expect(failure(() => enumValue(ACTION_NAMING, 'on-drift', 'merge', ['pr', 'rebuild'])).message).toBe('input `on-drift`: merge is not one of pr, rebuild');
  });

  it('booleans: YAML 1.2 core schema words only', () => {
    expect(booleanValue(ACTION_NAMING, 'eval', 'False')).toBe(false);
    expect(booleanValue(ACTION_NAMING, 'eval', 'TRUE')).toBe(true);
    expect(failure(() => booleanValue(ACTION_NAMING, 'eval', 'yes')).message).toBe('input `eval`: yes is not true or false');
  });

  it('GGUF types and lists: through the one file-type parser, aliases and case allowed', () => {
    expect(fileTypeValue(CLI_NAMING, 'type', 'q4_k_m')).toBe('Q4_K_M');
    const e = failure(() => fileTypeValue(CLI_NAMING, 'type', 'Q9_9'));
    expect(e.message).toBe('--type Q9_9 is not a GGUF file type');
    expect(e.hint).toContain('Q4_K_M');
    expect(fileTypeListValue(ACTION_NAMING, 'gguf', 'q4_k_m, Q8_0 F16')).toEqual(['Q4_K_M', 'Q8_0', 'F16']);
    expect(failure(() => fileTypeListValue(ACTION_NAMING, 'gguf', 'Q4_K_M,Q9')).message).toBe('input `gguf`: Q9 is not a GGUF file type');
    expect(failure(() => fileTypeListValue(CLI_NAMING, 'gguf', ' , ')).message).toMatch(/^--gguf .* is not a list of GGUF file types$/);
  });

  it('shard i/N: a part of a matrix build', () => {
    expect(shardValue(CLI_NAMING, 'shard', '2/3')).toEqual({ index: 2, count: 3 });
    expect(failure(() => shardValue(CLI_NAMING, 'shard', '4/3')).message).toBe('--shard "4/3" is not a part of a matrix build');
    expect(failure(() => shardValue(ACTION_NAMING, 'shard', '1-3')).message).toBe('input `shard`: "1-3" is not a part of a matrix build');
  });

  it('split options: undefined when neither is given, each limit checked', () => {
    expect(splitValue(CLI_NAMING, undefined, undefined)).toBeUndefined();
    expect(splitValue(CLI_NAMING, '2G', undefined)).toEqual({ maxBytes: 2e9, maxTensors: undefined });
    expect(splitValue(CLI_NAMING, undefined, '128')).toEqual({ maxBytes: undefined, maxTensors: 128 });
    expect(failure(() => splitValue(CLI_NAMING, 'big', undefined)).message).toBe('--split-max-size big is not a size');
    expect(failure(() => splitValue(ACTION_NAMING, undefined, 'x')).message).toBe('input `split-max-tensors`: x is not a whole number ≥ 1');
  });
});

describe('readRunOptions', () => {
  it('assembles every run option given, leaves absent and blank ones out, ignores booleans and other keys', () => {
    const o = readRunOptions({
      'max-memory': '8GiB', threads: '4', gguf: 'Q4_K_M,Q8_0', 'split-max-size': '1G', shard: '1/2', 'source-mode': 'stream',
      'out-shard-size': '5B', 'cache-size': '20G', overwrite: true, out: './x', 'split-max-tensors': '  ',
    }, CLI_NAMING);
    expect(o).toEqual({
      maxMemory: 8 * 1024 ** 3, threads: 4, gguf: ['Q4_K_M', 'Q8_0'], ggufSplit: { maxBytes: 1e9, maxTensors: undefined },
      shard: { index: 1, count: 2 }, sourceMode: 'stream', outShardSize: 5e9, cacheSize: 20e9,
    });
    expect(readRunOptions({}, ACTION_NAMING)).toEqual({});
    expect(readRunOptions({ threads: '' }, ACTION_NAMING)).toEqual({});
  });

  it('names the first bad option as its caller does', () => {
    expect(failure(() => readRunOptions({ 'cache-size': 'huge' }, CLI_NAMING)).message).toBe('--cache-size huge is not a size');
    expect(failure(() => readRunOptions({ 'out-shard-size': 'huge' }, ACTION_NAMING)).message).toBe('input `out-shard-size`: huge is not a size');
  });
});
