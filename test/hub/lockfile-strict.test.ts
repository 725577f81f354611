/** The lockfile reader is strict: every value the run trusts has its form; duplicates and oversize refused. */
import { parseLock } from '../../src/hub/lockfile.js';
import { MergeopsError } from '../../src/errors.js';

const SHA = 'a'.repeat(40);
const H = 'b'.repeat(64);
const good = {
  version: 1,
  recipe: { file: 'r.yml', sha256: H },
  models: { 'org/m': { repo: 'org/m', revision: 'main', sha: SHA, files: [{ path: 'model.safetensors', sha256: H, size: 10 }] } },
  outputs: [{ path: 'model.safetensors', sha256: H, size: 3 }],
};

function refused(text: string, pattern: RegExp): void {
  let caught: unknown;
  try { parseLock(text, 'mergeops.lock'); } catch (e) { caught = e; }
  expect(caught).toBeInstanceOf(MergeopsError);
  expect((caught as MergeopsError).message).toMatch(pattern);
  expect((caught as MergeopsError).hint).toMatch(/mergeops lock/);
}

test('a valid lockfile reads back', () => {
  expect(parseLock(JSON.stringify(good), 'mergeops.lock')).toEqual(good);
});

test('malformed values are refused, naming the field', () => {
  const with_ = (f: (l: typeof good) => void): string => { const l = JSON.parse(JSON.stringify(good)) as typeof good; f(l); return JSON.stringify(l); };
  refused(with_((l) => { l.models['org/m'].sha = 'main'; }), /models\["org\/m"\]\.sha must be a 40-digit commit sha/);
  refused(with_((l) => { l.models['org/m'].files[0].path = '../../etc/passwd'; }), /files\[0\]\.path must be a relative path/);
  refused(with_((l) => { l.models['org/m'].files[0].path = '/abs'; }), /files\[0\]\.path/);
  refused(with_((l) => { (l.models['org/m'].files[0] as { size: unknown }).size = -1; }), /files\[0\]\.size must be a whole number/);
  refused(with_((l) => { l.outputs[0].sha256 = 'xyz'; }), /outputs\[0\]\.sha256 must be 64 hex digits/);
  refused(with_((l) => { (l as { models: unknown }).models = []; }), /models must be an object/);
  refused(with_((l) => { (l as { version: number }).version = 2; }), /is not a mergeops\.lock \(version 1\)/);
  refused('[1, 2', /is not valid JSON/);
});

test('a key given twice is refused (JSON.parse would keep the later one)', () => {
  const text = JSON.stringify(good).replace('"sha":', `"sha":"${'c'.repeat(40)}","sha":`);
  refused(text, /key "sha" appears twice/);
});

test('a lockfile beyond the size cap is refused before parsing', () => {
  refused(' '.repeat(16 * 2 ** 20 + 1), /more than the 16777216-byte limit/);
});
