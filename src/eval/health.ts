/**
 * The `health` section of eval.json (TensorHealthReport, eval/report.ts) from the figures the
 * kernels computed during the merge (execute/health.ts): per output tensor its NaN and Inf
 * counts, its L2 norm relative to the base model's tensor, its cosine to each input; outliers
 * named (non-finite values, a norm ratio beyond the bounds).
 */
import type { TensorHealth } from '../execute/health.js';
import type { TensorHealthReport } from './report.js';

export interface HealthReportOptions {
  /** ModelRef.key of the base model (the recipe's base_model); default: each tensor's first input. */
  baseModel?: string;
  /** A tensor whose norm is outside [1/bound, bound] times the base's is an outlier (default 2). */
  normRatioBound?: number;
}

export const DEFAULT_NORM_RATIO_BOUND = 2;

/** Rounded for the report: 6 significant digits say all a reader needs and keep the file stable. */
function round(x: number): number {
  return Number(x.toPrecision(6));
}

export function tensorHealthReport(health: readonly TensorHealth[], opts: HealthReportOptions = {}): TensorHealthReport {
  const bound = opts.normRatioBound ?? DEFAULT_NORM_RATIO_BOUND;
  const report: TensorHealthReport = { tensors: [], outliers: [] };
  for (const h of health) {
    const base = h.inputs.find((i) => i.model === opts.baseModel) ?? h.inputs[0];
    const ratio = base && base.norm > 0 && Number.isFinite(base.norm) && Number.isFinite(h.norm) ? h.norm / base.norm : undefined;
    const cosine: Record<string, number> = {};
    for (const i of h.inputs) if (Number.isFinite(i.cosine) && !(i.model in cosine)) cosine[i.model] = round(i.cosine);
    report.tensors.push({
      name: h.name, nan: h.nan, inf: h.inf,
      ...(ratio !== undefined ? { normRatio: round(ratio) } : {}),
      ...(Object.keys(cosine).length > 0 ? { cosine } : {}),
    });
    if (h.nan + h.inf > 0) {
      const carriers = h.inputs.filter((i) => i.nan + i.inf > 0).map((i) => i.model);
      report.outliers.push({
        name: h.name,
        reason: `${h.nan} NaN and ${h.inf} infinite values${carriers.length ? ` (from ${[...new Set(carriers)].join(', ')})` : ' (from the merge arithmetic)'}`,
      });
    } else if (ratio !== undefined && (ratio > bound || ratio < 1 / bound)) {
      report.outliers.push({ name: h.name, reason: `L2 norm ${round(ratio)}× the base model's (${base.model}), outside [${round(1 / bound)}, ${bound}]` });
    }
  }
  return report;
}
