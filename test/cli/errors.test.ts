/** Bad inputs: each gives a clear error (what, where, how to fix) and leaves no output behind. */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync, cpSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, runCliAsync } from '../support/cli.js';
import { EXAMPLE_MODELS, tempDir, writeRecipe } from '../support/tmp.js';

const t = tempDir();
afterAll(t.cleanup);

const BASE = join(EXAMPLE_MODELS, 'base');
const ADD = join(EXAMPLE_MODELS, 'add');

/** A copy of a fixture model whose safetensors file is replaced by `mutate(original)`. */
function brokenModel(name: string, mutate: (b: Buffer) => Buffer): string {
  const dir = join(t.dir, name);
  mkdirSync(dir);
  for (const f of readdirSync(ADD)) copyFileSync(join(ADD, f), join(dir, f));
  writeFileSync(join(dir, 'model.safetensors'), mutate(readFileSync(join(ADD, 'model.safetensors'))));
  return dir;
}

function expectFailure(recipeYaml: string, patterns: RegExp[], name: string): string {
  const recipe = writeRecipe(t.dir, `${name}.yml`, recipeYaml);
  const out = join(t.dir, `out-${name}`);
  const r = runCli(['run', recipe, '--out', out]);
  expect(r.status).not.toBe(0);
  for (const p of patterns) expect(r.stderr).toMatch(p);
  expect(r.stderr).toMatch(/hint: /);
  expect(r.stderr).not.toMatch(/internal error/);
  // Nothing written: no output folder, no partial sibling.
  expect(existsSync(out)).toBe(false);
  expect(readdirSync(t.dir).filter((f) => f.includes('.partial'))).toEqual([]);
  return r.stderr;
}

const ta = (models: string, extra = ''): string => `merge_method: task_arithmetic
base_model: ${BASE}
models:
${models}${extra}`;

