/**
 * Nothing published after a failure, repos included: a run that fails (eval gate, an error, an
 * interruption) deletes a Hub repo it created and never committed to (a low-disk run creates the
 * repo at its first upload), and never a repo that existed before it or that got a commit. Real
 * CLI processes against the test Hub, which serves @huggingface/hub's `DELETE /api/repos/delete`.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { TestHub } from '../servers/hub-server.js';
import { CLI, runCliAsync, type CliResult } from '../support/cli.js';
import { recordOutput } from '../support/output-capture.js';
import { exampleTaskArithmetic, exampleTaskLines } from '../support/example-recipes.js';
import { tempDir, writeRecipe } from '../support/tmp.js';

const TOKEN = 'hf_FailedRunToken4242';
let hub: TestHub;
const t = tempDir('mergeops-failed-run-');

beforeAll(async () => {
  hub = await TestHub.start();
  hub.addToken(TOKEN, { user: 'tester', role: 'write' });
});
afterAll(async () => { await hub.close(); t.cleanup(); });

const env = (): Record<string, string> => ({ HF_ENDPOINT: hub.url, HF_TOKEN: TOKEN, MERGEOPS_RETRY_BASE_MS: '5' });
const cli = (args: string[]): Promise<CliResult> => runCliAsync(args, { env: env() });

/** task_arithmetic over the example models; lambda 10 breaks the merge (eval-run.test.ts), and the gate fails. */
const recipe = (lambda: number, evalBlock = ''): string => writeRecipe(t.dir, `lambda-${lambda}.yml`, exampleTaskArithmetic(`mergeops:
  license: apache-2.0
${evalBlock}`, { lambda, dtype: 'bfloat16' }));

const brokenRecipe = (): string => recipe(10, `  eval:
    tasks:
      - {name: add, file: ${exampleTaskLines(t.dir, 'add', 10)}, max_tokens: 8}
      - {name: rev, file: ${exampleTaskLines(t.dir, 'rev', 10)}, max_tokens: 8}
    compare_inputs: false
    min_pass_rate: 0.3
`);

/** Low-disk: 1 MB shards of a ~3.5 MB output, each uploaded (and the repo created) during the merge. */
const lowDisk = (file: string, out: string, repo: string, extra: string[] = []): string[] => [
  'run', file, '--out', join(t.dir, out), '--out-shard-size', '1M', '--threads', '1', '--publish', `hf:${repo}`, '--low-disk', ...extra,
];

/** LFS batch requests (one per file uploaded; objects the Hub has by content need no PUT) to `repo` since log entry `from`. */
const uploadsTo = (repo: string, from: number): number => hub.counters.log.slice(from).filter((l) => l === `POST /${repo}.git/info/lfs/objects/batch`).length;

it('a low-disk run whose eval gate fails after its uploads leaves no repo: the one it created is deleted, and the log says so', async () => {
  const from = hub.counters.log.length;
  // --gguf: the eval runs on the GGUF file, which stays on disk (the shards do not).
  const r = await cli(lowDisk(brokenRecipe(), 'broken', 'tester/broken', ['--gguf', 'Q8_0']));
  expect(r.stderr).not.toContain('internal error');
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(/error: the eval gate failed: min_pass_rate/);
  // It did create the repo and upload shards into it before the gate failed...
  expect(r.stderr).toContain('created hf:tester/broken');
  expect(r.stdout).toMatch(/low-disk: [2-9] file\(s\) uploaded during the merge/);
  expect(uploadsTo('tester/broken', from)).toBeGreaterThanOrEqual(2);
  // ... and then deleted it, through the Hub API, saying why.
  expect(r.stderr).toContain('deleted hf:tester/broken: this run created it and committed nothing to it (the eval gate failed)');
  expect(hub.counters.deleted).toEqual(['tester/broken']);
  expect(hub.sha('tester/broken')).toBeUndefined();
  // The GGUF file goes up only with the commit: its repo was never created.
  expect(r.stderr).not.toContain('created hf:tester/broken-GGUF');
  expect(hub.sha('tester/broken-GGUF')).toBeUndefined();
}, 180_000);

