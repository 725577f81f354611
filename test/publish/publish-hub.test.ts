/**
 * Publishing end to end: the CLI (a separate process, as a user runs it) merges and publishes to
 * the project's test Hub over real HTTP, through @huggingface/hub's preupload, LFS (basic and
 * multipart) and commit calls. Checks what lands on the server, byte for byte.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { writeEvalReport, notRunReport } from '../../src/eval/report.js';
import { HubUploader } from '../../src/publish/hub-uploader.js';
import { TestHub } from '../servers/hub-server.js';
import { runCliAsync, type CliResult } from '../support/cli.js';
import { EXAMPLE_MODELS, tempDir, writeRecipe } from '../support/tmp.js';

const WRITE = 'hf_WriteToken12345';
const READ = 'hf_ReadOnly98765';
let hub: TestHub;
let tmp: { dir: string; cleanup: () => void };
const outputs: CliResult[] = [];

beforeAll(async () => {
  hub = await TestHub.start();
  hub.addToken(WRITE, { user: 'tester', role: 'write', orgs: [{ name: 'org', roleInOrg: 'write' }] });
  hub.addToken(READ, { user: 'tester', role: 'read' });
  hub.multipartOver = 600_000; // shards above it go multipart
  hub.multipartChunk = 256 * 1024;
  tmp = tempDir('mergeops-publish-');
});
afterAll(async () => { await hub.close(); tmp.cleanup(); });

function recipe(weight: number): string {
  return writeRecipe(tmp.dir, 'recipe.yml', `merge_method: task_arithmetic
base_model: ${join(EXAMPLE_MODELS, 'base')}
models:
  - model: ${join(EXAMPLE_MODELS, 'add')}
    parameters:
      weight: 1.0
  - model: ${join(EXAMPLE_MODELS, 'rev')}
    parameters:
      weight: [${weight}, 1.0]
parameters:
  lambda: 1.0
dtype: bfloat16
mergeops:
  license: apache-2.0
`);
}

async function cli(args: string[], token = WRITE): Promise<CliResult> {
  const r = await runCliAsync(args, { env: { HF_ENDPOINT: hub.url, HF_TOKEN: token, MERGEOPS_RETRY_BASE_MS: '5' } });
  outputs.push(r);
  return r;
}

const out = (): string => join(tmp.dir, 'out');
const runArgs = (file: string, extra: string[] = []): string[] => [
  'run', file, '--out', out(), '--overwrite', '--out-shard-size', '1M', '--gguf', 'Q8_0', '--skip-gguf-check', '--threads', '2', ...extra,
];
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** Every local output file equals the server's (README and charts: rendered per repo, compared by presence). */
function expectSameFiles(dir: string): void {
  const model = hub.files('tester/merge');
  const gguf = hub.files('tester/merge-GGUF');
  for (const name of readdirSync(dir)) {
    // eval.json/eval.md carry the eval's timing: a run that changes nothing else does not commit them.
    if (name === 'README.md' || name === 'mergeops_card.json' || name.startsWith('.') || name.startsWith('eval.')) continue;
    const repo = name.endsWith('.gguf') ? gguf : model;
    const f = repo.get(name);
    expect([name, f?.sha256]).toEqual([name, sha256(readFileSync(join(dir, name)))]);
  }
  for (const repo of [model, gguf]) expect(repo.has('README.md')).toBe(true);
  expect(model.has('eval.json')).toBe(true);
  expect([...gguf.keys()].filter((n) => n.endsWith('.safetensors'))).toEqual([]);
  expect([...model.keys()].filter((n) => n.endsWith('.gguf'))).toEqual([]);
}

