/**
 * `model+lora` end to end through the CLI: PEFT adapters written by the test (random factors) are
 * applied while streaming, and every output tensor is compared with a reference computed here —
 * float64 (base + scale·B·A, then the merge method) rounded once, and for float32 output the
 * documented float32 formula bit for bit, independent of threads and chunk sizes.
 */
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../support/cli.js';
import { generateAdapter, patchedF64, peftConfig, type AdapterModuleSpec, type GeneratedTensor } from '../support/generate-adapter.js';
import { generateModel } from '../support/generate-model.js';
import { bitsOf, compareWithReference, readModelF64, roundF64Bits, type F64Tensor } from '../support/reference.js';
import { EXAMPLE_MODELS, tempDir, writeRecipe } from '../support/tmp.js';

const t = tempDir('mergeops-lora-merge-');
afterAll(t.cleanup);

function merge(recipe: string, out: string, extra: string[] = []): void {
  const r = runCli(['run', recipe, '--out', out, ...extra]);
  if (r.status !== 0) throw new Error(`mergeops run failed (${r.status}):\n${r.stderr}`);
}

const PREFIX = 'base_model.model.';

/** The patched weights of a model: name → float64 values of base + scale·(B·A). */
function patchedModel(base: Map<string, F64Tensor>, adapter: Map<string, GeneratedTensor>, modules: AdapterModuleSpec[],
  scaleOf: (m: AdapterModuleSpec) => number, sfx = ''): Map<string, Float64Array> {
  const out = new Map<string, Float64Array>();
  for (const [name, b] of base) out.set(name, b.data);
  for (const m of modules) {
    const p = `${PREFIX}${m.module}`;
    const [a, bm] = m.embedding
      ? [adapter.get(`${p}.lora_embedding_B${sfx}`)!, adapter.get(`${p}.lora_embedding_A${sfx}`)!]
      : [adapter.get(`${p}.lora_A${sfx}.weight`)!, adapter.get(`${p}.lora_B${sfx}.weight`)!];
    const w = base.get(`${m.module}.weight`)!;
    out.set(`${m.module}.weight`, patchedF64(w.data, m.rows, m.cols, m.rank, scaleOf(m), a.data, bm.data, m.embedding));
  }
  return out;
}

