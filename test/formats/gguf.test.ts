/**
 * The GGUF codec and file sink: every KV type, layout rules (alignment, contiguous offsets,
 * header computed before data), positional writes in any order, atomic finish, gguf-split
 * layout — read back by @huggingface/gguf and, for splits, loaded by llama.cpp.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { MergeopsError } from '../../src/errors.js';
import { quantizeFolder } from '../../src/quantize.js';
import { GGUFFileSink } from '../../src/execute/gguf-sink.js';
import { verifyGGUF } from '../../src/execute/gguf-verify.js';
import { ggufSplitName, GGUFMetadata, GGUFValueType, kv, layoutGGUF, splitGGUF, type GGUFTensorSpec } from '../../src/formats/gguf.js';
import { readGGUF, readBytes } from '../support/gguf-read.js';
import { loadGGUF } from '../support/llama-cpp.js';
import { EXAMPLE_MODELS, tempDir } from '../support/tmp.js';

const { dir: TMP, cleanup } = tempDir('mergeops-gguf-codec-');
afterAll(cleanup);

function sampleMeta(): GGUFMetadata {
  return new GGUFMetadata()
    .set(kv.str('general.architecture', 'llama'))
    .set(kv.u8('t.u8', 200))
    .set(kv.u16('t.u16', 60000))
    .set(kv.u32('t.u32', 4000000000))
    .set(kv.i32('t.i32', -5))
    .set(kv.u64('t.u64', 2n ** 40n))
    .set(kv.f32('t.f32', 0.5))
    .set(kv.bool('t.bool', true))
    .set(kv.str('t.str', 'héllo ▁ 🦙'))
    .set(kv.strs('t.strs', ['a', '', 'ccc']))
    .set(kv.f32s('t.f32s', [1.5, -2]))
    .set(kv.i32s('t.i32s', [1, -1, 3]));
}

const TENSORS: GGUFTensorSpec[] = [
  { name: 'a', shape: [3, 5], type: 'F32' },
  { name: 'b', shape: [7], type: 'F16' },
  { name: 'q', shape: [2, 64], type: 'Q8_0' },
];

describe('GGUFMetadata', () => {
  test('set keeps a re-set key in place and skips empty values (gguf-py); setLast moves it (gguf.cpp)', () => {
    const m = new GGUFMetadata().set(kv.u32('a', 1)).set(kv.u32('b', 2)).set(kv.str('empty', '')).set(kv.strs('none', []));
    m.set(kv.u32('a', 3));
    expect(m.entries().map((e) => [e.key, e.value])).toEqual([['a', 3], ['b', 2]]);
    m.setLast(kv.u32('a', 4));
    expect(m.entries().map((e) => e.key)).toEqual(['b', 'a']);
  });
});

describe('layoutGGUF + GGUFFileSink', () => {
  test('every value type reads back with @huggingface/gguf; offsets aligned and contiguous; data where the layout says', async () => {
    const layout = layoutGGUF(sampleMeta(), TENSORS);
    expect(layout.dataOffset % 32).toBe(0);
    expect(layout.tensors.map((t) => t.nbytes)).toEqual([60, 14, 136]);
    expect(layout.tensors.map((t) => t.offset - layout.dataOffset)).toEqual([0, 64, 96]);
    expect(layout.fileSize).toBe(layout.dataOffset + 96 + 160);
    const file = path.join(TMP, 'sample.gguf');
    const sink = await GGUFFileSink.create(file, layout);
    // any order
    const q = Uint8Array.from({ length: 136 }, (_, i) => (i * 7) & 0xff);
    const a = new Uint8Array(new Float32Array(Array.from({ length: 15 }, (_, i) => i - 7.25)).buffer);
    const b = Uint8Array.from({ length: 14 }, (_, i) => i + 1);
    await sink.writeTensor('q', q);
    await sink.writeTensor('a', a);
    await sink.writeTensor('b', b);
    await sink.finish();
    expect(statSync(file).size).toBe(layout.fileSize);
    const g = await readGGUF(file);
    expect(g.keys).toEqual(sampleMeta().entries().map((e) => e.key));
    const v = (k: string) => g.typed[k];
    expect(v('t.u8')).toMatchObject({ value: 200, type: GGUFValueType.UINT8 });
    expect(v('t.u16')).toMatchObject({ value: 60000, type: GGUFValueType.UINT16 });
    expect(v('t.u32')).toMatchObject({ value: 4000000000, type: GGUFValueType.UINT32 });
    expect(v('t.i32')).toMatchObject({ value: -5, type: GGUFValueType.INT32 });
    expect(v('t.u64')).toMatchObject({ value: 2n ** 40n, type: GGUFValueType.UINT64 });
    expect(v('t.f32')).toMatchObject({ value: 0.5, type: GGUFValueType.FLOAT32 });
    expect(v('t.bool')).toMatchObject({ value: true, type: GGUFValueType.BOOL });
    expect(v('t.str').value).toBe('héllo ▁ 🦙');
    expect(v('t.strs')).toMatchObject({ value: ['a', '', 'ccc'], type: GGUFValueType.ARRAY, subType: GGUFValueType.STRING });
    expect(v('t.f32s').value).toEqual([1.5, -2]);
    expect(v('t.i32s')).toMatchObject({ value: [1, -1, 3], subType: GGUFValueType.INT32 });
    expect(g.tensors.map((t) => [t.name, t.shape, t.type])).toEqual([['a', [3, 5], 0], ['b', [7], 1], ['q', [2, 64], 8]]);
    expect(readBytes(file, g.tensors[0].offset, 60)).toEqual(a);
    expect(readBytes(file, g.tensors[1].offset, 14)).toEqual(b);
    expect(readBytes(file, g.tensors[2].offset, 136)).toEqual(q);
    // padding is zeros
    expect([...readBytes(file, g.tensors[1].offset + 14, 18)].every((x) => x === 0)).toBe(true);
  });

  test('verifyGGUF: the written file reads back as planned, and a different plan is caught', async () => {
    const layout = layoutGGUF(sampleMeta(), TENSORS);
    const file = path.join(TMP, 'verify.gguf');
    const sink = await GGUFFileSink.create(file, layout);
    for (const t of layout.tensors) await sink.writeTensor(t.name, new Uint8Array(t.nbytes));
    await sink.finish();
    await verifyGGUF(file, layout, sampleMeta());
    const other = layoutGGUF(sampleMeta(), TENSORS.map((t) => (t.name === 'b' ? { ...t, name: 'c' } : t)));
    await expect(verifyGGUF(file, other, sampleMeta())).rejects.toThrow(/tensor 1 reads as b \[7\] type 1, written as c/);
    await expect(verifyGGUF(file, layout, sampleMeta().set(kv.u32('extra', 1)))).rejects.toThrow(/metadata keys differ/);
  });

  test('the header does not depend on data: same names/shapes → same header length whatever the types', () => {
    const l1 = layoutGGUF(sampleMeta(), TENSORS);
    const l2 = layoutGGUF(sampleMeta(), TENSORS.map((t) => ({ ...t, type: 'F32' as const })));
    expect(l2.dataOffset).toBe(l1.dataOffset);
  });

  test('invalid layouts are refused with a reason', () => {
    const err = (f: () => unknown, re: RegExp) => {
      expect(f).toThrow(MergeopsError);
      expect(f).toThrow(re);
    };
    err(() => layoutGGUF(sampleMeta(), [{ name: 'x', shape: [2, 48], type: 'Q8_0' }]), /not a whole number of Q8_0 blocks/);
    err(() => layoutGGUF(sampleMeta(), [{ name: 'x'.repeat(64), shape: [1], type: 'F32' }]), /at most 63/);
    err(() => layoutGGUF(sampleMeta(), [{ name: 'x', shape: [1], type: 'F32' }, { name: 'x', shape: [1], type: 'F32' }]), /appears twice/);
    err(() => layoutGGUF(sampleMeta(), [{ name: 'x', shape: [1, 1, 1, 1, 1], type: 'F32' }]), /1 to 4/);
    err(() => layoutGGUF(new GGUFMetadata().set(kv.u32('bad', -1)), []), /not a valid UINT32/);
  });

  test('an unfinished file never appears; a wrong-sized write is refused', async () => {
    const file = path.join(TMP, 'partial.gguf');
    const sink = await GGUFFileSink.create(file, layoutGGUF(sampleMeta(), TENSORS));
    await expect(sink.writeTensor('a', new Uint8Array(59))).rejects.toThrow(/59 bytes given, 60 expected/);
    await sink.writeTensor('a', new Uint8Array(60));
    await expect(sink.finish()).rejects.toThrow(/2 tensor\(s\) not \(completely\) written \(b, q/);
    expect(existsSync(file)).toBe(false);
    expect(readdirSync(TMP).filter((f) => f.includes('partial'))).toEqual([]);
  });
});

describe('splitGGUF (gguf-split format)', () => {
  test('file names, split keys and their order, tensors in order across files', () => {
    expect(ggufSplitName('m-Q4_K_M', 0, 3)).toBe('m-Q4_K_M-00001-of-00003.gguf');
    const tensors: GGUFTensorSpec[] = Array.from({ length: 5 }, (_, i) => ({ name: `t${i}`, shape: [8], type: 'F32' as const }));
    const files = splitGGUF(sampleMeta(), tensors, 'm', { maxTensors: 2 });
    expect(files.map((f) => f.fileName)).toEqual(['m-00001-of-00003.gguf', 'm-00002-of-00003.gguf', 'm-00003-of-00003.gguf']);
    expect(files.map((f) => f.layout.tensors.map((t) => t.name))).toEqual([['t0', 't1'], ['t2', 't3'], ['t4']]);
    // by size: each tensor pads to 32 bytes; 64 bytes per file → 2 per file
    expect(splitGGUF(sampleMeta(), tensors, 'm', { maxBytes: 64 }).map((f) => f.layout.tensors.length)).toEqual([2, 2, 1]);
    // one file: plain name, no split keys
    const one = splitGGUF(sampleMeta(), tensors, 'm', { maxTensors: 10 });
    expect(one.map((f) => f.fileName)).toEqual(['m.gguf']);
  });

  test('a split model reads back per file and llama.cpp loads it from the first part', async () => {
    const out = path.join(TMP, 'split');
    const r = await quantizeFolder({ modelDir: path.join(EXAMPLE_MODELS, 'base'), outDir: out, fileType: 'F16', prefix: 'base', split: { maxTensors: 16 } });
    expect(r.files.map((f) => path.basename(f.path))).toEqual(['base-00001-of-00003.gguf', 'base-00002-of-00003.gguf', 'base-00003-of-00003.gguf']);
    const parts = await Promise.all(r.files.map((f) => readGGUF(f.path)));
    expect(parts[0].keys.slice(-3)).toEqual(['split.no', 'split.tensors.count', 'split.count']);
    expect(parts[0].keys).toContain('tokenizer.ggml.tokens');
    expect(parts[1].keys).toEqual(['split.no', 'split.tensors.count', 'split.count']);
    expect(parts.map((p) => [p.typed['split.no'].value, p.typed['split.count'].value, p.typed['split.tensors.count'].value]))
      .toEqual([[0, 3, 39], [1, 3, 39], [2, 3, 39]]);
    expect(parts[1].typed['split.no'].type).toBe(GGUFValueType.UINT16);
    expect(parts[1].typed['split.tensors.count'].type).toBe(GGUFValueType.INT32);
    expect(parts.map((p) => p.tensors.length)).toEqual([16, 16, 7]);
    const whole = await quantizeFolder({ modelDir: path.join(EXAMPLE_MODELS, 'base'), outDir: out, fileType: 'F16', prefix: 'whole' });
    const a = await loadGGUF(r.files[0].path);
    const b = await loadGGUF(whole.files[0].path);
    try {
      const p = [1, 271, 272, 273, 287, 274, 277, 276];
      expect(await a.logits(p)).toEqual(await b.logits(p));
    } finally {
      await a.dispose();
      await b.dispose();
    }
  });
});
