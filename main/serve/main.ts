/**
 * Serve mode: `npm run serve -- [--port N] [--host H] [--log-dir DIR]`. The same API as the desktop app,
 * over a WebSocket, for a browser, a headless machine or the e2e tests.
 */
import { parseArgs } from 'node:util';
import { createHost } from '../api/host';
import { appPaths } from '../app-paths';
import { formatBytes, readLogSettings, type LogSettings } from '../engine/output/log-budget';
import { LogFolderError, openLogSession, pruneLogSessions } from '../engine/output/log-session';
import { recordSession } from '../recording/session';
import { startServer } from './server';

const usage = `Usage: npm run serve -- [options]
   or: node out/main/serve.js [options]

Serves Forkscope to a browser: the page and its API on one port, behind a token printed at start.

Options:
  --port N        the port to listen on (default 0: any free port)
  --host H        the address to bind (default 127.0.0.1, loopback only)
  --log-dir DIR   where the logs go: each start makes a new session folder in it
                  (default: $XDG_STATE_HOME/forkscope/logs)
  --log-budget SIZE   bytes all logs of a session may take, e.g. 2G or 500M (default: the smaller
                      of 5G and 20% of the free space; env FORKSCOPE_LOG_BUDGET)
  --log-policy P      when the budget is used up: stop-logging (default; the in-memory window
                      stays), keep-logging or stop-run (env FORKSCOPE_LOG_POLICY)
  --log-keep-sessions N   session folders kept, this one included (default 20; env
                          FORKSCOPE_LOG_KEEP_SESSIONS)
  --log-keep-days D   session folders older than this are deleted at start (default 14; env
                      FORKSCOPE_LOG_KEEP_DAYS)
  --open FILE     serve this recording too, and print the address that replays it
                  (what \`forkscope open FILE\` runs)
  -h, --help      print this help and exit
`;

function readOptions() {
  try {
    return parseArgs({
      options: {
        port: { type: 'string', default: '0' },
        host: { type: 'string', default: '127.0.0.1' },
        'log-dir': { type: 'string' },
        'log-budget': { type: 'string' },
        'log-policy': { type: 'string' },
        'log-keep-sessions': { type: 'string' },
        'log-keep-days': { type: 'string' },
        open: { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values;
  } catch (error) {
    // Unknown options, missing values, stray arguments: say what is wrong, then how to call it.
    console.error(`forkscope: ${(error as Error).message}\n`);
    console.error(usage);
    process.exit(2);
  }
}

async function main() {
  const values = readOptions();
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`forkscope: --port must be a number from 0 to 65535, not "${values.port}".`);
    process.exit(2);
  }
  let settings: LogSettings;
  try {
    settings = readLogSettings({
      budget: values['log-budget'],
      policy: values['log-policy'],
      keepSessions: values['log-keep-sessions'],
      keepDays: values['log-keep-days'],
    });
  } catch (error) {
    console.error(`forkscope: ${(error as Error).message}.`);
    process.exit(2);
  }
  const paths = appPaths(import.meta.url, values['log-dir']);
  let logDir: string;
  try {
    logDir = openLogSession(paths.logRoot);
  } catch (error) {
    // Runs without logs would look fine and keep nothing: refuse to start, in one line.
    if (!(error instanceof LogFolderError)) throw error;
    console.error(`forkscope: ${error.message}. Choose another folder with --log-dir.`);
    process.exit(1);
  }
  const pruned = pruneLogSessions(paths.logRoot, logDir, settings.retention);
  const host = createHost({
    appRoot: paths.appRoot,
    logDir,
    logBudgetBytes: settings.budgetBytes,
    logPolicy: settings.policy,
    openRecordings: values.open,
    hostsMemory: { file: paths.hostsFile },
  });
  host.killEverythingOnCrash();
  const recorder = recordSession(host, logDir);
  const running = await startServer({ host, rendererDir: paths.rendererDir, bindHost: values.host, port });
  // Before the first line is printed: whoever reads it may signal at once (stdout to a pipe is
  // written synchronously), and an unhandled SIGINT would kill serve mode without stopping its runs.
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`forkscope: ${signal}: stopping every process Forkscope started…`);
    // The recording's closing tables are read from the engine: before it stops.
    await recorder?.stop().catch(() => {});
    await Promise.all([host.shutdown(), running.close()]);
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGHUP', () => void stop('SIGHUP'));
  console.log(`Forkscope is serving on ${running.url}`);
  for (const [index, file] of (values.open ?? []).entries()) {
    console.log(`Replay of ${file}: ${running.url}&recording=file:${index + 1}`);
  }
  console.log(`Logs of every run: ${logDir}`);
  if (recorder) console.log(`Recording of this session: ${recorder.path}`);
  const budget = host.engine.registry.logBudget;
  console.log(
    `Log budget: ${formatBytes(budget.limitBytes)}, then ${budget.defaultPolicy}` +
      (pruned.length > 0 ? `; deleted ${pruned.length} old session folder(s)` : ''),
  );
}

main().catch((error: unknown) => {
  const err = error as NodeJS.ErrnoException;
  if (err.code === 'EADDRINUSE') console.error(`forkscope: that port is already in use (${err.message}).`);
  else console.error('forkscope: serve mode could not start:', err);
  process.exit(1);
});