describe('linear merge of base+adapter with a fine-tune (trained fixtures, BF16)', () => {
  const BASE = join(EXAMPLE_MODELS, 'base');
  const ADD = join(EXAMPLE_MODELS, 'add');
  const modules: AdapterModuleSpec[] = [];
  for (let l = 0; l < 4; l++) {
    modules.push({ module: `model.layers.${l}.self_attn.q_proj`, rows: 192, cols: 192, rank: 8 });
    modules.push({ module: `model.layers.${l}.self_attn.v_proj`, rows: 96, cols: 192, rank: 8 });
  }
  modules.push({ module: 'model.layers.2.mlp.down_proj', rows: 192, cols: 512, rank: 4 });
  // r = 8, alpha = 16 (scale 2); down_proj: rank 4 and alpha 12 from the patterns (scale 3).
  const scaleOf = (m: AdapterModuleSpec): number => (m.module.endsWith('down_proj') ? 3 : 2);

  it('equals (0.6·(W + s·B·A) + 0.4·X) in every tensor, rounded once', async () => {
    const adapterDir = join(t.dir, 'fixture-adapter');
    const adapter = generateAdapter({
      dir: adapterDir, seed: 11, dtype: 'BF16', modules,
      config: peftConfig({ r: 8, lora_alpha: 16, target_modules: ['q_proj', 'v_proj', 'down_proj'], rank_pattern: { 'layers.2.mlp.down_proj': 4 }, alpha_pattern: { down_proj: 12 } }),
    });
    const recipe = writeRecipe(t.dir, 'linear.yml', `merge_method: linear
models:
  - model: ${BASE}+${adapterDir}
    parameters: {weight: 0.6}
  - model: ${ADD}
    parameters: {weight: 0.4}
`);
    const out = join(t.dir, 'out-linear');
    merge(recipe, out);
    const [base, x, merged] = await Promise.all([readModelF64(BASE), readModelF64(ADD), readModelF64(out)]);
    const patched = patchedModel(base, adapter, modules, scaleOf);
    expect([...merged.keys()].sort()).toEqual([...base.keys()].sort());
    let n = 0;
    let mismatches = 0;
    let far = 0;
    let adaptedDiffer = 0;
    for (const [name, o] of merged) {
      expect(o.dtype).toBe('BF16');
      const w = patched.get(name)!, xv = x.get(name)!.data, bv = base.get(name)!.data;
      const got = bitsOf('BF16', o.bytes);
      for (let i = 0; i < w.length; i++) {
        const ref = 0.6 * w[i] + 0.4 * xv[i];
        n++;
        if (got[i] === roundF64Bits('BF16', ref)) continue;
        mismatches++;
        // Within one BF16 ulp of the exact value; or, where 0.6·w and 0.4·x cancel (ulps of a tiny
        // result mean nothing), within float32 rounding of the magnitudes involved.
        const ulp = 2 ** (Math.floor(Math.log2(Math.abs(ref) || 2 ** -133)) - 7);
        const mag = 0.6 * (Math.abs(w[i]) + 2 * Math.abs(w[i] - bv[i])) + 0.4 * Math.abs(xv[i]);
        const err = Math.abs(o.data[i] - ref);
        if (err > ulp && err > 2 ** -20 * mag) far++;
      }
      if (/layers\.\d\.self_attn\.q_proj|layers\.2\.mlp\.down_proj/.test(name)) {
        // The adapter really changed these: the merge without it disagrees in most elements.
        const plain = bv.map((v, i) => 0.6 * v + 0.4 * xv[i]);
        const c = compareWithReference('BF16', o.bytes, plain);
        expect(c.mismatches / c.n).toBeGreaterThan(0.5);
        adaptedDiffer++;
      }
    }
    expect(adaptedDiffer).toBe(5);
    console.log(`linear of base+lora (fixtures): ${mismatches} of ${n} elements differ from the float64 reference rounded to BF16 `
      + `(${far} by more than 1 ulp or float32 rounding of the terms)`);
    expect(far).toBe(0);
    expect(mismatches / n).toBeLessThan(2e-3);
    // The adapter is applied while streaming: nothing is written next to it.
    expect(readdirSync(adapterDir).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors']);
  });
});

describe('passthrough of a generated model + adapter with embedding LoRA, modules_to_save and rsLoRA (F32 out)', () => {
  // Long MLP rows (1536) so that with the smallest memory budget chunks start and end mid-row.
  const dims = { hiddenSize: 64, numLayers: 2, vocabSize: 96, intermediateSize: 1536, numHeads: 4, numKvHeads: 2 };
  const modules: AdapterModuleSpec[] = [
    { module: 'model.embed_tokens', rows: 96, cols: 64, rank: 4, embedding: true },
    { module: 'model.layers.0.self_attn.q_proj', rows: 64, cols: 64, rank: 16 },
    { module: 'model.layers.0.mlp.down_proj', rows: 64, cols: 1536, rank: 16 },
    { module: 'model.layers.1.mlp.up_proj', rows: 1536, cols: 64, rank: 9 },
  ];
  // use_rslora: scale = alpha / √r; r = 16, alpha = 8 → 2; embed_tokens: r 4 → 4; up_proj: r 9, alpha 6 → 2.
  const scaleOf = (m: AdapterModuleSpec): number => (m.embedding ? 4 : 2);
  let modelDir = '';
  let adapterDir = '';
  let adapter = new Map<string, GeneratedTensor>();

  beforeAll(async () => {
    modelDir = join(t.dir, 'gen');
    await generateModel({ arch: 'llama', dir: modelDir, seed: 5, dtype: 'F16', tieEmbeddings: false, ...dims });
    adapterDir = join(t.dir, 'gen-adapter');
    adapter = generateAdapter({
      dir: adapterDir, seed: 12, dtype: 'F32', adapterName: 'default', modules,
      replacements: [{ name: 'lm_head.weight', shape: [96, 64] }],
      config: peftConfig({
        r: 16, lora_alpha: 8, use_rslora: true, target_modules: ['embed_tokens', 'q_proj', 'down_proj', 'up_proj'],
        rank_pattern: { embed_tokens: 4, 'layers.1.mlp.up_proj': 9 }, alpha_pattern: { up_proj: 6 }, modules_to_save: ['lm_head'],
      }),
    });
  });

  /** The documented float32 formula (kernels/lora-input.ts, wasm/src/lora.rs). */
  function f32Patched(w: Float64Array, m: AdapterModuleSpec): Uint32Array {
    const f = Math.fround;
    const p = `${PREFIX}${m.module}`;
    const out = new Float32Array(w.length);
    const s = f(scaleOf(m));
    if (m.embedding) {
      const bT = adapter.get(`${p}.lora_embedding_A.default`)!.data; // [r, rows]
      const aT = adapter.get(`${p}.lora_embedding_B.default`)!.data; // [cols, r]
      for (let e = 0; e < w.length; e++) {
        const i = Math.floor(e / m.cols), j = e % m.cols;
        let acc = f(bT[i] * aT[j * m.rank]);
        for (let k = 1; k < m.rank; k++) acc = f(acc + f(bT[k * m.rows + i] * aT[j * m.rank + k]));
        out[e] = f(w[e] + f(acc * s));
      }
    } else {
      const a = adapter.get(`${p}.lora_A.default.weight`)!.data; // [r, cols]
      const b = adapter.get(`${p}.lora_B.default.weight`)!.data; // [rows, r]
      for (let e = 0; e < w.length; e++) {
        const i = Math.floor(e / m.cols), j = e % m.cols;
        let acc = f(b[i * m.rank] * a[j]);
        for (let k = 1; k < m.rank; k++) acc = f(acc + f(b[i * m.rank + k] * a[k * m.cols + j]));
        out[e] = f(w[e] + f(acc * s));
      }
    }
    return new Uint32Array(out.buffer);
  }

  it('writes the float32 formula bit for bit, the same with 1 thread and with 2 threads in tiny chunks', async () => {
    const recipe = writeRecipe(t.dir, 'pass.yml', `merge_method: passthrough
models:
  - model: ${modelDir}+${adapterDir}
out_dtype: float32
`);
    const outA = join(t.dir, 'out-pass-1');
    const outB = join(t.dir, 'out-pass-2');
    merge(recipe, outA, ['--threads', '1']);
    // The smallest budget for 2 workers: 16 KiB of tensor data each, so down_proj rows (1536) are split.
    merge(recipe, outB, ['--threads', '2', '--max-memory', String(96 * 2 ** 20 + 2 * (24 * 2 ** 20 + 16384))]);
    expect(Buffer.compare(readFileSync(join(outA, 'model.safetensors')), readFileSync(join(outB, 'model.safetensors')))).toBe(0);

    const [base, merged] = await Promise.all([readModelF64(modelDir), readModelF64(outA)]);
    const patched = patchedModel(base, adapter, modules, scaleOf, '.default');
    let maxRel = 0;
    for (const [name, o] of merged) {
      expect(o.dtype).toBe('F32');
      const m = modules.find((x) => `${x.module}.weight` === name);
      const got = new Uint32Array(o.bytes.buffer, o.bytes.byteOffset, o.bytes.length / 4);
      if (name === 'lm_head.weight') {
        // modules_to_save: the adapter's tensor, whole.
        expect(Array.from(o.data)).toEqual(Array.from(adapter.get(`${PREFIX}lm_head.weight`)!.data));
      } else if (m) {
        const want = f32Patched(base.get(name)!.data, m);
        let bad = 0;
        for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) bad++;
        expect({ name, bad }).toEqual({ name, bad: 0 });
        // And close to the exact value: float32 rounding of a sum of ≤ 16 products.
        const ref = patched.get(name)!;
        for (let i = 0; i < ref.length; i++) maxRel = Math.max(maxRel, Math.abs(o.data[i] - ref[i]) / (Math.abs(ref[i]) + 1e-3));
        expect(Array.from(o.data).some((v, i) => v !== base.get(name)!.data[i])).toBe(true);
      } else {
        // Untouched tensors: the base, widened exactly.
        expect(Array.from(o.data)).toEqual(Array.from(base.get(name)!.data));
      }
    }
    console.log(`passthrough of model+lora → F32: max relative error vs float64 ${maxRel.toExponential(2)}`);
    expect(maxRel).toBeLessThan(1e-5);
  });
});

