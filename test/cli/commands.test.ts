/** The command line's front end: per-command help, did-you-mean for commands and options, closed pipes. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { CLI, runCli } from '../support/cli.js';
import { EXAMPLE_MODELS, tempDir, writeRecipe } from '../support/tmp.js';

const t = tempDir('mergeops-cli-commands-');
/** Every command: each one's help is checked (a new command is covered by adding it to the table). */
const NAMES = COMMANDS.map((c) => c.name);
afterAll(t.cleanup);

const RECIPE = writeRecipe(t.dir, 'linear.yml', `merge_method: linear
models:
  - model: ${join(EXAMPLE_MODELS, 'add')}
    parameters: {weight: 0.5}
  - model: ${join(EXAMPLE_MODELS, 'rev')}
    parameters: {weight: 0.5}
dtype: bfloat16
`);

function usageError(args: string[]): string {
  const r = runCli(args);
  expect(r.status).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(/^error: .*\n {2}hint: /);
  expect(r.stderr).not.toMatch(/internal error|ERR_PARSE_ARGS|at .*\.js:\d+/);
  return r.stderr;
}

describe('help', () => {
  it('`mergeops --help` lists every command with a summary', () => {
    const r = runCli(['--help']);
    expect(r.status).toBe(0);
    for (const c of NAMES) expect(r.stdout).toMatch(new RegExp(`^ {2}${c} +\\S`, 'm'));
  });

  it.each(NAMES)('`mergeops %s --help` is that command\'s own text', (c) => {
    const r = runCli([c, '--help']);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(new RegExp(`^Usage: mergeops ${c} `));
    expect(runCli(['help', c]).stdout).toBe(r.stdout);
    expect(runCli([c, '-h']).stdout).toBe(r.stdout);
  });

  it('each command documents only its own options', () => {
    expect(runCli(['plan', '--help']).stdout).not.toMatch(/--gguf|--type|--max-memory/);
    expect(runCli(['quantize', '--help']).stdout).not.toMatch(/--frozen|--gguf|--source-mode/);
    expect(runCli(['run', '--help']).stdout).toMatch(/--gguf[\s\S]*--frozen/);
  });

  it('no command: the overview on stderr, exit 2', () => {
    const r = runCli([]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/Commands:/);
  });
});

describe('did you mean', () => {
  it('a misspelt command', () => {
    expect(usageError(['pln', RECIPE])).toMatch(/unknown command `pln`[\s\S]*did you mean `mergeops plan`\?/);
    expect(usageError(['quantise', 'x'])).toMatch(/did you mean `mergeops quantize`\?/);
    expect(usageError(['frobnicate'])).toContain(`the commands are ${NAMES.map((n) => `\`${n}\``).join(', ')}`);
  });

  it('a recipe given without a command', () => {
    expect(usageError([RECIPE])).toMatch(/put the command first: `mergeops plan /);
  });

  it('a misspelt option', () => {
    expect(usageError(['run', RECIPE, '--out', join(t.dir, 'o'), '--ovewrite'])).toMatch(/unknown option `--ovewrite` for `mergeops run`[\s\S]*did you mean `--overwrite`\?/);
    expect(usageError(['quantize', 'x', '--tpye', 'F16'])).toMatch(/did you mean `--type`\?/);
    expect(usageError(['plan', RECIPE, '--jsno'])).toMatch(/did you mean `--json`\?/);
  });

  it('an option of another command', () => {
    expect(usageError(['plan', RECIPE, '--gguf', 'Q8_0'])).toMatch(/`mergeops plan` has no option `--gguf`; it is an option of `mergeops run`/);
    expect(usageError(['plan', RECIPE, '--overwrit'])).toMatch(/`--overwrite` is an option of `mergeops run`/);
  });

  it('option values: missing, ambiguous, or given to a switch', () => {
    expect(usageError(['run', RECIPE, '--out'])).toMatch(/--out needs a value/);
    expect(usageError(['run', RECIPE, '--out', '--overwrite'])).toMatch(/--out needs a value, but is followed by `--overwrite`/);
    expect(usageError(['plan', RECIPE, '--json=yes'])).toMatch(/--json does not take a value/);
  });

  it('positional arguments: none, or too many', () => {
    expect(usageError(['plan'])).toMatch(/`mergeops plan` needs a recipe file/);
    expect(usageError(['plan', RECIPE, RECIPE])).toMatch(/takes one recipe file, got 2/);
    expect(usageError(['--json', 'plan'])).toMatch(/before the command/);
  });
});

describe('closed pipes', () => {
  it('`mergeops plan … | head -1` prints one line and exits quietly', () => {
    // The plan of the fixtures is ~45 lines; head exits after the first, so later writes hit EPIPE.
    const r = spawnSync('bash', ['-c', `set -o pipefail; "${process.execPath}" "${CLI}" plan "${RECIPE}" --json | head -c 100 >/dev/null`],
      { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const r2 = spawnSync('bash', ['-c', `set -o pipefail; "${process.execPath}" "${CLI}" plan "${RECIPE}" | head -1`], { encoding: 'utf8' });
    expect(r2.stderr).toBe('');
    expect(r2.stdout).toBe('method: linear\n');
    expect(r2.status).toBe(0);
  });
});
