/**
 * Output safety: where a run may write, what `--overwrite` may replace, one writer per output,
 * and the removal of partial outputs left by processes that are gone.
 *
 * - `--out` is resolved through symbolic links (a link is treated as its target).
 * - It may not be, contain, or lie inside an input model or adapter folder or the shard cache;
 *   it may not be or contain the recipe's folder or the working directory when those hold inputs
 *   (replacing the output would delete them). Refused before any work, naming both paths.
 * - `--overwrite` replaces only a folder a mergeops run wrote (it holds OUTPUT_MARKER), unless
 *   `--force-overwrite`.
 * - An exclusive lock file beside the output for the whole run: a second process fails at once.
 * - Partial siblings `.NAME.partial-PID[.old]` whose process is gone are removed first.
 */
import {
  closeSync, existsSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, statSync, unlinkSync,
  writeFileSync, writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { MergeopsError } from '../errors.js';
import { fsError } from '../fs-errors.js';
import { onInterruptCleanup } from '../interrupt.js';
import { processAlive } from '../process-alive.js';

/** The marker file every output folder carries: identifies a folder mergeops wrote. */
export const OUTPUT_MARKER = '.mergeops-output.json';
/** The card data a run writes into its output (src/card/data.ts): the README.md beside it is generated. */
export const CARD_DATA_FILE = 'mergeops_card.json';

export interface OutputMarker {
  tool: 'mergeops';
  version: 1;
  /** What wrote the folder: `run`, `run --keep-intermediates`, ... */
  command: string;
  /** The merged model's title (after the recipe, or `--name`): `general.name` of GGUF files made from the folder. */
  name?: string;
}

/** Writes the marker into a folder being built. */
export function writeOutputMarker(dir: string, m: { command: string; name?: string }): void {
  // No time stamp, no file names: the same merge gives the same folder, byte for byte.
  const marker: OutputMarker = { tool: 'mergeops', version: 1, command: m.command, ...(m.name !== undefined ? { name: m.name } : {}) };
  const p = join(dir, OUTPUT_MARKER);
  try {
    writeFileSync(p, JSON.stringify(marker, null, 2) + '\n');
  } catch (e) {
    throw fsError(e, 'write', p);
  }
}

/** The marker of a folder mergeops wrote, or undefined. */
export function readOutputMarker(dir: string): OutputMarker | undefined {
  try {
    const m = JSON.parse(readFileSync(join(dir, OUTPUT_MARKER), 'utf8')) as Partial<OutputMarker>;
    return m.tool === 'mergeops' ? m as OutputMarker : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a folder holds a valid marker. */
export function isMergeopsOutput(dir: string): boolean {
  return readOutputMarker(dir) !== undefined;
}

/**
 * The real place an output path names: symbolic links (the path itself, dangling or not, and its
 * parents) are followed. Errors (a loop, a file where a folder is needed) are typed.
 */
export function resolveOutPath(out: string, what = '--out'): string {
  let p = resolve(out);
  for (let hops = 0; ; hops++) {
    if (hops > 40) {
      throw new MergeopsError('USAGE', `${what} ${out} is a loop of symbolic links`, 'point it at a real folder');
    }
    let st;
    try {
      st = lstatSync(p);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') break;
      if (code === 'ENOTDIR') {
        throw new MergeopsError('USAGE', `${what} ${out}: a parent of ${p} is a file, not a folder`, 'choose an --out path whose parents are folders');
      }
      throw fsError(e, 'inspect', p);
    }
    if (!st.isSymbolicLink()) {
      if (!st.isDirectory()) {
        throw new MergeopsError('USAGE', `${what} ${out} is ${p === resolve(out) ? 'a file' : `a link to the file ${p}`}, not a folder`,
          'name a folder (it is created if missing), not a file');
      }
      return realpathSync(p);
    }
    p = resolve(dirname(p), readlinkSync(p));
  }
  // Missing: its nearest existing parent, resolved, plus the rest.
  const rest: string[] = [];
  let parent = p;
  while (!existsSync(parent) && dirname(parent) !== parent) {
    rest.unshift(basename(parent));
    parent = dirname(parent);
  }
  let real: string;
  try {
    real = realpathSync(parent);
    if (!statSync(real).isDirectory()) {
      throw new MergeopsError('USAGE', `${what} ${out}: ${parent} is a file, not a folder`, 'choose an --out path whose parents are folders');
    }
  } catch (e) {
    if (e instanceof MergeopsError) throw e;
    throw fsError(e, 'resolve', parent);
  }
  return join(real, ...rest);
}

/** A path the output must keep clear of. */
export interface GuardedPath {
  path: string;
  /** Names it in the message: `input model \`x\``, `the shard cache`, ... */
  what: string;
  /**
   * `any`: the output may not be, contain or lie inside it (input folders, the cache).
   * `ancestor`: the output may not be or contain it (the recipe's folder, the working directory).
   */
  rule: 'any' | 'ancestor';
}

function realOrResolved(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return resolve(p);
  }
}

function inside(child: string, parent: string): boolean {
  const r = relative(parent, child);
  return r !== '' && !r.startsWith('..') && !r.startsWith(sep) && r !== '..';
}

/** Refuses an output that is, contains or lies inside a guarded path (see GuardedPath.rule). */
export function checkOutputPlacement(out: string, realOut: string, guards: readonly GuardedPath[]): void {
  for (const g of guards) {
    const real = realOrResolved(g.path);
    let relation: string | undefined;
    if (real === realOut) relation = 'is';
    else if (inside(real, realOut)) relation = 'contains';
    else if (g.rule === 'any' && inside(realOut, real)) relation = 'lies inside';
    if (relation === undefined) continue;
    const shown = real === resolve(g.path) ? g.path : `${g.path} (${real})`;
    throw new MergeopsError('USAGE',
      `--out ${out}${realOut !== resolve(out) ? ` (${realOut})` : ''} ${relation} ${g.what} ${shown}: the output may not overlap what the run reads`,
      'choose an --out folder outside the input folders, the recipe\'s folder and the shard cache, e.g. a new sibling folder');
  }
}

/** Refuses to replace a non-empty folder, except with --overwrite, and only a mergeops output unless forced. */
export function checkOverwrite(realOut: string, o: { overwrite?: boolean; forceOverwrite?: boolean }): void {
  let entries: string[];
  try {
    entries = readdirSync(realOut);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw fsError(e, 'read', realOut);
  }
  if (entries.length === 0) return;
  if (!o.overwrite && !o.forceOverwrite) {
    throw new MergeopsError('USAGE', `output folder ${realOut} exists and is not empty`,
      'choose another --out folder, or pass --overwrite to replace it');
  }
  if (!o.forceOverwrite && !isMergeopsOutput(realOut)) {
    throw new MergeopsError('USAGE',
      `output folder ${realOut} was not written by mergeops (it has no ${OUTPUT_MARKER}): --overwrite replaces only earlier mergeops outputs`,
      'choose another --out folder, or pass --force-overwrite if its whole content may be deleted');
  }
}

/** `.NAME.partial-PID` and `.NAME.partial-PID.old`: a run's temporary output beside the real one. */
const PARTIAL = /^\.(.+)\.partial-(\d+)(?:\.old)?$/;

/** The temporary sibling of an output path for this process. */
export function partialPath(target: string): string {
  return join(dirname(target), `.${basename(target)}.partial-${process.pid}`);
}

/**
 * Removes the partial outputs in `dir` whose owner process is gone (a SIGKILL, a power cut).
 * Returns the names removed.
 */
export function removeStalePartials(dir: string, log?: (line: string) => void): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const n of names) {
    const m = PARTIAL.exec(n);
    if (!m) continue;
    const pid = Number(m[2]);
    if (pid === process.pid || processAlive(pid)) continue;
    try {
      rmSync(join(dir, n), { recursive: true, force: true });
      removed.push(n);
      log?.(`removed ${join(dir, n)}, left by an interrupted run (process ${pid} is gone)`);
    } catch (e) {
      log?.(`warning: cannot remove ${join(dir, n)} left by an interrupted run: ${(e as Error).message}`);
    }
  }
  return removed;
}