it('a low-disk run into a repo that existed before fails its gate: the repo stays at its previous commit', async () => {
  const head = hub.commitFiles('tester/existing', new Map([['README.md', Buffer.from('# mine\n')], ['notes.txt', Buffer.from('kept')]]), 'main', 'the user\'s commit');
  const deletedBefore = hub.counters.deleted.length;
  const from = hub.counters.log.length;
  const r = await cli(lowDisk(brokenRecipe(), 'existing', 'tester/existing', ['--gguf', 'Q8_0']));
  expect(r.stderr).not.toContain('internal error');
  expect(r.status).toBe(1);
  expect(uploadsTo('tester/existing', from)).toBeGreaterThanOrEqual(2);
  expect(r.stderr).not.toContain('created hf:tester/existing');
  expect(r.stderr).toMatch(/hf:tester\/existing left as it was \(this run did not create it; the \d+ file\(s\) uploaded are in no commit\)/);
  expect(r.stderr).not.toContain('deleted hf:');
  expect(hub.counters.deleted.length).toBe(deletedBefore);
  expect(hub.sha('tester/existing')).toBe(head);
  expect([...hub.files('tester/existing').keys()].sort()).toEqual(['README.md', 'notes.txt']);
}, 180_000);

it('a repo that got its commit stays; the GGUF repo the same run created, whose commit failed, is deleted', async () => {
  const deletedBefore = hub.counters.deleted.length;
  // The first commit (the model repo's) goes through; every later one fails, retries included.
  hub.failUploads({ on: 'commit', after: 1, status: 500, times: Infinity });
  const r = await cli(['run', recipe(0.5), '--out', join(t.dir, 'half'), '--out-shard-size', '1M', '--threads', '2', '--gguf', 'Q8_0', '--skip-gguf-check',
    '--no-eval', '--publish', 'hf:tester/half']);
  hub.clearFaults();
  expect(r.stderr).not.toContain('internal error');
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(/error: .*cannot commit to hf:tester\/half-GGUF/);
  expect(hub.history('tester/half')).toHaveLength(2); // its creation, then the build's commit
  expect(hub.files('tester/half').has('model.safetensors.index.json')).toBe(true);
  expect(r.stderr).not.toContain('deleted hf:tester/half:');
  expect(r.stderr).toContain('deleted hf:tester/half-GGUF: this run created it and committed nothing to it (the run failed)');
  expect(hub.counters.deleted.slice(deletedBefore)).toEqual(['tester/half-GGUF']);
  expect(hub.sha('tester/half-GGUF')).toBeUndefined();
}, 180_000);

it('a repo created but not readable back (the Hub failing right after the creation) is deleted at once', async () => {
  // The preflight's reads of the two repos go through (neither exists yet); every read after the creation fails.
  hub.failUploads({ on: 'info', after: 2, status: 500, times: Infinity });
  const r = await cli(lowDisk(recipe(0.5), 'unread', 'tester/unread', ['--no-eval']));
  hub.clearFaults();
  expect(r.stderr).not.toContain('internal error');
  expect(r.status).toBe(1);
  expect(r.stderr).toContain('created hf:tester/unread');
  expect(r.stderr).toContain('deleted hf:tester/unread: this run created it and committed nothing to it (it could not be read back)');
  expect(r.stderr).toMatch(/error: cannot read hf:tester\/unread after creating it/);
  expect(hub.sha('tester/unread')).toBeUndefined();
}, 180_000);

it('`mergeops publish` whose commit fails deletes the repo it created for it', async () => {
  const dir = join(t.dir, 'to-publish');
  const made = await cli(['run', recipe(0.5), '--out', dir, '--out-shard-size', '1M', '--threads', '2', '--no-eval']);
  expect(made.status).toBe(0);
  hub.failUploads({ on: 'commit', status: 422, times: Infinity });
  const r = await cli(['publish', dir, '--to', 'hf:tester/published', '--gguf-repo', 'same']);
  hub.clearFaults();
  expect(r.stderr).not.toContain('internal error');
  expect(r.status).toBe(1);
  expect(r.stderr).toContain('created hf:tester/published');
  expect(r.stderr).toContain('deleted hf:tester/published: this run created it and committed nothing to it (the publish failed)');
  expect(hub.sha('tester/published')).toBeUndefined();
}, 180_000);

