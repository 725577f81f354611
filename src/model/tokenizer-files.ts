/**
 * A model's tokenizer files, parsed but not interpreted (absent files are undefined): what the
 * tokenizer stage merges and what GGUF tokenizer metadata is built from. Read by
 * tokenizer/read-files.ts, the one reader.
 */
export interface TokenizerFiles {
  /** `tokenizer.json` (a fast tokenizer), the only source of a full vocabulary. */
  tokenizerJson?: Record<string, unknown>;
  tokenizerConfig?: Record<string, unknown>;
  /** `tokenizer_config.json` as written: the output's is this text with only the changed keys edited. */
  tokenizerConfigText?: string;
  specialTokensMap?: Record<string, unknown>;
  /** `chat_template.jinja`, newer transformers' home for the template. */
  chatTemplateJinja?: string;
  /** `chat_template.json` */
  chatTemplateJson?: Record<string, unknown>;
  /** `merges.txt` text */
  mergesTxt?: string;
  /** bytes of `tokenizer.model` (SentencePiece ModelProto) */
  tokenizerModel?: Uint8Array;
  /** `added_tokens.json` */
  addedTokensJson?: Record<string, number>;
}
