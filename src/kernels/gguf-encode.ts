/**
 * Chunks of a tensor → their bytes in a GGUF file, inside a kernel instance's memory: the stored
 * dtype → f32 (rows moved by the Q/K permutation on the way), Gemma's norm shift, the rounding
 * through convert's intermediate type, then the file's type with the quantization kernels.
 *
 * The one encoder behind both GGUF feeders: the merge workers (each merged chunk, exactly the
 * bytes written to the safetensors shard) and `mergeops quantize` (chunks read from a model
 * folder). The bytes do not depend on the chunking as long as every chunk is whole quanta.
 */
import { MergeopsError } from '../errors.js';
import { DTYPE_SIZE, isFloatDType, KERNEL_DTYPE_CODE, type DType, type FloatDType } from '../formats/dtype.js';
import { ggmlTypeByName, type GgmlTypeInfo } from '../quant/types.js';
import type { Arena } from './arena.js';
import type { GGUFTarget } from './jobs.js';
import { quantizeRows } from './quantize.js';

/** What encoding needs of a target (not where it goes). */
export type GGUFEncoding = Omit<GGUFTarget, 'file' | 'start'>;

function typeInfo(t: GGUFEncoding): GgmlTypeInfo {
  const info = ggmlTypeByName(t.type);
  if (!info) throw new MergeopsError('INTERNAL', `unknown GGUF type ${t.type} for ${t.name}`, 'plan GGUF tensors with src/plan/gguf-plan.ts');
  return info;
}

/** Rows per head of the Q/K permutation: heads must be whole and of even size. */
function headRows(t: GGUFEncoding, heads: number): number {
  if (t.rows % heads !== 0 || (t.rows / heads) % 2 !== 0) {
    throw new MergeopsError('SHAPE_MISMATCH', `cannot permute the ${t.rows} rows of ${t.hfName} as ${heads} heads of an even head size`,
      'check num_attention_heads / num_key_value_heads in config.json against the q_proj/k_proj shapes');
  }
  return t.rows / heads;
}

/**
 * Elements every chunk must be a multiple of: whole heads for the Q/K permutation (rows move
 * only inside a head), whole rows for block types (blocks never straddle rows), else 1.
 */
export function ggufQuantum(t: GGUFEncoding): number {
  if (t.permuteHeads !== undefined) return headRows(t, t.permuteHeads) * t.cols;
  return typeInfo(t).blockSize === 1 ? 1 : t.cols;
}

/** Worker bytes per element `encodeChunk` allocates: f32 values, a rounding buffer, the output. */
export function ggufEncodeBytes(t: GGUFEncoding, srcDtype: DType): number {
  const type = typeInfo(t);
  const rounds = t.intermediate !== undefined || (t.shift !== undefined && srcDtype === 'F16');
  return 4 + (rounds ? 2 : 0) + (type.name === 'F32' ? 0 : type.typeSize / type.blockSize);
}

/** f32 values rounded to `via` and back in place (what an F16/BF16 file in between holds). */
function roundThrough(arena: Arena, f32: number, n: number, via: 'F16' | 'BF16'): void {
  const mark = arena.mark();
  const tmp = arena.alloc(2 * n);
  arena.k.convert(KERNEL_DTYPE_CODE.F32, f32, KERNEL_DTYPE_CODE[via], tmp, n);
  arena.k.convert(KERNEL_DTYPE_CODE[via], tmp, KERNEL_DTYPE_CODE.F32, f32, n);
  arena.release(mark);
}

/** llama-quantize rejects NaN/Inf weights; say where instead of writing a broken file. */
function checkFinite(t: GGUFEncoding, v: Float32Array, first: number): void {
  // One plain pass over f32, far cheaper than the quantizer that follows.
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i])) {
      throw new MergeopsError('USAGE', `tensor ${t.hfName} has a non-finite value (${v[i]}) at element ${first + i}`,
        'llama-quantize rejects NaN/Inf weights ("quantized data validation failed"); fix the model first');
    }
  }
}

export interface Encoded {
  /** The encoded bytes in the arena. */
  ptr: number;
  len: number;
  /** Their byte offset within the tensor's data in the GGUF file. */
  at: number;
}