describe('errors', () => {
  const BASE = join(EXAMPLE_MODELS, 'base');
  function run(name: string, adapter: string): string {
    const recipe = writeRecipe(t.dir, `${name}.yml`, `merge_method: linear
models:
  - model: ${join(EXAMPLE_MODELS, 'add')}
  - model: ${BASE}+${adapter}
`);
    const out = join(t.dir, `out-${name}`);
    const r = runCli(['run', recipe, '--out', out]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/hint: /);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(existsSync(out)).toBe(false);
    return r.stderr;
  }

  it('a missing adapter folder or file stops the run before anything is written, pointing at the reference', () => {
    expect(run('no-folder', join(t.dir, 'no-such-adapter'))).toMatch(/no-folder\.yml:4:\d+: LoRA adapter `.*no-such-adapter` of `.*` not found/);
    const dir = join(t.dir, 'half-adapter');
    generateAdapter({ dir, seed: 1, modules: [{ module: 'model.layers.0.self_attn.q_proj', rows: 192, cols: 192, rank: 8 }], config: peftConfig({}) });
    rmSync(join(dir, 'adapter_model.safetensors'));
    expect(run('no-file', dir)).toMatch(/no-file\.yml:4:\d+: model `.*`: LoRA adapter folder .*half-adapter has no adapter_model\.safetensors/);
  });

  it('an adapter for another model is refused with the module and tensor named', () => {
    const dir = join(t.dir, 'other-adapter');
    generateAdapter({ dir, seed: 2, modules: [{ module: 'model.layers.0.self_attn.q_proj', rows: 256, cols: 192, rank: 8 }], config: peftConfig({ base_model_name_or_path: 'org/bigger-model' }) });
    const err = run('other', dir);
    expect(err).toMatch(/lora_A \[8, 192\] and lora_B \[256, 8\] of `model.layers.0.self_attn.q_proj` do not fit `model.layers.0.self_attn.q_proj.weight` \[192, 192\]/);
    expect(err).toMatch(/org\/bigger-model/);
  });
});

