/**
 * Every output the end-to-end tests capture (CLI runs, Action runs) is also recorded, with the
 * secrets of the environment it ran in, so one scan at the end of the test run (jest global
 * teardown: test/support/scan-teardown.ts) can check that no token value and no credential
 * embedded in an endpoint URL was ever printed.
 */
import { appendFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * This test run's capture folder: made by the global setup and passed to the test workers in the
 * environment, so two test runs on one machine never share (or delete) each other's.
 */
export function captureDir(): string {
  return process.env.MERGEOPS_TEST_CAPTURE_DIR ?? join(tmpdir(), `mergeops-captured-output-${process.pid}`);
}

/** Secret values of an environment: tokens, and user:password of URLs in it. */
export function secretsOf(env: Record<string, string | undefined>): string[] {
  const out = new Set<string>();
  for (const [k, v] of Object.entries(env)) {
    if (!v) continue;
    if (/TOKEN|SECRET|PASSWORD/i.test(k) && v.length >= 6) out.add(v);
    for (const m of v.matchAll(/\/\/([^\s/@:]+):([^\s/@]+)@/g)) { out.add(`${m[1]}:${m[2]}`); if (m[2].length >= 6) out.add(m[2]); }
  }
  return [...out];
}

/** Records one captured output (called by the test helpers that run the CLI and the Action). */
export function recordOutput(what: string, env: Record<string, string | undefined>, text: string): void {
  try {
    const dir = captureDir();
    mkdirSync(dir, { recursive: true });
    appendFileSync(join(dir, `${process.pid}.jsonl`), JSON.stringify({ what, secrets: secretsOf(env), text }) + '\n');
  } catch { /* recording is best effort; the scan reports what it has */ }
}

export interface Finding { what: string; secret: string; line: string }

/** Secrets printed anywhere in recorded output (`::add-mask::` commands, which tell the runner to mask, excepted). */
export function scanRecords(lines: readonly string[]): { records: number; findings: Finding[] } {
  const findings: Finding[] = [];
  let records = 0;
  for (const l of lines) {
    if (!l.trim()) continue;
    records++;
    const r = JSON.parse(l) as { what: string; secrets: string[]; text: string };
    for (const line of r.text.split('\n')) {
      if (line.startsWith('::add-mask::')) continue;
      for (const s of r.secrets) if (line.includes(s)) findings.push({ what: r.what, secret: s, line: line.slice(0, 200) });
      const cred = /\b[a-z][a-z0-9+.-]*:\/\/([^\s/@*]+)@/i.exec(line);
      if (cred) findings.push({ what: r.what, secret: cred[1], line: line.slice(0, 200) });
    }
  }
  return { records, findings };
}

export function scanCaptureDir(dir = captureDir()): { records: number; findings: Finding[] } {
  let files: string[] = [];
  try { files = readdirSync(dir); } catch { return { records: 0, findings: [] }; }
  return scanRecords(files.flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n')));
}
