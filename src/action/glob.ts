/**
 * The `recipes` input: a glob (`recipes/**\/*.yml`, `{a,b}`, `*`, `?`) over paths relative to the
 * repository root, matched the way workflow `paths:` filters are (`**` spans folders, `*` does not).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') {
      if (glob[i + 1] === '*') {
        // `**/` matches zero or more folders; a trailing `**` matches the rest.
        if (glob[i + 2] === '/') { re += '(?:[^/]*/)*'; i += 2; } else { re += '.*'; i += 1; }
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '{') {
      const end = glob.indexOf('}', i);
      if (end < 0) { re += '\\{'; continue; }
      re += `(?:${glob.slice(i + 1, end).split(',').map((a) => a.replace(/[.+^$()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')).join('|')})`;
      i = end;
    } else re += c.replace(/[.+^$()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Several patterns may be given, separated by new lines or commas outside braces. */
export function globPatterns(input: string): RegExp[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const c of input) {
    if (c === '{') depth++;
    if (c === '}') depth--;
    if ((c === ',' && depth === 0) || c === '\n') { parts.push(cur); cur = ''; } else cur += c;
  }
  parts.push(cur);
  return parts.map((p) => p.trim().replace(/^\.\//, '')).filter(Boolean).map(globToRegExp);
}

export function matchesAny(path: string, patterns: readonly RegExp[]): boolean {
  return patterns.some((p) => p.test(path));
}

/** Every file under `root` matching the patterns (relative paths, sorted); skips .git and node_modules. */
export function findFiles(root: string, patterns: readonly RegExp[]): string[] {
  const out: string[] = [];
  const walk = (dir: string, rel: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.name === '.git' || e.name === 'node_modules') continue;
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(join(dir, e.name), r);
      else if (e.isFile() && matchesAny(r, patterns)) out.push(r);
    }
  };
  walk(root, '');
  return out.sort();
}
