/**
 * Fuzz targets: every parser of untrusted input, driven by fast-check. A case passes when the
 * parser returns or throws a MergeopsError (typed, with a hint); anything else (a TypeError, a
 * RangeError, a hang) is a crasher. Shared by the short run in the test suite and the long run
 * in scripts/fuzz.mjs.
 */
import fc from 'fast-check';
import { MergeopsError } from '../../src/errors.js';
import { parseByteSize, requireByteSize } from '../../src/formats/byte-size.js';
import { buildSafetensorsHeader, parseHeaderLength, parseSafetensorsHeader, parseIndexJson } from '../../src/formats/safetensors.js';
import { parseLock } from '../../src/hub/lockfile.js';
import { parseFileType } from '../../src/quant/select.js';
import { parseRecipeText } from '../../src/recipe/parse.js';
import { vocabOf } from '../../src/tokenizer/vocab.js';
import { CLI_NAMING, threadsValue } from '../../src/options/validate.js';

export interface FuzzTarget<T> {
  name: string;
  arbitrary: fc.Arbitrary<T>;
  /** Runs one case: returns, or throws a MergeopsError. */
  run: (input: T) => void;
}

// --- safetensors ----------------------------------------------------------------------------

const DTYPES = ['F32', 'F16', 'BF16', 'U8', 'I64', 'F64', 'X9', ''];
const jsonValue = fc.oneof(
  fc.constant(null), fc.boolean(), fc.integer(), fc.double(), fc.string({ maxLength: 12 }),
  fc.array(fc.integer({ min: -2, max: 2 ** 20 }), { maxLength: 4 }),
);
const entry = fc.record({
  dtype: fc.oneof(fc.constantFrom(...DTYPES), jsonValue),
  shape: fc.oneof(fc.array(fc.integer({ min: -1, max: 64 }), { maxLength: 4 }), jsonValue),
  data_offsets: fc.oneof(fc.tuple(fc.nat(4096), fc.nat(4096)), jsonValue),
}, { requiredKeys: [] });

/** A safetensors file: a length prefix (sometimes lying), a header of plausible or garbage JSON, data bytes. */
const safetensorsFile = fc.oneof(
  // Structured: tensor entries, some valid, with arbitrary data sizes.
  fc.tuple(fc.dictionary(fc.oneof(fc.string({ maxLength: 8 }), fc.constant('__metadata__')), fc.oneof(entry, jsonValue), { maxKeys: 6 }),
    fc.nat(4096), fc.integer({ min: -16, max: 16 }), fc.boolean())
    .map(([obj, data, lie, dupe]) => {
      let json = JSON.stringify(obj);
      if (dupe && json.length > 2) json = json.replace(/^\{("[^"]*":)/, '{$1null,$1'); // a key given twice
      const body = Buffer.from(json, 'utf8');
      const file = Buffer.alloc(8 + body.length + data);
      file.writeBigUInt64LE(BigInt(Math.max(0, body.length + lie)), 0);
      body.copy(file, 8);
      return new Uint8Array(file);
    }),
  // Valid files, then bytes flipped, cut or appended.
  fc.tuple(fc.array(fc.record({ name: fc.string({ minLength: 1, maxLength: 6 }), n: fc.nat(16) }), { maxLength: 4 }),
    fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 4 }), fc.integer({ min: -64, max: 64 }))
    .map(([ts, flips, tail]) => {
      const seen = new Set<string>();
      const specs = ts.filter((t) => !seen.has(t.name) && t.name !== '__metadata__' && seen.add(t.name)).map((t) => ({ name: t.name, dtype: 'U8' as const, shape: [t.n] }));
      const { header } = buildSafetensorsHeader(specs);
      const total = header.length + specs.reduce((a, s) => a + s.shape[0], 0);
      const file = new Uint8Array(Math.max(0, total + tail));
      file.set(header.subarray(0, Math.min(header.length, file.length)));
      for (const [at, v] of flips) if (file.length > 0) file[at % file.length] = v;
      return file;
    }),
  fc.uint8Array({ maxLength: 256 }),
);