describe('an adapter on an earlier stage of a multi-stage recipe', () => {
  it('is applied to the stage output computed in memory: same bytes as running the stages one by one', () => {
    const m = (name: string): string => join(EXAMPLE_MODELS, name);
    const adapterDir = join(t.dir, 'stage-adapter');
    generateAdapter({
      dir: adapterDir, seed: 21, dtype: 'BF16',
      modules: [
        { module: 'model.layers.1.self_attn.o_proj', rows: 192, cols: 192, rank: 8 },
        { module: 'model.layers.3.mlp.gate_proj', rows: 512, cols: 192, rank: 8 },
      ],
      config: peftConfig({ target_modules: ['o_proj', 'gate_proj'] }),
    });
    const stage1 = `merge_method: linear
models:
  - model: ${m('add')}
    parameters: {weight: 0.5}
  - model: ${m('rev')}
    parameters: {weight: 0.5}
out_dtype: bfloat16
`;
    const stage2 = (mix: string): string => `merge_method: task_arithmetic
base_model: ${m('base')}
models:
  - model: ${mix}+${adapterDir}
    parameters: {weight: 0.8}
parameters:
  lambda: 1.0
`;
    const staged1 = join(t.dir, 'staged-mix');
    merge(writeRecipe(t.dir, 'ls1.yml', stage1), staged1);
    merge(writeRecipe(t.dir, 'ls2.yml', stage2(staged1)), join(t.dir, 'staged-final'));
    merge(writeRecipe(t.dir, 'lfused.yml', `name: mix\n${stage1}---\n${stage2('mix')}`), join(t.dir, 'fused-final'));
    const w = (dir: string): Buffer => readFileSync(join(t.dir, dir, 'model.safetensors'));
    expect(w('fused-final').equals(w('staged-final'))).toBe(true);
    // And the adapter mattered.
    merge(writeRecipe(t.dir, 'lplain.yml', `name: mix\n${stage1}---\n${stage2('mix').replace(`+${adapterDir}`, '')}`), join(t.dir, 'plain-final'));
    expect(w('fused-final').equals(w('plain-final'))).toBe(false);
  });
});
