/**
 * A short fuzz run of every parser of untrusted input (the long run, 100,000 cases per parser, is
 * scripts/fuzz.mjs; figures in RELIABILITY.md): each case ends in a result or a typed error.
 */
import { FUZZ_TARGETS, fuzzTarget } from '../support/fuzz-targets.js';

describe.each(FUZZ_TARGETS.map((t) => [t.name, t] as const))('%s', (_name, target) => {
  it('ends every case in a result or a typed error', () => {
    const f = fuzzTarget(target, 300, Date.now() % 100_000);
    expect(f.firstCrash).toBeUndefined();
    expect(f.uncaught).toBe(0);
    expect(f.cases).toBe(300);
  });
});
