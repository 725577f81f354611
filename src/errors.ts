/**
 * Typed errors. Every error says what is wrong and carries a `hint` saying how to fix it;
 * recipe errors also carry the position (file:line:col) and the offending source line.
 */

export interface SourcePos {
  file: string;
  /** 1-based */
  line: number;
  /** 1-based */
  col: number;
}

export type ErrorCode =
  | 'RECIPE'
  | 'MODEL_NOT_FOUND'
  | 'TENSOR_MISSING'
  | 'SHAPE_MISMATCH'
  | 'BAD_SAFETENSORS'
  | 'ARCH'
  | 'IO'
  /** A remote source failed (HTTP errors, broken or short bodies) after retries. */
  | 'NETWORK'
  /** An upstream model moved or a file changed (sha mismatch, lockfile drift). */
  | 'UPSTREAM_CHANGED'
  | 'USAGE'
  /** An output tensor holds NaN or Inf (and --allow-nonfinite was not given). */
  | 'NONFINITE'
  | 'INTERNAL';

/**
 * Errors quote at most a short excerpt of an offending value: in a long message, a quoted stretch
 * (`...` or "...") of 200 characters or more keeps its start and its length; the whole message stays under 2000.
 */
export function shortenQuoted(message: string): string {
  if (message.length <= 1000) return message;
  const cut = message.replace(/`([^`]{200,})`|"((?:[^"\\]|\\.){200,})"/g, (m, a: string | undefined, b: string | undefined) => {
    const inner = a ?? b ?? '';
    const q = a !== undefined ? '`' : '"';
    return `${q}${inner.slice(0, 60)}…${q} (${inner.length} characters)`;
  });
  return cut.length > 2000 ? `${cut.slice(0, 1990)}… (cut)` : cut;
}

export class MergeopsError extends Error {
  readonly code: ErrorCode;
  readonly hint: string;
  constructor(code: ErrorCode, message: string, hint: string) {
    super(shortenQuoted(message));
    this.name = 'MergeopsError';
    this.code = code;
    this.hint = hint;
  }
  /** Human-readable, multi-line report for the CLI. */
  format(): string {
    return `error: ${this.message}\n  hint: ${this.hint}`;
  }
}

/** Characters of a recipe line an error shows. */
const SOURCE_WINDOW = 120;

export class RecipeError extends MergeopsError {
  readonly pos: SourcePos;
  /** The text of the offending line, when known. */
  readonly sourceLine: string | undefined;
  constructor(message: string, hint: string, pos: SourcePos, sourceLine?: string) {
    super('RECIPE', `${pos.file}:${pos.line}:${pos.col}: ${message}`, hint);
    this.name = 'RecipeError';
    this.pos = pos;
    this.sourceLine = sourceLine;
  }
  override format(): string {
    const lines = [`error: ${this.message}`];
    if (this.sourceLine !== undefined) {
      const gutter = String(this.pos.line);
      // A long line is shown as a window around the column: errors quote short excerpts only.
      const col = Math.max(0, this.pos.col - 1);
      const from = this.sourceLine.length > SOURCE_WINDOW ? Math.max(0, Math.min(col - 40, this.sourceLine.length - SOURCE_WINDOW)) : 0;
      const shown = this.sourceLine.slice(from, from + SOURCE_WINDOW);
      const pre = from > 0 ? '…' : '';
      const post = from + SOURCE_WINDOW < this.sourceLine.length ? '…' : '';
      lines.push(`  ${gutter} | ${pre}${shown}${post}`);
      lines.push(`  ${' '.repeat(gutter.length)} | ${' '.repeat(pre.length + col - from)}^`);
    }
    lines.push(`  hint: ${this.hint}`);
    return lines.join('\n');
  }
}

export class SafetensorsError extends MergeopsError {
  readonly file: string;
  constructor(file: string, message: string, hint: string) {
    super('BAD_SAFETENSORS', `${file}: ${message}`, hint);
    this.name = 'SafetensorsError';
    this.file = file;
  }
}
