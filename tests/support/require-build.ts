import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ourTempDirs = /^forkscope-(test|serve|mem|capture)-/;

/**
 * Engine tests fork the built child scripts: they need `npm run build` first (npm test does it).
 * Afterwards, the log folders the tests made (some hold 100 MB) are removed.
 */
export default function requireBuild() {
  const needed = ['out/main/serve.js', 'out/main/process-runner.js', 'out/main/spawn-helper.js'];
  const missing = needed.filter((file) => !existsSync(resolve(file)));
  if (missing.length > 0) {
    throw new Error(`Missing build output (${missing.join(', ')}): run "npm run build" first.`);
  }
  const startedAt = Date.now() - 1000;
  return () => {
    for (const name of readdirSync(tmpdir())) {
      const path = join(tmpdir(), name);
      if (ourTempDirs.test(name) && statSync(path).mtimeMs >= startedAt)
        rmSync(path, { recursive: true, force: true });
    }
  };
}
