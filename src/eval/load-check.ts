/**
 * The load check, run on every GGUF written before it appears in the output: llama.cpp loads the
 * file, evaluates a short prompt and decodes a few tokens greedily; every logit of the first step
 * must be finite. Where node-llama-cpp is not installed (or has no prebuilt binary), the check
 * says it did not run instead of failing the run.
 */
import { MergeopsError } from '../errors.js';
import type { SmokeResult } from '../execute/gguf-check.js';
import { llamaRuntime } from './llama.js';
import { ModelSession } from './session.js';

export const LOAD_CHECK_PROMPT = 'The capital of France is';
const DECODE = 4;

export async function smokeTestGGUF(file: string): Promise<SmokeResult> {
  const rt = await llamaRuntime();
  if ('unavailable' in rt) return { ran: false, tokens: [], text: '' };
  const session = await ModelSession.open(rt, file, 64);
  try {
    const prompt = session.encode(LOAD_CHECK_PROMPT);
    const logits = await session.logitsAfter(prompt);
    const fail = (what: string): never => {
      throw new MergeopsError('INTERNAL', `${file}: llama.cpp ${what}`,
        'the GGUF file is written but unusable; please report it with the recipe and command that produced it');
    };
    if (logits.size === 0) fail('returned no logits');
    for (const [token, v] of logits) {
      if (!Number.isFinite(v)) fail(`returned a non-finite logit (${v}) for token ${token} after ${prompt.length} tokens`);
    }
    const g = await session.greedy(prompt, DECODE);
    return { ran: true, tokens: g.tokens, text: g.text };
  } finally {
    await session.dispose();
  }
}
