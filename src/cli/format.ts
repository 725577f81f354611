/** What the CLI prints about a GGUF load check (units: src/units.ts). */
import type { SmokeResult } from '../execute/gguf-check.js';

/** What llama.cpp made of a written GGUF file, for the log. */
export function checkLine(file: string, c: SmokeResult): string {
  return c.ran ? `  llama.cpp loads ${file} and decodes ${JSON.stringify(c.text)} after a short prompt`
    : `  ${file}: not loaded with llama.cpp (node-llama-cpp is not installed here)`;
}
