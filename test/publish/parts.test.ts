/**
 * The final job's checks of a matrix build's parts (publish/parts.ts): manifests read from a
 * folder (and its sub-folders, as download-artifact lays them out), a missing, duplicated,
 * foreign or mismatched part refused with a message naming it, the files matched to the plan,
 * and the parts' tensor health merged in plan order.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MergeopsError } from '../../src/errors.js';
import { checkParts, mergePartHealth, PART_MANIFEST_KIND, readPartManifests, writePartManifest, type PartManifest } from '../../src/publish/parts.js';
import { tempDir } from '../support/tmp.js';

const t = tempDir('mergeops-parts-');
afterAll(() => t.cleanup());

const H = (c: string): string => c.repeat(64);
const targets = { model: 'hf:o/m', gguf: 'hf:o/m-GGUF' };
function part(index: number, files: [string, number][], extra: Partial<PartManifest> = {}): { file: string; manifest: PartManifest } {
  return {
    file: `m.part-${index}-of-3.json`,
    manifest: {
      kind: PART_MANIFEST_KIND, version: 1, recipe: 'recipes/m.yml', recipeSha256: H('a'), shard: { index, count: 3 },
      pins: { 'org/base': 'b'.repeat(40) }, loraPins: {}, targets,
      files: files.map(([path, size]) => ({ path, size, target: path.endsWith('.gguf') ? targets.gguf : targets.model, sha256: H('c'), gitOid: 'd'.repeat(40) })),
      ...extra,
    },
  };
}
const expected = {
  recipe: 'recipes/m.yml', recipeSha256: H('a'), targets,
  files: [
    { name: 'model-00001-of-00002.safetensors', bytes: 10, target: targets.model },
    { name: 'model-00002-of-00002.safetensors', bytes: 20, target: targets.model },
    { name: 'm-Q8_0.gguf', bytes: 30, target: targets.gguf },
  ],
  dryRun: false,
};
const good = (): ReturnType<typeof part>[] => [
  part(1, [['model-00001-of-00002.safetensors', 10]]), part(2, [['model-00002-of-00002.safetensors', 20]]), part(3, [['m-Q8_0.gguf', 30]]),
];

function refusal(parts: ReturnType<typeof part>[], exp = expected): string {
  try {
    checkParts(parts, exp);
  } catch (e) {
    expect(e).toBeInstanceOf(MergeopsError);
    return (e as MergeopsError).message;
  }
  throw new Error('accepted');
}

describe('matrix parts', () => {
  it('accepts the three parts of the plan and returns the files in plan order', () => {
    expect(checkParts(good().reverse(), expected).map((f) => f.path)).toEqual(expected.files.map((f) => f.name));
  });

  it('refuses a missing, duplicated, foreign or mismatched part, naming it', () => {
    const g = good();
    expect(refusal([g[0], g[2]])).toMatch(/part 2\/3 missing.*nothing was committed/);
    expect(refusal([...g, part(2, [])])).toMatch(/part 2\/3 twice/);
    expect(refusal([g[0], g[1], part(3, [['m-Q8_0.gguf', 30]], { recipeSha256: H('f') })])).toMatch(/m\.part-3-of-3\.json is a part of another version of the recipe/);
    expect(refusal([g[0], g[1], part(3, [['m-Q8_0.gguf', 30]], { pins: { 'org/base': 'e'.repeat(40) } })])).toMatch(/merged different commits/);
    expect(refusal([g[0], g[1], part(3, [['m-Q8_0.gguf', 30]], { targets: { model: 'hf:o/x', gguf: 'hf:o/x-GGUF' } })])).toMatch(/was uploaded to hf:o\/x and hf:o\/x-GGUF, this job publishes to hf:o\/m and hf:o\/m-GGUF/);
    expect(refusal([g[0], g[1], part(3, [['m-Q8_0.gguf', 29]])])).toMatch(/m-Q8_0\.gguf from m\.part-3-of-3\.json is 29 bytes; the plan says 30/);
    expect(refusal([g[0], g[1], part(3, [])])).toMatch(/no part uploaded m-Q8_0\.gguf/);
    expect(refusal([g[0], g[1], part(3, [['m-Q8_0.gguf', 30], ['m-Q4_K_M.gguf', 5]])])).toMatch(/the parts hold m-Q4_K_M\.gguf, which this job's plan does not write/);
    expect(refusal([g[0], part(2, [['model-00002-of-00002.safetensors', 20], ['model-00001-of-00002.safetensors', 10]]), g[2]])).toMatch(/in two parts/);
  });

  it('a final job that commits refuses dry-run parts (never uploaded); its dry run accepts them', () => {
    const g = good();
    const dry = part(2, [['model-00002-of-00002.safetensors', 20]], { dryRun: true });
    expect(refusal([g[0], dry, g[2]])).toMatch(/m\.part-2-of-3\.json is the manifest of a dry-run part \(its files were computed, never uploaded\): nothing was committed/);
    expect(checkParts([g[0], dry, g[2]], { ...expected, dryRun: true }).map((f) => f.path)).toEqual(expected.files.map((f) => f.name));
  });

  it('reads manifests from a folder and its sub-folders, and refuses a foreign JSON named like one', () => {
    const dir = join(t.dir, 'downloaded');
    for (const p of good()) {
      mkdirSync(join(dir, `part-${p.manifest.shard.index}`), { recursive: true });
      writePartManifest(join(dir, `part-${p.manifest.shard.index}`), 'm', p.manifest);
    }
    writeFileSync(join(dir, 'notes.json'), '{}');
    const found = readPartManifests(dir, 'input `commit-parts`:');
    expect([...found.keys()]).toEqual(['recipes/m.yml']);
    expect(found.get('recipes/m.yml')!.map((p) => p.manifest.shard.index).sort()).toEqual([1, 2, 3]);
    writeFileSync(join(dir, 'x.part-1-of-2.json'), JSON.stringify({ kind: PART_MANIFEST_KIND, version: 1, recipe: 'r.yml' }));
    expect(() => readPartManifests(dir, 'input `commit-parts`:')).toThrow(/x\.part-1-of-2\.json is not a part manifest/);
    expect(() => readPartManifests(join(t.dir, 'none'), 'input `commit-parts`:')).toThrow(/input `commit-parts`: .* holds no part manifest/);
  });

  it('merges the parts\' tensor health in plan order, each tensor once', () => {
    const h = (names: string[]): PartManifest['health'] => ({ tensors: names.map((name) => ({ name, nan: 0, inf: 0 })), outliers: names.filter((n) => n === 'b').map((name) => ({ name, reason: 'x' })) });
    const parts = [part(1, [], { health: h(['c', 'a']) }).manifest, part(2, [], { health: h(['b', 'a']) }).manifest];
    const merged = mergePartHealth(parts, ['a', 'b', 'c']);
    expect(merged.tensors.map((x) => x.name)).toEqual(['a', 'b', 'c']);
    expect(merged.outliers).toEqual([{ name: 'b', reason: 'x' }]);
  });
});
