/**
 * Runs the test Hub in its own process for benchmarks (the measured CLI runs are synchronous
 * child processes): `node hub-serve.js [--upload-bps=N] [--multipart-chunk=N] org/name=DIR ...`;
 * prints the URL on stdout. `--upload-bps` limits how fast upload bodies are read (a link of N
 * bytes/s shared by all uploads); `--multipart-chunk` sets the LFS part size, and objects larger
 * than one part go multipart (the test default is 512 KiB parts for objects over 1 MiB).
 */
import { TestHub } from '../test/servers/hub-server.js';

const hub = await TestHub.start();
for (const arg of process.argv.slice(2)) {
  const flag = /^--([\w-]+)=(\d+)$/.exec(arg);
  if (flag?.[1] === 'upload-bps') hub.limitUploads(Number(flag[2]));
  else if (flag?.[1] === 'multipart-chunk') { hub.multipartChunk = Number(flag[2]); hub.multipartOver = Number(flag[2]); }
  else if (flag) throw new Error(`hub-serve: unknown option ${arg}`);
  else {
    const [repo, dir] = arg.split('=');
    hub.addFolder(repo, dir);
  }
}
process.stdout.write(`${hub.url}\n`);
process.on('SIGTERM', () => { void hub.close().then(() => process.exit(0)); });
