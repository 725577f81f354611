import { MergeopsError, SafetensorsError } from '../../src/errors.js';
import {
  MAX_HEADER_BYTES,
  buildIndexJson,
  buildSafetensorsHeader,
  parseHeaderLength,
  parseIndexJson,
  parseSafetensorsHeader,
  planShards,
  type SafetensorsHeader,
  type TensorSpec,
} from '../../src/formats/safetensors.js';

const enc = new TextEncoder();

/** A whole (virtual) file: 8-byte length + header text (+ padding) and `dataBytes` of data. */
function fileOf(header: string | object, dataBytes: number, lengthOverride?: bigint): { bytes: Uint8Array; size: number } {
  const json = enc.encode(typeof header === 'string' ? header : JSON.stringify(header));
  const bytes = new Uint8Array(8 + json.length);
  new DataView(bytes.buffer).setBigUint64(0, lengthOverride ?? BigInt(json.length), true);
  bytes.set(json, 8);
  return { bytes, size: 8 + json.length + dataBytes };
}

/** Parses a virtual file the way the reader does: length first, then the header. */
function parse(header: string | object, dataBytes: number): SafetensorsHeader {
  const { bytes, size } = fileOf(header, dataBytes);
  const len = parseHeaderLength(bytes.subarray(0, 8), size, 'x.safetensors');
  return parseSafetensorsHeader(bytes.subarray(8, 8 + len), len, size, 'x.safetensors');
}

function expectError(fn: () => unknown, pattern: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(SafetensorsError);
  const err = caught as SafetensorsError;
  expect(err.code).toBe('BAD_SAFETENSORS');
  expect(err.message).toMatch(/^x\.safetensors: /);
  expect(err.message).toMatch(pattern);
  expect(err.hint.length).toBeGreaterThan(10);
}

const ok = (extra: Record<string, unknown> = {}) => ({
  a: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] },
  ...extra,
});

describe('buildSafetensorsHeader → parse round trip', () => {
  const specs: TensorSpec[] = [
    { name: 'model.embed_tokens.weight', dtype: 'BF16', shape: [7, 3] },
    { name: 'scalar', dtype: 'F32', shape: [] },
    { name: 'empty', dtype: 'F16', shape: [0, 5] },
    { name: 'ids', dtype: 'I64', shape: [4] },
    { name: 'flags', dtype: 'BOOL', shape: [3] },
    { name: 'lm_head.weight', dtype: 'F64', shape: [2, 2] },
  ];

  it('lays tensors out contiguously in order with 8-aligned data start', () => {
    const { header, dataStart, entries } = buildSafetensorsHeader(specs);
    expect(dataStart % 8).toBe(0);
    expect(header.length).toBe(dataStart);
    expect(entries.map((e) => e.name)).toEqual(specs.map((s) => s.name));
    const sizes = [42, 4, 0, 32, 3, 32];
    let off = dataStart;
    entries.forEach((e, i) => {
      expect(e.start).toBe(off);
      expect(e.end - e.start).toBe(sizes[i]);
      off = e.end;
    });
    // padding is spaces
    const text = new TextDecoder().decode(header.subarray(8));
    expect(text).toMatch(/^\{.*\} *$/);
    expect(text.startsWith('{"__metadata__":{"format":"pt"}')).toBe(true);
  });

  it('parses back to the same entries and metadata', () => {
    const { header, dataStart, entries } = buildSafetensorsHeader(specs, { format: 'pt', by: 'mergeops' });
    const total = entries[entries.length - 1].end;
    const len = parseHeaderLength(header.subarray(0, 8), total, 'x.safetensors');
    expect(len).toBe(dataStart - 8);
    const parsed = parseSafetensorsHeader(header.subarray(8), len, total, 'x.safetensors');
    expect(parsed.headerLength).toBe(len);
    expect(parsed.dataStart).toBe(dataStart);
    expect(parsed.metadata).toEqual({ format: 'pt', by: 'mergeops' });
    const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : 1);
    expect([...parsed.tensors].sort(byName)).toEqual([...entries].sort(byName));
    // file offset order
    for (let i = 1; i < parsed.tensors.length; i++) {
      expect(parsed.tensors[i].start).toBeGreaterThanOrEqual(parsed.tensors[i - 1].end);
    }
  });

  it('writes every padding length correctly', () => {
    for (let n = 1; n <= 16; n++) {
      const { header, dataStart } = buildSafetensorsHeader([{ name: 'x'.repeat(n), dtype: 'U8', shape: [1] }]);
      expect(dataStart % 8).toBe(0);
      const len = parseHeaderLength(header, dataStart + 1, 'x.safetensors');
      expect(parseSafetensorsHeader(header.subarray(8), len, dataStart + 1, 'x.safetensors').tensors[0].start).toBe(dataStart);
    }
  });

  it('omits __metadata__ when given an empty map, and handles no tensors', () => {
    const { header, dataStart, entries } = buildSafetensorsHeader([], {});
    expect(entries).toEqual([]);
    const len = parseHeaderLength(header, dataStart, 'x.safetensors');
    const parsed = parseSafetensorsHeader(header.subarray(8), len, dataStart, 'x.safetensors');
    expect(parsed.metadata).toBeNull();
    expect(parsed.tensors).toEqual([]);
  });

  it('refuses duplicate names and bad shapes', () => {
    expect(() => buildSafetensorsHeader([{ name: 'a', dtype: 'F32', shape: [1] }, { name: 'a', dtype: 'F32', shape: [1] }]))
      .toThrow(/duplicate tensor name "a"/);
    expect(() => buildSafetensorsHeader([{ name: 'a', dtype: 'F32', shape: [-1] }])).toThrow(/invalid tensor dimension -1/);
  });
});

