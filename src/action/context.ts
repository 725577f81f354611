/** What every Action mode gets: validated inputs, the run's context, the checkout and the Hub. */
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import type { HubOptions } from '../hub/hub-options.js';
import type { RunContext } from './event.js';
import type { ActionInputs, ActionModeName } from './inputs.js';

export interface ModeContext {
  inputs: ActionInputs;
  run: RunContext;
  /** repository root of the checkout (the process runs there; recipe paths are relative to it) */
  root: string;
  hub: HubOptions;
  /** recipe patterns of the `recipes` input */
  patterns: RegExp[];
  /** scratch space of this job (RUNNER_TEMP) */
  temp: string;
  log: (line: string) => void;
}

/** One Action mode: a row of the modes table (modes.ts). */
export interface ActionMode {
  name: ActionModeName;
  /** events for which `mode: auto` picks it */
  events: readonly string[];
  /** what the job's `permissions:` must grant (README, error hints) */
  permissions: string;
  /** whether it needs secrets (hf-token with write access); review never does */
  secrets: boolean;
  run(ctx: ModeContext): Promise<void>;
}

export function runnerTemp(env: NodeJS.ProcessEnv = process.env): string {
  return env.RUNNER_TEMP || join(tmpdir(), 'mergeops-action');
}
