/**
 * The real llama.cpp (node-llama-cpp's prebuilt CPU binaries; never builds or downloads):
 * load a GGUF and read full logits for every position of a token sequence.
 */
import { getLlama, LlamaLogLevel, type Llama } from 'node-llama-cpp';

let llamaPromise: Promise<Llama> | undefined;

export function llamaCpp(): Promise<Llama> {
  llamaPromise ??= getLlama({
    gpu: false, build: 'never', usePrebuiltBinaries: true, skipDownload: true, progressLogs: false,
    logLevel: LlamaLogLevel.error, maxThreads: 1,
  });
  return llamaPromise;
}

export interface LoadedGGUF {
  /** logits[position][token] for a token sequence evaluated from an empty context */
  logits(tokens: readonly number[]): Promise<Float64Array[]>;
  /** greedy continuation (token ids) of `tokens`, stopping at `eos` */
  greedy(tokens: readonly number[], maxTokens: number, eos: number): Promise<number[]>;
  tokenize(text: string): number[];
  detokenize(tokens: readonly number[]): string;
  bos: number | null;
  nVocab: number;
  dispose(): Promise<void>;
}

export async function loadGGUF(file: string): Promise<LoadedGGUF> {
  const llama = await llamaCpp();
  const model = await llama.loadModel({ modelPath: file, gpuLayers: 0 });
  const ctx = await model.createContext({ contextSize: 128, threads: 1, batchSize: 128 });
  const seq = ctx.getSequence();
  const meta = model.fileInfo.metadata as unknown as { tokenizer?: { ggml?: { tokens?: unknown[] } } };
  const nVocab = meta.tokenizer?.ggml?.tokens?.length ?? 0;
  const run = async (tokens: readonly number[]): Promise<Float64Array[]> => {
    await seq.clearHistory();
    const res = await seq.controlledEvaluate(tokens.map((tk) => [tk, { generateNext: { logits: true } }] as const) as never);
    return res.map((r) => {
      const m = (r as { next?: { logits?: Map<number, number> } } | undefined)?.next?.logits;
      if (!m) throw new Error('llama.cpp returned no logits');
      const out = new Float64Array(nVocab || m.size);
      for (const [k, v] of m) out[k] = v;
      return out;
    });
  };
  return {
    logits: run,
    async greedy(tokens, maxTokens, eos) {
      const out: number[] = [];
      let cur = [...tokens];
      for (let i = 0; i < maxTokens; i++) {
        const lg = await run(cur);
        const last = lg[lg.length - 1];
        let best = 0;
        for (let k = 1; k < last.length; k++) if (last[k] > last[best]) best = k;
        if (best === eos) break;
        out.push(best);
        cur = [...cur, best];
      }
      return out;
    },
    tokenize: (text) => [...model.tokenize(text)] as number[],
    detokenize: (tokens) => model.detokenize(tokens as never),
    bos: model.tokens.bos ?? null,
    nVocab,
    async dispose() {
      await ctx.dispose();
      await model.dispose();
    },
  };
}

/** Largest |a − b| over all positions and tokens, and the reference's logit standard deviation. */
export function logitError(got: readonly Float64Array[], want: readonly Float64Array[]): { maxAbs: number; refStd: number; argmaxAgree: number } {
  let maxAbs = 0;
  let sum = 0;
  let sum2 = 0;
  let n = 0;
  let agree = 0;
  for (let p = 0; p < want.length; p++) {
    let ga = 0;
    let wa = 0;
    for (let i = 0; i < want[p].length; i++) {
      maxAbs = Math.max(maxAbs, Math.abs(got[p][i] - want[p][i]));
      sum += want[p][i]; sum2 += want[p][i] * want[p][i]; n++;
      if (got[p][i] > got[p][ga]) ga = i;
      if (want[p][i] > want[p][wa]) wa = i;
    }
    if (ga === wa) agree++;
  }
  const mean = sum / n;
  return { maxAbs, refStd: Math.sqrt(sum2 / n - mean * mean), argmaxAgree: agree / want.length };
}