export const safetensorsTarget: FuzzTarget<Uint8Array> = {
  name: 'safetensors header',
  arbitrary: safetensorsFile,
  run: (file) => {
    const len = parseHeaderLength(file.subarray(0, 8), file.length, 'x.safetensors');
    parseSafetensorsHeader(file.subarray(8, 8 + len), len, file.length, 'x.safetensors');
  },
};

export const indexTarget: FuzzTarget<string> = {
  name: 'safetensors index JSON',
  arbitrary: fc.oneof(fc.json(), fc.string({ maxLength: 64 }),
    fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.string({ maxLength: 12 }), jsonValue), { maxKeys: 4 })
      .map((wm) => JSON.stringify({ metadata: {}, weight_map: wm }))),
  run: (text) => { parseIndexJson(text, 'model.safetensors.index.json'); },
};

// --- recipe YAML ------------------------------------------------------------------------------

const yamlToken = fc.constantFrom(
  'merge_method: ', 'linear', 'ties', 'slerp', 'models:\n', '  - model: ', 'a/b', './m', '\n', '    parameters: ',
  '{weight: 0.5}', '{density: [1, 0.5]}', 'slices:\n', '  - sources:\n', '      - model: x\n        layer_range: [0, 2]\n',
  'base_model: ', 'dtype: bfloat16\n', 'mergeops:\n', '  quantize: [Q4_K_M]\n', 'tokenizer:\n  source: union\n',
  'chat_template: "{{ x }}"\n', '---\n', 'name: s1\n', '&a ', '*a', '[', ']', '{', '}', ', ', ': ', '- ', '"', "'", '#', '\t',
  '  ', '<<: *a\n', '!!binary ', '? ', '|\n  ', '>-\n  ', '~', 'null', '1e400', '-.inf', '0x1F',
);
const recipeText = fc.oneof(
  fc.array(yamlToken, { maxLength: 40 }).map((ts) => ts.join('')),
  fc.string({ maxLength: 200 }),
  fc.tuple(fc.constantFrom('[', '{', '- ', '  a:\n'), fc.nat(200)).map(([t, n]) => 'models: ' + t.repeat(n)),
);

export const recipeTarget: FuzzTarget<string> = {
  name: 'recipe YAML',
  arbitrary: recipeText,
  run: (text) => { parseRecipeText(text, 'fuzz.yml'); },
};

// --- lockfile ---------------------------------------------------------------------------------

const hex = (n: number): fc.Arbitrary<string> => fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: n, maxLength: n });
const pinned = fc.record({ path: fc.oneof(fc.string({ maxLength: 10 }), fc.constant('../x')), sha256: fc.oneof(hex(64), fc.string()), size: fc.oneof(fc.nat(), fc.integer(), fc.double()) });
const lockText = fc.oneof(
  fc.record({
    version: fc.oneof(fc.constant(1), jsonValue),
    recipe: fc.oneof(fc.record({ file: fc.string(), sha256: fc.oneof(hex(64), fc.string()) }), jsonValue),
    models: fc.oneof(fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(
      fc.record({ repo: fc.string(), sha: fc.oneof(hex(40), fc.string()), files: fc.oneof(fc.array(pinned, { maxLength: 3 }), jsonValue) }, { requiredKeys: [] }),
      jsonValue), { maxKeys: 3 }), jsonValue),
    outputs: fc.oneof(fc.array(pinned, { maxLength: 3 }), jsonValue),
  }, { requiredKeys: [] }).map((o) => JSON.stringify(o)),
  fc.json(),
  fc.string({ maxLength: 100 }),
);

export const lockfileTarget: FuzzTarget<string> = {
  name: 'lockfile',
  arbitrary: lockText,
  run: (text) => { parseLock(text, 'mergeops.lock'); },
};

// --- tokenizer JSON ---------------------------------------------------------------------------

