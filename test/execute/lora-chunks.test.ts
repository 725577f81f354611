/**
 * Chunking of LoRA-patched tensors: each chunk leaves room in the worker budget for the adapter's
 * A factor (read whole by every chunk), and the chunks cover the tensor exactly once.
 */
import { fixedBytes, runTensor } from '../../src/execute/tensor-jobs.js';
import type { KernelJob } from '../../src/kernels/jobs.js';
import type { AdapterTensor, PlannedTensor } from '../../src/model/tensor.js';

function plannedWithLora(rows: number, cols: number, rank: number): PlannedTensor {
  const factor = (tensor: string, shape: number[]): AdapterTensor => ({ tensor, file: '/adapter.safetensors', source: { kind: 'file', path: '/adapter.safetensors' }, start: 0, end: 0, dtype: 'BF16', shape });
  return {
    name: 'model.layers.0.mlp.down_proj.weight', shape: [rows, cols], dtype: 'BF16', op: { kind: 'copy' }, shard: 0, start: 0, end: 2 * rows * cols,
    inputs: [{
      modelKey: 'base+lora', tensor: 'model.layers.0.mlp.down_proj.weight', file: '/base.safetensors', source: { kind: 'file', path: '/base.safetensors' }, start: 0, end: 2 * rows * cols, dtype: 'BF16', shape: [rows, cols],
      lora: { adapter: '/adapter', a: factor('a', [rank, cols]), b: factor('b', [rows, rank]), rank, scale: 2, embedding: false },
    }],
  };
}

async function jobsOf(t: PlannedTensor, perWorker: number): Promise<KernelJob[]> {
  const jobs: KernelJob[] = [];
  await runTensor(async (job) => {
    jobs.push(job);
    return { bytesRead: 0, bytesWritten: 0, bytesDirect: 0 };
  }, t, { perWorker, whole: perWorker }, '/out.safetensors');
  return jobs;
}

describe('chunks of a LoRA-patched tensor', () => {
  it('fit the budget together with the whole A factor, and cover the tensor once', async () => {
    const [rows, cols, rank] = [512, 4096, 32];
    const t = plannedWithLora(rows, cols, rank);
    const perWorker = 2 * 2 ** 20;
    const jobs = await jobsOf(t, perWorker);
    const input = jobs[0].inputs[0];
    expect(input.kind).toBe('lora');
    const fixed = fixedBytes(jobs[0].inputs);
    // A: rank × cols, read as BF16 then made F32.
    expect(fixed).toBeGreaterThanOrEqual(rank * cols * 6);
    // Per element: base BF16 + F32, B rows (rank × 6 bytes per row of cols), output BF16.
    const perElement = 2 + 4 + Math.ceil((rank * 6) / cols) + 2;
    let next = 0;
    for (const j of jobs) {
      expect(j.first).toBe(next);
      next += j.n;
      expect(j.n * perElement + fixed).toBeLessThanOrEqual(perWorker);
    }
    expect(next).toBe(rows * cols);
  });
});
