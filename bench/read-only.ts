/**
 * Baseline for the end-to-end benchmark: read the given files once, as fast as one process can.
 * The buffer is page-aligned (a WebAssembly memory) and read at page-aligned file offsets: a
 * buffer placed 1–31 bytes past the file offset modulo 4 KiB makes the kernel's copy ~5× slower
 * (src/kernels/arena.ts), and a plain Buffer sits 16 bytes into its page.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

const READ = 64 * 1024 * 1024;
const buf = new Uint8Array(new WebAssembly.Memory({ initial: READ / 65536 }).buffer);
let total = 0;
for (const file of process.argv.slice(2)) {
  const fd = openSync(file, 'r');
  const size = fstatSync(fd).size;
  for (let pos = 0; pos < size;) {
    const n = readSync(fd, buf, 0, Math.min(READ, size - pos), pos);
    if (n === 0) break;
    pos += n;
    total += n;
  }
  closeSync(fd);
}
process.stdout.write(`${total}\n`);
