import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where things are, from a built entry in out/main/ (the same layout inside a packaged app). */
export function appPaths(entryUrl: string, logRootOverride?: string) {
  const appRoot = resolve(dirname(fileURLToPath(entryUrl)), '..', '..');
  const stateHome = process.env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state');
  const logRoot = resolve(logRootOverride ?? join(stateHome, 'forkscope', 'logs'));
  return {
    appRoot,
    rendererDir: join(appRoot, 'out', 'renderer'),
    preloadPath: join(appRoot, 'out', 'preload', 'preload.cjs'),
    /**
     * Where the session folders of logs go (`--log-dir` too): every start makes a new folder in it
     * (`openLogSession`), so a reused folder never has a previous session's logs overwritten.
     */
    logRoot,
    /**
     * The hosts added (main/hosts), remembered beside the session folders: a `--log-dir` (or
     * FORKSCOPE_LOG_DIR) is a separate Forkscope with its own hosts, as it has its own sessions.
     */
    hostsFile: join(logRoot, 'hosts.json'),
  };
}