describe('parseHeaderLength', () => {
  it('rejects a truncated file', () => {
    expectError(() => parseHeaderLength(new Uint8Array(5), 5, 'x.safetensors'), /file is truncated: 5 bytes/);
  });
  it('rejects a header length past the end of the file', () => {
    const { bytes } = fileOf('{}', 0, 1000n);
    expectError(() => parseHeaderLength(bytes, 100, 'x.safetensors'), /header length 1000 runs past the end of the file.*file size 100/);
  });
  it('rejects a header length above the 100 MiB cap, before allocating', () => {
    const { bytes } = fileOf('{}', 0, BigInt(MAX_HEADER_BYTES) + 1n);
    expectError(() => parseHeaderLength(bytes, 2 ** 40, 'x.safetensors'), /exceeds the 104857600-byte limit/);
    const huge = fileOf('{}', 0, 2n ** 64n - 1n).bytes;
    expectError(() => parseHeaderLength(huge, 2 ** 40, 'x.safetensors'), /header length 18446744073709551615 bytes exceeds/);
  });
  it('rejects a header too small for JSON', () => {
    const { bytes } = fileOf('{}', 0, 0n);
    expectError(() => parseHeaderLength(bytes, 100, 'x.safetensors'), /header length 0 is too small/);
  });
  it('accepts a valid length', () => {
    const { bytes, size } = fileOf('{}', 0);
    expect(parseHeaderLength(bytes, size, 'x.safetensors')).toBe(2);
  });
});

