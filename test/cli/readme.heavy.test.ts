/**
 * The README's usage examples run as written from the repository root: every `npx mergeops …`
 * line of its shell blocks, in order, with no network (HF_ENDPOINT points at a closed port).
 * Heavy suite: the examples include a parameter sweep (five merges, each evaluated).
 */
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCliAsync } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** `npx mergeops …` lines of the README's ```sh blocks, without `npx`, trailing comments and bracketed options. */
function readmeCommands(): string[][] {
  const text = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const blocks = [...text.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
  return blocks.flatMap((b) => b.split('\n'))
    .filter((l) => l.startsWith('npx mergeops '))
    // Optional flags shown in brackets (`[--unlabeled]`) are left out.
    .map((l) => l.replace(/\s+#.*$/, '').replace(/\s*\[[^\]]*\]/g, '').split(/\s+/).slice(2));
}

test('every `npx mergeops` example of the README runs from the repository root', async () => {
  const commands = readmeCommands();
  expect(commands.map((c) => c[0])).toEqual(expect.arrayContaining(['plan', 'run', 'lock', 'quantize', '--help']));
  // A copy of the root's examples/ (the models linked), so the lockfile and outputs land in a scratch root.
  const t = tempDir('mergeops-readme-');
  try {
    mkdirSync(join(t.dir, 'examples'));
    for (const f of readdirSync(join(ROOT, 'examples'))) {
      if (f === 'models') symlinkSync(join(ROOT, 'examples', 'models'), join(t.dir, 'examples', 'models'));
      else if (f !== 'mergeops.lock') cpSync(join(ROOT, 'examples', f), join(t.dir, 'examples', f), { recursive: true });
    }
    for (const args of commands) {
      const r = await runCliAsync([...args, ...(args[0] === 'run' || args[0] === 'quantize' ? ['--skip-gguf-check'] : [])],
        { cwd: t.dir, env: { HF_ENDPOINT: 'http://127.0.0.1:9', HF_TOKEN: '' } });
      expect([args.join(' '), r.status, r.status === 0 ? '' : r.stderr]).toEqual([args.join(' '), 0, '']);
    }
    expect(existsSync(join(t.dir, 'merged', 'model.safetensors'))).toBe(true);
    expect(existsSync(join(t.dir, 'gguf', 'base-Q4_K_M.gguf'))).toBe(true);
  } finally {
    t.cleanup();
  }
});
