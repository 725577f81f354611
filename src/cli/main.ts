#!/usr/bin/env node
/** `mergeops` command line: finds the command (src/cli/commands/) and runs it; errors become messages. */
import { MergeopsError } from '../errors.js';
import { MERGEOPS_VERSION } from '../version.js';
import { toMergeopsError } from '../fs-errors.js';
import { installInterruptHandlers, interruptedBy } from '../interrupt.js';
import { maskTokens } from '../hub/hub-options.js';
import { didYouMean } from '../recipe/index.js';
import type { OptionIndex } from './args.js';
import type { Command, CommandIO } from './command.js';
import { COMMANDS } from './commands/index.js';
import { closeQuietly } from './streams.js';

const VERSION = MERGEOPS_VERSION;

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `mergeops ${VERSION} — merge models from mergekit recipes

Usage: mergeops <command> [arguments] [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Run \`mergeops <command> --help\` for a command's arguments and options.
  -h, --help     this text
  -v, --version  the version
`;
}

function findCommand(name: string): Command {
  const command = COMMANDS.find((c) => c.name === name);
  if (command) return command;
  const names = COMMANDS.map((c) => c.name);
  const guess = didYouMean(name, names);
  const list = names.map((n) => `\`${n}\``).join(', ');
  if (/\.ya?ml$/i.test(name)) {
    throw new MergeopsError('USAGE', `\`${name}\` is not a command`, `put the command first: \`mergeops plan ${name}\` or \`mergeops run ${name} --out DIR\``);
  }
  throw new MergeopsError('USAGE', `unknown command \`${name}\``, guess ? `did you mean \`mergeops ${guess}\`? (commands: ${list})` : `the commands are ${list} (see \`mergeops --help\`)`);
}

/** Which commands take each option, for "`--gguf` is an option of `mergeops run`". */
function optionIndex(): OptionIndex {
  const index = new Map<string, string[]>();
  for (const c of COMMANDS) for (const o of c.optionNames) index.set(o, [...(index.get(o) ?? []), c.name]);
  return index;
}

async function main(argv: string[], io: CommandIO): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) { io.err(usage()); return 2; }
  if (first === '-v' || first === '--version') { io.out(`${VERSION}\n`); return 0; }
  if (first === '-h' || first === '--help') { io.out(usage()); return 0; }
  if (first === 'help') {
    if (rest[0] === undefined) { io.out(usage()); return 0; }
    io.out(findCommand(rest[0]).help);
    return 0;
  }
  if (first.startsWith('-')) {
    throw new MergeopsError('USAGE', `\`${first}\` before the command`, 'put the command first, e.g. `mergeops run recipe.yml --out DIR` (see `mergeops --help`)');
  }
  return findCommand(first).invoke(rest, io, optionIndex());
}

const io: CommandIO = { out: closeQuietly(process.stdout), err: closeQuietly(process.stderr), env: process.env };
// Ctrl-C, SIGTERM, SIGHUP: stop the workers, remove partial output, exit 130/143/129.
installInterruptHandlers({ log: (line) => io.err(`\n${line}\n`) });
main(process.argv.slice(2), io).then(
  (code) => { process.exitCode = code; },
  (raw: unknown) => {
    // Interrupted: the work stopped failing is expected; the signal handler exits with its code.
    if (interruptedBy() !== undefined) return;
    // File-system and network failures are the machine's state, not bugs: typed, with a hint.
    const e = toMergeopsError(raw) ?? raw;
    if (e instanceof MergeopsError) io.err(maskTokens(e.format()) + '\n');
    else {
      io.err(`internal error: ${maskTokens(e instanceof Error ? e.stack ?? e.message : String(e))}\n`
        + '  this is a bug in mergeops: please report it with the command and the text above\n');
    }
    process.exitCode = e instanceof MergeopsError && e.code === 'USAGE' ? 2 : 1;
  },
);