interface LockInfo {
  pid: number;
  host: string;
  started: string;
}

export interface OutputLock {
  path: string;
  release(): void;
}

/**
 * Takes the exclusive lock `.NAME.lock` beside `target` (created with O_EXCL). A lock whose
 * process is gone is taken over; a live one fails at once, naming the process.
 */
export function acquireOutputLock(target: string): OutputLock {
  const lockPath = join(dirname(target), `.${basename(target)}.lock`);
  const info: LockInfo = { pid: process.pid, host: hostname(), started: new Date().toISOString() };
  for (let attempt = 0; ; attempt++) {
    let fd: number;
    try {
      fd = openSync(lockPath, 'wx');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw fsError(e, 'create the lock file', lockPath);
      let holder: Partial<LockInfo> = {};
      try { holder = JSON.parse(readFileSync(lockPath, 'utf8')) as Partial<LockInfo>; } catch { /* being written, or garbage */ }
      if (typeof holder.pid !== 'number' && attempt < 4) {
        // Just created by another process that has not written its pid yet: look again shortly.
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
        continue;
      }
      const sameHost = holder.host === undefined || holder.host === info.host;
      const live = typeof holder.pid === 'number' && (!sameHost || processAlive(holder.pid));
      if (live || attempt >= 6) {
        throw new MergeopsError('IO',
          `${target} is being written by another mergeops process (pid ${holder.pid ?? '?'}${sameHost ? '' : ` on ${holder.host}`}, since ${holder.started ?? '?'})`,
          `wait for it to finish or stop it; if no such process runs, delete ${lockPath}`);
      }
      try { unlinkSync(lockPath); } catch { /* taken by someone else meanwhile: the next open says */ }
      continue;
    }
    try {
      writeSync(fd, JSON.stringify(info) + '\n');
    } finally {
      closeSync(fd);
    }
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      unregister();
      process.off('exit', release);
      try {
        const now = JSON.parse(readFileSync(lockPath, 'utf8')) as Partial<LockInfo>;
        if (now.pid === info.pid && now.host === info.host) unlinkSync(lockPath);
      } catch { /* already gone */ }
    };
    const unregister = onInterruptCleanup(release);
    process.on('exit', release);
    return { path: lockPath, release };
  }
}

