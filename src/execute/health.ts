/**
 * Tensor health during the merge: the chunks' health words (kernels/health.ts) added up per output
 * tensor, in chunk order (the same figures whatever order the workers finish in), and the
 * non-finite check that fails a run whose output holds NaN or Inf (issue 19) unless allowed.
 */
import { MergeopsError } from '../errors.js';
import { HEALTH_INPUT_WORDS, HEALTH_OUT_WORDS } from '../kernels/health.js';
import type { PlannedTensor } from '../model/tensor.js';

/** One input of an output tensor, as the merge read it. */
export interface InputHealth {
  /** ModelRef.key of the model the input comes from. */
  model: string;
  /** Tensor name in that model. */
  tensor: string;
  nan: number;
  inf: number;
  /** L2 norm (√Σx²). */
  norm: number;
  /** Cosine of the output to this input: Σo·x / (‖o‖·‖x‖); NaN when either norm is 0 or not finite. */
  cosine: number;
}

export interface TensorHealth {
  name: string;
  nan: number;
  inf: number;
  /** L2 norm of the output tensor as written. */
  norm: number;
  inputs: InputHealth[];
}

/** Adds the health words of a tensor's chunks up, in the order of their first element. */
export class HealthTracker {
  private readonly parts = new Map<string, { first: number; words: Float64Array }[]>();

  add(tensor: string, first: number, words: Float64Array): void {
    let p = this.parts.get(tensor);
    if (!p) this.parts.set(tensor, (p = []));
    p.push({ first, words });
  }

  /** The tensor's health, or undefined when no job reported any (non-float data). */
  finish(t: PlannedTensor): TensorHealth | undefined {
    const parts = this.parts.get(t.name);
    this.parts.delete(t.name);
    if (!parts?.length) return undefined;
    parts.sort((a, b) => a.first - b.first);
    const sum = new Float64Array(parts[0].words.length);
    for (const p of parts) p.words.forEach((w, i) => { sum[i] += w; });
    const oSq = sum[2];
    const inputs = t.inputs.map((r, j): InputHealth => {
      const at = HEALTH_OUT_WORDS + HEALTH_INPUT_WORDS * j;
      const [nan, inf, sq, dot] = sum.subarray(at, at + HEALTH_INPUT_WORDS);
      const denom = Math.sqrt(oSq) * Math.sqrt(sq);
      return { model: r.modelKey, tensor: r.tensor, nan, inf, norm: Math.sqrt(sq), cosine: denom > 0 && Number.isFinite(denom) ? dot / denom : NaN };
    });
    return { name: t.name, nan: sum[0], inf: sum[1], norm: Math.sqrt(oSq), inputs };
  }
}

/** "3 NaN and 1 infinite values" */
function describe(nan: number, inf: number): string {
  const parts = [nan > 0 ? `${nan} NaN` : '', inf > 0 ? `${inf} infinite` : ''].filter(Boolean);
  return `${parts.join(' and ')} value${nan + inf === 1 ? '' : 's'}`;
}

/**
 * The error for an output tensor holding NaN or Inf, naming it and the inputs that carried
 * non-finite values (or saying none did: the merge arithmetic overflowed).
 */
export function nonFiniteError(h: TensorHealth): MergeopsError {
  const carriers = h.inputs.filter((i) => i.nan + i.inf > 0);
  const from = carriers.length > 0
    ? `; it comes from ${carriers.map((i) => `${i.model} (tensor ${i.tensor}: ${describe(i.nan, i.inf)})`).join(', ')}`
    : '; no input holds a non-finite value there: the merge arithmetic overflowed (check the weights and scale factors)';
  return new MergeopsError('NONFINITE', `output tensor ${h.name} holds ${describe(h.nan, h.inf)}${from}`,
    carriers.length > 0
      ? `the input model${carriers.length === 1 ? ' is' : 's are'} damaged: use another revision or source, or pass --allow-nonfinite to write the output anyway`
      : 'lower the weights or scale factors, or pass --allow-nonfinite to write the output anyway');
}

/** Fails on an output tensor with non-finite values unless `allow`. */
export function checkFinite(h: TensorHealth | undefined, allow: boolean): void {
  if (h && h.nan + h.inf > 0 && !allow) throw nonFiniteError(h);
}
