/**
 * Serve mode: `npm run serve -- [--port N] [--host H]`. The same API as the desktop app,
 * over a WebSocket, for a browser, a headless machine or the e2e tests.
 */
import { parseArgs } from 'node:util';
import { createHost } from '../api/host';
import { appPaths } from '../app-paths';
import { startServer } from './server';

async function main() {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      'log-dir': { type: 'string' },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`forkscope: --port must be a number from 0 to 65535, not "${values.port}".`);
    process.exit(2);
  }
  const paths = appPaths(import.meta.url, values['log-dir']);
  const host = createHost({ appRoot: paths.appRoot, logDir: paths.logDir });
  host.killEverythingOnCrash();
  const running = await startServer({ host, rendererDir: paths.rendererDir, bindHost: values.host, port });
  console.log(`Forkscope is serving on ${running.url}`);
  console.log(`Logs of every run: ${paths.logDir}`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`forkscope: ${signal}: stopping every process Forkscope started…`);
    await Promise.all([host.shutdown(), running.close()]);
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGHUP', () => void stop('SIGHUP'));
}

main().catch((error: unknown) => {
  const err = error as NodeJS.ErrnoException;
  if (err.code === 'EADDRINUSE') console.error(`forkscope: that port is already in use (${err.message}).`);
  else console.error('forkscope: serve mode could not start:', err);
  process.exit(1);
});
