/**
 * Bounds on what a recipe may cost to read. Recipes arrive in pull requests from strangers: a
 * huge file, nesting the YAML parser cannot survive, aliases that expand exponentially ("billion
 * laughs"), or megabyte strings are refused with the value and the cap, before or right after
 * parsing, and errors quote at most a short excerpt.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type LineCounter } from 'yaml';
import { RecipeError, type SourcePos } from '../errors.js';

export const RECIPE_LIMITS = {
  /** bytes of a recipe file */
  fileBytes: 1024 * 1024,
  /** nesting of YAML collections (flow brackets or block indentation) */
  depth: 64,
  /** YAML nodes after alias expansion, per document */
  expandedNodes: 100_000,
  /** anchors (`&a`) and aliases (`*a`) in one file: the YAML parser slows down with many */
  anchorsAndAliases: 100,
  /** documents (stages) in one file */
  stages: 64,
  /** items of one list (models, slices, sources) */
  listItems: 1024,
  /** lines with content plus flow-list separators in one file: bounds the YAML parser's time */
  entries: 4096,
  /** characters of one string value (a chat template included) */
  stringChars: 256 * 1024,
} as const;

/** A value shortened for a message: at most `max` characters, with its length when cut. */
export function excerptOf(s: string, max = 60): string {
  return s.length <= max ? s : `${s.slice(0, max)}… (${s.length} characters)`;
}

function fail(file: string, line: number, col: number, message: string, hint: string, lines?: readonly string[]): never {
  const pos: SourcePos = { file, line, col };
  throw new RecipeError(message, hint, pos, lines?.[line - 1]);
}

/** Checks the raw text before the YAML parser sees it: size and nesting. Linear in the text. */
export function checkRecipeText(text: string, file: string): void {
  if (text.length > RECIPE_LIMITS.fileBytes) {
    fail(file, 1, 1, `the recipe is ${text.length} bytes, more than the ${RECIPE_LIMITS.fileBytes}-byte limit`,
      'a recipe is a short YAML file; put long texts (chat templates, model cards) in files it names');
  }
  let flow = 0;
  let line = 1;
  let lineStart = 0;
  let quote = 0; // 0, or the quote character code
  let comment = false;
  const indents: number[] = [];
  let atLineStart = true;
  let marks = 0;
  let docs = 1;
  let entries = 0;
  const countEntry = (ln: number, col: number): void => {
    if (++entries > RECIPE_LIMITS.entries) {
      fail(file, ln, col, `the recipe has more than ${RECIPE_LIMITS.entries} entries (lines and list items), the limit`,
        'a recipe lists at most a few thousand models, slices or sources; split the merge into stages');
    }
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a) { line++; lineStart = i + 1; comment = false; atLineStart = true; if (quote === 0x27) continue; continue; }
    if (comment) continue;
    if (quote !== 0) {
      if (quote === 0x22 && c === 0x5c) i++;
      else if (c === quote) quote = 0;
      continue;
    }
    if (i === lineStart && c === 0x2d && text.startsWith('---', i) && ++docs > RECIPE_LIMITS.stages) {
      fail(file, line, 1, `the recipe has more than ${RECIPE_LIMITS.stages} documents (stages), the limit`, 'merge in fewer stages');
    }
    if (atLineStart && flow === 0) {
      if (c === 0x20 || c === 0x2d /* - */) continue; // indentation, and compact `- - -` nesting
      if (c === 0x0d || c === 0x23 /* # */) { atLineStart = false; if (c === 0x23) comment = true; continue; }
      atLineStart = false;
      countEntry(line, i - lineStart + 1);
      const indent = i - lineStart;
      while (indents.length > 0 && indents[indents.length - 1] >= indent) indents.pop();
      indents.push(indent);
      // `- - - x`: each dash is a level too.
      let dashes = 0;
      for (let k = lineStart; k < i; k++) if (text.charCodeAt(k) === 0x2d) dashes++;
      if (indents.length + dashes > RECIPE_LIMITS.depth) {
        fail(file, line, indent + 1, `the recipe nests more than ${RECIPE_LIMITS.depth} levels deep`, 'a recipe needs a few levels; flatten it');
      }
    }
    atLineStart = false;
    const prev = i > lineStart ? text.charCodeAt(i - 1) : 0x20;
    if ((c === 0x26 || c === 0x2a) && (prev === 0x20 || prev === 0x09 || prev === 0x5b || prev === 0x7b || prev === 0x2c || prev === 0x2d || prev === 0x3a)) {
      if (++marks > RECIPE_LIMITS.anchorsAndAliases) {
        fail(file, line, i - lineStart + 1, `the recipe uses more than ${RECIPE_LIMITS.anchorsAndAliases} YAML anchors and aliases (\`&name\`, \`*name\`)`,
          'write the values out, or use fewer aliases');
      }
    }
    if (c === 0x22 || c === 0x27) {
      if (flow > 0 || prev === 0x20 || prev === 0x3a || prev === 0x2c || prev === 0x5b || prev === 0x7b || prev === 0x2d) quote = c;
    } else if (c === 0x23 && (prev === 0x20 || prev === 0x09)) {
      comment = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (flow > 0 || prev === 0x20 || prev === 0x3a || prev === 0x2d || prev === 0x09) {
        flow++;
        if (flow + indents.length > RECIPE_LIMITS.depth) {
          fail(file, line, i - lineStart + 1, `the recipe nests more than ${RECIPE_LIMITS.depth} levels deep`,
            'a recipe needs a few levels of `[` and `{`; flatten it');
        }
      }
    } else if ((c === 0x5d || c === 0x7d) && flow > 0) {
      flow--;
    } else if (c === 0x2c && flow > 0) {
      countEntry(line, i - lineStart + 1);
    }
  }
}

