/**
 * Runs the test Hub in its own process for benchmarks (the measured CLI runs are synchronous
 * child processes): `node hub-serve.js org/name=DIR ...`; prints the URL on stdout.
 */
import { TestHub } from '../test/servers/hub-server.js';

const hub = await TestHub.start();
for (const arg of process.argv.slice(2)) {
  const [repo, dir] = arg.split('=');
  hub.addFolder(repo, dir);
}
process.stdout.write(`${hub.url}\n`);
process.on('SIGTERM', () => { void hub.close().then(() => process.exit(0)); });
