// Bundles the CLI, the Action entry and the kernel worker into dist/ (ESM, Node 20+).
// The build is deterministic so CI can rebuild and compare with what is committed.
import { build } from 'esbuild';

const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  legalComments: 'none',
  logLevel: 'warning',
  // Some bundled CommonJS dependencies call require(); give ESM output a real one.
  banner: { js: "import { createRequire as __mergeopsCreateRequire } from 'node:module';\nconst require = __mergeopsCreateRequire(import.meta.url);" },
};

await build({
  ...common,
  entryPoints: { cli: 'src/cli/main.ts', index: 'src/action/main.ts', worker: 'src/kernels/worker.ts' },
  outdir: 'dist',
  // Loaded on demand where installed (the GGUF smoke check): native binaries cannot be bundled.
  external: ['node-llama-cpp'],
});
