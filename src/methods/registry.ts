/** All merge methods by name. */
import { arceeFusion } from './arcee-fusion.js';
import { karcher } from './karcher.js';
import { linear } from './linear.js';
import { modelStock } from './model-stock.js';
import { multislerp } from './multislerp.js';
import { nearswap } from './nearswap.js';
import { nuslerp } from './nuslerp.js';
import { passthrough } from './passthrough.js';
import { slerp } from './slerp.js';
import { taskArithmetic } from './task-arithmetic.js';
import type { MergeMethod } from './types.js';

const METHODS: readonly MergeMethod[] = [
  linear, taskArithmetic, passthrough,
  slerp, nuslerp, multislerp, karcher, modelStock, nearswap, arceeFusion,
];

/** mergekit's other methods, planned in their own issue: named so the error can say so. */
export const MERGEKIT_METHODS_PENDING: readonly string[] = [
  'ties', 'dare_ties', 'dare_linear', 'breadcrumbs',
  'breadcrumbs_ties', 'della', 'della_linear', 'sce', 'ram', 'ramplus_tl',
];

export function getMethod(name: string): MergeMethod | undefined {
  return METHODS.find((m) => m.name === name);
}

export function methodNames(): string[] {
  return METHODS.map((m) => m.name);
}