const tokenizerJson = fc.oneof(
  fc.record({
    model: fc.oneof(fc.record({
      type: fc.oneof(fc.constantFrom('BPE', 'Unigram', 'WordPiece', 'WordLevel'), jsonValue),
      vocab: fc.oneof(fc.dictionary(fc.string({ maxLength: 6 }), fc.oneof(fc.nat(64), jsonValue), { maxKeys: 8 }),
        fc.array(fc.oneof(fc.tuple(fc.string({ maxLength: 6 }), fc.double()), jsonValue), { maxLength: 8 }), jsonValue),
    }, { requiredKeys: [] }), jsonValue),
    added_tokens: fc.oneof(fc.array(fc.oneof(fc.record({ id: fc.oneof(fc.nat(80), jsonValue), content: fc.oneof(fc.string({ maxLength: 6 }), jsonValue), special: fc.boolean() }, { requiredKeys: [] }), jsonValue), { maxLength: 4 }), jsonValue),
  }, { requiredKeys: [] }),
  fc.object({ maxDepth: 3 }),
);
const tokenizerConfig = fc.option(fc.oneof(
  fc.record({ added_tokens_decoder: fc.oneof(fc.dictionary(fc.oneof(fc.nat(80).map(String), fc.string({ maxLength: 4 })), fc.oneof(fc.record({ content: fc.oneof(fc.string({ maxLength: 6 }), jsonValue), special: fc.boolean() }, { requiredKeys: [] }), jsonValue), { maxKeys: 4 }), jsonValue) }, { requiredKeys: [] }),
  fc.object({ maxDepth: 2 }),
), { nil: undefined });

export const tokenizerTarget: FuzzTarget<[Record<string, unknown>, Record<string, unknown> | undefined]> = {
  name: 'tokenizer JSON',
  arbitrary: fc.tuple(tokenizerJson as fc.Arbitrary<Record<string, unknown>>, tokenizerConfig as fc.Arbitrary<Record<string, unknown> | undefined>),
  run: ([tj, tc]) => { vocabOf({ tokenizerJson: tj, tokenizerConfig: tc }, 'fuzz'); },
};

// --- size and option values -------------------------------------------------------------------

const optionText = fc.oneof(
  fc.tuple(fc.oneof(fc.double().map(String), fc.nat().map(String), fc.string({ maxLength: 6 })), fc.constantFrom('', 'k', 'M', 'B', 'GiB', 'kb', 'TiB', 'x', ' ', 'e309'))
    .map(([a, b]) => a + b),
  fc.string({ maxLength: 30 }),
);

export const optionsTarget: FuzzTarget<string> = {
  name: 'size and option values',
  arbitrary: optionText,
  run: (v) => {
    const n = parseByteSize(v);
    if (n !== undefined && !(Number.isSafeInteger(n) && n >= 0)) throw new Error(`parseByteSize(${JSON.stringify(v)}) = ${n}`);
    try { requireByteSize(v, '--max-memory'); } catch (e) { if (!(e instanceof MergeopsError)) throw e; }
    try { threadsValue(CLI_NAMING, 'threads', v); } catch (e) { if (!(e instanceof MergeopsError)) throw e; }
    parseFileType(v);
  },
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a list of targets of different input types
export const FUZZ_TARGETS: readonly FuzzTarget<any>[] = [safetensorsTarget, indexTarget, recipeTarget, lockfileTarget, tokenizerTarget, optionsTarget];

export interface FuzzFigures {
  name: string;
  cases: number;
  typedErrors: number;
  uncaught: number;
  maxCaseMs: number;
  firstCrash?: string;
}

/** Runs `cases` cases of a target; counts crashers (non-typed exceptions) and the slowest case. */
export function fuzzTarget<T>(t: FuzzTarget<T>, cases: number, seed = 42): FuzzFigures {
  const f: FuzzFigures = { name: t.name, cases: 0, typedErrors: 0, uncaught: 0, maxCaseMs: 0 };
  const samples = fc.sample(t.arbitrary, { numRuns: cases, seed });
  for (const input of samples) {
    const t0 = performance.now();
    try {
      t.run(input);
    } catch (e) {
      if (e instanceof MergeopsError) f.typedErrors++;
      else {
        f.uncaught++;
        f.firstCrash ??= `${e instanceof Error ? e.stack?.split('\n').slice(0, 3).join(' | ') : String(e)} on ${JSON.stringify(input instanceof Uint8Array ? Buffer.from(input).toString('base64') : input)?.slice(0, 300)}`;
      }
    }
    f.maxCaseMs = Math.max(f.maxCaseMs, performance.now() - t0);
    f.cases++;
  }
  return f;
}