/**
 * Encodes elements [first, first + n) of a tensor, stored as `dtype` at `src` in the arena's
 * memory (`first` and `n` whole quanta of `ggufQuantum`), into new arena memory. `src` is read only.
 */
/** `fileStart`: where the tensor's data begins in its file, to place the output buffer for the write. */
export function encodeChunk(arena: Arena, t: GGUFEncoding, src: number, dtype: DType, first: number, n: number, fileStart?: number): Encoded {
  if (!isFloatDType(dtype)) {
    throw new MergeopsError('USAGE', `tensor ${t.hfName} is ${dtype}; GGUF conversion reads F32, F16 and BF16 tensors`,
      'convert the checkpoint to a float dtype first');
  }
  const q = ggufQuantum(t);
  if (first % q !== 0 || n % q !== 0) {
    throw new MergeopsError('INTERNAL', `${t.name}: elements [${first}, ${first + n}) are not whole chunks of ${q}`,
      'chunk GGUF tensors by ggufQuantum (whole rows; whole heads for Q/K)');
  }
  const k = arena.k;
  const type = typeInfo(t);
  const code = KERNEL_DTYPE_CODE[dtype as FloatDType];
  const f32 = arena.alloc(4 * n);
  if (t.permuteHeads !== undefined) {
    // convert's `permute`: inside each head, rotate-half row i·half + j becomes row 2j + i.
    // Rows are converted straight into their new place: no second buffer.
    const hd = headRows(t, t.permuteHeads);
    const half = hd / 2;
    const inRow = t.cols * DTYPE_SIZE[dtype];
    for (let h = 0; h < n / (hd * t.cols); h++) {
      for (let i = 0; i < 2; i++) {
        for (let j = 0; j < half; j++) {
          k.convert(code, src + (h * hd + i * half + j) * inRow, KERNEL_DTYPE_CODE.F32, f32 + (h * hd + 2 * j + i) * t.cols * 4, t.cols);
        }
      }
    }
  } else k.convert(code, src, KERNEL_DTYPE_CODE.F32, f32, n);
  if (t.shift !== undefined) {
    // Only 1-D norm vectors (a few thousand elements): a plain loop is fine.
    const v = arena.f32(f32, n);
    for (let i = 0; i < n; i++) v[i] = Math.fround(v[i] + t.shift);
    // convert adds in F16 on an F16 checkpoint (a torch F16 add), then widens
    if (dtype === 'F16') roundThrough(arena, f32, n, 'F16');
  }
  if (type.blockSize > 1) checkFinite(t, arena.f32(f32, n), first);
  if (t.intermediate !== undefined) roundThrough(arena, f32, n, t.intermediate);
  const at = (first / type.blockSize) * type.typeSize;
  if (type.name === 'F32') return { ptr: f32, len: 4 * n, at };
  const len = (n / type.blockSize) * type.typeSize;
  const out = fileStart === undefined ? arena.alloc(len) : arena.allocIO(len, [], [fileStart + at]);
  // element-wise types take the chunk as one row (it may hold partial rows)
  const perRow = type.blockSize === 1 ? n : t.cols;
  quantizeRows(k, type, f32, out, n / perRow, perRow, t.hfName);
  return { ptr: out, len, at };
}

/** Writes `len` bytes at `ptr` of the arena's memory to `file` at byte `offset`. */
export type WriteFrom = (ptr: number, len: number, file: string, offset: number) => void;

/**
 * Encodes one computed chunk for every GGUF target and writes it at its place in the target's
 * file; returns the bytes written per target. Each target's buffers are freed before the next.
 */
export function writeGGUFChunks(arena: Arena, targets: readonly GGUFTarget[], src: number, dtype: DType, first: number, n: number,
  write: WriteFrom): number[] {
  return targets.map((t) => {
    const mark = arena.mark();
    const e = encodeChunk(arena, t, src, dtype, first, n, t.start);
    write(e.ptr, e.len, t.file, t.start + e.at);
    arena.release(mark);
    return e.len;
  });
}
