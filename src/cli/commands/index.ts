/** Every `mergeops` command, in the order `mergeops --help` lists them. A new command: one file, one line here. */
import type { Command } from '../command.js';
import { lockCommand } from './lock.js';
import { planCommand } from './plan.js';
import { quantizeCommand } from './quantize.js';
import { runCommand } from './run.js';

export const COMMANDS: readonly Command[] = [planCommand, runCommand, lockCommand, quantizeCommand];
