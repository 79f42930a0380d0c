// `npm run serve -- [--port N] [--host H]`: builds if needed, then runs serve mode in the foreground.
import { spawn } from 'node:child_process';
import { ensureBuild } from './ensure-build.mjs';

ensureBuild();
const child = spawn(process.execPath, ['out/main/serve.js', ...process.argv.slice(2)], { stdio: 'inherit' });
// Ctrl-C reaches both; serve mode stops its processes, then this wrapper leaves with its code.
for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM', 'SIGHUP']))
  process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
