/**
 * Runs the Action as a GitHub runner does: a fresh bundle (`node dist/index.js`) in a folder with
 * no node_modules around it, the inputs as INPUT_* variables, GITHUB_OUTPUT / GITHUB_STEP_SUMMARY
 * files, an event payload at GITHUB_EVENT_PATH, and a real git checkout with history, cloned from
 * a bare "origin" that the GitHub API test server serves.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { recordOutput } from './output-capture.js';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Bundles the Action into `<dir>/dist/` (scripts/bundle.mjs) and returns the path of index.js. */
export function bundleAction(dir: string): string {
  const out = join(dir, 'dist');
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'bundle.mjs'), '--outdir', out], { stdio: 'inherit' });
  return join(out, 'index.js');
}

const GIT_ENV = { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.invalid', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.invalid' };

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, ...GIT_ENV }, stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** A bare origin and a working clone on `main`. */
export class TestRepo {
  readonly bare: string;
  readonly work: string;
  constructor(dir: string) {
    this.bare = join(dir, 'origin.git');
    this.work = join(dir, 'work');
    mkdirSync(this.bare, { recursive: true });
    git(this.bare, 'init', '-q', '--bare', '-b', 'main');
    git(dir, 'clone', '-q', this.bare, this.work);
    git(this.work, 'checkout', '-q', '-B', 'main');
  }

  /** Writes the files and commits them on the current branch; returns the commit sha. */
  commit(files: Record<string, string>, message = 'change'): string {
    for (const [p, text] of Object.entries(files)) {
      const full = join(this.work, p);
      mkdirSync(dirname(full), { recursive: true });
      writeFileSync(full, text);
    }
    git(this.work, 'add', '-A');
    git(this.work, 'commit', '-q', '-m', message);
    return this.head();
  }

  /** A fresh checkout, as each job gets: drops what an earlier run changed in the work tree. */
  reset(): void {
    git(this.work, 'checkout', '-q', '--', '.');
    git(this.work, 'clean', '-q', '-fd');
  }

  head(): string {
    return git(this.work, 'rev-parse', 'HEAD');
  }

  push(branch: string): void {
    git(this.work, 'push', '-q', 'origin', `HEAD:refs/heads/${branch}`);
  }

  checkout(branch: string, create = false): void {
    git(this.work, 'checkout', '-q', ...(create ? ['-b'] : []), branch);
  }

  /** A file's text on a branch of the origin. */
  originFile(branch: string, path: string): string | undefined {
    try { return git(this.bare, 'show', `${branch}:${path}`); } catch { return undefined; }
  }
}

export interface ActionRun {
  status: number;
  stdout: string;
  outputs: Record<string, string>;
  summary: string;
  /** `::error …::` and `::warning …::` workflow commands */
  annotations: string[];
}

/** `name<<delim\nvalue\ndelim` blocks of GITHUB_OUTPUT. */
export function parseOutputFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^<]+)<<(.+)$/.exec(lines[i]);
    if (!m) continue;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i] !== m[2]; i++) body.push(lines[i]);
    out[m[1]] = body.join('\n');
  }
  return out;
}

export interface RunSpec {
  index: string;
  /** the checkout (GITHUB_WORKSPACE) */
  workspace: string;
  /** scratch of this run: event file, outputs, RUNNER_TEMP */
  dir: string;
  event: string;
  payload: Record<string, unknown>;
  inputs: Record<string, string>;
  sha: string;
  ref: string;
  repository: string;
  env?: Record<string, string>;
  /** Called with the running process and its output so far, on each piece of output (e.g. to signal it at some point). */
  onOutput?: (child: ChildProcess, output: string) => void;
}

/** Runs `node dist/index.js` with a runner's environment (nothing inherited from the test's GITHUB_* / INPUT_*). */
export function runAction(spec: RunSpec): Promise<ActionRun> {
  mkdirSync(spec.dir, { recursive: true });
  const eventPath = join(spec.dir, 'event.json');
  const outputPath = join(spec.dir, 'output.txt');
  const summaryPath = join(spec.dir, 'summary.md');
  writeFileSync(eventPath, JSON.stringify(spec.payload));
  writeFileSync(outputPath, '');
  writeFileSync(summaryPath, '');
  const temp = join(spec.dir, 'runner-temp');
  mkdirSync(temp, { recursive: true });
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^(GITHUB_|INPUT_|RUNNER_|ACTIONS_)/.test(k)) base[k] = v;
  const env: Record<string, string> = {
    ...base,
    GITHUB_ACTIONS: 'true', CI: 'true',
    GITHUB_EVENT_NAME: spec.event, GITHUB_EVENT_PATH: eventPath, GITHUB_OUTPUT: outputPath, GITHUB_STEP_SUMMARY: summaryPath,
    GITHUB_WORKSPACE: spec.workspace, GITHUB_REPOSITORY: spec.repository, GITHUB_SHA: spec.sha, GITHUB_REF: spec.ref,
    GITHUB_RUN_ID: '4242', RUNNER_TEMP: temp, RUNNER_OS: 'Linux', RUNNER_ARCH: 'X64',
    ...Object.fromEntries(Object.entries(spec.inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v])),
    ...spec.env,
  };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [spec.index], { cwd: spec.workspace, env });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; spec.onOutput?.(child, stdout); });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stdout += d; spec.onOutput?.(child, stdout); });
    child.on('error', reject);
    child.on('close', (code) => {
      recordOutput('action', env, stdout);
      resolve({
        status: code ?? -1,
        stdout,
        outputs: parseOutputFile(readFileSync(outputPath, 'utf8')),
        summary: existsSync(summaryPath) ? readFileSync(summaryPath, 'utf8') : '',
        annotations: stdout.split('\n').filter((l) => /^::(error|warning)/.test(l)),
      });
    });
  });
}
