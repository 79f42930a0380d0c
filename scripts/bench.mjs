// `npm run bench [-- NAME...]`: builds if needed (the engine forks the built child scripts), then
// runs bench/run.ts with tsx: every bench/*.bench.ts whose name starts with one of the NAMEs (all
// when none), one after the other in one process. Progress goes to stderr; the table, the
// `ratio NAME VALUE target OP VALUE` lines and the summary to stdout.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureBuild } from './ensure-build.mjs';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
process.chdir(root);

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  console.log(
    'usage: npm run bench [-- NAME...]   (runs bench/*.bench.ts whose name starts with a NAME; all when none)',
  );
  process.exit(0);
}

ensureBuild();
const childScripts = ['out/main/spawn-helper.js', 'out/main/process-runner.js'];
if (childScripts.some((file) => !existsSync(file))) {
  console.error('forkscope: building (electron-vite)…');
  const build = spawnSync(process.execPath, ['node_modules/electron-vite/bin/electron-vite.js', 'build'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (build.status !== 0 || childScripts.some((file) => !existsSync(file))) {
    console.error('forkscope: the build failed (see above).');
    process.exit(build.status || 1);
  }
}

// --expose-gc: a benchmark may give memory back between measurements (the big-host spawn cost).
const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', join('bench', 'run.ts'), ...args], {
  stdio: 'inherit',
});
for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM', 'SIGHUP']))
  process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
