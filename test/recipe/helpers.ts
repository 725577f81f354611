import { RecipeError } from '../../src/errors.js';
import { parseRecipeText } from '../../src/recipe/parse.js';
import type { Recipe } from '../../src/recipe/types.js';

export const FILE = 'recipe.yml';

/** Parses a single-document recipe. */
export function parseOne(text: string): Recipe {
  const rs = parseRecipeText(text, FILE);
  expect(rs).toHaveLength(1);
  return rs[0];
}

/** Runs `fn`, which must throw a RecipeError, and returns it. */
export function catchRecipeError(fn: () => unknown): RecipeError {
  try {
    fn();
  } catch (e) {
    if (e instanceof RecipeError) return e;
    throw new Error(`expected a RecipeError, got ${String(e)}`);
  }
  throw new Error('expected a RecipeError, nothing was thrown');
}

/** Parses `text`, expecting a RecipeError at line:col whose message contains `message`. */
export function expectErrorAt(text: string, line: number, col: number, message: string | RegExp): RecipeError {
  const err = catchRecipeError(() => parseRecipeText(text, FILE));
  expect({ line: err.pos.line, col: err.pos.col, file: err.pos.file }).toEqual({ line, col, file: FILE });
  if (typeof message === 'string') expect(err.message).toContain(message);
  else expect(err.message).toMatch(message);
  expect(err.message.startsWith(`${FILE}:${line}:${col}: `)).toBe(true);
  expect(err.hint.length).toBeGreaterThan(10);
  // The offending source line travels with the error, for the excerpt.
  expect(err.sourceLine).toBe(text.split('\n')[line - 1]);
  return err;
}

/** Positions without the file, for compact assertions. */
export function lc(pos: { line: number; col: number }): [number, number] {
  return [pos.line, pos.col];
}
