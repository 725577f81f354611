/**
 * The merge methods: each declares its parameters, its `mergeops:` options, how it plans a
 * tensor and its tensor program (see types.ts). Adding a method is adding its file and one row
 * here. Imported by the planner and by the kernel workers, so keep it free of I/O.
 */
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
import type { ProgramParams } from '../model/tensor.js';
import type { ProgramShape, TensorProgram } from './program.js';
import type { MergeMethod, OptionDef } from './types.js';

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

/** The program for one tensor of a `{ kind: 'program' }` op. */
export function programFor(method: string, params: ProgramParams, shape: ProgramShape): TensorProgram {
  const f = getMethod(method)?.program;
  if (!f) throw new Error(`no tensor program for merge method '${method}'`);
  return f(params, shape);
}

/** The methods that declare a `mergeops:` option, and its definition (for error messages). */
export function optionOwners(key: string): { methods: string[]; def?: OptionDef } {
  const methods: string[] = [];
  let def: OptionDef | undefined;
  for (const m of METHODS) {
    const d = m.options?.find((o) => o.key === key);
    if (d) { methods.push(m.name); def ??= d; }
  }
  return { methods, def };
}

/** The methods that declare a parameter (global or per model). */
export function parameterOwners(name: string): string[] {
  return METHODS.filter((m) => [...m.globalParams, ...m.perModelParams].some((p) => p.name === name)).map((m) => m.name);
}

/** Every parameter name any method declares. */
export function allParameterNames(): string[] {
  return [...new Set(METHODS.flatMap((m) => [...m.globalParams, ...m.perModelParams].map((p) => p.name)))];
}
