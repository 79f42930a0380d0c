import { BrowserWindow, session, shell, type IpcMainEvent } from 'electron';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { contentSecurityPolicy } from '../csp';

/** The app's one window, locked down: no Node in the page, a sandboxed preload, nothing else to load. */
export function createMainWindow(paths: { rendererDir: string; preloadPath: string }) {
  const window = new BrowserWindow({
    width: 1280,
    height: 820,
    minWidth: 800,
    minHeight: 500,
    title: 'Forkscope',
    show: false,
    webPreferences: {
      preload: paths.preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webviewTag: false,
      spellcheck: false,
    },
  });
  const indexUrl = pathToFileURL(join(paths.rendererDir, 'index.html')).href;

  window.webContents.on('will-navigate', (event, url) => {
    if (url !== indexUrl) event.preventDefault();
  });
  window.webContents.setWindowOpenHandler(({ url }) => {
    // Links to documentation open in the user's browser, never in the app.
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
  window.once('ready-to-show', () => window.show());
  void window.loadURL(indexUrl);

  const isTrustedSender = (event: IpcMainEvent) =>
    event.sender === window.webContents &&
    event.senderFrame !== null &&
    event.senderFrame === window.webContents.mainFrame &&
    event.senderFrame.url === indexUrl;

  return { window, isTrustedSender };
}

/** Session-wide rules: a CSP header on every response, and every permission request denied. */
export function lockDownSession() {
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [contentSecurityPolicy] },
    });
  });
}
