// Builds with electron-vite when out/ is missing or older than any source file.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const sourceDirs = ['main', 'preload', 'renderer', 'contract'];
const outputs = [
  'out/main/serve.js',
  'out/main/electron.js',
  'out/preload/preload.cjs',
  'out/renderer/index.html',
];

/** @param {string} dir @returns {number} */
function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

export function ensureBuild() {
  const missing = outputs.some((file) => !existsSync(file));
  const built = missing ? 0 : Math.min(...outputs.map((file) => statSync(file).mtimeMs));
  const sources = Math.max(...sourceDirs.map(newestMtime), statSync('electron.vite.config.ts').mtimeMs);
  if (!missing && built >= sources) return;
  console.error('forkscope: building (electron-vite)…');
  const result = spawnSync(process.execPath, ['node_modules/electron-vite/bin/electron-vite.js', 'build'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (result.status !== 0) {
    console.error('forkscope: the build failed (see above).');
    process.exit(result.status ?? 1);
  }
}
