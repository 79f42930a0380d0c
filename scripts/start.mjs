// `npm start`: builds if needed, then launches the desktop app; where no Electron binary can be
// had, says so in one line and starts serve mode instead.
import { spawn } from 'node:child_process';
import { electronBinary } from './electron-binary.mjs';
import { ensureBuild } from './ensure-build.mjs';

ensureBuild();
const electron = electronBinary();
const [program, args] = electron.path
  ? [electron.path, ['.', ...process.argv.slice(2)]]
  : [process.execPath, ['out/main/serve.js', ...process.argv.slice(2)]];
if (!electron.path) {
  console.log(
    `Forkscope: no Electron binary here (${electron.reason}); starting serve mode instead — open the URL below.`,
  );
}
const child = spawn(program, args, { stdio: 'inherit' });
for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM', 'SIGHUP']))
  process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
