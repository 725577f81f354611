import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MergeopsError, SafetensorsError } from '../../src/errors.js';
import {
  buildIndexJson,
  buildSafetensorsHeader,
  planShards,
  type TensorSpec,
} from '../../src/formats/safetensors.js';
import { readLocalModel, readSafetensorsHeader, readTensorBytes } from '../../src/hub/local.js';

const FIXTURES = '/work/shared/fixtures/models';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'mergeops-local-'));
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

let counter = 0;
function newDir(files: Record<string, string | Uint8Array> = {}, config: object | null = { model_type: 'llama' }): string {
  const dir = path.join(tmp, `m${counter++}`);
  mkdirSync(dir);
  if (config) writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  for (const [name, data] of Object.entries(files)) writeFileSync(path.join(dir, name), data);
  return dir;
}

/** Deterministic pseudo-random bytes. */
function bytesFor(seed: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** A complete safetensors file with real data; returns the file bytes and each tensor's bytes. */
function safetensorsFile(specs: TensorSpec[], seed: number): { file: Uint8Array; data: Map<string, Uint8Array> } {
  const { header, entries } = buildSafetensorsHeader(specs);
  const size = entries.length ? entries[entries.length - 1].end : header.length;
  const file = new Uint8Array(size);
  file.set(header, 0);
  const data = new Map<string, Uint8Array>();
  entries.forEach((e, i) => {
    const b = bytesFor(seed * 1000 + i + 1, e.end - e.start);
    file.set(b, e.start);
    data.set(e.name, b);
  });
  return { file, data };
}

async function rejection(p: Promise<unknown>): Promise<MergeopsError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(MergeopsError);
    return e as MergeopsError;
  }
  throw new Error('expected a rejection');
}

describe('readLocalModel on the fixture models', () => {
  it.each(['base', 'add', 'rev'])('reads %s', async (name) => {
    const dir = path.join(FIXTURES, name);
    const m = await readLocalModel(dir);
    expect(m.dir).toBe(dir);
    expect(m.config['model_type']).toBe('llama');
    expect(m.shardFiles).toEqual(['model.safetensors']);
    expect(m.otherFiles).toEqual([
      'generation_config.json', 'special_tokens_map.json', 'tokenizer.json', 'tokenizer.model', 'tokenizer_config.json',
    ]);
    expect(m.tensors.size).toBe(39);
    const file = path.join(dir, 'model.safetensors');
    const all = [...m.tensors.values()];
    for (const t of all) {
      expect(t.dtype).toBe('BF16');
      expect(t.file).toBe(file);
      expect(t.end - t.start).toBe(t.shape.reduce((a, b) => a * b, 1) * 2);
    }
    // contiguous, in file order, up to the end of the 3,497,400-byte file
    for (let i = 1; i < all.length; i++) expect(all[i].start).toBe(all[i - 1].end);
    expect(all[all.length - 1].end).toBe(3_497_400);
    expect(m.tensors.get('lm_head.weight')?.shape).toEqual([320, 192]);
    expect(m.tensors.get('model.embed_tokens.weight')?.shape).toEqual([320, 192]);
    expect(m.tensors.get('model.layers.0.self_attn.q_proj.weight')?.shape).toEqual([192, 192]);
    expect(m.tensors.get('model.layers.3.self_attn.k_proj.weight')?.shape).toEqual([96, 192]);
    expect(m.tensors.get('model.layers.3.mlp.down_proj.weight')?.shape).toEqual([192, 512]);
    expect(m.tensors.get('model.norm.weight')?.shape).toEqual([192]);

    const t = m.tensors.get('model.norm.weight')!;
    const bytes = await readTensorBytes(t);
    expect(bytes).toEqual(new Uint8Array(readFileSync(file).subarray(t.start, t.end)));
  });

  it('readSafetensorsHeader reads the metadata', async () => {
    const h = await readSafetensorsHeader(path.join(FIXTURES, 'base', 'model.safetensors'));
    expect(h.metadata).toEqual({ format: 'pt' });
    expect(h.tensors).toHaveLength(39);
    expect(h.dataStart).toBe(8 + h.headerLength);
  });
});

