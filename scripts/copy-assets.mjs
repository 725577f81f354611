// Copies the committed kernels into the compiled tree, so build/src/kernels/ finds
// kernels.wasm beside its modules exactly as dist/ does.
import { copyFileSync, mkdirSync, existsSync } from 'node:fs';
const src = 'dist/kernels.wasm';
if (!existsSync(src)) {
  console.error(`${src} is missing: run \`npm run build:wasm\` (see README) to build the kernels.`);
  process.exit(1);
}
mkdirSync('build/src/kernels', { recursive: true });
copyFileSync(src, 'build/src/kernels/kernels.wasm');
