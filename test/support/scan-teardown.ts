/**
 * Jest global teardown: the captured output of every end-to-end run holds no token and no URL
 * credentials; this run's folders (scan-setup.ts) are removed.
 */
import { rmSync } from 'node:fs';
import { captureDir, scanCaptureDir } from './output-capture.js';

export default function scanTeardown(): void {
  const dir = captureDir();
  const { records, findings } = scanCaptureDir(dir);
  rmSync(dir, { recursive: true, force: true });
  if (process.env.MERGEOPS_CACHE) rmSync(process.env.MERGEOPS_CACHE, { recursive: true, force: true });
  if (findings.length > 0) {
    throw new Error(`secrets in captured test output (${findings.length} of ${records} runs' lines):\n`
      + findings.slice(0, 10).map((f) => `  ${f.what}: ${f.secret.slice(0, 4)}… in: ${f.line}`).join('\n'));
  }
  process.stdout.write(`\nsecret scan: ${records} captured CLI and Action outputs, no token or URL credential printed\n`);
}