describe('parseSafetensorsHeader validation', () => {
  it('accepts a minimal valid header', () => {
    expect(parse(ok(), 24).tensors).toEqual([{ name: 'a', dtype: 'F32', shape: [2, 3], start: 8 + JSON.stringify(ok()).length, end: 8 + JSON.stringify(ok()).length + 24 }]);
  });
  it('refuses data bytes covered by no tensor: a gap, or bytes after the last tensor (as the safetensors library)', () => {
    expectError(() => parse(ok({ b: { dtype: 'U8', shape: [2], data_offsets: [30, 32] } }), 32),
      /data bytes \[24, 30\) belong to no tensor \(before "b"\)/);
    expectError(() => parse(ok(), 25), /the last 1 byte\(s\) of the file \(data bytes \[24, 25\)\) belong to no tensor/);
    expectError(() => parse({ b: { dtype: 'U8', shape: [2], data_offsets: [2, 4] } }, 4), /data bytes \[0, 2\) belong to no tensor/);
    expectError(() => parse({}, 3), /the last 3 byte\(s\)/);
  });
  it('refuses a tensor name given twice (JSON.parse would keep the later one)', () => {
    const text = '{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[2,4]},'
      + '"a":{"dtype":"U8","shape":[2],"data_offsets":[2,4]}}';
    expectError(() => parse(text, 4), /"a" appears twice in one object of the header/);
    expectError(() => parse('{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2],"dtype":"U8"}}', 2), /"dtype" appears twice/);
    // Escaped spellings of one name are the same name; equal keys inside entries are not top-level names.
    expectError(() => parse('{"\\u0061":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}', 2),
      /"a" appears twice/);
    expect(parse('{"__metadata__":{"a":"1","b":"[\\"a\\",{\\"a\\":1}]"},"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}', 2).tensors).toHaveLength(1);
  });
  it('accepts trailing space padding and __metadata__: null', () => {
    expect(parse(JSON.stringify(ok()) + '     ', 24).tensors).toHaveLength(1);
    expect(parse(ok({ __metadata__: null }), 24).metadata).toBeNull();
  });
  it('returns tensors in file offset order', () => {
    const h = parse({
      z: { dtype: 'U8', shape: [4], data_offsets: [0, 4] },
      a: { dtype: 'U8', shape: [4], data_offsets: [8, 12] },
      m: { dtype: 'U8', shape: [4], data_offsets: [4, 8] },
      e: { dtype: 'U8', shape: [0], data_offsets: [4, 4] },
    }, 12);
    expect(h.tensors.map((t) => t.name)).toEqual(['z', 'e', 'm', 'a']);
  });
  it('rejects a truncated header buffer', () => {
    const { bytes, size } = fileOf(ok(), 24);
    expectError(() => parseSafetensorsHeader(bytes.subarray(8, 20), bytes.length - 8, size, 'x.safetensors'), /header is truncated/);
  });
  it('rejects invalid UTF-8', () => {
    const { bytes, size } = fileOf('{"\u00e9":1}', 0);
    bytes[10] = 0xff;
    bytes[11] = 0xfe;
    expectError(() => parseSafetensorsHeader(bytes.subarray(8), bytes.length - 8, size, 'x.safetensors'), /not valid UTF-8/);
  });
  it('rejects invalid JSON', () => {
    expectError(() => parse('{"a": {"dtype": ', 0), /header is not valid JSON/);
    expectError(() => parse('{}}', 0), /header is not valid JSON/);
  });
  it('rejects JSON that is not an object', () => {
    expectError(() => parse('[1, 2, 3]', 0), /header is not a JSON object \(it starts with "\[1, 2, 3\]"\)/);
    expectError(() => parse('"str"', 0), /header is not a JSON object/);
    expectError(() => parse('null', 0), /header is not a JSON object/);
  });
  it('rejects non-object entries and wrong keys', () => {
    expectError(() => parse({ a: [1, 2] }, 0), /tensor "a": entry must be an object, got an array/);
    expectError(() => parse({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4], extra: 1 } }, 4), /tensor "a": unexpected key "extra"/);
    expectError(() => parse({ a: { dtype: 'F32', shape: [1] } }, 4), /tensor "a": missing data_offsets/);
  });
  it('rejects bad __metadata__', () => {
    expectError(() => parse(ok({ __metadata__: { format: 1 } }), 24), /__metadata__\["format"\] must be a string, got the number 1/);
    expectError(() => parse(ok({ __metadata__: ['pt'] }), 24), /__metadata__ must be an object of strings/);
  });
  it('rejects unknown dtypes', () => {
    expectError(() => parse({ a: { dtype: 'F8_E4M3', shape: [1], data_offsets: [0, 1] } }, 1), /tensor "a": unknown dtype "F8_E4M3"/);
    expectError(() => parse({ a: { dtype: 7, shape: [1], data_offsets: [0, 1] } }, 1), /unknown dtype the number 7/);
  });
  it('rejects negative, float and non-number shapes', () => {
    expectError(() => parse({ a: { dtype: 'U8', shape: [-1], data_offsets: [0, 0] } }, 0), /shape\[0\] must be a non-negative integer, got the number -1/);
    expectError(() => parse({ a: { dtype: 'U8', shape: [2, 1.5], data_offsets: [0, 3] } }, 3), /shape\[1\] must be a non-negative integer, got the number 1.5/);
    expectError(() => parse({ a: { dtype: 'U8', shape: ['2'], data_offsets: [0, 2] } }, 2), /shape\[0\] must be a non-negative integer, got a string "2"/);
    expectError(() => parse({ a: { dtype: 'U8', shape: 4, data_offsets: [0, 4] } }, 4), /shape must be an array/);
    expectError(() => parse('{"a": {"dtype": "U8", "shape": [1e300], "data_offsets": [0, 1]}}', 1), /shape\[0\] must be a non-negative integer/);
  });
  it('rejects byte length mismatches', () => {
    expectError(() => parse({ a: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 12] } }, 24),
      /tensor "a": byte length mismatch: shape \[2, 3\] × F32 \(4 bytes\) = 24 bytes, but data_offsets \[0, 12\] span 12 bytes/);
    // a product past 2^53 cannot match any valid range (and must not be computed as a wrap-around)
    expectError(() => parse({ a: { dtype: 'F32', shape: [2 ** 40, 2 ** 40, 2], data_offsets: [0, 16] } }, 16),
      /byte length mismatch: .* = more than 2\^53 bytes/);
  });
  it('rejects bad data_offsets', () => {
    expectError(() => parse({ a: { dtype: 'U8', shape: [1], data_offsets: [0] } }, 1), /data_offsets must be \[begin, end\], got an array of 1/);
    expectError(() => parse({ a: { dtype: 'U8', shape: [1], data_offsets: [-1, 0] } }, 1), /data_offsets begin must be a non-negative integer below 2\^53, got the number -1/);
    expectError(() => parse({ a: { dtype: 'U8', shape: [0], data_offsets: [4, 2] } }, 4), /data_offsets begin 4 is after end 2/);
    expectError(() => parse({ a: { dtype: 'U8', shape: [1], data_offsets: [0, 1.5] } }, 4), /data_offsets end must be a non-negative integer/);
  });
  it('rejects offsets out of range of the data section', () => {
    expectError(() => parse({ a: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] } }, 23),
      /tensor "a": data_offsets \[0, 24\] run past the end of the data section \(23 bytes/);
  });
  it('rejects 2^60 and 2^53+ offsets', () => {
    expectError(() => parse(`{"a": {"dtype": "U8", "shape": [1], "data_offsets": [${2n ** 60n}, ${2n ** 60n + 1n}]}}`, 1),
      /data_offsets begin must be a non-negative integer below 2\^53/);
    expectError(() => parse(`{"a": {"dtype": "U8", "shape": [0], "data_offsets": [0, 9007199254740993]}}`, 1),
      /data_offsets begin|data_offsets end must be a non-negative integer below 2\^53/);
    expectError(() => parse(`{"a": {"dtype": "U8", "shape": [${2 ** 52}, 2], "data_offsets": [0, ${2 ** 53}]}}`, 1),
      /data_offsets end must be a non-negative integer below 2\^53/);
  });
  it('rejects overlapping tensors', () => {
    expectError(() => parse({
      a: { dtype: 'U8', shape: [8], data_offsets: [0, 8] },
      b: { dtype: 'U8', shape: [8], data_offsets: [4, 12] },
    }, 12), /tensors "a" \[0, 8\] and "b" \[4, 12\] overlap/);
    expectError(() => parse({
      b: { dtype: 'U8', shape: [8], data_offsets: [0, 8] },
      a: { dtype: 'U8', shape: [8], data_offsets: [0, 8] },
    }, 12), /overlap/);
  });
  it('survives nested garbage and large hostile headers without hanging', () => {
    const deep = '{"a":' + '['.repeat(100000) + ']'.repeat(100000) + '}';
    expectError(() => parse(deep, 0), /(tensor "a": entry must be an object|not valid JSON)/);
    const many: Record<string, unknown> = {};
    for (let i = 0; i < 20000; i++) many[`t${i}`] = { dtype: 'U8', shape: [1], data_offsets: [0, 1] };
    const t0 = Date.now();
    expectError(() => parse(many, 1), /overlap/);
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});

