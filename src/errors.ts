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

export class MergeopsError extends Error {
  readonly code: ErrorCode;
  readonly hint: string;
  constructor(code: ErrorCode, message: string, hint: string) {
    super(message);
    this.name = 'MergeopsError';
    this.code = code;
    this.hint = hint;
  }
  /** Human-readable, multi-line report for the CLI. */
  format(): string {
    return `error: ${this.message}\n  hint: ${this.hint}`;
  }
}

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
      lines.push(`  ${gutter} | ${this.sourceLine}`);
      lines.push(`  ${' '.repeat(gutter.length)} | ${' '.repeat(Math.max(0, this.pos.col - 1))}^`);
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
