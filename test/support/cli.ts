/** Runs the compiled CLI as a separate process, as a user would. */
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { recordOutput } from './output-capture.js';

export const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], cwd?: string): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 600_000 });
  recordOutput(`mergeops ${args[0] ?? ''}`, process.env, `${r.stdout}\n${r.stderr}`);
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Runs the CLI under /usr/bin/time -v; returns the peak resident set size in bytes. */
export function runCliMeasured(args: string[], cwd?: string): CliResult & { maxRssBytes: number } {
  const r = spawnSync('/usr/bin/time', ['-v', process.execPath, CLI, ...args], { cwd, encoding: 'utf8', timeout: 600_000 });
  const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
  if (!m) throw new Error(`no RSS figure from /usr/bin/time:\n${r.stderr}`);
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, maxRssBytes: Number(m[1]) * 1024 };
}

/**
 * Runs the CLI without blocking this process's event loop (needed when the test itself serves
 * HTTP to the CLI, e.g. the test Hub), with extra environment variables.
 */
export function runCliAsync(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: opts.cwd, env: { ...process.env, ...opts.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => {
      recordOutput(`mergeops ${args[0] ?? ''}`, { ...process.env, ...opts.env }, `${stdout}\n${stderr}`);
      resolve({ status: code ?? -1, stdout, stderr });
    });
  });
}
