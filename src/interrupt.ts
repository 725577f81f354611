/**
 * Interruption: SIGINT, SIGTERM and SIGHUP (Ctrl-C, a closed terminal, a cancelled workflow) stop
 * the kernel workers, delete whatever partial output is registered, and exit with 128 + the
 * signal number. A second signal exits at once (the next run removes what is left: every run
 * first deletes partial siblings whose owner process is gone).
 *
 * Work registers two kinds of handlers: `stop` (end running work: terminate workers) and
 * `cleanup` (remove a partial folder or file, release a lock). Both are unregistered when the
 * work ends normally. A leaf module: any stage may register, only front ends install.
 */

export type InterruptHandler = () => void | Promise<void>;

const stoppers = new Set<InterruptHandler>();
let received: HandledSignal | undefined;
const cleanups = new Set<InterruptHandler>();

/** Exit codes by signal, as shells report them (128 + signal number). */
export const SIGNAL_EXIT_CODES = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 } as const;
export type HandledSignal = keyof typeof SIGNAL_EXIT_CODES;

/**
 * The signal that interrupted this process, if any: front ends stay quiet about the failures the
 * stopped work reports meanwhile (the exit follows).
 */
export function interruptedBy(): HandledSignal | undefined {
  return received;
}

/** Registers a handler that stops running work on interruption; returns its removal. */
export function onInterruptStop(fn: InterruptHandler): () => void {
  stoppers.add(fn);
  return () => { stoppers.delete(fn); };
}

/** Registers a handler that removes partial output on interruption; returns its removal. */
export function onInterruptCleanup(fn: InterruptHandler): () => void {
  cleanups.add(fn);
  return () => { cleanups.delete(fn); };
}

async function settle(fns: Iterable<InterruptHandler>): Promise<void> {
  await Promise.allSettled([...fns].map(async (f) => { await f(); }));
}

/**
 * Stops the registered work, then runs the cleanups (each at most once). For front ends that
 * learn of a cancellation otherwise than by a signal; the signal handlers call it too.
 */
export async function interruptNow(): Promise<void> {
  const s = [...stoppers];
  stoppers.clear();
  await settle(s);
  // Last registered first, as nested work unwinds: a file inside a folder goes before the folder.
  const c = [...cleanups].reverse();
  cleanups.clear();
  for (const f of c) {
    try { await f(); } catch { /* best effort: the next run removes what is left */ }
  }
}

export interface InstallOptions {
  /** One line to the user when the first signal arrives. */
  log?: (line: string) => void;
  /** Longest wait for the cleanups before exiting anyway (default 10 s). */
  graceMs?: number;
  /** Default: process.exit. */
  exit?: (code: number) => void;
}

/**
 * Installs the signal handlers (front ends only: the CLI and the Action). Returns their removal.
 */
export function installInterruptHandlers(o: InstallOptions = {}): () => void {
  const exit = o.exit ?? ((code: number) => process.exit(code));
  let first: HandledSignal | undefined;
  const handler = (sig: HandledSignal): void => {
    const code = SIGNAL_EXIT_CODES[sig];
    if (first !== undefined) {
      o.log?.(`${sig} again: exiting now (partial output is removed by the next run)`);
      exit(code);
      return;
    }
    first = sig;
    received = sig;
    o.log?.(`interrupted (${sig}): stopping and removing partial output (press Ctrl-C again to exit at once)`);
    const timer = setTimeout(() => exit(code), o.graceMs ?? 10_000);
    timer.unref();
    void interruptNow().finally(() => { clearTimeout(timer); exit(code); });
  };
  const bound = (Object.keys(SIGNAL_EXIT_CODES) as HandledSignal[]).map((sig) => {
    const h = (): void => handler(sig);
    process.on(sig, h);
    return [sig, h] as const;
  });
  return () => { for (const [sig, h] of bound) process.off(sig, h); };
}
