/** `mergeops quantize` as a user runs it: output files, a loadable model, and clear errors. */
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSafetensorsHeader } from '../../src/formats/safetensors.js';
import { readLocalModel, readTensorBytes } from '../../src/hub/local.js';
import { generateModel } from '../support/generate-model.js';
import { readGGUF } from '../support/gguf-read.js';
import { loadGGUF } from '../support/llama-cpp.js';
import { runCli } from '../support/cli.js';
import { EXAMPLE_MODELS, tempDir } from '../support/tmp.js';

const t = tempDir('mergeops-cli-quantize-');
afterAll(t.cleanup);
const BASE = join(EXAMPLE_MODELS, 'base');

function expectUsageError(args: string[], pattern: RegExp): void {
  const r = runCli(args);
  expect(r.status).not.toBe(0);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).toMatch(/hint: /);
  expect(r.stderr).not.toMatch(/internal error/);
}

test('quantize the fixture to Q4_K_M: one GGUF, named <folder>-<TYPE>.gguf, that llama.cpp runs', async () => {
  const out = join(t.dir, 'q4');
  const r = runCli(['quantize', BASE, '--type', 'q4_k_m', '--out', out, '--name', 'Fixture Base']);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/wrote 39 tensors as Q4_K_M/);
  expect(readdirSync(out)).toEqual(['base-Q4_K_M.gguf']);
  const g = await readGGUF(join(out, 'base-Q4_K_M.gguf'));
  expect(g.typed['general.name'].value).toBe('Fixture Base');
  expect(g.typed['general.file_type'].value).toBe(15);
  expect(g.keys.slice(-2)).toEqual(['general.quantization_version', 'general.file_type']);
  const m = await loadGGUF(join(out, 'base-Q4_K_M.gguf'));
  try {
    // "45-12=" → "33": a skill the base model has (fixture README), kept after quantization
    expect(m.detokenize(await m.greedy([1, 271, 277, 285, 48, 272, 273, 276], 8, 2))).toBe('33');
  } finally {
    await m.dispose();
  }
  // an existing file is not replaced without --overwrite
  expectUsageError(['quantize', BASE, '--type', 'Q4_K_M', '--out', out], /already exists/);
  expect(runCli(['quantize', BASE, '--type', 'Q4_K_M', '--out', out, '--overwrite']).status).toBe(0);
});

test('--split-max-tensors writes gguf-split parts', async () => {
  const out = join(t.dir, 'split');
  const r = runCli(['quantize', BASE, '--type', 'Q8_0', '--out', out, '--split-max-tensors', '20']);
  expect(r.status).toBe(0);
  expect(readdirSync(out).sort()).toEqual(['base-Q8_0-00001-of-00002.gguf', 'base-Q8_0-00002-of-00002.gguf']);
  expect((await readGGUF(join(out, 'base-Q8_0-00002-of-00002.gguf'))).typed['split.count'].value).toBe(2);
});

test('usage errors say what is wrong and how to fix it', () => {
  expectUsageError(['quantize'], /needs a model folder/);
  expectUsageError(['quantize', BASE], /needs --type/);
  expectUsageError(['quantize', BASE, '--type', 'Q9_9'], /--type Q9_9 is not a GGUF file type/);
  expectUsageError(['quantize', BASE, '--type', 'F16', '--split-max-tensors', '0'], /--split-max-tensors 0 is not a whole number/);
  expectUsageError(['quantize', join(t.dir, 'nope'), '--type', 'F16'], /does not exist/);
});

test('a byte-level BPE tokenizer llama.cpp does not know is refused, and accepted with --tokenizer-pre', async () => {
  const dir = join(t.dir, 'qwen');
  await generateModel({ arch: 'qwen2', dir, dtype: 'BF16', hiddenSize: 64, numLayers: 1 });
  const out = join(t.dir, 'qwen-out');
  expectUsageError(['quantize', dir, '--type', 'F16', '--out', out], /unknown BPE pre-tokenizer.*[0-9a-f]{64}/);
  expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
  const r = runCli(['quantize', dir, '--type', 'F16', '--out', out, '--tokenizer-pre', 'qwen2']);
  expect(r.status).toBe(0);
  expect((await readGGUF(join(out, 'qwen-F16.gguf'))).typed['tokenizer.ggml.pre'].value).toBe('qwen2');
});

test('a SentencePiece-style model without tokenizer.model is refused with the fix', () => {
  const dir = join(t.dir, 'no-spm');
  cpSync(BASE, dir, { recursive: true });
  rmSync(join(dir, 'tokenizer.model'));
  expectUsageError(['quantize', dir, '--type', 'F16', '--out', join(t.dir, 'no-spm-out')], /no tokenizer\.model[\s\S]*copy tokenizer\.model/);
});

/** A copy of the fixture whose one shard also holds `extra` (an F32 tensor of 4 elements). */
async function withExtraTensor(dir: string, extra: string): Promise<void> {
  cpSync(BASE, dir, { recursive: true });
  const m = await readLocalModel(BASE);
  const tensors = [...m.tensors.values()];
  const specs = [...tensors.map((x) => ({ name: x.name, dtype: x.dtype, shape: [...x.shape] })), { name: extra, dtype: 'F32' as const, shape: [4] }];
  const { header, entries } = buildSafetensorsHeader(specs);
  const size = entries.reduce((a, e) => Math.max(a, e.end), header.length);
  const out = Buffer.alloc(size);
  out.set(header, 0);
  for (const x of tensors) out.set(await readTensorBytes(x), entries.find((e) => e.name === x.name)!.start);
  writeFileSync(join(dir, 'model.safetensors'), out);
}

test('a tensor convert drops is dropped; one llama.cpp cannot name fails, as convert does', async () => {
  // rotary_emb.inv_freq: computed by loaders, dropped by convert; the file equals the fixture's.
  const dropped = join(t.dir, 'inv-freq', 'base');
  await withExtraTensor(dropped, 'model.layers.0.self_attn.rotary_emb.inv_freq');
  expect(runCli(['quantize', dropped, '--type', 'Q8_0', '--out', join(t.dir, 'inv-freq-out'), '--skip-gguf-check']).status).toBe(0);
  expect(runCli(['quantize', BASE, '--type', 'Q8_0', '--out', join(t.dir, 'plain-out'), '--skip-gguf-check']).status).toBe(0);
  expect(readFileSync(join(t.dir, 'inv-freq-out', 'base-Q8_0.gguf')).equals(readFileSync(join(t.dir, 'plain-out', 'base-Q8_0.gguf')))).toBe(true);
  const unknown = join(t.dir, 'unknown');
  await withExtraTensor(unknown, 'model.layers.0.mlp.extra_proj.weight');
  expectUsageError(['quantize', unknown, '--type', 'Q8_0', '--out', join(t.dir, 'unknown-out')], /cannot map tensor model\.layers\.0\.mlp\.extra_proj\.weight/);
  expect(existsSync(join(t.dir, 'unknown-out'))).toBe(false);
});
