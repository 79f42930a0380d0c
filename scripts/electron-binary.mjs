// Where the Electron binary is, or why there is none. Requiring the electron package would try
// to download it (from a server these machines cannot reach), so its files are read directly.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export function electronBinary() {
  const packageDir = join(import.meta.dirname, '..', 'node_modules', 'electron');
  if (process.env.ELECTRON_OVERRIDE_DIST_PATH) {
    const path = join(process.env.ELECTRON_OVERRIDE_DIST_PATH, 'electron');
    if (existsSync(path)) return { path };
  }
  const pathFile = join(packageDir, 'path.txt');
  if (!existsSync(pathFile)) {
    return { reason: 'the Electron binary was never downloaded: node_modules/electron has no dist/' };
  }
  const path = join(packageDir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(path) ? { path } : { reason: `the Electron binary is missing at ${path}` };
}
