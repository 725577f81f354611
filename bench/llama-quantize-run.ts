/** `node build/bench/llama-quantize-run.js IN.gguf OUT.gguf FTYPE NTHREAD`: llama.cpp's llama_model_quantize as a whole process. */
import { llamaQuantize } from '../test/support/llama-quantize.js';

const [input, output, ftype, nthread] = process.argv.slice(2);
const rc = llamaQuantize(input, output, Number(ftype), Number(nthread));
if (rc !== 0) {
  process.stderr.write(`llama_model_quantize failed (${rc})\n`);
  process.exit(1);
}
