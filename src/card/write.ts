/** Writes a card (README.md and its charts) into a folder. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chartFiles } from './chart.js';
import type { CardData } from './data.js';
import { renderCard, type CardContext } from './render.js';

export const CARD_FILE = 'README.md';

/** The card's files: README.md, plus the charts its body links (not for a GGUF-only repo). */
export function cardFiles(data: CardData, ctx: CardContext): { name: string; text: string }[] {
  const charts = ctx.kind === 'gguf' ? [] : chartFiles(data).map((c) => ({ name: c.name, text: c.svg }));
  return [{ name: CARD_FILE, text: renderCard(data, ctx) }, ...charts];
}

export function writeCard(dir: string, data: CardData, ctx: CardContext): string[] {
  const files = cardFiles(data, ctx);
  for (const f of files) writeFileSync(join(dir, f.name), f.text);
  return files.map((f) => f.name);
}
