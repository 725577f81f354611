/**
 * The last check on a written GGUF: llama.cpp itself (node-llama-cpp's prebuilt CPU library,
 * never built or downloaded) loads the file, evaluates a short prompt and decodes a few tokens
 * greedily; every logit it returns must be finite. node-llama-cpp is loaded on demand: where it
 * is not installed (the bundled Action), the check says so instead of failing the run.
 */
import { availableParallelism } from 'node:os';
import { MergeopsError } from '../errors.js';

/** A written GGUF file (name in the output folder) and what llama.cpp decoded from it. */
export interface GGUFCheck extends SmokeResult {
  file: string;
}

export interface SmokeResult {
  /** false when node-llama-cpp is not installed */
  ran: boolean;
  /** token ids decoded after the prompt */
  tokens: number[];
  text: string;
}

const PROMPT = 'The capital of France is';
const DECODE = 4;

type NodeLlamaCpp = typeof import('node-llama-cpp');
let llamaPromise: Promise<Awaited<ReturnType<NodeLlamaCpp['getLlama']>> | undefined> | undefined;

async function loadNodeLlamaCpp(): Promise<NodeLlamaCpp | undefined> {
  try {
    return await import('node-llama-cpp');
  } catch {
    return undefined;
  }
}

export async function smokeTestGGUF(file: string): Promise<SmokeResult> {
  const lib = await loadNodeLlamaCpp();
  if (!lib) return { ran: false, tokens: [], text: '' };
  const fail = (what: string): never => {
    throw new MergeopsError('INTERNAL', `${file}: llama.cpp ${what}`,
      'the GGUF file is written but unusable; please report it with the recipe and command that produced it');
  };
  // One llama.cpp per process: getLlama tests the binary in a child process first (a second or two).
  llamaPromise ??= lib.getLlama({
    gpu: false, build: 'never', usePrebuiltBinaries: true, skipDownload: true, progressLogs: false,
    logLevel: lib.LlamaLogLevel.error,
  }).catch(() => undefined); // no prebuilt binary for this platform
  const llama = await llamaPromise;
  if (!llama) return { ran: false, tokens: [], text: '' };
  let model: Awaited<ReturnType<typeof llama.loadModel>> | undefined;
  try {
    model = await llama.loadModel({ modelPath: file, gpuLayers: 0 });
  } catch (e) {
    return fail(`cannot load it (${(e as Error).message})`);
  }
  // An explicit thread count: llama.cpp's default here spends ~0.5 s starting its first batch.
  const ctx = await model.createContext({ contextSize: 64, batchSize: 64, threads: availableParallelism() });
  try {
    const seq = ctx.getSequence();
    let tokens = [...model.tokenize(PROMPT, true)] as number[];
    if (model.tokens.bos !== null && tokens[0] !== model.tokens.bos) tokens = [model.tokens.bos as number, ...tokens];
    const out: number[] = [];
    for (let i = 0; i < DECODE; i++) {
      await seq.clearHistory();
      const res = await seq.controlledEvaluate(tokens.map((t, j) => (j === tokens.length - 1
        ? [t, { generateNext: { logits: true } }] : t)) as never);
      const logits = (res[res.length - 1] as { next?: { logits?: Map<number, number> } } | undefined)?.next?.logits;
      if (!logits || logits.size === 0) fail('returned no logits');
      let best = -1;
      let bestValue = -Infinity;
      for (const [token, v] of logits!) {
        if (!Number.isFinite(v)) fail(`returned a non-finite logit (${v}) for token ${token} after ${tokens.length} tokens`);
        if (v > bestValue) { best = token; bestValue = v; }
      }
      if (model.tokens.eos !== null && best === model.tokens.eos) break;
      out.push(best);
      tokens = [...tokens, best];
    }
    return { ran: true, tokens: out, text: model.detokenize(out as never) };
  } finally {
    await ctx.dispose();
    await model.dispose();
  }
}
