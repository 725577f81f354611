/**
 * The check a run makes on each GGUF file it wrote (llama.cpp loads it and decodes a few tokens):
 * its result types, and the function type the caller passes in. The check itself is
 * eval/load-check.ts `smokeTestGGUF`, given to execute by the pipeline and the CLI, so that
 * execute/ does not import the eval stage.
 */

export interface SmokeResult {
  /** false when llama.cpp is not available here */
  ran: boolean;
  /** token ids decoded after the prompt */
  tokens: number[];
  text: string;
}

/** A written GGUF file (name in the output folder) and what llama.cpp decoded from it. */
export interface GGUFCheck extends SmokeResult {
  file: string;
}

/** Loads a GGUF file and decodes a few tokens; throws when the file is unusable. */
export type LoadCheck = (file: string) => Promise<SmokeResult>;
