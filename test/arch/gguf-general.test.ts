/** `general.*` heuristics ported from gguf-py metadata.py, on the examples llamacpp.md §6 lists. */
import { idToTitle, modelIdComponents, sizeLabel } from '../../src/arch/gguf-general.js';

// (id, total parameters, then the expected name, org, basename, finetune, version, size label)
test.each([
  ['meta-llama/Llama-3.2-1B-Instruct', 1.24e9, 'Llama 3.2 1B Instruct', 'Meta Llama', 'Llama-3.2', 'Instruct', undefined, '1B'],
  ['Qwen/Qwen2.5-7B-Instruct', 7.6e9, 'Qwen2.5 7B Instruct', 'Qwen', 'Qwen2.5', 'Instruct', undefined, '7B'],
  ['mistralai/Mistral-7B-Instruct-v0.3', 7.2e9, 'Mistral 7B Instruct v0.3', 'Mistralai', 'Mistral', 'Instruct', 'v0.3', '7B'],
  ['google/gemma-2-9b-it', 9.2e9, 'Gemma 2 9b It', 'Google', 'gemma-2', 'it', undefined, '9B'],
  ['microsoft/Phi-3-mini-4k-instruct', 3.8e9, 'Phi 3 Mini 4k Instruct', 'Microsoft', 'Phi-3', '4k-instruct', undefined, 'mini'],
  ['Qwen/Qwen3-8B', 8.2e9, 'Qwen3 8B', 'Qwen', 'Qwen3', undefined, undefined, '8B'],
  ['my-merge-slerp', 1e6, 'My Merge Slerp', undefined, undefined, undefined, undefined, undefined],
  ['merged_model', 1e6, 'Merged_Model', undefined, undefined, undefined, undefined, undefined],
] as const)('%s', (id, params, name, org, basename, finetune, version, size) => {
  const c = modelIdComponents(id, params);
  expect([idToTitle(c.fullName!), c.org === undefined ? undefined : idToTitle(c.org), c.basename, c.finetune, c.version, c.sizeLabel])
    .toEqual([name, org, basename, finetune, version, size]);
});

test('a size far from the real parameter count is a finetune, not a size label', () => {
  expect(modelIdComponents('org/Thing-70B-chat', 1_500_000).sizeLabel).toBeUndefined();
  expect(modelIdComponents('org/Thing-70B-chat', 70_000_000_000).sizeLabel).toBe('70B');
});

test('size_label notation (model_weight_count_rounded_notation)', () => {
  expect([1_235_814_400, 7_615_616_512, 494_032_768, 14_770_033_664, 1_746_624].map(sizeLabel)).toEqual(['1.2B', '7.6B', '494M', '15B', '1.7M']);
});
