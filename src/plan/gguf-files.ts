/**
 * The GGUF files of a model folder, planned from what resolve read: the tokenizer block for the
 * architecture's `set_vocab` path, the `general.*` sources (model card, generation config,
 * `_name_or_path`, the folder's name) and one file (or gguf-split set) per type (`planGGUFFiles`).
 * A merge plans the files of its output folder as the run will write it, so their bytes equal
 * `mergeops quantize` of the merged folder, which plans those of the input folder. Pure: no I/O.
 */
import { isIgnoredTensor } from '../arch/detect.js';
import { ggufArchFor, ggufTensorName, withConfigDefaults, type GGUFArchRow } from '../arch/gguf-arch.js';
import type { GGUFGeneralInfo } from '../arch/gguf-general.js';
import type { HFConfig } from '../arch/types.js';
import { MergeopsError } from '../errors.js';
import { kv, type GGUFKV, type GGUFSplitOptions } from '../formats/gguf.js';
import { basename } from 'node:path';
import type { GGUFSources, ResolvedModel } from '../model/resolved.js';
import type { TokenizerFiles } from '../model/tokenizer-files.js';
import type { FileTypeName } from '../quant/select.js';
import { bpeKVs, sentencePieceKVs } from '../tokenizer/gguf-vocab.js';
import { plannedFolderTokenizer } from '../tokenizer/read-files.js';
import { planGGUFConversion, type GGUFPlan, type GGUFRequest, type GGUFSourceTensor, type PlannedGGUF } from './gguf-plan.js';
import type { Plan } from './types.js';

/** The tokenizer block for an architecture's `set_vocab` path. */
function vocabKVsFor(row: GGUFArchRow, files: TokenizerFiles, config: HFConfig, tokenizerPre?: string): GGUFKV[] {
  const src = { ...files, config };
  const vocabSize = typeof config['vocab_size'] === 'number' ? config['vocab_size'] : undefined;
  const bpe = (): GGUFKV[] => bpeKVs(src, vocabSize, tokenizerPre !== undefined ? { preOverride: tokenizerPre } : {});
  const needSpm = (): void => {
    if (!src.tokenizerModel) {
      throw new MergeopsError('IO', `a ${row.hfArchitectures[0]} model needs tokenizer.model (SentencePiece) for GGUF conversion`,
        'copy tokenizer.model from the base model into the model folder');
    }
  };
  switch (row.vocab) {
    case 'qwen':
      // convert: try _set_vocab_sentencepiece, on FileNotFoundError _set_vocab_gpt2.
      return src.tokenizerModel ? sentencePieceKVs(src, vocabSize) : bpe();
    case 'gemma':
      if (!src.tokenizerModel && row.id === 'gemma3_text') return bpe();
      needSpm();
      return [...sentencePieceKVs(src, vocabSize), kv.bool('tokenizer.ggml.add_space_prefix', false)];
    case 'phi3':
      if (src.tokenizerConfig?.['tokenizer_class'] === 'GPT2Tokenizer') return bpe();
      needSpm();
      return sentencePieceKVs(src, vocabSize, 'phi3');
    case 'llama': {
      const out: GGUFKV[] = [];
      const aps = src.tokenizerConfig?.['add_prefix_space'];
      if (typeof aps === 'boolean') out.push(kv.bool('tokenizer.ggml.add_space_prefix', aps));
      if (src.tokenizerModel) return [...out, ...sentencePieceKVs(src, vocabSize)];
      const model = src.tokenizerJson?.['model'] as Record<string, unknown> | undefined;
      if (model?.['byte_fallback'] === true) {
        // convert's LlamaHfVocab path (SentencePiece-style BPE saved only as tokenizer.json)
        throw new MergeopsError('IO', 'this Llama/Mistral tokenizer is SentencePiece-style BPE but the folder has no tokenizer.model',
          'copy tokenizer.model from the base model into the folder (reading the vocabulary from tokenizer.json alone is not supported yet)');
      }
      return [...out, ...bpe()];
    }
  }
}

/** What every GGUF file of a model folder shares, whatever its type: tokenizer block and `general.*` sources. */
interface FolderGGUFInfo {
  config: HFConfig;
  vocab: GGUFKV[];
  general: Partial<GGUFGeneralInfo>;
  modelIds: string[];
}

interface FolderInfoInput {
  config: HFConfig;
  /** the folder's tokenizer files and generation config */
  sources: GGUFSources;
  /** the title a mergeops run records in the folder's marker (below the card) */
  title?: string;
  /** `general.*` values known for sure (--name) */
  general?: Partial<GGUFGeneralInfo>;
  tokenizerPre?: string;
  /** stands for the folder's name where convert uses it */
  modelId: string;
}

