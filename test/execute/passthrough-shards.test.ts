/** Frankenmerge layer stacking, output sharding, and determinism across threads and budgets. */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { detectArch } from '../../src/arch/detect.js';
import { BASELINE_BYTES, PER_WORKER_BYTES } from '../../src/execute/budget.js';
import { readLocalModel, readTensorBytes } from '../../src/hub/local.js';
import { runCli } from '../support/cli.js';
import { exampleTaskArithmetic } from '../support/example-recipes.js';
import { EXAMPLE_MODELS, tempDir, writeRecipe } from '../support/tmp.js';

function merge(args: string[]): void {
  const r = runCli(['run', ...args]);
  if (r.status !== 0) throw new Error(`mergeops run failed (${r.status}):\n${r.stderr}`);
}

async function tensorBytes(dir: string): Promise<Map<string, Buffer>> {
  const m = await readLocalModel(dir);
  const out = new Map<string, Buffer>();
  for (const t of m.tensors.values()) out.set(t.name, Buffer.from(await readTensorBytes(t)));
  return out;
}

describe('passthrough frankenmerge of two fixture models', () => {
  const t = tempDir();
  afterAll(t.cleanup);

  it('stacks exactly the selected source layers and renumbers them', async () => {
    const recipe = writeRecipe(t.dir, 'franken.yml', `merge_method: passthrough
slices:
  - sources:
      - model: ${join(EXAMPLE_MODELS, 'add')}
        layer_range: [0, 3]
  - sources:
      - model: ${join(EXAMPLE_MODELS, 'rev')}
        layer_range: [1, 4]
`);
    const out = join(t.dir, 'out');
    merge([recipe, '--out', out]);
    const [add, rev, merged] = await Promise.all([tensorBytes(join(EXAMPLE_MODELS, 'add')), tensorBytes(join(EXAMPLE_MODELS, 'rev')), tensorBytes(out)]);
    const layerNames = (i: number): string[] => [...add.keys()].filter((n) => n.startsWith('model.layers.0.')).map((n) => n.replace('model.layers.0.', `model.layers.${i}.`));
    // Output layers 0-2 are add's 0-2; output layers 3-5 are rev's 1-3.
    for (let i = 0; i < 6; i++) {
      for (const name of layerNames(i)) {
        const [src, srcLayer] = i < 3 ? [add, i] : [rev, i - 2];
        const want = src.get(name.replace(`model.layers.${i}.`, `model.layers.${srcLayer}.`))!;
        expect(merged.get(name)?.equals(want)).toBe(true);
      }
    }
    expect(merged.has('model.layers.6.mlp.up_proj.weight')).toBe(false);
    // Embeddings from the first slice, final norm and head from the last.
    expect(merged.get('model.embed_tokens.weight')!.equals(add.get('model.embed_tokens.weight')!)).toBe(true);
    expect(merged.get('model.norm.weight')!.equals(rev.get('model.norm.weight')!)).toBe(true);
    expect(merged.get('lm_head.weight')!.equals(rev.get('lm_head.weight')!)).toBe(true);
    expect(merged.size).toBe(2 + 1 + 6 * layerNames(0).length);

    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(config.num_hidden_layers).toBe(6);
    const model = await readLocalModel(out);
    const arch = detectArch(model.config, [...model.tensors.keys()], 'merged');
    expect(arch.numLayers).toBe(6);
    // Tokenizer and generation config come from the donor; the recipe is kept.
    expect(readdirSync(out).sort()).toEqual([
      '.mergeops-output.json', 'README.md', 'config.json', 'eval.json', 'eval.md', 'generation_config.json', 'mergekit_config.yml', 'mergeops_card.json', 'model.safetensors', 'special_tokens_map.json',
      'tokenizer.json', 'tokenizer.model', 'tokenizer_config.json',
    ]);
    expect(readFileSync(join(out, 'mergekit_config.yml'), 'utf8')).toBe(readFileSync(recipe, 'utf8'));
  });
});

describe('sharded output and determinism', () => {
  const t = tempDir();
  afterAll(t.cleanup);
  const recipe = (): string => writeRecipe(t.dir, 'ta.yml', exampleTaskArithmetic());

  it('writes the same tensors whatever the shard size, threads or memory budget', async () => {
    const r = recipe();
    merge([r, '--out', join(t.dir, 'one'), '--threads', '1']);
    merge([r, '--out', join(t.dir, 'sharded'), '--out-shard-size', '1M', '--threads', '2']);
    // A budget that leaves each worker 40 kB of data: every large tensor is cut into many chunks.
    const tiny = BASELINE_BYTES + 2 * PER_WORKER_BYTES + 2 * 40_000;
    merge([r, '--out', join(t.dir, 'chunked'), '--max-memory', String(tiny), '--threads', '2']);

    const files = readdirSync(join(t.dir, 'sharded')).filter((f) => f.endsWith('.safetensors')).sort();
    expect(files.length).toBeGreaterThanOrEqual(4);
    files.forEach((f, i) => expect(f).toBe(`model-${String(i + 1).padStart(5, '0')}-of-${String(files.length).padStart(5, '0')}.safetensors`));
    const index = JSON.parse(readFileSync(join(t.dir, 'sharded', 'model.safetensors.index.json'), 'utf8')) as { weight_map: Record<string, string>; metadata: { total_size: number } };
    expect(Object.keys(index.weight_map)).toHaveLength(39);
    expect(index.metadata.total_size).toBe(1_746_624 * 2);

    const one = await tensorBytes(join(t.dir, 'one'));
    for (const other of ['sharded', 'chunked']) {
      const m = await tensorBytes(join(t.dir, other));
      expect([...m.keys()].sort()).toEqual([...one.keys()].sort());
      for (const [name, bytes] of one) expect(m.get(name)!.equals(bytes)).toBe(true);
    }
    const single = readFileSync(join(t.dir, 'chunked', 'model.safetensors'));
    expect(single.equals(readFileSync(join(t.dir, 'one', 'model.safetensors')))).toBe(true);
  });
});
