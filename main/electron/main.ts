/** The desktop app: Electron's main process hosts the engine and serves the API over IPC. */
import { dirname, join } from 'node:path';
import { app, BrowserWindow, dialog } from 'electron';
import { createHost } from '../api/host';
import { appPaths } from '../app-paths';
import { readLogSettings, type LogSettings } from '../engine/output/log-budget';
import { LogFolderError, openLogSession, pruneLogSessions } from '../engine/output/log-session';
import { recordSession } from '../recording/session';
import { serveIpc } from './ipc-transport';
import { safeStorageSealer } from './token-sealer';
import { createMainWindow, lockDownSession } from './window';

const paths = appPaths(import.meta.url, process.env.FORKSCOPE_LOG_DIR);

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  start();
}

function start() {
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-attach-webview', (event) => event.preventDefault());
  });

  void app.whenReady().then(() => {
    lockDownSession();
    let settings: LogSettings;
    try {
      settings = readLogSettings({});
    } catch (error) {
      dialog.showErrorBox('Forkscope: a log setting is wrong', (error as Error).message);
      app.quit();
      return;
    }
    const logDir = openLogFolder(paths.logRoot);
    if (logDir === null) {
      app.quit();
      return;
    }
    pruneLogSessions(dirname(logDir), logDir, settings.retention);
    const host = createHost({
      appRoot: paths.appRoot,
      logDir,
      logBudgetBytes: settings.budgetBytes,
      logPolicy: settings.policy,
      // Beside the session folders (the log root, also one picked in the dialog above).
      hostsMemory: { file: join(dirname(logDir), 'hosts.json'), sealer: safeStorageSealer() },
    });
    host.killEverythingOnCrash();
    const recorder = recordSession(host, logDir, app.getVersion());
    const { window, isTrustedSender } = createMainWindow(paths);
    const stopIpc = serveIpc(host, isTrustedSender);

    let quitting = false;
    app.on('before-quit', (event) => {
      if (quitting) return;
      // Stop every process tree first: quitting leaves nothing behind.
      event.preventDefault();
      quitting = true;
      stopIpc();
      // A stuck shutdown must not keep the app open: past 10 s, kill what is left and go.
      const deadline = setTimeout(() => {
        host.killEverything();
        app.exit(0);
      }, 10_000);
      void (recorder?.stop().catch(() => {}) ?? Promise.resolve())
        .then(() => host.shutdown())
        .finally(() => {
          clearTimeout(deadline);
          app.quit();
        });
    });
    app.on('window-all-closed', () => app.quit());
    app.on('second-instance', () => {
      if (window.isMinimized()) window.restore();
      window.focus();
    });
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0) app.quit();
    });
  });
}

/**
 * This session's log folder. When `root` cannot be written, says so naming the folder and offers
 * another one (or quitting): runs whose logs silently go nowhere would look fine and keep nothing.
 */
function openLogFolder(root: string): string | null {
  for (;;) {
    try {
      return openLogSession(root);
    } catch (error) {
      if (!(error instanceof LogFolderError)) throw error;
      const choice = dialog.showMessageBoxSync({
        type: 'error',
        title: 'Forkscope cannot write its logs',
        message: error.message,
        detail: 'Every run’s output is logged in full. Choose a folder Forkscope can write to.',
        buttons: ['Choose another folder…', 'Quit'],
        defaultId: 0,
        cancelId: 1,
      });
      if (choice !== 0) return null;
      const picked = dialog.showOpenDialogSync({
        title: 'A folder for Forkscope’s logs',
        properties: ['openDirectory', 'createDirectory'],
      });
      if (picked?.[0]) root = picked[0];
    }
  }
}