describe('clear errors and no output', () => {
  it('malformed YAML: names file, line and column', () => {
    const err = expectFailure('merge_method: linear\nmodels:\n  - model: [unclosed\n', [/malformed\.yml:\d+:\d+/], 'malformed');
    expect(err).toMatch(/\|/); // the offending line is shown
  });

  it('unknown method', () => {
    expectFailure(`merge_method: linaer\nmodels:\n  - model: ${ADD}\n    parameters: {weight: 1}\n`,
      [/unknown-method\.yml:1:\d+/, /unknown merge method `linaer`/, /linear/], 'unknown-method');
  });

  it('missing required parameter', () => {
    expectFailure(ta(`  - model: ${ADD}\n`), [/missing-param\.yml:4:\d+/, /missing required parameter `weight`/], 'missing-param');
  });

  it('missing model', () => {
    expectFailure(ta(`  - model: ${join(t.dir, 'nope')}\n    parameters: {weight: 1}\n`),
      [/missing-model\.yml:4:\d+/, /not found/], 'missing-model');
  });

  it('a missing relative folder that also looks like a Hub id: says the folder does not exist, then what the Hub said', async () => {
    const recipe = writeRecipe(t.dir, 'missing-relative.yml', ta(`  - model: models/nope\n    parameters: {weight: 1}\n`));
    // No Hub reachable: the closed port stands for a machine offline.
    const r = await runCliAsync(['plan', recipe], { cwd: t.dir, env: { HF_ENDPOINT: 'http://127.0.0.1:9' } });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/missing-relative\.yml:4:\d+: model `models\/nope` not found: no folder `[^`]*models\/nope`/);
    expect(r.stderr).toMatch(/also tried as a Hugging Face id/);
    expect(r.stderr).toMatch(/hint: if it is a local folder, check the path/);
    expect(r.stderr).not.toMatch(/^ {2}hint: check your connection/m);
  });

  it('an HF_TOKEN that does not look like a Hub token: a warning, and a merge of local folders runs', async () => {
    const recipe = writeRecipe(t.dir, 'odd-token.yml', ta(`  - model: ${ADD}\n    parameters: {weight: 1}\n`));
    const out = join(t.dir, 'out-odd-token');
    const r = await runCliAsync(['run', recipe, '--out', out], { env: { HF_TOKEN: 'ghp_notahubtoken1234' } });
    expect(r.stderr).toMatch(/warning: the Hugging Face token \(HF_TOKEN\) does not start with `hf_`/);
    expect(r.status).toBe(0);
    expect(existsSync(join(out, 'model.safetensors'))).toBe(true);
    expect(r.stdout + r.stderr).not.toContain('ghp_notahubtoken1234');
  });

  it('missing tensor', () => {
    // A checkpoint without one layer weight: rebuild the file from the header without it.
    const dir = join(t.dir, 'incomplete');
    cpSync(ADD, dir, { recursive: true });
    const buf = readFileSync(join(dir, 'model.safetensors'));
    const len = Number(buf.readBigUInt64LE(0));
    const header = JSON.parse(buf.subarray(8, 8 + len).toString('utf8')) as Record<string, { data_offsets: [number, number] }>;
    const victim = 'model.layers.2.mlp.up_proj.weight';
    const [vs, ve] = header[victim].data_offsets;
    delete header[victim];
    for (const v of Object.values(header)) {
      if (v.data_offsets && v.data_offsets[0] >= ve) v.data_offsets = [v.data_offsets[0] - (ve - vs), v.data_offsets[1] - (ve - vs)];
    }
    let json = JSON.stringify(header);
    json += ' '.repeat((8 - ((json.length + 8) % 8)) % 8);
    const data = Buffer.concat([buf.subarray(8 + len, 8 + len + vs), buf.subarray(8 + len + ve)]);
    const lenBuf = Buffer.alloc(8);
    lenBuf.writeBigUInt64LE(BigInt(json.length));
    writeFileSync(join(dir, 'model.safetensors'), Buffer.concat([lenBuf, Buffer.from(json), data]));
    expectFailure(ta(`  - model: ${dir}\n    parameters: {weight: 1}\n`), [/model\.layers\.2\.mlp\.up_proj\.weight/], 'missing-tensor');
  });

  it('shape mismatch', () => {
    // Same names, one tensor with another shape: swap the shapes of q_proj and o_proj? They are equal;
    // instead declare gate_proj as [192, 512] (same bytes, transposed shape).
    const dir = brokenModel('transposed', (b) => {
      const len = Number(b.readBigUInt64LE(0));
      const text = b.subarray(8, 8 + len).toString('utf8').replace(
        /("model\.layers\.0\.mlp\.gate_proj\.weight":\{"dtype":"BF16","shape":\[)512,192/, '$1192,512');
      expect(text.length).toBe(len);
      return Buffer.concat([b.subarray(0, 8), Buffer.from(text), b.subarray(8 + len)]);
    });
    expectFailure(ta(`  - model: ${dir}\n    parameters: {weight: 1}\n`), [/shape/, /model\.layers\.0\.mlp\.gate_proj\.weight/], 'shape');
  });

  it('truncated safetensors file', () => {
    const dir = brokenModel('truncated', (b) => b.subarray(0, b.length - 1000));
    expectFailure(ta(`  - model: ${dir}\n    parameters: {weight: 1}\n`), [/model\.safetensors/], 'truncated');
  });

  it('hostile header length', () => {
    const dir = brokenModel('hostile', (b) => {
      const c = Buffer.from(b);
      c.writeBigUInt64LE(0xffffffffffffn, 0);
      return c;
    });
    expectFailure(ta(`  - model: ${dir}\n    parameters: {weight: 1}\n`), [/model\.safetensors/, /header/i], 'hostile');
  });

  it('hostile header offsets', () => {
    const dir = brokenModel('offsets', (b) => {
      const len = Number(b.readBigUInt64LE(0));
      const header = JSON.parse(b.subarray(8, 8 + len).toString('utf8')) as Record<string, { data_offsets?: [number, number] }>;
      header['model.norm.weight'].data_offsets = [0, 384]; // overlaps the first tensor
      let json = JSON.stringify(header);
      json += ' '.repeat(Math.max(0, len - json.length));
      return Buffer.concat([b.subarray(0, 8), Buffer.from(json.slice(0, len)), b.subarray(8 + len)]);
    });
    expectFailure(ta(`  - model: ${dir}\n    parameters: {weight: 1}\n`), [/model\.safetensors/, /overlap/i], 'offsets');
  });
});
