/**
 * Scalar reference of the GGUF tensor transforms (Q/K permutation, norm shift) on whole f32
 * tensors, for testing kernels/gguf-encode.ts, which applies them chunk by chunk in place.
 */
import { MergeopsError } from '../../src/errors.js';
import type { TensorTransform } from '../../src/arch/gguf-arch.js';

/**
 * convert's `LlamaModel.permute`: within each head of `rows/heads` rows, the two halves
 * (rotate-half layout) are interleaved into pairs: out[h*hd + 2j + i] = in[h*hd + i*hd/2 + j].
 * Moves whole rows of `cols` elements. Granularity: rows only mix inside one head, so a caller
 * streaming a tensor in row chunks may permute each chunk on its own as long as the chunk is a
 * whole number of heads (a multiple of head_dim rows starting at a multiple of head_dim);
 * pass that chunk's head count. Returns a new array.
 */
export function permuteQK(src: Float32Array, rows: number, cols: number, heads: number): Float32Array {
  if (rows % heads !== 0 || (rows / heads) % 2 !== 0) {
    throw new MergeopsError('SHAPE_MISMATCH', `cannot permute ${rows} rows as ${heads} heads of an even head size`,
      'check num_attention_heads / num_key_value_heads in config.json against the q_proj/k_proj shapes');
  }
  const hd = rows / heads;
  const half = hd / 2;
  const out = new Float32Array(src.length);
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < half; j++) {
        const from = (h * hd + i * half + j) * cols;
        out.set(src.subarray(from, from + cols), (h * hd + 2 * j + i) * cols);
      }
    }
  }
  return out;
}

/** Applies a transform to a whole f32 tensor (`shape` outermost first); may return `data` itself. */
export function applyTransform(t: TensorTransform, data: Float32Array, shape: readonly number[]): Float32Array {
  let out = data;
  if (t.permuteHeads !== undefined) {
    const rows = shape[0];
    out = permuteQK(out, rows, out.length / rows, t.permuteHeads);
  }
  if (t.shift !== undefined) {
    // Only 1-D norm vectors (a few thousand elements), so a plain loop is fine here.
    for (let i = 0; i < out.length; i++) out[i] = Math.fround(out[i] + t.shift);
  }
  return out;
}
