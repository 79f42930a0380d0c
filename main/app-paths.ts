import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where things are, from a built entry in out/main/ (the same layout inside a packaged app). */
export function appPaths(entryUrl: string, logDirOverride?: string) {
  const appRoot = resolve(dirname(fileURLToPath(entryUrl)), '..', '..');
  const stateHome = process.env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state');
  const session = new Date().toISOString().replaceAll(':', '-').replace(/\..*/, '');
  return {
    appRoot,
    rendererDir: join(appRoot, 'out', 'renderer'),
    preloadPath: join(appRoot, 'out', 'preload', 'preload.cjs'),
    logDir: logDirOverride ?? join(stateHome, 'forkscope', 'logs', `${session}-${process.pid}`),
  };
}
