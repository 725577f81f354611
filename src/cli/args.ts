/**
 * Command-line arguments: node's parseArgs in strict mode, its errors turned into typed usage errors
 * that name the option and suggest the closest one (and say which command has it, when another does).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { MergeopsError } from '../errors.js';
import { didYouMean } from '../recipe/index.js';

export type OptionSpecs = NonNullable<ParseArgsConfig['options']>;
type Config<O extends OptionSpecs> = { args: string[]; options: O; allowPositionals: true; strict: true };
/** What parseArgs returns for these option specs: values typed by each option's `type`. */
export type ParsedArgs<O extends OptionSpecs> = ReturnType<typeof parseArgs<Config<O>>>;

/** Where an option can be found, for "did you mean" across commands: `--gguf` is an option of `run`. */
export type OptionIndex = ReadonlyMap<string, readonly string[]>;

export function parseCommandArgs<O extends OptionSpecs>(
  command: string, options: O, argv: string[], elsewhere: OptionIndex = new Map(),
): ParsedArgs<O> {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    if (!(e instanceof Error) || !String((e as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS')) throw e;
    throw usageError(command, options, argv, elsewhere, e.message);
  }
}

/** Finds the token strict mode refused, by a lenient parse of the same arguments, and explains it. */
function usageError(command: string, options: OptionSpecs, argv: string[], elsewhere: OptionIndex, nodeMessage: string): MergeopsError {
  const help = `see \`mergeops ${command} --help\``;
  const { tokens } = parseArgs({ args: argv, options, allowPositionals: true, strict: false, tokens: true });
  const names = Object.keys(options);
  for (const t of tokens) {
    if (t.kind !== 'option') continue;
    const spec = options[t.name];
    if (spec === undefined) {
      const long = t.rawName.startsWith('--');
      const ownerText = (name: string): string => {
        const owners = (elsewhere.get(name) ?? []).filter((c) => c !== command);
        return owners.map((c) => `\`mergeops ${c}\``).join(', ');
      };
      if (long && elsewhere.has(t.name)) {
        return new MergeopsError('USAGE', `\`mergeops ${command}\` has no option \`${t.rawName}\`; it is an option of ${ownerText(t.name)}`, help);
      }
      const guess = long ? didYouMean(t.name, names) : undefined;
      if (guess) return new MergeopsError('USAGE', `unknown option \`${t.rawName}\` for \`mergeops ${command}\``, `did you mean \`--${guess}\`? (${help})`);
      const other = long ? didYouMean(t.name, [...elsewhere.keys()]) : undefined;
      if (other) {
        return new MergeopsError('USAGE', `unknown option \`${t.rawName}\` for \`mergeops ${command}\``,
          `\`--${other}\` is an option of ${ownerText(other)}, not of \`mergeops ${command}\` (${help})`);
      }
      return new MergeopsError('USAGE', `unknown option \`${t.rawName}\` for \`mergeops ${command}\``, help);
    }
    const flag = `--${t.name}`;
    if (spec.type === 'string' && t.value === undefined) {
      return new MergeopsError('USAGE', `${flag} needs a value`, `e.g. ${flag} VALUE (${help})`);
    }
    if (spec.type === 'string' && !t.inlineValue && t.value?.startsWith('-')) {
      return new MergeopsError('USAGE', `${flag} needs a value, but is followed by \`${t.value}\``,
        `give the value after ${flag}; a value starting with a dash is written ${flag}=${t.value}`);
    }
    if (spec.type === 'boolean' && t.value !== undefined) {
      return new MergeopsError('USAGE', `${flag} does not take a value (got \`${t.value}\`)`, `write ${flag} alone (${help})`);
    }
  }
  return new MergeopsError('USAGE', nodeMessage, help);
}