/**
 * Checks a parsed document: the size it expands to through aliases, its depth, list lengths and
 * string lengths. Each node is visited once (aliases counted by their target's memoised size).
 */
export function checkRecipeDocument(doc: Document.Parsed, file: string, lineCounter: LineCounter, lines: readonly string[]): void {
  // Per node: values it expands to and its height, both through aliases; null while being visited.
  const memo = new Map<unknown, { total: number; height: number } | null>();
  // Anchors seen so far in document order: an alias names the latest one before it (and
  // Alias.resolve searches the whole document each time).
  const anchors = new Map<string, unknown>();
  const where = (n: unknown): { line: number; col: number } => {
    const r = (n as { range?: [number, number, number] | null } | null)?.range;
    return r ? lineCounter.linePos(r[0]) : { line: 1, col: 1 };
  };
  const tooDeep = (n: unknown): never => {
    const p = where(n);
    return fail(file, p.line, p.col, `the recipe nests more than ${RECIPE_LIMITS.depth} levels deep (aliases included)`, 'flatten the recipe', lines);
  };
  const visit = (n: unknown, depth: number): { total: number; height: number } => {
    if (depth > RECIPE_LIMITS.depth) tooDeep(n);
    if (n === null || n === undefined) return { total: 1, height: 0 };
    const target = isAlias(n) ? anchors.get(n.source) : n;
    if (target === undefined || target === null) return { total: 1, height: 0 };
    const known = memo.get(target);
    if (known === null) return { total: 1, height: 0 }; // an alias inside its own anchor: the parser refuses it
    if (known !== undefined) {
      if (depth + known.height > RECIPE_LIMITS.depth) tooDeep(n);
      return known;
    }
    memo.set(target, null);
    const anchor = (target as { anchor?: string }).anchor;
    if (anchor !== undefined) anchors.set(anchor, target);
    let total = 1;
    let height = 0;
    if (isScalar(target)) {
      if (typeof target.value === 'string' && target.value.length > RECIPE_LIMITS.stringChars) {
        const p = where(target);
        fail(file, p.line, p.col, `a string of ${target.value.length} characters (${JSON.stringify(excerptOf(target.value, 40))}) is longer than the ${RECIPE_LIMITS.stringChars}-character limit`,
          'keep long texts (chat templates, cards) in files, or shorten the value', lines);
      }
    } else if (isMap(target) || isSeq(target)) {
      if (target.items.length > RECIPE_LIMITS.listItems) {
        const p = where(target);
        fail(file, p.line, p.col, `a ${isSeq(target) ? 'list' : 'mapping'} of ${target.items.length} entries is longer than the ${RECIPE_LIMITS.listItems}-entry limit`,
          'a recipe lists at most a few thousand models, slices or sources; split the merge into stages', lines);
      }
      const add = (child: unknown): void => {
        const r = visit(child, depth + 1);
        total += r.total;
        height = Math.max(height, r.height + 1);
      };
      for (const it of target.items as unknown[]) {
        if (isPair(it)) { add(it.key); add(it.value); } else add(it);
        if (total > RECIPE_LIMITS.expandedNodes) {
          const p = where(target);
          fail(file, p.line, p.col, `the recipe expands (through YAML aliases) to more than ${RECIPE_LIMITS.expandedNodes} values`,
            'use fewer aliases (`*name`), or write the values out', lines);
        }
      }
    }
    const r = { total, height };
    memo.set(target, r);
    return r;
  };
  visit(doc.contents, 0);
}

/** Checks the number of documents (stages). */
export function checkStageCount(count: number, file: string): void {
  if (count > RECIPE_LIMITS.stages) {
    fail(file, 1, 1, `the recipe has ${count} documents (stages), more than the ${RECIPE_LIMITS.stages}-stage limit`, 'merge in fewer stages');
  }
}
