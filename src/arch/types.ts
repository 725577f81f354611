/** Architecture descriptions: which tensors a model has, by layer, as data. */

export interface WeightDef {
  /** Tensor name; layer templates use `${layer_index}`. */
  name: string;
  /** Embedding-like (vocabulary axis first): input embeddings and lm_head. */
  isEmbed?: boolean;
  /** May be absent from a checkpoint (e.g. biases, tied lm_head). */
  optional?: boolean;
  /** Names to load instead when `name` is absent (e.g. lm_head → embed_tokens when tied). */
  tiedNames?: string[];
  /** Other names the same weight goes by in some checkpoints. */
  aliases?: string[];
}

export interface ArchDef {
  /** Short id of the table row, e.g. 'llama'. */
  id: string;
  /** HF `architectures[0]` values this row handles. */
  architectures: string[];
  /** HF `model_type` values. */
  modelTypes: string[];
  preWeights: WeightDef[];
  layerWeights: WeightDef[];
  postWeights: WeightDef[];
  /** config.json key holding the layer count. */
  numLayersKey: string;
  /** config.json key holding the vocabulary size. */
  vocabSizeKey: string;
}

/** config.json as read (only the keys we use are typed). */
export type HFConfig = Record<string, unknown> & {
  architectures?: string[];
  model_type?: string;
  torch_dtype?: string;
  dtype?: string;
  tie_word_embeddings?: boolean;
};

/** What we know of one model's layout after looking at its config and tensor names. */
export interface ArchInfo {
  def: ArchDef;
  /** true when `def` was inferred from tensor names rather than found in the table. */
  inferred: boolean;
  numLayers: number;
  /** Concrete tensor names of layer `i`, in template order (optional ones included). */
  layerNames(i: number): string[];
}
