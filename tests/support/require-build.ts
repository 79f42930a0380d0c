import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { privateTempDir } from './temp-dirs';

/**
 * Engine tests fork the built child scripts: they need `npm run build` first (npm test does it).
 * Their temporary folders live in one private folder, removed afterwards (see temp-dirs.ts).
 */
export default function requireBuild() {
  const needed = ['out/main/serve.js', 'out/main/process-runner.js', 'out/main/spawn-helper.js'];
  const missing = needed.filter((file) => !existsSync(resolve(file)));
  if (missing.length > 0) {
    throw new Error(`Missing build output (${missing.join(', ')}): run "npm run build" first.`);
  }
  return privateTempDir();
}
