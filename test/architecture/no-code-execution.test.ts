/**
 * No code execution from inputs: nothing in src/ evaluates text (eval, new Function, vm), spawns
 * processes from input values, honours `trust_remote_code`, or loads pickles; chat templates are
 * rendered only by @huggingface/jinja (a sandboxed interpreter, no JavaScript evaluation).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../../../src/', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const files = sources(SRC).map((p) => ({ p, text: readFileSync(p, 'utf8') }));

test('no text is evaluated as code, no module loaded from an input path', () => {
  for (const { p, text } of files) {
    expect([p, /(?<![\w.])eval\(|new\s+Function\s*\(|from 'node:vm'|require\(\s*[^'"\s]/.test(text)]).toEqual([p, false]);
  }
});

test('trust_remote_code is never read, and pickles are refused, not loaded', () => {
  for (const { p, text } of files) expect([p, text.includes('trust_remote_code')]).toEqual([p, false]);
  const local = files.find((f) => f.p.endsWith(join('hub', 'local.ts')))!.text;
  expect(local).toMatch(/never loads pickles/);
});

test('chat templates are rendered only through @huggingface/jinja', () => {
  const renderers = files.filter((f) => /\.render\(/.test(f.text) && /chat_template|chatTemplate/.test(f.text));
  for (const { p, text } of renderers) expect([p, text.includes('@huggingface/jinja')]).toEqual([p, true]);
});
