import { ioPhase } from '../../src/kernels/arena.js';

/** (dst − src) mod 4096 in 1..63 is the slow window the placement must avoid. */
function slow(dstMinusSrc: number): boolean {
  const d = ((dstMinusSrc % 4096) + 4096) % 4096;
  return d !== 0 && d < 64;
}

describe('ioPhase: I/O buffers placed outside the 4 KiB aliasing window', () => {
  test('random read and write offsets always get a placement, a multiple of 16, that avoids the window', () => {
    let s = 12345;
    const rnd = (): number => (s = (s * 1103515245 + 12345) % 2 ** 31);
    for (let i = 0; i < 2000; i++) {
      const from = (rnd() % 256) * 16;
      const reads = i % 3 === 2 ? [] : [rnd()];
      const writes = i % 3 === 1 ? [] : [rnd()];
      const x = ioPhase(from, reads, writes);
      expect(x % 16).toBe(0);
      for (const r of reads) expect(slow(x - r)).toBe(false); // read: buffer is the destination
      for (const w of writes) expect(slow(w - x)).toBe(false); // write: the file page is the destination
    }
  });

  test('keeps the current position when it is already safe, and moves off a slow one', () => {
    expect(ioPhase(0, [0], [])).toBe(0);
    expect(ioPhase(64, [0], [])).toBe(64);
    // 16 bytes past the file offset is in the window: the next safe multiple of 16 is 64 past it.
    expect(ioPhase(16, [0], [])).toBe(64);
    // A write to offset 8 from phase 0 copies into a page 8 bytes ahead: slow; 16 puts it 8 behind.
    expect(ioPhase(0, [], [8])).toBe(16);
  });
});
