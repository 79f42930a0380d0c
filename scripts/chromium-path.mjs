// Which Chromium the end-to-end tests (and the bench) drive: $CHROMIUM_PATH, then Debian's
// Chromium, then the one the npm registry ships as a devDependency (@sparticuz/chromium, unpacked
// once into node_modules/.cache). FORKSCOPE_HIDE_SYSTEM_CHROMIUM=1 skips the first two, so the
// fallback can be proven on a machine that has both (CI does so on every change).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Chromium runs as root here and in CI, and must not try the network it cannot reach. */
export const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const packageDir = join(root, 'node_modules', '@sparticuz', 'chromium');

/** @returns {string | null} the version of the npm-shipped Chromium, when it is installed */
function npmChromiumVersion() {
  try {
    return JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')).version ?? null;
  } catch {
    return null;
  }
}

/** Where the npm-shipped Chromium of `version` is unpacked (a launcher script beside the binary). */
export function npmChromiumLauncher(/** @type {string} */ version) {
  return join(root, 'node_modules', '.cache', 'forkscope-chromium', version, 'launch');
}

export const hideSystemVariable = 'FORKSCOPE_HIDE_SYSTEM_CHROMIUM';

/**
 * @typedef {{ path: string, source: string, reason?: undefined } | { path: null, source: null, reason: string }} ChromiumChoice
 * @returns {ChromiumChoice}
 */
export function chooseChromium() {
  const hidden = process.env[hideSystemVariable] === '1';
  if (!hidden) {
    if (process.env.CHROMIUM_PATH && existsSync(process.env.CHROMIUM_PATH)) {
      return { path: process.env.CHROMIUM_PATH, source: '$CHROMIUM_PATH' };
    }
    for (const path of ['/usr/bin/chromium', '/usr/bin/chromium-browser']) {
      if (existsSync(path)) return { path, source: "the system's Chromium" };
    }
  }
  const version = npmChromiumVersion();
  const unseen = hidden
    ? `the system's Chromium hidden by ${hideSystemVariable}=1`
    : 'no /usr/bin/chromium or $CHROMIUM_PATH';
  if (!version)
    return {
      path: null,
      source: null,
      reason: `${unseen}, and @sparticuz/chromium is not installed (npm ci installs it)`,
    };
  const launcher = npmChromiumLauncher(version);
  if (!existsSync(launcher)) {
    // Unpacking is asynchronous (streams); the config that asks is not, so a child does it.
    const unpack = spawnSync(process.execPath, [join(root, 'scripts', 'unpack-chromium.mjs')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (unpack.status !== 0 || !existsSync(launcher)) {
      const why = (unpack.stderr || unpack.stdout || `exit ${unpack.status ?? unpack.signal}`).trim();
      return {
        path: null,
        source: null,
        reason: `${unseen}, and unpacking @sparticuz/chromium ${version} failed: ${why}`,
      };
    }
  }
  return { path: launcher, source: `@sparticuz/chromium ${version} from the npm registry` };
}

/** The browser's path, or null when there is none. */
export function chromiumPathOrNull() {
  return chooseChromium().path;
}
