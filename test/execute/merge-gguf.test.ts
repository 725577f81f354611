/**
 * `mergeops run --gguf`: the merge writes GGUF files beside the safetensors from the merge
 * stream, identical to quantizing the merged output on its own, that llama.cpp loads; the
 * inputs are read once, and a failed run leaves no GGUF behind. (The same bytes with any chunking
 * and thread count: merge-gguf-chunks.heavy.test.ts.)
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, openSync, readFileSync, readdirSync, closeSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { minMaxMemory } from '../../src/execute/budget.js';
import { executePlan } from '../../src/execute/execute.js';
import { readLocalModel } from '../../src/hub/local.js';
import { planRecipeFile } from '../../src/pipeline.js';
import { generateModel } from '../support/generate-model.js';
import { readGGUF } from '../support/gguf-read.js';
import { loadGGUF } from '../support/llama-cpp.js';
import { CLI, runCli } from '../support/cli.js';
import { expectSameAsQuantize, GGUF_RECIPE as RECIPE, ok } from '../support/merge-gguf.js';
import { EXAMPLE_MODELS, tempDir, writeRecipe } from '../support/tmp.js';

/**
 * Runs the CLI and returns the bytes its process read through read syscalls (Linux `rchar`:
 * a reaped child's counters are added to its parent shell's, worker threads included).
 */
function runCliCountingReads(args: string[]): { status: number; stderr: string; rchar: number } {
  const r = spawnSync('sh', ['-c', '"$0" "$@" >/dev/null || exit $?; cat /proc/$$/io', process.execPath, CLI, ...args], { encoding: 'utf8' });
  const m = /^rchar: (\d+)$/m.exec(r.stdout);
  if (r.status !== 0 || !m) return { status: r.status ?? -1, stderr: r.stderr, rchar: 0 };
  return { status: 0, stderr: r.stderr, rchar: Number(m[1]) };
}