describe('run --publish against the test Hub', () => {
  it('a token without write access fails before the merge, naming the repo', async () => {
    const t0 = performance.now();
    const r = await cli(runArgs(recipe(0.5), ['--publish', 'hf:tester/merge']), READ);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('cannot publish to hf:tester/merge');
    expect(r.stderr).toContain('`read` token');
    expect(r.stderr).not.toContain('merging');
    expect(r.stderr).not.toContain('internal error');
    expect(existsSync(out())).toBe(false);
    expect(performance.now() - t0).toBeLessThan(20_000);
    // A namespace the user is not a member of, and no token at all.
    const other = await cli(runArgs(recipe(0.5), ['--publish', 'hf:someone-else/merge']));
    expect(other.stderr).toContain('cannot publish to hf:someone-else/merge: user tester is not a member of someone-else');
    const none = await cli(runArgs(recipe(0.5), ['--publish', 'hf:tester/merge']), '');
    expect(none.stderr).toContain('publishing to hf:tester/merge needs a Hugging Face token with write access');
    // One part of a matrix build is not a publishable output: refused before any work.
    const part = await cli(runArgs(recipe(0.5), ['--shard', '1/2', '--publish', 'hf:tester/merge']));
    expect(part.status).toBe(2);
    expect(part.stderr).toContain('--publish cannot publish one part of a matrix build (--shard)');
    expect(part.stderr).not.toContain('merging');
    expect(existsSync(out())).toBe(false);
    expect(hub.sha('tester/merge')).toBeUndefined();
  });

  it('publishes both repos; the files on the server equal the outputs; a second identical run commits nothing', async () => {
    const r = await cli(runArgs(recipe(0.5), ['--publish', 'hf:tester/merge', '--private']));
    expect(r.stderr).not.toContain('internal error');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/published hf:tester\/merge: \d+ file\(s\) changed/);
    expect(r.stdout).toMatch(/published hf:tester\/merge-GGUF: 2 file\(s\) changed/);
    expect(r.stderr).toMatch(/progress: upload hf:tester\/merge +\d+%.*\/s +ETA/);
    expect(hub.isPrivate('tester/merge')).toBe(true);
    expectSameFiles(out());
    // Multipart and basic LFS uploads both happened.
    expect(hub.counters.log.some((l) => /^PUT \/lfs-upload\/[0-9a-f]+\/part\/\d+$/.test(l))).toBe(true);
    expect(hub.counters.log.some((l) => /^POST \/lfs-upload\/[0-9a-f]+\/complete$/.test(l))).toBe(true);
    // One commit per repo, naming the recipe file.
    expect(hub.counters.commits.get('tester/merge')).toBe(1);
    expect(hub.counters.commits.get('tester/merge-GGUF')).toBe(1);
    expect(hub.history('tester/merge')[0].title).toBe('mergeops: build recipe.yml');
    // The cards: the model repo is the merge, the GGUF repo a quantization of it.
    const card = (repo: string): Record<string, unknown> => parseYaml(/^---\n([\s\S]*?)\n---/.exec(hub.files(repo).get('README.md')!.data.toString())![1]) as Record<string, unknown>;
    expect(card('tester/merge')).toMatchObject({ library_name: 'transformers', pipeline_tag: 'text-generation', license: 'apache-2.0' });
    expect(card('tester/merge-GGUF')).toMatchObject({ base_model: 'tester/merge', base_model_relation: 'quantized', license: 'apache-2.0' });
    expect(card('tester/merge-GGUF').tags).toEqual(expect.arrayContaining(['gguf', 'merge', 'mergeops', 'task_arithmetic']));

    const heads = [hub.sha('tester/merge'), hub.sha('tester/merge-GGUF')];
    const again = await cli(runArgs(recipe(0.5), ['--publish', 'hf:tester/merge']));
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('published hf:tester/merge: no change');
    expect(again.stdout).toContain('published hf:tester/merge-GGUF: no change');
    expect([hub.sha('tester/merge'), hub.sha('tester/merge-GGUF')]).toEqual(heads);
    expect(hub.counters.commits.get('tester/merge')).toBe(1);
  });

  it('a recipe change makes exactly one commit per repo', async () => {
    const before = [hub.history('tester/merge').length, hub.history('tester/merge-GGUF').length];
    const r = await cli(runArgs(recipe(0.25), ['--publish', 'hf:tester/merge']));
    expect(r.status).toBe(0);
    expect([hub.history('tester/merge').length, hub.history('tester/merge-GGUF').length]).toEqual([before[0] + 1, before[1] + 1]);
    expectSameFiles(out());
  });

  it('transient upload failures are retried (multipart parts resumed); a failure for good leaves the repos as they were', async () => {
    hub.failUploads({ on: 'put', after: 3, status: 503, times: 2 });
    const ok = await cli(runArgs(recipe(0.3), ['--publish', 'hf:tester/merge']));
    expect(ok.status).toBe(0);
    expect(ok.stderr).toMatch(/PUT \/lfs-upload\/[0-9a-f]+(\/part\/\d+)? failed \(HTTP 503\); retry 1/);
    expect(ok.stderr).not.toContain('sig=');
    expectSameFiles(out());

    const heads = [hub.sha('tester/merge'), hub.sha('tester/merge-GGUF')];
    hub.failUploads({ on: 'put', after: 2, status: 500, times: Infinity });
    const bad = await cli(runArgs(recipe(0.35), ['--publish', 'hf:tester/merge']));
    hub.clearFaults();
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('hf:tester/merge');
    expect(bad.stderr).toMatch(/error: .*(cannot commit|cannot upload).*hf:tester\/merge/);
    expect(bad.stderr).not.toContain('internal error');
    expect([hub.sha('tester/merge'), hub.sha('tester/merge-GGUF')]).toEqual(heads);

    const rerun = await cli(runArgs(recipe(0.35), ['--publish', 'hf:tester/merge']));
    expect(rerun.status).toBe(0);
    expect(hub.history('tester/merge')[1].sha).toBe(heads[0]);
    expectSameFiles(out());
  });

  it('a push to the repo since the run started fails the commit cleanly (parentCommit → 412) and changes nothing', async () => {
    const start = hub.sha('tester/merge')!;
    const up = await HubUploader.open('tester/merge', { hub: { hubUrl: hub.url, accessToken: WRITE }, revision: start });
    const theirs = hub.commitFiles('tester/merge', new Map([['notes.txt', Buffer.from('someone else')]]), 'main', 'their push');
    const f = join(tmp.dir, 'x.json');
    (await import('node:fs')).writeFileSync(f, '{"x": 1}\n');
    await expect(up.commit([{ path: 'x.json', local: f }], { title: 't', description: 'd' })).rejects.toMatchObject({ code: 'UPSTREAM_CHANGED' });
    expect(hub.sha('tester/merge')).toBe(theirs);
  });

  it('a commit sends exactly the files whose bytes differ from the repo\'s: same size other bytes, other size, new; equal ones are unchanged', async () => {
    const { writeFileSync } = await import('node:fs');
    const local = (name: string, text: string): { path: string; local: string } => {
      writeFileSync(join(tmp.dir, name), text);
      return { path: name, local: join(tmp.dir, name) };
    };
    const files = (): { path: string; local: string }[] => [local('a.json', '{"a": 1}'), local('b.json', '{"b": 1}'), local('c.json', '{"c": 1}'), local('w.safetensors', 'x'.repeat(4096))];
    const first = await HubUploader.open('tester/compare', { hub: { hubUrl: hub.url, accessToken: WRITE } });
    expect((await first.commit(files(), { title: 't', description: 'd' })).changed).toEqual(['a.json', 'b.json', 'c.json', 'w.safetensors']);
    const start = hub.sha('tester/compare')!;
    const up = await HubUploader.open('tester/compare', { hub: { hubUrl: hub.url, accessToken: WRITE }, revision: start });
    const next = [local('a.json', '{"a": 2}'), local('b.json', '{"b": 10}'), local('c.json', '{"c": 1}'), local('d.json', '{}'), local('w.safetensors', 'y'.repeat(4096))];
    const o = await up.commit(next, { title: 't', description: 'd' });
    expect(o.changed).toEqual(['a.json', 'b.json', 'd.json', 'w.safetensors']);
    expect(o.unchanged).toEqual(['c.json']);
    expect(hub.file('tester/compare', 'main', 'w.safetensors')!.data.toString()).toBe('y'.repeat(4096));
    expect(hub.file('tester/compare', 'main', 'a.json')!.data.toString()).toBe('{"a": 2}');
    expect(hub.file('tester/compare', 'main', 'c.json')!.data.toString()).toBe('{"c": 1}');
  });

  it('local files whose paths need URL escaping (space, #, %, ?) upload and commit byte for byte (LFS multipart and regular)', async () => {
    const { mkdirSync, writeFileSync } = await import('node:fs');
    const dir = join(tmp.dir, 'odd dir #1 %20 ?x');
    mkdirSync(dir, { recursive: true });
    const big = Buffer.alloc(700_000, 7); // over multipartOver: parts
    writeFileSync(join(dir, 'a b#%.safetensors'), big);
    writeFileSync(join(dir, 'c%d e.json'), '{"odd": true}');
    const up = await HubUploader.open('tester/odd-paths', { hub: { hubUrl: hub.url, accessToken: WRITE } });
    expect(await up.upload(join(dir, 'a b#%.safetensors'), 'early.safetensors')).toBe(true);
    const o = await up.commit([{ path: 'late.safetensors', local: join(dir, 'a b#%.safetensors') }, { path: 'c.json', local: join(dir, 'c%d e.json') }], { title: 't', description: 'd' });
    expect(o.changed).toEqual(['c.json', 'early.safetensors', 'late.safetensors']);
    expect(hub.file('tester/odd-paths', 'main', 'early.safetensors')!.sha256).toBe(sha256(big));
    expect(hub.file('tester/odd-paths', 'main', 'late.safetensors')!.sha256).toBe(sha256(big));
    expect(hub.file('tester/odd-paths', 'main', 'c.json')!.data.toString()).toBe('{"odd": true}');
  });

  it('`mergeops publish DIR --to dir:PATH` lays the repos out as folders; a failed eval gate refuses to publish', async () => {
    const site = join(tmp.dir, 'site', 'merge');
    const r = await cli(['publish', out(), '--to', `dir:${site}`]);
    expect(r.status).toBe(0);
    for (const name of readdirSync(out())) {
      if (name === 'README.md' || name === 'mergeops_card.json' || name.startsWith('.')) continue;
      const where = name.endsWith('.gguf') ? `${site}-GGUF` : site;
      expect(sha256(readFileSync(join(where, name)))).toBe(sha256(readFileSync(join(out(), name))));
    }
    expect(readFileSync(join(`${site}-GGUF`, 'README.md'), 'utf8')).toContain('base_model_relation: quantized');
    const again = await cli(['publish', out(), '--to', `dir:${site}`, '--gguf-repo', 'same']);
    expect(again.stdout).toContain(`published dir:${site}:`);
    expect(statSync(join(site, readdirSync(out()).find((n) => n.endsWith('.gguf'))!)).size).toBeGreaterThan(0);

    writeEvalReport(out(), { ...notRunReport('x', '0.1.0'), ran: true, gate: { passed: false, failures: [{ check: 'prompt add', message: 'the merge fails 12+34=' }] } });
    const head = hub.sha('tester/merge');
    const refused = await cli(['publish', out(), '--to', 'hf:tester/merge']);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain('the eval gate failed (prompt add: the merge fails 12+34=)');
    expect(hub.sha('tester/merge')).toBe(head);
  });

  it('no captured output contains a token', () => {
    expect(outputs.length).toBeGreaterThan(8);
    expect(hub.counters.seen.some((h) => h.includes(WRITE))).toBe(true);
    for (const o of outputs) {
      for (const t of [WRITE, READ]) {
        expect(o.stdout).not.toContain(t);
        expect(o.stderr).not.toContain(t);
      }
    }
    for (const c of hub.history('tester/merge')) expect(c.title).not.toContain(WRITE);
    for (const f of hub.files('tester/merge').values()) expect(f.data.includes(WRITE)).toBe(false);
  });
});
