/** Jest global setup: a fresh capture folder for the secret scan (see output-capture.ts). */
import { rmSync } from 'node:fs';
import { CAPTURE_DIR } from './output-capture.js';

export default function scanSetup(): void {
  rmSync(CAPTURE_DIR, { recursive: true, force: true });
}