/** Everything a writer checks and takes before it starts: placement, overwrite rule, lock, stale partials. */
export interface GuardOptions {
  overwrite?: boolean;
  forceOverwrite?: boolean;
  guards?: readonly GuardedPath[];
  log?: (line: string) => void;
  /** The folder itself is not replaced, files are added (quantize into a model folder): skip the overwrite rule. */
  addsFiles?: boolean;
  /** The lock, when the caller took it already (earlier than the writing starts). */
  heldLock?: OutputLock;
}

export interface GuardedOutput {
  /** The real output path (links resolved). */
  path: string;
  lock: OutputLock;
}

/** Resolves, checks and locks an output folder; removes stale partial siblings. */
export function guardOutputDir(out: string, o: GuardOptions = {}): GuardedOutput {
  const real = resolveOutPath(out);
  checkOutputPlacement(out, real, o.guards ?? []);
  if (!o.addsFiles) checkOverwrite(real, o);
  const parent = dirname(real);
  try {
    if (!existsSync(parent)) {
      // Created here so the lock has a place.
      mkdirSync(parent, { recursive: true });
    }
  } catch (e) {
    throw fsError(e, 'create the folder', parent);
  }
  const lock = o.heldLock ?? acquireOutputLock(real);
  try {
    removeStalePartials(parent, o.log);
    if (o.addsFiles) removeStalePartials(real, o.log);
    // Checked again under the lock: another process may have finished meanwhile.
    if (!o.addsFiles) checkOverwrite(real, o);
  } catch (e) {
    if (!o.heldLock) lock.release();
    throw e;
  }
  return { path: real, lock };
}