describe('planShards', () => {
  const t = (name: string, bytes: number): TensorSpec => ({ name, dtype: 'U8', shape: [bytes] });

  it('uses model.safetensors for a single shard', () => {
    const plan = planShards([t('a', 10), t('b', 10)], 20);
    expect(plan).toEqual([{ fileName: 'model.safetensors', tensors: [t('a', 10), t('b', 10)], totalBytes: 20 }]);
  });
  it('starts a new shard only when the next tensor would exceed the limit', () => {
    const plan = planShards([t('a', 10), t('b', 10), t('c', 1), t('d', 19), t('e', 1)], 20);
    expect(plan.map((p) => p.tensors.map((x) => x.name))).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
    expect(plan.map((p) => p.totalBytes)).toEqual([20, 20, 1]);
    expect(plan.map((p) => p.fileName)).toEqual([
      'model-00001-of-00003.safetensors', 'model-00002-of-00003.safetensors', 'model-00003-of-00003.safetensors',
    ]);
  });
  it('gives a tensor larger than the limit its own shard', () => {
    const plan = planShards([t('a', 5), t('big', 100), t('b', 5), t('c', 5)], 10);
    expect(plan.map((p) => p.tensors.map((x) => x.name))).toEqual([['a'], ['big'], ['b', 'c']]);
    expect(planShards([t('big', 100)], 10).map((p) => p.fileName)).toEqual(['model.safetensors']);
  });
  it('counts dtype sizes and handles no tensors', () => {
    const plan = planShards([{ name: 'w', dtype: 'BF16', shape: [3, 4] }, { name: 'v', dtype: 'F32', shape: [2] }], 32);
    expect(plan).toHaveLength(1);
    expect(plan[0].totalBytes).toBe(32);
    expect(planShards([], 10)).toEqual([{ fileName: 'model.safetensors', tensors: [], totalBytes: 0 }]);
  });
  it('rejects a non-positive limit', () => {
    expect(() => planShards([t('a', 1)], 0)).toThrow(MergeopsError);
  });
});

