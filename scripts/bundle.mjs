// Bundles the CLI, the Action entry and the kernel worker into dist/ (ESM, Node 20+).
// The build is deterministic so CI can rebuild and compare with what is committed.
// `--outdir DIR` bundles elsewhere (the Action's end-to-end tests run a fresh bundle from a temp
// folder, with no node_modules around it, as a runner does); kernels.wasm is copied there.
import { copyFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const i = process.argv.indexOf('--outdir');
const outdir = i > 0 ? resolve(process.argv[i + 1]) : join(root, 'dist');

const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  legalComments: 'none',
  logLevel: 'warning',
  absWorkingDir: root,
  // Some bundled CommonJS dependencies call require(); give ESM output a real one.
  banner: { js: "import { createRequire as __mergeopsCreateRequire } from 'node:module';\nconst require = __mergeopsCreateRequire(import.meta.url);" },
};

await build({
  ...common,
  entryPoints: { cli: 'src/cli/main.ts', index: 'src/action/main.ts', worker: 'src/kernels/worker.ts' },
  outdir,
  // Loaded on demand where installed (the GGUF smoke check; the Action installs it at run time): native binaries cannot be bundled.
  external: ['node-llama-cpp'],
});
const wasm = join(root, 'dist', 'kernels.wasm');
if (outdir !== join(root, 'dist') && existsSync(wasm)) copyFileSync(wasm, join(outdir, 'kernels.wasm'));
