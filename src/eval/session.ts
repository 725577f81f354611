/**
 * One GGUF model loaded in llama.cpp for the checks: greedy decoding that follows the model's own
 * tokenizer (BOS as its add_bos_token says, stop at end of generation, at most max_tokens new
 * tokens), prompts wrapped in the model's chat template on request, and perplexity as
 * llama-perplexity defines it.
 */
import { statSync } from 'node:fs';
import { Template } from '@huggingface/jinja';
import { MergeopsError } from '../errors.js';
import type { LlamaModel, LlamaRuntime } from './llama.js';

type Context = Awaited<ReturnType<LlamaModel['createContext']>>;
type Sequence = ReturnType<Context['getSequence']>;
type Input = Parameters<Sequence['controlledEvaluate']>[0];
type Token = Input[number] extends infer I ? (I extends readonly [infer T, unknown] ? T : never) : never;

export interface Generation {
  /** The decoded new tokens. */
  text: string;
  tokens: number[];
}

/** Thrown for a check the model cannot run (no chat template, text too short for perplexity). */
export class CheckError extends Error {}

/**
 * Threads for a model: one for a small model (its per-token work is too small to share, and
 * llama.cpp's spinning workers cost far more on a busy runner: 20 ms against 1.3 s a prompt on a
 * loaded 2-core machine), else the runtime's count.
 */
export function sessionThreads(file: string, max: number): number {
  let size = 0;
  try {
    size = statSync(file).size;
  } catch {
    size = 0;
  }
  return size < SMALL_MODEL_BYTES ? 1 : max;
}

const SMALL_MODEL_BYTES = 64 << 20;

/** A greedy generation to run: the prompt's tokens and at most how many new tokens. */
export interface GreedyJob {
  prompt: readonly number[];
  maxTokens: number;
}

/** Sequences decoded together at most, what the checks ask for (more gives little on a CPU: a step is then compute-bound). */
export const MAX_SEQUENCES = 16;
/** Memory the extra sequences' KV caches may take. */
const SEQUENCES_BUDGET = 512 * 2 ** 20;

export class ModelSession {
  private constructor(
    readonly file: string,
    private readonly model: LlamaModel,
    private readonly context: Context,
    /** The sequences; the first one serves the one-at-a-time calls (perplexity, logits, greedy). */
    private readonly seqs: Sequence[],
    readonly contextSize: number,
  ) {}

  private get seq(): Sequence {
    return this.seqs[0];
  }

  /**
   * Loads `file` with a context of `contextSize` tokens per sequence. `sequences` > 1 lets
   * `greedyAll` decode that many prompts in one batch; it is lowered to what SEQUENCES_BUDGET of
   * KV cache holds for this model.
   */
  static async open(rt: LlamaRuntime, file: string, contextSize: number, threads = sessionThreads(file, rt.threads), sequences = 1): Promise<ModelSession> {
    let model: LlamaModel;
    try {
      model = await rt.llama.loadModel({ modelPath: file, gpuLayers: 0 });
    } catch (e) {
      throw new MergeopsError('INTERNAL', `${file}: llama.cpp cannot load it (${(e as Error).message})`,
        'the GGUF file is written but unusable; please report it with the recipe and command that produced it');
    }
    try {
      let n = Math.max(1, Math.min(MAX_SEQUENCES, Math.floor(sequences)));
      if (n > 1) {
        const one = model.fileInsights.estimateContextResourceRequirements({ contextSize, modelGpuLayers: 0, sequences: 1, includeGraphOverhead: false });
        n = Math.max(1, Math.min(n, Math.floor(SEQUENCES_BUDGET / Math.max(1, one.cpuRam))));
      }
      const context = await model.createContext({ contextSize, batchSize: contextSize, sequences: n, threads });
      const seqs = Array.from({ length: n }, () => context.getSequence());
      return new ModelSession(file, model, context, seqs, contextSize);
    } catch (e) {
      await model.dispose();
      throw new MergeopsError('INTERNAL', `${file}: llama.cpp cannot make a context of ${contextSize} tokens (${(e as Error).message})`,
        'lower the eval\'s perplexity `context`, or free memory');
    }
  }

  get addBos(): boolean {
    return this.model.tokens.shouldPrependBosToken;
  }

  /** The text's tokens as the model's tokenizer adds them for a prompt: BOS first when add_bos_token says so. */
  encode(text: string, special = false): number[] {
    const tokens = [...this.model.tokenize(text, special)] as number[];
    const bos = this.model.tokens.bos as number | null;
    if (this.addBos && bos !== null && tokens[0] !== bos) tokens.unshift(bos);
    return tokens;
  }

  /** The prompt as a single user turn in the model's chat template, with the generation prompt. */
  chatTokens(prompt: string): number[] {
    const template = this.model.fileInfo.metadata?.tokenizer?.chat_template;
    if (typeof template !== 'string' || template === '') {
      throw new CheckError('the GGUF has no chat template (set `chat_template` in the recipe, or drop `chat: true`)');
    }
    let text: string;
    try {
      text = new Template(template).render({
        messages: [{ role: 'user', content: prompt }], add_generation_prompt: true,
        bos_token: this.model.tokens.bosString ?? '', eos_token: this.model.tokens.eosString ?? '',
      });
    } catch (e) {
      throw new CheckError(`the chat template does not render (${(e as Error).message})`);
    }
    return this.encode(text, true);
  }

  /** Greedy decoding after `prompt` tokens: argmax at each step, stopping at EOS/EOT, at most maxTokens. */
  greedy(prompt: readonly number[], maxTokens: number): Promise<Generation> {
    return this.greedyOn(this.seq, prompt, maxTokens);
  }

