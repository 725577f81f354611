/** Shared by the tests of `mergeops run --gguf` (merge-gguf.test.ts and its heavy sweep). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from './cli.js';
import { exampleTaskArithmetic } from './example-recipes.js';

export function ok(r: { status: number; stderr: string }): void {
  if (r.status !== 0) throw new Error(`mergeops failed (${r.status}):\n${r.stderr}`);
}

/** Each GGUF of `out` equals `mergeops quantize` of the merged folder. */
export function expectSameAsQuantize(out: string, qDir: string, types: string[], extra: string[] = []): void {
  const name = out.split('/').pop()!;
  for (const type of types) {
    ok(runCli(['quantize', out, '--type', type, '--out', qDir, '--overwrite', ...extra]));
    expect([type, readFileSync(join(out, `${name}-${type}.gguf`)).equals(readFileSync(join(qDir, `${name}-${type}.gguf`)))]).toEqual([type, true]);
  }
}

/** Task arithmetic of the fixtures with a Q8_0 GGUF output. */
export const GGUF_RECIPE = exampleTaskArithmetic('mergeops:\n  quantize: [Q8_0]\n');
