#!/usr/bin/env node
// The long fuzz run: `npm run build && node scripts/fuzz.mjs [cases per parser] [seed]`.
// Prints, per parser, cases run, typed errors, uncaught exceptions, slowest case and peak heap;
// exits 1 on any uncaught exception or case over one second. Figures go in RELIABILITY.md.
import { FUZZ_TARGETS, fuzzTarget } from '../build/test/support/fuzz-targets.js';

const cases = Number(process.argv[2] ?? 100_000);
const seed = Number(process.argv[3] ?? 20261207);
let failed = false;
console.log(`| parser | cases | typed errors | uncaught | slowest case | peak heap |`);
console.log(`| --- | ---: | ---: | ---: | ---: | ---: |`);
for (const t of FUZZ_TARGETS) {
  // Batches keep the generated inputs small in memory.
  const total = { cases: 0, typedErrors: 0, uncaught: 0, maxCaseMs: 0, firstCrash: undefined };
  let peak = 0;
  for (let done = 0; done < cases; done += 5000) {
    const f = fuzzTarget(t, Math.min(5000, cases - done), seed + done);
    total.cases += f.cases;
    total.typedErrors += f.typedErrors;
    total.uncaught += f.uncaught;
    total.maxCaseMs = Math.max(total.maxCaseMs, f.maxCaseMs);
    total.firstCrash ??= f.firstCrash;
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  }
  console.log(`| ${t.name} | ${total.cases} | ${total.typedErrors} | ${total.uncaught} | ${total.maxCaseMs.toFixed(1)} ms | ${(peak / 2 ** 20).toFixed(0)} MiB |`);
  if (total.firstCrash) console.log(`  first crash: ${total.firstCrash}`);
  if (total.uncaught > 0 || total.maxCaseMs > 1000) failed = true;
}
process.exitCode = failed ? 1 : 0;
