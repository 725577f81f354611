/** All merge methods by name. */
import { arceeFusion } from './arcee-fusion.js';
import { karcher } from './karcher.js';
import { breadcrumbs } from './breadcrumbs.js';
import { breadcrumbsTies } from './breadcrumbs-ties.js';
import { dareLinear } from './dare-linear.js';
import { dareTies } from './dare-ties.js';
import { della } from './della.js';
import { dellaLinear } from './della-linear.js';
import { linear } from './linear.js';
import { modelStock } from './model-stock.js';
import { multislerp } from './multislerp.js';
import { nearswap } from './nearswap.js';
import { nuslerp } from './nuslerp.js';
import { passthrough } from './passthrough.js';
import { slerp } from './slerp.js';
import { ram } from './ram.js';
import { ramplusTl } from './ramplus-tl.js';
import { sce } from './sce.js';
import { taskArithmetic } from './task-arithmetic.js';
import { ties } from './ties.js';
import type { MergeMethod } from './types.js';

const METHODS: readonly MergeMethod[] = [
  linear, taskArithmetic, passthrough,
  slerp, nuslerp, multislerp, karcher, modelStock, nearswap, arceeFusion,
  ties, dareTies, dareLinear, breadcrumbs, breadcrumbsTies, della, dellaLinear, sce, ram, ramplusTl,
];

/** mergekit's other methods, planned in their own issue: named so the error can say so. */
export const MERGEKIT_METHODS_PENDING: readonly string[] = [
];

export function getMethod(name: string): MergeMethod | undefined {
  return METHODS.find((m) => m.name === name);
}

export function methodNames(): string[] {
  return METHODS.map((m) => m.name);
}