describe('index json', () => {
  it('writes the transformers layout: sorted keys, 2-space indent, trailing newline', () => {
    const text = buildIndexJson({ 'model.norm.weight': 'model-00002-of-00002.safetensors', 'lm_head.weight': 'model-00001-of-00002.safetensors' },
      1234, { mergekit_version: '0.1', a: 'b' });
    expect(text).toBe([
      '{',
      '  "metadata": {',
      '    "a": "b",',
      '    "mergekit_version": "0.1",',
      '    "total_size": 1234',
      '  },',
      '  "weight_map": {',
      '    "lm_head.weight": "model-00001-of-00002.safetensors",',
      '    "model.norm.weight": "model-00002-of-00002.safetensors"',
      '  }',
      '}',
      '',
    ].join('\n'));
    expect(JSON.parse(text)).toEqual({
      metadata: { total_size: 1234, a: 'b', mergekit_version: '0.1' },
      weight_map: { 'lm_head.weight': 'model-00001-of-00002.safetensors', 'model.norm.weight': 'model-00002-of-00002.safetensors' },
    });
  });
  it('keeps integer-like keys in sorted order and escapes non-ASCII as Python does', () => {
    const text = buildIndexJson({ '10': 'a.safetensors', '2': 'a.safetensors', 'é': 'a.safetensors' }, 0);
    expect(text.indexOf('"10"')).toBeLessThan(text.indexOf('"2"'));
    expect(text).toContain('"\\u00e9": "a.safetensors"');
    expect(parseIndexJson(text, 'i.json')).toEqual({ '10': 'a.safetensors', '2': 'a.safetensors', 'é': 'a.safetensors' });
  });
  it('parses a weight_map', () => {
    const wm = { a: 'model-00001-of-00002.safetensors', b: 'model-00002-of-00002.safetensors' };
    expect(parseIndexJson(buildIndexJson(wm, 10), 'i.json')).toEqual(wm);
  });
  it('rejects malformed indexes', () => {
    expect(() => parseIndexJson('{', 'i.json')).toThrow(/^i\.json: index is not valid JSON/);
    expect(() => parseIndexJson('[]', 'i.json')).toThrow(/index is not a JSON object/);
    expect(() => parseIndexJson('{"metadata": {}}', 'i.json')).toThrow(/index has no "weight_map"/);
    expect(() => parseIndexJson('{"weight_map": []}', 'i.json')).toThrow(/"weight_map" must be an object, got an array/);
    expect(() => parseIndexJson('{"weight_map": {"a": 3}}', 'i.json')).toThrow(/weight_map\["a"\] must be a shard file name, got the number 3/);
    expect(() => parseIndexJson('{"weight_map": {"a": "../../etc/passwd"}}', 'i.json')).toThrow(/is not a plain file name/);
    expect(() => parseIndexJson('{"weight_map": {"a": 3}}', 'i.json')).toThrow(SafetensorsError);
  });
});
