/**
 * File-system failures as a user meets them: a full disk while the small files are copied, in a
 * kernel worker's background write and during `quantize`; a read-only output parent and one the
 * user may not write. Each is a typed error naming the path, the operation and a hint (ENOSPC:
 * the space needed and where), no stack trace, exit code 1, and nothing half-written.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, runCli } from '../support/cli.js';
import { EXAMPLE_MODELS, tempDir, writeRecipe } from '../support/tmp.js';

const t = tempDir('mergeops-disk-errors-');
chmodSync(t.dir, 0o755);
const mounts: string[] = [];
afterAll(() => {
  for (const m of mounts.reverse()) execFileSync('umount', [m]);
  t.cleanup();
});

/** A tmpfs of `bytes` (the tests run as root, as CI does here), optionally read-only. */
function disk(name: string, bytes: number, ro = false): string {
  const dir = join(t.dir, name);
  mkdirSync(dir);
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}${ro ? ',ro' : ''}`, 'tmpfs', dir]);
  mounts.push(dir);
  return dir;
}

/** Leaves `pages` 4 KiB pages free on the tmpfs at `dir`. */
function fill(dir: string, total: number, pages: number): void {
  execFileSync('dd', ['if=/dev/zero', `of=${join(dir, 'filler')}`, 'bs=4096', `count=${total / 4096 - pages}`], { stdio: 'ignore' });
}

const recipe = writeRecipe(t.dir, 'r.yml', `merge_method: linear
models:
  - model: ${join(EXAMPLE_MODELS, 'base')}
    parameters: {weight: 0.5}
  - model: ${join(EXAMPLE_MODELS, 'add')}
    parameters: {weight: 0.5}
`);

function typed(r: { status: number; stderr: string }, patterns: RegExp[]): void {
  expect(r.stderr).not.toMatch(/internal error|kernel worker crashed|\n\s+at /);
  expect(r.status).toBe(1);
  for (const p of patterns) expect(r.stderr).toMatch(p);
}

it('ENOSPC while copying the small files names the copy, not the input, and leaves nothing', () => {
  const d = disk('small-files', 64 * 1024);
  // Room for the shard's header pages and config.json, not for the tokenizer files.
  fill(d, 64 * 1024, 6);
  const r = runCli(['run', recipe, '--out', join(d, 'out'), '--no-eval']);
  typed(r, [
    /error: cannot copy \S+\/examples\/models\/base\/(\S+) to \S+\/\.out\.partial-\d+\/\1: no space left on device/,
    /hint: the disk holding \S+\/\.out\.partial-\d+\/\S+ is full: 3\.3 MiB needed, \d+(\.\d)? (bytes|KiB) free; free some space there/,
  ]);
  expect(readdirSync(d)).toEqual(['filler']);
});

it.each([1, 2])('ENOSPC in a kernel worker\'s background write (%i thread(s)): the same typed error, not a worker crash', (threads) => {
  const d = disk(`workers-${threads}`, 2 * 1024 * 1024);
  const r = runCli(['run', recipe, '--out', join(d, 'out'), '--no-eval', '--threads', String(threads)]);
  typed(r, [
    /error: cannot write \S+\/\.out\.partial-\d+\/model\.safetensors: no space left on device/,
    /hint: the disk holding \S+ is full: 3\.3 MiB needed, .* free/,
  ]);
  expect(readdirSync(d)).toEqual([]);
});

it('ENOSPC during quantize: typed, and no partial GGUF left', () => {
  const d = disk('quantize', 256 * 1024);
  const out = join(d, 'base-Q8_0.gguf');
  const r = runCli(['quantize', join(EXAMPLE_MODELS, 'base'), '--type', 'q8_0', '--out', out]);
  typed(r, [/no space left on device/, new RegExp(`error: cannot \\w+ ${d.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/`), /hint: the disk holding \S+ is full/]);
  expect(readdirSync(d)).toEqual([]);
});

it('EROFS: a read-only output parent', () => {
  const d = disk('readonly', 64 * 1024, true);
  const r = runCli(['run', recipe, '--out', join(d, 'out'), '--no-eval']);
  typed(r, [new RegExp(`error: cannot [\\w ]+ ${d}/\\S*: EROFS`), /hint: \S+ is on a read-only file system: choose a writable folder/]);
  expect(readdirSync(d)).toEqual([]);
});

it('EACCES: an output parent the user may not write (root without the capabilities that bypass modes)', () => {
  // Root ignores file modes through CAP_DAC_OVERRIDE; dropping it (and CAP_DAC_READ_SEARCH) from the bounding
  // set makes modes apply, while the process can still read the clone wherever CI put it (another user could not).
  const parent = join(t.dir, 'read-only-mode');
  mkdirSync(parent, { mode: 0o555 });
  const r = spawnSync('setpriv', ['--bounding-set=-dac_override,-dac_read_search', process.execPath, CLI, 'run', recipe, '--out', join(parent, 'out'), '--no-eval'],
    { encoding: 'utf8' });
  typed({ status: r.status ?? -1, stderr: r.stderr }, [new RegExp(`error: cannot [\\w ]+ ${parent}/\\S*: EACCES`), /hint: no permission for \S+: check its owner and mode/]);
  expect(readdirSync(parent)).toEqual([]);
});
