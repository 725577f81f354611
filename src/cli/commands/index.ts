/** Every `mergeops` command, in the order `mergeops --help` lists them. A new command: one file, one line here. */
import type { Command } from '../command.js';
import { lockCommand } from './lock.js';
import { planCommand } from './plan.js';
import { quantizeCommand } from './quantize.js';
import { publishCommand } from './publish.js';
import { runCommand } from './run.js';
import { sweepCommand } from './sweep.js';

export const COMMANDS: readonly Command[] = [planCommand, runCommand, lockCommand, publishCommand, quantizeCommand, sweepCommand];
