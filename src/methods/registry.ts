/** All merge methods by name. */
import { linear } from './linear.js';
import { passthrough } from './passthrough.js';
import { taskArithmetic } from './task-arithmetic.js';
import type { MergeMethod } from './types.js';

const METHODS: readonly MergeMethod[] = [linear, taskArithmetic, passthrough];

/** mergekit's other methods, planned in their own issue: named so the error can say so. */
export const MERGEKIT_METHODS_PENDING: readonly string[] = [
  'slerp', 'nuslerp', 'multislerp', 'karcher', 'ties', 'dare_ties', 'dare_linear', 'breadcrumbs',
  'breadcrumbs_ties', 'della', 'della_linear', 'sce', 'ram', 'ramplus_tl', 'model_stock',
  'nearswap', 'arcee_fusion',
];

export function getMethod(name: string): MergeMethod | undefined {
  return METHODS.find((m) => m.name === name);
}

export function methodNames(): string[] {
  return METHODS.map((m) => m.name);
}