  /**
   * `greedy` of every job, in job order, each on the first free sequence: the sequences' steps
   * are queued in the same cycle, so node-llama-cpp decodes them in one batch (one pass over the
   * weights for up to `sequences` tokens). A job the context cannot hold gives its CheckError.
   */
  async greedyAll(jobs: readonly GreedyJob[]): Promise<(Generation | CheckError)[]> {
    const out: (Generation | CheckError)[] = new Array(jobs.length);
    let next = 0;
    const worker = async (seq: Sequence): Promise<void> => {
      for (let i = next++; i < jobs.length; i = next++) {
        try {
          out[i] = await this.greedyOn(seq, jobs[i].prompt, jobs[i].maxTokens);
        } catch (e) {
          if (!(e instanceof CheckError)) throw e;
          out[i] = e;
        }
      }
    };
    await Promise.all(this.seqs.map(worker));
    return out;
  }

  private async greedyOn(seq: Sequence, prompt: readonly number[], maxTokens: number): Promise<Generation> {
    if (prompt.length + maxTokens > this.contextSize) {
      throw new CheckError(`the prompt (${prompt.length} tokens) and max_tokens ${maxTokens} exceed the context of ${this.contextSize} tokens`);
    }
    await seq.clearHistory();
    const out: number[] = [];
    let input: number[] = [...prompt];
    for (let step = 0; step < maxTokens; step++) {
      const last = input.length - 1;
      const items = input.map((t, j) => (j === last
        ? [t, { generateNext: { logits: { filter: { tokens: [], includeTop: 1 } } } }]
        : t)) as unknown as Input;
      const res = await seq.controlledEvaluate(items);
      const logits = res[last]?.next?.logits;
      const top = logits ? logits.keys().next().value : undefined;
      if (top === undefined) throw new MergeopsError('INTERNAL', `${this.file}: llama.cpp returned no logits`, 'please report it');
      const token = top as number;
      if (this.model.isEogToken(token as Token)) break;
      out.push(token);
      input = [token];
    }
    return { tokens: out, text: this.model.detokenize(out as Token[], false, prompt as Token[]) };
  }

  /**
   * Perplexity as llama-perplexity computes it (tools/perplexity, no stride): the text is tokenized
   * (BOS first per add_bos_token) and cut into floor(n / context) chunks of `context` tokens; each
   * chunk is evaluated from an empty cache with its first token replaced by BOS (when the model adds
   * BOS), and only the second half is scored: the logits at positions context/2 … context-2 predict
   * the next token. Perplexity = exp(mean negative log-likelihood). Needs at least 2·context tokens.
   */
  async perplexity(text: string, context: number): Promise<{ perplexity: number; tokens: number; chunks: number }> {
    if (context > this.contextSize) throw new CheckError(`context ${context} exceeds the session's ${this.contextSize} tokens`);
    const tokens = this.encode(text);
    if (tokens.length < 2 * context) {
      throw new CheckError(`the text tokenizes to ${tokens.length} tokens; perplexity with context ${context} needs at least ${2 * context}`);
    }
    const chunks = Math.floor(tokens.length / context);
    const first = Math.floor(context / 2);
    const bos = this.model.tokens.bos as number | null;
    // Each chunk's negative log-likelihoods, summed in chunk order after (the same sum however the chunks were spread).
    const perChunk: number[][] = new Array(chunks);
    const scoreChunk = async (seq: Sequence, c: number): Promise<void> => {
      const window = tokens.slice(c * context, (c + 1) * context);
      if (this.addBos && bos !== null) window[0] = bos;
      await seq.clearHistory();
      const items = window.map((t, k) => (k >= first && k < context - 1
        ? [t, { generateNext: { logits: { filter: { tokens: [window[k + 1]], includeTop: 1 } }, totalLogitWeight: true } }]
        : t)) as unknown as Input;
      const res = await seq.controlledEvaluate(items);
      const nlls: number[] = [];
      for (let k = first; k < context - 1; k++) {
        const next = res[k]?.next;
        const target = next?.logits?.get(window[k + 1] as Token);
        const max = next?.logits ? Math.max(...next.logits.values()) : undefined;
        const total = next?.totalLogitWeight;
        if (target === undefined || max === undefined || total === undefined) {
          throw new MergeopsError('INTERNAL', `${this.file}: llama.cpp returned no logits at position ${k}`, 'please report it');
        }
        nlls.push(-(target - (max + Math.log(total))));
      }
      perChunk[c] = nlls;
    };
    let nextChunk = 0;
    await Promise.all(this.seqs.map(async (seq) => {
      for (let c = nextChunk++; c < chunks; c = nextChunk++) await scoreChunk(seq, c);
    }));
    let nll = 0;
    let count = 0;
    for (const nlls of perChunk) {
      for (const x of nlls) {
        nll += x;
        count++;
      }
    }
    return { perplexity: Math.exp(nll / count), tokens: count, chunks };
  }

  /** Every logit after `prompt`: for the load check (all finite) and for tests. */
  async logitsAfter(prompt: readonly number[]): Promise<Map<number, number>> {
    await this.seq.clearHistory();
    const last = prompt.length - 1;
    const res = await this.seq.controlledEvaluate(prompt.map((t, j) => (j === last
      ? [t, { generateNext: { logits: true } }] : t)) as unknown as Input);
    return (res[last]?.next?.logits as Map<number, number> | undefined) ?? new Map();
  }

  async dispose(): Promise<void> {
    await this.context.dispose();
    await this.model.dispose();
  }
}
