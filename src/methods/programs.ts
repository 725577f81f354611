/**
 * Program factories by method name: the methods whose tensors are computed by statistics passes
 * and an apply pass (see program.ts). Imported by the executor's workers, so keep it free of I/O.
 */
import { arceeFusionProgram } from './arcee-fusion.js';
import { karcherProgram } from './karcher.js';
import { modelStockProgram } from './model-stock.js';
import { multislerpProgram } from './multislerp.js';
import { nearswapProgram } from './nearswap.js';
import { nuslerpProgram } from './nuslerp.js';
import { gtaProgram } from './gta.js';
import { ramProgram } from './ram.js';
import { ramplusTlProgram } from './ramplus-tl.js';
import { sceProgram } from './sce.js';
import type { ProgramFactory, ProgramShape, TensorProgram } from './program.js';
import { slerpProgram } from './slerp.js';
import type { ProgramParams } from '../model/tensor.js';

const FACTORIES = new Map<string, ProgramFactory>([
  ['slerp', slerpProgram],
  ['nuslerp', nuslerpProgram],
  ['multislerp', multislerpProgram],
  ['karcher', karcherProgram],
  ['model_stock', modelStockProgram],
  ['nearswap', nearswapProgram],
  ['arcee_fusion', arceeFusionProgram],
  ['ties', gtaProgram],
  ['dare_ties', gtaProgram],
  ['dare_linear', gtaProgram],
  ['breadcrumbs', gtaProgram],
  ['breadcrumbs_ties', gtaProgram],
  ['della', gtaProgram],
  ['della_linear', gtaProgram],
  ['sce', sceProgram],
  ['ram', ramProgram],
  ['ramplus_tl', ramplusTlProgram],
]);

/** The program for one tensor of a `{ kind: 'program' }` op. */
export function programFor(method: string, params: ProgramParams, shape: ProgramShape): TensorProgram {
  const f = FACTORIES.get(method);
  if (!f) throw new Error(`no tensor program for merge method '${method}'`);
  return f(params, shape);
}