it('a deletion the Hub refuses is a warning naming the repo and its settings page; the run\'s own error stays the error', async () => {
  hub.failUploads({ on: 'commit', status: 422, times: Infinity });
  hub.failUploads({ on: 'delete', status: 403, times: Infinity });
  const r = await cli(lowDisk(recipe(0.5), 'undeletable', 'tester/undeletable', ['--no-eval']));
  hub.clearFaults();
  expect(r.stderr).not.toContain('internal error');
  expect(r.status).toBe(1);
  expect(r.stderr).toContain(`warning: hf:tester/undeletable not deleted (HTTP 403: injected upload fault (delete)`);
  expect(r.stderr).toContain(`this run created it and committed nothing to it (the run failed); delete it yourself: ${hub.url}/tester/undeletable/settings`);
  expect(r.stderr).toMatch(/error: .*cannot commit to hf:tester\/undeletable/);
  expect(r.stderr.lastIndexOf('error:')).toBeGreaterThan(r.stderr.indexOf('not deleted'));
  expect([...hub.files('tester/undeletable').keys()]).toEqual(['.gitattributes']);
}, 180_000);

/**
 * Starts a low-disk run whose uploads all fail (so the first shard's upload sits in its retries:
 * 3 s, then 6 s), waits for the first retry, runs `meanwhile`, sends `signal`; returns the exit
 * code and stderr. `lambda`: one no other test uses (the Hub keeps LFS objects by content and
 * would ask for no upload of a file it has).
 */
async function interruptMidUpload(repo: string, lambda: number, signal: NodeJS.Signals, meanwhile = (): void => {}): Promise<{ code: number | null; err: string; ms: number }> {
  hub.failUploads({ on: 'put', status: 503, times: Infinity });
  const args = lowDisk(recipe(lambda), repo.replace('/', '-'), repo, ['--no-eval']);
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env(), MERGEOPS_RETRY_BASE_MS: '3000' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stdout.resume();
  // 'close': the process has exited and its output is all read.
  const exited = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
  await new Promise<void>((res, rej) => {
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      err += d;
      if (/PUT \/lfs-upload\/\S+ failed \(HTTP 503\); retry 1/.test(err)) res();
    });
    void exited.then(() => rej(new Error(`the run ended before it could be interrupted:\n${err}`)));
  });
  expect(hub.sha(repo)).toBeDefined(); // created at the first upload
  meanwhile();
  const t0 = Date.now();
  child.kill(signal);
  const code = await exited;
  hub.clearFaults();
  recordOutput('mergeops run', { ...process.env, ...env() }, err);
  return { code, err, ms: Date.now() - t0 };
}

it('SIGINT while a low-disk run uploads: exit 130 and the repo it created is deleted', async () => {
  const deletedBefore = hub.counters.deleted.length;
  const r = await interruptMidUpload('tester/interrupted', 0.6, 'SIGINT');
  expect(r.code).toBe(130);
  expect(r.ms).toBeLessThan(5000);
  expect(r.err).toContain('deleted hf:tester/interrupted: this run created it and committed nothing to it (the run was interrupted)');
  expect(hub.counters.deleted.slice(deletedBefore)).toEqual(['tester/interrupted']);
  expect(hub.sha('tester/interrupted')).toBeUndefined();
}, 120_000);

it('SIGTERM after someone else committed to the repo the run created: exit 143, the repo and that commit stay', async () => {
  const deletedBefore = hub.counters.deleted.length;
  let theirs = '';
  const r = await interruptMidUpload('tester/shared', 0.7, 'SIGTERM', () => {
    theirs = hub.commitFiles('tester/shared', new Map([['notes.md', Buffer.from('a colleague\'s file\n')]]), 'main', 'their commit');
  });
  expect(r.code).toBe(143);
  expect(r.err).toContain('hf:tester/shared not deleted: this run created it, but it has a commit since that this run did not make');
  expect(hub.counters.deleted.length).toBe(deletedBefore);
  expect(hub.sha('tester/shared')).toBe(theirs);
}, 120_000);