describe('readLocalModel on a sharded model', () => {
  const specs: TensorSpec[] = [
    { name: 'model.embed_tokens.weight', dtype: 'BF16', shape: [16, 8] },
    { name: 'model.layers.0.self_attn.q_proj.weight', dtype: 'F32', shape: [8, 8] },
    { name: 'model.layers.0.input_layernorm.weight', dtype: 'F16', shape: [8] },
    { name: 'model.layers.1.self_attn.q_proj.weight', dtype: 'F32', shape: [8, 8] },
    { name: 'model.norm.weight', dtype: 'BF16', shape: [8] },
    { name: 'lm_head.weight', dtype: 'BF16', shape: [16, 8] },
  ];

  function writeSharded(extraFiles: Record<string, string> = {}): { dir: string; data: Map<string, Uint8Array>; weightMap: Record<string, string> } {
    const plan = planShards(specs, 300);
    expect(plan.length).toBeGreaterThan(1);
    const dir = newDir({ 'tokenizer.json': '{}', 'README.md': '# hi', ...extraFiles });
    const data = new Map<string, Uint8Array>();
    const weightMap: Record<string, string> = {};
    let total = 0;
    plan.forEach((shard, i) => {
      const f = safetensorsFile(shard.tensors, i + 1);
      writeFileSync(path.join(dir, shard.fileName), f.file);
      for (const [k, v] of f.data) {
        data.set(k, v);
        weightMap[k] = shard.fileName;
      }
      total += shard.totalBytes;
    });
    writeFileSync(path.join(dir, 'model.safetensors.index.json'), buildIndexJson(weightMap, total));
    return { dir, data, weightMap };
  }

  it('reads every shard through the index and returns exactly the bytes written', async () => {
    const { dir, data } = writeSharded();
    const m = await readLocalModel(dir);
    const shardNames = planShards(specs, 300).map((p) => p.fileName);
    expect(m.shardFiles).toEqual(shardNames);
    expect(m.otherFiles).toEqual(['README.md', 'tokenizer.json']);
    // insertion order = weight_map order (sorted by the index writer)
    expect([...m.tensors.keys()]).toEqual(specs.map((s) => s.name).sort());
    for (const s of specs) {
      const t = m.tensors.get(s.name)!;
      expect(t.dtype).toBe(s.dtype);
      expect(t.shape).toEqual(s.shape);
      expect(path.isAbsolute(t.file)).toBe(true);
      expect(await readTensorBytes(t)).toEqual(data.get(s.name));
    }
  });

  it('reads the same model without an index (all *.safetensors)', async () => {
    const { dir, data } = writeSharded();
    rmSync(path.join(dir, 'model.safetensors.index.json'));
    const m = await readLocalModel(dir);
    expect([...m.tensors.keys()]).toEqual(specs.map((s) => s.name));
    for (const [name, bytes] of data) expect(await readTensorBytes(m.tensors.get(name)!)).toEqual(bytes);
  });

  it('follows symlinks (Hugging Face cache snapshots)', async () => {
    const { dir, data } = writeSharded();
    const linked = newDir({}, null);
    for (const n of ['config.json', 'model.safetensors.index.json', 'tokenizer.json', ...planShards(specs, 300).map((p) => p.fileName)]) {
      symlinkSync(path.join(dir, n), path.join(linked, n));
    }
    const m = await readLocalModel(linked);
    expect(m.otherFiles).toEqual(['tokenizer.json']);
    const t = m.tensors.get('lm_head.weight')!;
    expect(await readTensorBytes(t)).toEqual(data.get('lm_head.weight'));
  });

  it('prefers the index over a stray model.safetensors and never lists weights as other files', async () => {
    const { dir } = writeSharded({ 'pytorch_model.bin': 'pickle', 'training_args.bin': 'x' });
    writeFileSync(path.join(dir, 'model.safetensors'), safetensorsFile([{ name: 'zzz', dtype: 'U8', shape: [1] }], 9).file);
    const m = await readLocalModel(dir);
    expect(m.tensors.has('zzz')).toBe(false);
    expect(m.otherFiles).toEqual(['README.md', 'tokenizer.json']);
  });

  it('errors when a shard listed in the index is missing', async () => {
    const { dir, weightMap } = writeSharded();
    rmSync(path.join(dir, weightMap['lm_head.weight']));
    const e = await rejection(readLocalModel(dir));
    expect(e.code).toBe('MODEL_NOT_FOUND');
    expect(e.message).toMatch(new RegExp(`lists shard ${weightMap['lm_head.weight']}, but .* does not exist`));
    expect(e.hint).toMatch(/download is incomplete/);
  });

  it('errors when the index names a tensor its shard lacks', async () => {
    const { dir, weightMap } = writeSharded();
    weightMap['ghost.weight'] = weightMap['lm_head.weight'];
    writeFileSync(path.join(dir, 'model.safetensors.index.json'), buildIndexJson(weightMap, 0));
    const e = await rejection(readLocalModel(dir));
    expect(e.code).toBe('TENSOR_MISSING');
    expect(e.message).toMatch(/tensor "ghost.weight" is in model-0000\d-of-0000\d.safetensors, but that shard has no such tensor/);
  });

  it('errors on a malformed index', async () => {
    const { dir } = writeSharded();
    writeFileSync(path.join(dir, 'model.safetensors.index.json'), '{"weight_map": 5}');
    const e = await rejection(readLocalModel(dir));
    expect(e).toBeInstanceOf(SafetensorsError);
    expect(e.message).toMatch(/model\.safetensors\.index\.json: "weight_map" must be an object/);
  });
});

