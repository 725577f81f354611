/** Progress of a long run: a redrawn bar on a terminal, plain periodic lines otherwise. */
import type { Progress } from '../execute/execute.js';
import { bytes, duration, rate } from './format.js';

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
