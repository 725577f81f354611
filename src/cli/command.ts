/** One CLI command: its name, help text, options and the function that runs it. */
import type { OptionIndex, OptionSpecs, ParsedArgs } from './args.js';
import { parseCommandArgs } from './args.js';

/** Where a command writes: stdout for results, stderr for progress and warnings (both masked of tokens). */
export interface CommandIO {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
}

export interface CommandSpec<O extends OptionSpecs> {
  name: string;
  /** One line for `mergeops --help`. */
  summary: string;
  /** The whole text `mergeops <name> --help` prints. */
  help: string;
  options: O;
  run(args: ParsedArgs<O>, io: CommandIO): Promise<number>;
}

/** A command with its option types erased, for the dispatcher's table. */
export interface Command {
  name: string;
  summary: string;
  help: string;
  optionNames: readonly string[];
  invoke(argv: string[], io: CommandIO, elsewhere: OptionIndex): Promise<number>;
}

const HELP = { help: { type: 'boolean', short: 'h' } } as const;

export function defineCommand<O extends OptionSpecs>(spec: CommandSpec<O>): Command {
  return {
    name: spec.name,
    summary: spec.summary,
    help: spec.help,
    optionNames: [...Object.keys(spec.options), 'help'],
    async invoke(argv, io, elsewhere) {
      const options = { ...spec.options, ...HELP };
      const args = parseCommandArgs(spec.name, options, argv, elsewhere);
      if ((args.values as { help?: boolean }).help) {
        io.out(spec.help);
        return 0;
      }
      return spec.run(args as unknown as ParsedArgs<O>, io);
    },
  };
}
