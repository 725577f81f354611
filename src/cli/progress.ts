/** Progress of a long run: a redrawn bar on a terminal, plain periodic lines otherwise. */
import type { Progress } from '../execute/execute.js';
import type { UploadProgress } from '../publish/uploader.js';
import { bytes, duration, rate } from '../units.js';

/** Below this, the rate is mostly start-up (workers, first reads): no rate or ETA is shown from it. */
const MIN_SECONDS_FOR_RATE = 1;

/** One progress line: `42%  12/39 tensors  4.4 MB / 10.5 MB read  21 MB/s  ETA 0.3s` (rate and ETA once known). */
export function progressText(p: Progress): string {
  const frac = p.bytesTotal > 0 ? p.bytesRead / p.bytesTotal : 1;
  const done = p.tensorsDone === p.tensorsTotal;
  // At the end the average is the rate, however short the run.
  const known = p.bytesRead > 0 && p.elapsed > 0 && (done || p.elapsed >= MIN_SECONDS_FOR_RATE);
  const speed = known ? p.bytesRead / p.elapsed : 0;
  return `${(frac * 100).toFixed(0).padStart(3)}%  ${p.tensorsDone}/${p.tensorsTotal} tensors  `
    + `${bytes(p.bytesRead)} / ${bytes(p.bytesTotal)} read`
    + (known ? `  ${rate(speed)}` : '')
    + (known && !done ? `  ETA ${duration((p.bytesTotal - p.bytesRead) / speed)}` : '');
}

export function progressReporter(stream: NodeJS.WriteStream): (p: Progress) => void {
  const tty = stream.isTTY === true;
  let lastLine = 0;
  return (p) => {
    const frac = p.bytesTotal > 0 ? p.bytesRead / p.bytesTotal : 1;
    const text = progressText(p);
    if (tty) {
      const width = 24;
      const fill = Math.round(frac * width);
      stream.write(`\r[${'#'.repeat(fill)}${' '.repeat(width - fill)}] ${text}\x1b[K`);
      if (p.tensorsDone === p.tensorsTotal) stream.write('\n');
    } else {
      // One line per 10 % (and the last), so CI logs stay short.
      const step = Math.floor(frac * 10);
      if (step !== lastLine || p.tensorsDone === p.tensorsTotal) {
        lastLine = step;
        stream.write(`progress: ${text}\n`);
      }
    }
  };
}

/** Progress of uploads (bytes, rate, ETA) on the same progress line. */
export function uploadProgressReporter(stream: NodeJS.WriteStream): (p: UploadProgress) => void {
  const tty = stream.isTTY === true;
  let lastStep = -1;
  let lastDraw = 0;
  return (p) => {
    const frac = p.bytesTotal > 0 ? p.bytesSent / p.bytesTotal : 1;
    const speed = p.elapsed > 0 ? p.bytesSent / p.elapsed : 0;
    const eta = speed > 0 ? (p.bytesTotal - p.bytesSent) / speed : NaN;
    const text = `upload ${p.target} ${(frac * 100).toFixed(0).padStart(3)}%  ${bytes(p.bytesSent)} / ${bytes(p.bytesTotal)}  ${rate(speed)}  ETA ${duration(eta)}`;
    if (tty) {
      const now = performance.now();
      if (now - lastDraw < 200 && frac < 1) return;
      lastDraw = now;
      stream.write(`\r${text}\x1b[K`);
      if (frac >= 1) stream.write('\n');
    } else {
      const step = Math.floor(frac * 10);
      if (step !== lastStep) {
        lastStep = step;
        stream.write(`progress: ${text}\n`);
      }
    }
  };
}