describe('GGUF output of a merge', () => {
  const t = tempDir();
  afterAll(t.cleanup);

  it('--gguf writes the same bytes as quantizing the merged folder, and llama.cpp runs it', async () => {
    const recipe = writeRecipe(t.dir, 'ta.yml', RECIPE);
    const out = join(t.dir, 'merged');
    const r = runCli(['run', recipe, '--out', out, '--gguf', 'Q4_K_M,Q8_0']);
    if (r.status !== 0) throw new Error(r.stderr);
    expect(readdirSync(out).filter((f) => f.endsWith('.gguf')).sort()).toEqual(['merged-Q4_K_M.gguf', 'merged-Q8_0.gguf']);
    // Every file written was loaded by llama.cpp, which decoded tokens from it.
    for (const type of ['Q4_K_M', 'Q8_0']) expect(r.stdout).toMatch(new RegExp(`llama\\.cpp loads merged-${type}\\.gguf and decodes ".+"`));
    // The final rate is the merge's (as the last progress line), not diluted by the llama.cpp load checks.
    const perSecond = (m: RegExpMatchArray | null): number => {
      if (!m) throw new Error(`no rate in:\n${r.stdout}\n${r.stderr}`);
      return Number(m[1]) * { B: 1, kB: 1e3, MB: 1e6, GB: 1e9 }[m[2] as 'B' | 'kB' | 'MB' | 'GB'];
    };
    const finalRate = perSecond(/^wrote .* \(([\d.]+) (B|kB|MB|GB)\/s read; GGUF checks [\d.]+s\)$/m.exec(r.stdout));
    const progressRate = perSecond(/^progress: 100% .* ([\d.]+) (B|kB|MB|GB)\/s$/m.exec(r.stderr));
    expect(finalRate).toBeGreaterThan(0.7 * progressRate);
    const q = join(t.dir, 'q');
    for (const type of ['Q4_K_M', 'Q8_0']) {
      const s = runCli(['quantize', out, '--type', type, '--out', q]);
      if (s.status !== 0) throw new Error(s.stderr);
      expect(readFileSync(join(out, `merged-${type}.gguf`)).equals(readFileSync(join(q, `merged-${type}.gguf`)))).toBe(true);
    }
    const m = await loadGGUF(join(out, 'merged-Q8_0.gguf'));
    try {
      const text = m.detokenize(await m.greedy([1, 271, 277, 285, 48, 272, 273, 276], 8, 2));
      expect(text.length).toBeGreaterThan(0);
    } finally {
      await m.dispose();
    }
  });

  it('takes the types from mergeops.quantize and reads every input byte once', async () => {
    const recipe = writeRecipe(t.dir, 'ta2.yml', RECIPE);
    // The plan lists the GGUF files (named after the output folder); execute opens exactly those.
    const plan = await planRecipeFile(recipe, { outDir: join(t.dir, 'm2') });
    expect(plan.gguf?.plans.map((p) => p.files.map((f) => f.fileName))).toEqual([['m2-Q8_0.gguf']]);
    const res = await executePlan(plan, { outDir: join(t.dir, 'm2') });
    expect(res.files.map((f) => f.name)).toContain('m2-Q8_0.gguf');
    expect(res.bytesRead).toBe(plan.estimates.inputBytes);
  });

  it('a GGUF written to a folder named `merged` is titled after the recipe (and --name), and quantize of the folder agrees', async () => {
    const recipe = writeRecipe(t.dir, 'task-arithmetic.yml', RECIPE);
    const out = join(t.dir, 'titled', 'merged');
    ok(runCli(['run', recipe, '--out', out, '--skip-gguf-check']));
    expect((await readGGUF(join(out, 'merged-Q8_0.gguf'))).typed['general.name'].value).toBe('Task Arithmetic');
    const q = join(t.dir, 'titled-q');
    ok(runCli(['quantize', out, '--type', 'Q8_0', '--out', q, '--skip-gguf-check']));
    expect(readFileSync(join(q, 'merged-Q8_0.gguf')).equals(readFileSync(join(out, 'merged-Q8_0.gguf')))).toBe(true);
    const named = join(t.dir, 'titled', 'named');
    ok(runCli(['run', recipe, '--out', named, '--skip-gguf-check', '--name', 'Adder Reverser 2x']));
    expect((await readGGUF(join(named, 'named-Q8_0.gguf'))).typed['general.name'].value).toBe('Adder Reverser 2x');
  });

  it('the plan lays the files it writes over the donor\'s (a new chat template, an earlier stage as donor): quantize of the folder agrees', async () => {
    // A chat template replaces the donor's tokenizer_config.json: the GGUF's template is the new one.
    const chat = writeRecipe(t.dir, 'chat.yml', RECIPE.replace('mergeops:', 'chat_template: chatml\nmergeops:'));
    const out = join(t.dir, 'chat', 'merged');
    ok(runCli(['run', chat, '--out', out, '--skip-gguf-check']));
    expect(String((await readGGUF(join(out, 'merged-Q8_0.gguf'))).typed['tokenizer.chat_template'].value)).toMatch(/<\|im_start\|>/);
    expectSameAsQuantize(out, join(t.dir, 'chat-q'), ['Q8_0'], ['--skip-gguf-check']);
    // The final stage's donor is an earlier stage (whose config and template it takes).
    const stages = writeRecipe(t.dir, 'stages.yml', `name: first
merge_method: linear
models:
  - model: ${join(EXAMPLE_MODELS, 'add')}
    parameters: {weight: 0.5}
  - model: ${join(EXAMPLE_MODELS, 'rev')}
    parameters: {weight: 0.5}
chat_template: chatml
---
merge_method: slerp
base_model: first
models:
  - model: first
  - model: ${join(EXAMPLE_MODELS, 'base')}
parameters: {t: 0.3}
mergeops:
  quantize: [Q4_K_M]
`);
    const out2 = join(t.dir, 'stages', 'merged');
    ok(runCli(['run', stages, '--out', out2, '--skip-gguf-check']));
    expect(String((await readGGUF(join(out2, 'merged-Q4_K_M.gguf'))).typed['tokenizer.chat_template'].value)).toMatch(/<\|im_start\|>/);
    expectSameAsQuantize(out2, join(t.dir, 'stages-q'), ['Q4_K_M'], ['--skip-gguf-check']);
  });

  it('--split-max-tensors / --split-max-size split the GGUF outputs as `quantize` does', () => {
    const recipe = writeRecipe(t.dir, 'split.yml', RECIPE);
    const out = join(t.dir, 'split', 'merged');
    const r = runCli(['run', recipe, '--out', out, '--gguf', 'Q8_0', '--split-max-tensors', '20']);
    ok(r);
    const parts = ['merged-Q8_0-00001-of-00002.gguf', 'merged-Q8_0-00002-of-00002.gguf'];
    expect(readdirSync(out).filter((f) => f.endsWith('.gguf')).sort()).toEqual(parts);
    expect(r.stdout).toMatch(/llama\.cpp loads merged-Q8_0-00001-of-00002\.gguf and decodes/);
    const q = join(t.dir, 'split-q');
    ok(runCli(['quantize', out, '--type', 'Q8_0', '--out', q, '--split-max-tensors', '20', '--skip-gguf-check']));
    for (const f of parts) expect([f, readFileSync(join(out, f)).equals(readFileSync(join(q, f)))]).toEqual([f, true]);
    // By size: the 1.3 MB of Q8_0 tensors in parts of at most 500 kB.
    const bySize = join(t.dir, 'split', 'by-size');
    ok(runCli(['run', recipe, '--out', bySize, '--split-max-size', '500K', '--skip-gguf-check']));
    expect(readdirSync(bySize).filter((f) => f.endsWith('.gguf')).length).toBeGreaterThan(2);
    // Nothing to split: said before anything is merged.
    const none = runCli(['run', writeRecipe(t.dir, 'nogguf.yml', RECIPE.replace(/mergeops:\n.*\n/, '')), '--out', join(t.dir, 'split', 'none'),
      '--split-max-size', '500K']);
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/writes none[\s\S]*hint: add --gguf/);
    expect(existsSync(join(t.dir, 'split', 'none'))).toBe(false);
  });

  it('a run that fails while writing GGUF leaves no output and no GGUF file behind', async () => {
    // A NaN weight merges fine into safetensors, but GGUF quantization rejects it mid-merge.
    const bad = join(t.dir, 'bad-rev');
    cpSync(join(EXAMPLE_MODELS, 'rev'), bad, { recursive: true });
    const w = (await readLocalModel(bad)).tensors.get('model.layers.2.mlp.up_proj.weight')!;
    const fd = openSync(w.file, 'r+');
    writeSync(fd, new Uint8Array([0xc0, 0x7f]), 0, 2, w.start + 64); // BF16 NaN
    closeSync(fd);
    const dir = join(t.dir, 'failing');
    const recipe = writeRecipe(t.dir, 'nan.yml', RECIPE.replace(join(EXAMPLE_MODELS, 'rev'), bad));
    const r = runCli(['run', recipe, '--out', join(dir, 'merged'), '--gguf', 'Q8_0,Q4_K_M']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('model.layers.2.mlp.up_proj.weight has a non-finite value');
    expect(existsSync(join(dir, 'merged'))).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('an F16 GGUF that llama.cpp computes NaN logits from fails the run and leaves nothing', async () => {
    // F16 keeps a NaN weight as NaN (no quantizer to refuse it): only the llama.cpp check sees it.
    const bad = join(t.dir, 'bad-norm');
    cpSync(join(EXAMPLE_MODELS, 'rev'), bad, { recursive: true });
    const w = (await readLocalModel(bad)).tensors.get('model.layers.0.mlp.down_proj.weight')!;
    const fd = openSync(w.file, 'r+');
    for (let i = 0; i < 64; i++) writeSync(fd, new Uint8Array([0xc0, 0x7f]), 0, 2, w.start + 2 * 97 * i); // BF16 NaN
    closeSync(fd);
    const dir = join(t.dir, 'nan-f16');
    const recipe = writeRecipe(t.dir, 'nan-f16.yml', RECIPE.replace(join(EXAMPLE_MODELS, 'rev'), bad));
    // --allow-nonfinite lets the NaN tensor through the merge's own check (execute/health.ts).
    const r = runCli(['run', recipe, '--out', join(dir, 'merged'), '--gguf', 'F16', '--allow-nonfinite']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('llama.cpp returned a non-finite logit');
    expect(readdirSync(dir)).toEqual([]);
    // --skip-gguf-check writes it anyway (the user asked for it).
    const s = runCli(['run', recipe, '--out', join(dir, 'merged'), '--gguf', 'F16', '--skip-gguf-check', '--allow-nonfinite']);
    expect(s.status).toBe(0);
    expect(existsSync(join(dir, 'merged', 'merged-F16.gguf'))).toBe(true);
  });

  it('multi-stage with a tokenizer merge: only the final outputs feed GGUF, remapped tied embeddings and plain copies included', async () => {
    const dims = { arch: 'qwen2', dtype: 'BF16' as const, hiddenSize: 64, numLayers: 2, intermediateSize: 128, numHeads: 4, numKvHeads: 2, tieEmbeddings: true };
    const a = join(t.dir, 'gen-a');
    const b = join(t.dir, 'gen-b');
    await generateModel({ ...dims, dir: a, seed: 71, vocabSize: 300, extraTokens: ['<a>'] });
    await generateModel({ ...dims, dir: b, seed: 72, vocabSize: 310, extraTokens: ['<b>'], addedTokens: ['<|s|>'] });
    const stage1 = `name: mix
merge_method: linear
models:
  - model: ${a}
    parameters: {weight: 0.6}
  - model: ${b}
    parameters: {weight: 0.4}
tokenizer:
  source: union
  pad_to_multiple_of: 16
---
`;
    // scaled: every tensor computed; unscaled: the same-dtype copy path writes input bytes as they are
    for (const [name, params] of [['scaled', '\n    parameters: {scale: 0.5}'], ['copied', '']] as const) {
      const recipe = writeRecipe(t.dir, `${name}.yml`, `${stage1}merge_method: passthrough\nmodels:\n  - model: mix${params}\n`);
      const out = join(t.dir, name);
      const pre = ['--tokenizer-pre', 'qwen2']; // generated tokenizers have no fingerprint llama.cpp knows
      ok(runCli(['run', recipe, '--out', out, '--gguf', 'Q4_K_M,Q8_0', '--max-memory', String(minMaxMemory(2) + 200_000), '--threads', '2', ...pre]));
      expect(readdirSync(out).filter((f) => f.endsWith('.gguf')).sort()).toEqual([`${name}-Q4_K_M.gguf`, `${name}-Q8_0.gguf`]);
      const merged = await readLocalModel(out);
      expect([merged.tensors.has('lm_head.weight'), merged.tensors.get('model.embed_tokens.weight')?.shape[0]]).toEqual([false, 320]);
      expectSameAsQuantize(out, join(t.dir, `${name}-q`), ['Q4_K_M', 'Q8_0'], pre);
    }
  });

  it('--gguf Q4_K_M,Q8_0 reads no byte twice: GGUF output adds far fewer reads than one pass over the output', async () => {
    const dims = { arch: 'llama', dtype: 'BF16' as const, hiddenSize: 512, numLayers: 2, vocabSize: 8192, intermediateSize: 1024, numHeads: 8, numKvHeads: 4 };
    const a = join(t.dir, 'big-a');
    const b = join(t.dir, 'big-b');
    await generateModel({ ...dims, dir: a, seed: 81 });
    await generateModel({ ...dims, dir: b, seed: 82, baseFrom: a });
    // The example tokenizer (SentencePiece) converts as it is; the generated one would need --tokenizer-pre.
    for (const f of ['tokenizer.model', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json']) {
      cpSync(join(EXAMPLE_MODELS, 'base', f), join(a, f));
    }
    const recipe = writeRecipe(t.dir, 'big.yml', `merge_method: linear
models:
  - model: ${a}
    parameters: {weight: 0.5}
  - model: ${b}
    parameters: {weight: 0.5}
`);
    const plan = await planRecipeFile(recipe);
    const plain = runCliCountingReads(['run', recipe, '--out', join(t.dir, 'big-plain')]);
    ok(plain);
    // Without the llama.cpp load check, which reads each GGUF on purpose (tested above).
    const withGGUF = runCliCountingReads(['run', recipe, '--out', join(t.dir, 'big-gguf'), '--gguf', 'Q4_K_M,Q8_0', '--skip-gguf-check']);
    ok(withGGUF);
    expect(plain.rchar).toBeGreaterThanOrEqual(plan.estimates.inputBytes);
    // A second pass over the merged safetensors (once per GGUF type) would add 2 × outputBytes.
    const extra = withGGUF.rchar - plain.rchar;
    console.log(`reads: ${plain.rchar} B without GGUF, +${extra} B with Q4_K_M and Q8_0 (inputs ${plan.estimates.inputBytes} B, output ${plan.estimates.outputBytes} B)`);
    expect(extra).toBeLessThan(plan.estimates.outputBytes / 4);
    expect(readdirSync(join(t.dir, 'big-gguf')).filter((f) => f.endsWith('.gguf')).sort()).toEqual(['big-gguf-Q4_K_M.gguf', 'big-gguf-Q8_0.gguf']);
  });
});
