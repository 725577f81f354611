/** The Action's modes, as a table: which event picks which mode under `mode: auto`. */
import { MergeopsError } from '../errors.js';
import { buildMode } from './build.js';
import type { ActionMode } from './context.js';
import { driftMode } from './drift.js';
import type { ActionModeName, ModeInput } from './inputs.js';
import { reviewMode } from './review.js';

export const ACTION_MODES: Readonly<Record<ActionModeName, ActionMode>> = {
  build: buildMode,
  review: reviewMode,
  drift: driftMode,
};

/** The mode to run: the `mode` input, or under `auto` the one whose events include this run's. */
export function pickMode(mode: ModeInput, eventName: string): ActionMode {
  if (eventName === 'pull_request_target') {
    // It runs with the base repository's secrets and write token: reviewing a fork's recipes there would hand them to its code.
    throw new MergeopsError('USAGE', 'mergeops does not run on `pull_request_target`',
      'trigger the review on `pull_request` (it needs no secrets and is safe for forks; see the README\'s security model)');
  }
  if (mode !== 'auto') return ACTION_MODES[mode];
  const row = Object.values(ACTION_MODES).find((m) => m.events.includes(eventName));
  if (!row) {
    throw new MergeopsError('USAGE', `input \`mode\`: \`auto\` has no mode for the \`${eventName || 'unknown'}\` event`,
      `set \`mode:\` to build, review or drift (auto picks: ${Object.values(ACTION_MODES).map((m) => `${m.events.join('/')} → ${m.name}`).join(', ')})`);
  }
  return row;
}
