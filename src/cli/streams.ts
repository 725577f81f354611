/**
 * Writing to stdout/stderr when the reader may go away: `mergeops plan … | head` closes the pipe
 * after ten lines. The write then fails with EPIPE; that is the reader's choice, not an error, so
 * later writes are dropped quietly and the command finishes its work (a run still completes).
 */
export function closeQuietly(stream: NodeJS.WriteStream): (text: string) => void {
  let closed = false;
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') {
      closed = true;
      return;
    }
    // Any other failure of the terminal or file we write to: nothing useful to say it on.
    closed = true;
    process.exitCode = 1;
  });
  return (text) => {
    if (!closed) stream.write(text);
  };
}
