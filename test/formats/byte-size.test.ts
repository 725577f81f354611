import { MergeopsError } from '../../src/errors.js';
import { parseByteSize, requireByteSize } from '../../src/formats/byte-size.js';
import { parseRecipeText } from '../../src/recipe/parse.js';

describe('parseByteSize', () => {
  it.each([
    ['5B', 5e9], ['500M', 5e8], ['1k', 1000], ['1K', 1000], ['2GiB', 2 * 1024 ** 3], ['1.5GB', 1.5e9],
    ['100', 100], ['10KB', 10000], ['3MiB', 3 * 1024 ** 2], ['1KiB', 1024], ['2 GB', 2e9], ['0.5M', 500000], ['1b', 1e9],
    ['.5k', 500], ['1_000_000', 1e6],
  ] as const)('%s → %d', (s, n) => {
    expect(parseByteSize(s)).toBe(n);
  });

  it('reads the decimal exactly and drops a fraction of a byte', () => {
    // 8.2 * 1e6 is 8199999.999999999 in binary floating point; the text means 8200000 bytes.
    expect(8.2 * 1e6).toBeLessThan(8200000);
    expect(parseByteSize('8.2M')).toBe(8200000);
    expect(parseByteSize('4.1GB')).toBe(4100000000);
    expect(parseByteSize('1.1GB')).toBe(1100000000);
    expect(parseByteSize('1.5')).toBe(1);
    expect(parseByteSize('0.0015k')).toBe(1);
    expect(parseByteSize('1.0005KiB')).toBe(1024);
  });

  it.each(['', 'abc', '5X', '-5B', '1e9', '0', '0.1', '5 B B', 'GB', '5.', '.', '1.2.3', '_5', '99999999999TB'])('rejects %j', (s) => {
    expect(parseByteSize(s)).toBeUndefined();
    let caught: unknown;
    try {
      requireByteSize(s, '--max-memory');
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(MergeopsError);
    expect((caught as MergeopsError).code).toBe('USAGE');
    expect((caught as MergeopsError).message).toBe(`--max-memory ${s} is not a size`);
    expect((caught as MergeopsError).hint).toMatch(/5B.*2GiB/);
  });

  it('gives a recipe and a command line the same bytes for the same text', () => {
    for (const text of ['8.2M', '4.1GB', '1.5GB', '2GiB', '5B', '0.0015k']) {
      const r = parseRecipeText(`merge_method: linear\nmodels:\n  - model: a\n  - model: b\nmergeops:\n  out_shard_size: ${text}\n`, 'r.yml');
      expect(r[0].mergeops.outShardSize).toBe(requireByteSize(text, '--out-shard-size'));
    }
  });
});