/**
 * What convert takes from a model folder besides the tensors. Precedence of `general.*` as
 * convert: explicit values, the model card, config `_name_or_path`, the folder name; below the
 * card, the title a mergeops run recorded (after the recipe, not the folder).
 */
function folderGGUFInfo(o: FolderInfoInput): FolderGGUFInfo {
  const row = ggufArchFor(o.config);
  const vocab = vocabKVsFor(row, o.sources.tokenizer, withConfigDefaults(o.config), o.tokenizerPre);
  const general: Partial<GGUFGeneralInfo> = {
    ...(o.title !== undefined ? { name: o.title } : {}), ...o.general,
  };
  if (o.sources.generationConfig) general.generationConfig = o.sources.generationConfig;
  const modelIds: string[] = [];
  const nop = o.config['_name_or_path'];
  if (typeof nop === 'string' && nop.split('/').length <= 2) modelIds.push(nop);
  modelIds.push(o.modelId);
  return { config: o.config, vocab, general, modelIds };
}

/**
 * A folder's tensors that the plan leaves out (not in the architecture table) are left out of its
 * GGUF only when convert drops them too; one llama.cpp knows under another name, or not at all,
 * fails as convert would (with what to do), rather than a file that silently lacks it.
 */
function checkLeftOut(plan: Plan, config: HFConfig): void {
  const row = ggufArchFor(config);
  for (const name of plan.ignoredTensors) {
    if (isIgnoredTensor(name) || ggufTensorName(row, name) === null) continue;
    throw new MergeopsError('ARCH', `tensor ${name} has a GGUF name but is not in mergeops' table of the ${row.hfArchitectures[0]} architecture`,
      'remove it from the folder, or add it to the architecture\'s row in src/arch/table.ts');
  }
}

/** Plans one GGUF file (or gguf-split set) of `fileType` for a folder's tensors, as convert + llama-quantize would. */
function planFolderGGUF(info: FolderGGUFInfo, tensors: readonly GGUFSourceTensor[], fileType: FileTypeName,
  o: { prefix?: string; split?: GGUFSplitOptions } = {}): GGUFPlan {
  return planGGUFConversion({
    config: info.config, tensors, fileType, general: info.general, modelIds: info.modelIds, vocab: info.vocab,
    prefix: o.prefix ?? `${info.modelIds[info.modelIds.length - 1]}-${fileType}`, split: o.split,
  });
}

/**
 * The GGUF files of a plan, before any tensor is computed. A merge's convert its output folder as
 * the run writes it (execute.ts `writeModelFiles`): config.json and the files the plan writes, over
 * the donor's files it copies (`donor.ggufSources`: what resolve read of the donor's folder); the
 * card a run renders comes after its GGUF files, so it is not a source of their `general.*`.
 * `mergeops quantize` (`request.folder` 'input') converts the one input model's own folder.
 */
export function planGGUFFiles(plan: Plan, request: GGUFRequest, donor: ResolvedModel): PlannedGGUF {
  if (!donor.ggufSources) {
    throw new MergeopsError('INTERNAL', `GGUF files were asked for but the sources of their metadata in \`${donor.key}\` were not read`,
      'resolve with `ggufSources: true` (pipeline.ts does)');
  }
  const input = request.folder === 'input';
  let sources: GGUFSources = donor.ggufSources;
  if (!input) {
    const written = plan.outFiles ?? [];
    const copied = (name: string): boolean => !written.some((f) => f.name === name) && plan.donor.files.includes(name);
    sources = { tokenizer: plannedFolderTokenizer(donor.ggufSources.tokenizer, plan.donor.files, written) };
    if (copied('generation_config.json') && donor.ggufSources.generationConfig) sources.generationConfig = donor.ggufSources.generationConfig;
  }
  // The config as `mergeops quantize` reads it from the folder (for a merge: as it will be written).
  const config = (input ? donor.config : JSON.parse(plan.outConfigText)) as HFConfig;
  const info = folderGGUFInfo({
    config, sources, title: request.title, general: request.general, tokenizerPre: request.tokenizerPre, modelId: request.modelId,
  });
  if (input) checkLeftOut(plan, config);
  // convert orders tensors by the folder's shard file names first.
  const shardOf = (t: Plan['tensors'][number]): string => (input ? basename(t.inputs[0].file) : plan.shards[t.shard].fileName);
  const tensors = plan.tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, shard: shardOf(t) }));
  return {
    plans: [...new Set(request.types)].map((t) => planFolderGGUF(info, tensors, t, { split: request.split, prefix: request.prefix })),
  };
}
