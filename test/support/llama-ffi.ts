/**
 * llama.cpp's own quantizer, called in-process: `ggml_quantize_chunk` from the libggml-base
 * shared library that ships prebuilt in the npm package @node-llama-cpp/linux-x64, through
 * the koffi FFI package (both devDependencies; nothing is compiled or downloaded).
 * `ggml_quantize_chunk(type, src, dst, 0, nrows, n_per_row, NULL)` is exactly what
 * `llama-quantize` runs for each tensor without an importance matrix.
 *
 * Used by the conformance tests (test/quant/) and the quantization benchmark (bench/quant.ts).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import koffi from 'koffi';
import { getBinsDir } from '@node-llama-cpp/linux-x64';
import { ggmlTypeById, rowBytes } from '../../src/quant/types.js';

export interface LlamaQuantizer {
  /** Path of the loaded libggml-base. */
  readonly library: string;
  /**
   * Quantizes `nrows × nPerRow` f32 to ggml type `typeId` into `dst` (which must hold the
   * output); returns the bytes written. Single-threaded, like one llama-quantize chunk.
   * Invalid arguments abort the process (GGML_ASSERT): check row lengths first.
   */
  quantize(typeId: number, src: Float32Array, dst: Uint8Array, nrows: number, nPerRow: number): number;
}

type ChunkFn = (type: number, src: Float32Array, dst: Uint8Array, start: number, nrows: number, nPerRow: number, imatrix: null) => number | bigint;

let cached: LlamaQuantizer | undefined;

/** Loads llama.cpp's quantizer (once per process). */
export function loadLlamaQuantizer(): LlamaQuantizer {
  if (cached) return cached;
  const library = join(getBinsDir().binsDir, `${process.platform}-${process.arch}`, 'libggml-base.so');
  if (!existsSync(library)) {
    throw new Error(`llama.cpp's libggml-base is missing at ${library}: run \`npm ci\` (devDependencies @node-llama-cpp/linux-x64 and koffi)`);
  }
  const lib = koffi.load(library);
  const chunk = lib.func(
    'size_t ggml_quantize_chunk(int type, const float *src, void *dst, int64_t start, int64_t nrows, int64_t n_per_row, const float *imatrix)',
  ) as unknown as ChunkFn;
  cached = {
    library,
    quantize(typeId, src, dst, nrows, nPerRow) {
      // ggml checks nothing about buffer sizes: a short buffer would corrupt the heap.
      const t = ggmlTypeById(typeId);
      if (!t || nPerRow % t.blockSize !== 0) throw new Error(`ggml type ${typeId} cannot take rows of ${nPerRow}`);
      if (src.length < nrows * nPerRow) throw new Error(`source holds ${src.length} floats, need ${nrows * nPerRow}`);
      if (dst.length < nrows * rowBytes(t, nPerRow)) throw new Error(`destination holds ${dst.length} bytes, need ${nrows * rowBytes(t, nPerRow)}`);
      return Number(chunk(typeId, src, dst, 0, nrows, nPerRow, null));
    },
  };
  return cached;
}
