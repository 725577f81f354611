/**
 * llama.cpp's whole-file quantizer (`llama_model_quantize`, what the `llama-quantize` tool
 * runs) from the prebuilt libllama in @node-llama-cpp/linux-x64, called through koffi. The
 * params struct is include/llama.h of the bundled llama.cpp (v0.5.0); a test checks its
 * defaults so a version change cannot go unnoticed.
 */
import path from 'node:path';
import koffi from 'koffi';
import { getBinsDir } from '@node-llama-cpp/linux-x64';

export interface QuantizeParams {
  nthread: number;
  ftype: number;
  output_tensor_type: number;
  token_embedding_type: number;
  allow_requantize: boolean;
  quantize_output_tensor: boolean;
  only_copy: boolean;
  pure: boolean;
  keep_split: boolean;
  dry_run: boolean;
  max_buf_size: number | bigint;
}

interface Lib {
  defaults(): QuantizeParams;
  quantize(inp: string, out: string, p: QuantizeParams): number;
}

let lib: Lib | undefined;

function load(): Lib {
  if (lib) return lib;
  const l = koffi.load(path.join(getBinsDir().binsDir, 'linux-x64', 'libllama.v0.5.0.so'));
  const P = koffi.struct('llama_model_quantize_params', {
    nthread: 'int32_t', ftype: 'int32_t', output_tensor_type: 'int32_t', token_embedding_type: 'int32_t',
    allow_requantize: 'bool', quantize_output_tensor: 'bool', only_copy: 'bool', pure: 'bool',
    keep_split: 'bool', dry_run: 'bool', imatrix: 'void *', kv_overrides: 'void *',
    tt_overrides: 'void *', prune_layers: 'void *', max_buf_size: 'size_t',
  });
  l.func('void llama_backend_init()')();
  const defaults = l.func('llama_model_quantize_default_params', P, []);
  const quantize = l.func('uint32_t llama_model_quantize(const char*, const char*, const llama_model_quantize_params*)');
  lib = { defaults: () => defaults() as QuantizeParams, quantize: (i, o, p) => Number(quantize(i, o, p)) };
  return lib;
}

export function llamaQuantizeDefaults(): QuantizeParams {
  return load().defaults();
}

/** Runs llama-quantize on `input` → `output` with llama_ftype `ftype` (1 thread by default); returns its status (0 = ok). */
export function llamaQuantize(input: string, output: string, ftype: number, nthread = 1): number {
  const l = load();
  const p = l.defaults();
  p.ftype = ftype;
  p.nthread = nthread;
  return l.quantize(input, output, p);
}