describe('readLocalModel errors', () => {
  it('names a missing folder', async () => {
    const p = path.join(tmp, 'does-not-exist');
    const e = await rejection(readLocalModel(p));
    expect(e.code).toBe('MODEL_NOT_FOUND');
    expect(e.message).toBe(`model folder ${p} does not exist`);
  });

  it('names a missing config.json', async () => {
    const dir = newDir({ 'model.safetensors': safetensorsFile([], 1).file }, null);
    const e = await rejection(readLocalModel(dir));
    expect(e.code).toBe('MODEL_NOT_FOUND');
    expect(e.message).toContain(path.join(dir, 'config.json'));
  });

  it('rejects a file given as the folder', async () => {
    const dir = newDir();
    const e = await rejection(readLocalModel(path.join(dir, 'config.json')));
    expect(e.code).toBe('MODEL_NOT_FOUND');
    expect(e.message).toMatch(/is not a folder/);
  });

  it('rejects an invalid config.json', async () => {
    const dir = newDir({ 'config.json': '{not json' }, null);
    const e = await rejection(readLocalModel(dir));
    expect(e.message).toMatch(/config\.json is not valid JSON/);
    const dir2 = newDir({ 'config.json': '[1]' }, null);
    expect((await rejection(readLocalModel(dir2))).message).toMatch(/must be a JSON object/);
  });

  it('refuses pytorch_model.bin-only folders with a hint', async () => {
    const dir = newDir({ 'pytorch_model.bin': 'not really a pickle' });
    const e = await rejection(readLocalModel(dir));
    expect(e.code).toBe('MODEL_NOT_FOUND');
    expect(e.message).toMatch(/only PyTorch pickle weights \(pytorch_model\.bin\)/);
    expect(e.hint).toMatch(/never loads pickles.*safe_serialization=True/);
  });

  it('errors on a folder without weights', async () => {
    const e = await rejection(readLocalModel(newDir({ 'tokenizer.json': '{}' })));
    expect(e.message).toMatch(/has no \*\.safetensors weights/);
  });

  it('errors on duplicate tensor names across shards', async () => {
    const a = safetensorsFile([{ name: 'w', dtype: 'F32', shape: [2] }, { name: 'x', dtype: 'F32', shape: [1] }], 1).file;
    const b = safetensorsFile([{ name: 'w', dtype: 'F32', shape: [2] }], 2).file;
    const dir = newDir({ 'a.safetensors': a, 'b.safetensors': b });
    const e = await rejection(readLocalModel(dir));
    expect(e).toBeInstanceOf(SafetensorsError);
    expect(e.message).toBe(`${path.join(dir, 'b.safetensors')}: tensor "w" is also in a.safetensors`);
  });

  it('reports truncated and corrupted shards with the file name', async () => {
    const full = safetensorsFile([{ name: 'w', dtype: 'F32', shape: [64] }], 1).file;
    const dir = newDir({ 'model.safetensors': full.subarray(0, full.length - 10) });
    const e = await rejection(readLocalModel(dir));
    expect(e).toBeInstanceOf(SafetensorsError);
    expect(e.message).toMatch(/model\.safetensors: tensor "w": data_offsets \[0, 256\] run past the end of the data section/);

    const dir2 = newDir({ 'model.safetensors': full.subarray(0, 5) });
    expect((await rejection(readLocalModel(dir2))).message).toMatch(/file is truncated: 5 bytes/);

    const big = new Uint8Array(16);
    new DataView(big.buffer).setBigUint64(0, 2n ** 62n, true);
    const dir3 = newDir({ 'model.safetensors': big });
    expect((await rejection(readLocalModel(dir3))).message).toMatch(/exceeds the 104857600-byte limit/);
  });
});
