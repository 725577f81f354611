/** Progress lines: rate and ETA only once the rate is known (not from the start-up's first bytes). */
import { progressText } from '../../src/cli/progress.js';
import type { Progress } from '../../src/execute/execute.js';

const at = (p: Partial<Progress>): Progress => ({
  tensorsDone: 0, tensorsTotal: 10, bytesRead: 0, bytesWritten: 0, bytesTotal: 100e6, elapsed: 0, current: '', ...p,
});

test('no rate and no ETA before anything is read', () => {
  const text = progressText(at({ elapsed: 0.2 }));
  expect(text).toBe('  0%  0/10 tensors  0 B / 100 MB read');
});

test('no ETA from the first fraction of a second (start-up, not the merge\'s rate)', () => {
  expect(progressText(at({ tensorsDone: 1, bytesRead: 1e6, elapsed: 0.2 }))).not.toMatch(/ETA|\/s/);
});

test('rate and ETA once the merge has run a while', () => {
  expect(progressText(at({ tensorsDone: 5, bytesRead: 50e6, elapsed: 2 }))).toBe(' 50%  5/10 tensors  50.0 MB / 100 MB read  25.0 MB/s  ETA 2.0s');
});

test('at the end: the average rate, no ETA, however short the run', () => {
  expect(progressText(at({ tensorsDone: 10, bytesRead: 100e6, elapsed: 0.5 }))).toBe('100%  10/10 tensors  100 MB / 100 MB read  200 MB/s');
});
