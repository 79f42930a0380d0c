import { _electron as electron, expect, test, type ElectronApplication } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { electronBinary } from '../../scripts/electron-binary.mjs';

// These run the real desktop app wherever an Electron binary exists; on machines where it cannot
// be downloaded they are skipped, and say why.
const binary = electronBinary();
if (!binary.path) console.log(`Electron e2e skipped: ${binary.reason}`);
test.skip(!binary.path, `Electron e2e skipped: ${binary.reason ?? ''}`);

let app: ElectronApplication;

test.beforeAll(async () => {
  app = await electron.launch({
    executablePath: binary.path!,
    args: ['.', '--no-sandbox'],
    env: { ...process.env, FORKSCOPE_LOG_DIR: mkdtempSync(join(tmpdir(), 'forkscope-electron-')) },
  });
});

test.afterAll(async () => {
  await app?.close();
});

test('the window is locked down: no Node in the page, only the typed bridge', async () => {
  const page = await app.firstWindow();
  const exposed = await page.evaluate(() => ({
    require: typeof (globalThis as { require?: unknown }).require,
    process: typeof (globalThis as { process?: unknown }).process,
    bridge: Object.keys((globalThis as { forkscope?: object }).forkscope ?? {}).sort(),
  }));
  expect(exposed).toEqual({ require: 'undefined', process: 'undefined', bridge: ['call', 'on'] });
  const prefs = await app.evaluate(({ BrowserWindow }) => {
    const contents = BrowserWindow.getAllWindows()[0]!.webContents;
    const web = (
      contents as unknown as { getLastWebPreferences(): Record<string, unknown> }
    ).getLastWebPreferences();
    return {
      contextIsolation: web.contextIsolation,
      sandbox: web.sandbox,
      nodeIntegration: web.nodeIntegration,
    };
  });
  expect(prefs).toEqual({ contextIsolation: true, sandbox: true, nodeIntegration: false });
});

test('runs a command over IPC and shows its output and exit', async () => {
  const page = await app.firstWindow();
  const result = await page.evaluate(async () => {
    type Bridge = {
      call(method: string, params: unknown): Promise<{ id: string; exit: { exitcode: number } | null }>;
    };
    const api = (globalThis as unknown as { forkscope: Bridge }).forkscope;
    const run = await api.call('runs.launch', { program: 'sh', args: ['-c', 'echo from-electron; exit 5'] });
    return api.call('runs.join', { id: run.id, timeoutMs: 10_000 });
  });
  expect(result.exit?.exitcode).toBe(5);
});

test('refuses navigation away from the app and window.open', async () => {
  const page = await app.firstWindow();
  const before = page.url();
  await page.evaluate(() => {
    window.open('https://example.com');
    location.href = 'https://example.com';
  });
  await page.waitForTimeout(500);
  expect(page.url()).toBe(before);
  expect(app.windows()).toHaveLength(1);
});
