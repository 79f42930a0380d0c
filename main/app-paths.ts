import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where things are, from a built entry in out/main/ (the same layout inside a packaged app). */
export function appPaths(entryUrl: string, logRootOverride?: string) {
  const appRoot = resolve(dirname(fileURLToPath(entryUrl)), '..', '..');
  const stateHome = process.env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state');
  return {
    appRoot,
    rendererDir: join(appRoot, 'out', 'renderer'),
    preloadPath: join(appRoot, 'out', 'preload', 'preload.cjs'),
    /**
     * Where the session folders of logs go (`--log-dir` too): every start makes a new folder in it
     * (`openLogSession`), so a reused folder never has a previous session's logs overwritten.
     */
    logRoot: resolve(logRootOverride ?? join(stateHome, 'forkscope', 'logs')),
  };
}
