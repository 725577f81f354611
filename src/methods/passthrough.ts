/** `passthrough`: one input per tensor, copied (optionally scaled); frankenmerges via slices. */
import type { MergeMethod } from './types.js';

export const passthrough: MergeMethod = {
  name: 'passthrough',
  prettyName: 'Passthrough',
  base: 'none',
  singleInput: true,
  globalParams: [],
  perModelParams: [{ name: 'scale' }],
  planTensor({ inputs, tensor }) {
    if (inputs.length !== 1) {
      return {
        error: `passthrough takes exactly one model per tensor, but ${inputs.length} models give ${tensor}`,
        hint: 'list one source per slice with passthrough, or use another merge method to combine models',
      };
    }
    const scale = inputs[0].params.scale;
    return { op: scale === undefined || scale === 1 ? { kind: 'copy' } : { kind: 'copy', scale } };
  },
};
