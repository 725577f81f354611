/** Baseline for the end-to-end benchmark: read the given files once, as fast as one process can. */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

const buf = Buffer.allocUnsafe(64 * 1024 * 1024);
let total = 0;
for (const file of process.argv.slice(2)) {
  const fd = openSync(file, 'r');
  const size = fstatSync(fd).size;
  for (let pos = 0; pos < size;) {
    const n = readSync(fd, buf, 0, Math.min(buf.length, size - pos), pos);
    if (n === 0) break;
    pos += n;
    total += n;
  }
  closeSync(fd);
}
process.stdout.write(`${total}\n`);
