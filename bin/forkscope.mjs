#!/usr/bin/env node
// `npx forkscope …`: runs the built command line (out/main/cli.js) in this process, so its exit
// status, signals and stdio are the program's own.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'out', 'main', 'cli.js');
if (!existsSync(cli)) {
  process.stderr.write(`forkscope: ${cli} is missing: build first (npm run build).\n`);
  process.exit(2);
}
await import(pathToFileURL(cli).href);
