/**
 * Jest global setup: this test run's own folders, passed to every worker and every CLI or Action
 * process the tests start through the environment: a fresh capture folder for the secret scan
 * (see output-capture.ts), and a shard and eval cache, so the tests never read or fill the user's.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function scanSetup(): void {
  process.env.MERGEOPS_TEST_CAPTURE_DIR = mkdtempSync(join(tmpdir(), 'mergeops-captured-output-'));
  process.env.MERGEOPS_CACHE = mkdtempSync(join(tmpdir(), 'mergeops-test-cache-'));
}
