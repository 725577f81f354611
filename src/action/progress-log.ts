/**
 * Merge progress for a CI log: a plain line per 10 % done, or after a minute without one (a slow
 * download still shows life), never more than one per 5 seconds; the last one always.
 */
import type { Progress } from '../execute/execute.js';
import { bytes, duration, rate } from '../units.js';

export function logProgress(write: (line: string) => void, now: () => number = () => performance.now()): (p: Progress) => void {
  let lastStep = -1;
  let lastAt = -Infinity;
  return (p) => {
    const frac = p.bytesTotal > 0 ? p.bytesRead / p.bytesTotal : 1;
    const step = Math.floor(frac * 10);
    const t = now();
    const done = p.tensorsDone === p.tensorsTotal;
    if (!done && (t - lastAt < 5000 || (step === lastStep && t - lastAt < 60_000))) return;
    lastStep = step;
    lastAt = t;
    const speed = p.elapsed > 0 ? p.bytesRead / p.elapsed : 0;
    const eta = speed > 0 ? (p.bytesTotal - p.bytesRead) / speed : NaN;
    write(`progress: ${(frac * 100).toFixed(0).padStart(3)}%  ${p.tensorsDone}/${p.tensorsTotal} tensors  `
      + `${bytes(p.bytesRead)} / ${bytes(p.bytesTotal)} read  ${rate(speed)}  ETA ${duration(eta)}`);
  };
}
