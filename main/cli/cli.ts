/**
 * The command line, Forkscope's third face beside the desktop app and serve mode:
 * `forkscope record | report | open`. Built to out/main/cli.js; bin/forkscope.mjs runs it.
 */
import { CliError } from './cli-error';
import { open } from './open';
import { record } from './record';
import { report } from './report';

const usage = `Usage: forkscope COMMAND …

  record [--out FILE] [--no-lens] -- PROGRAM [ARGS…]   run a program and record what it does
  report FILE [--json] [--shims]                       what a recording holds
  open FILE [--no-browser]                             replay a recording (serve mode, prints its address)
  worker --redis URL [--queue NAME] …                  a fleet agent: runs distributed pool tasks

forkscope COMMAND --help says more.
`;

async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  switch (command) {
    case 'record':
      return record(rest, import.meta.url);
    case 'report':
      return report(rest);
    case 'open':
      return open(rest, import.meta.url);
    case 'worker':
      await import(new URL('./fleet-worker.js', import.meta.url).href);
      return new Promise<number>(() => {}); // the worker exits itself
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      (command === undefined ? process.stderr : process.stdout).write(usage);
      return command === undefined ? 2 : 0;
    default:
      throw new CliError(
        `unknown command "${command}" (record, report, open or worker; forkscope --help).`,
        2,
      );
  }
}

main(process.argv.slice(2)).then(
  (status) => {
    // Let stdout and stderr drain (a pipe may be slow), then leave with the status.
    process.exitCode = status;
    setImmediate(() => process.exit(status));
  },
  (error: unknown) => {
    if (error instanceof CliError) {
      process.stderr.write(`forkscope: ${error.message}\n`);
      process.exit(error.status);
    }
    process.stderr.write(`forkscope: internal error: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(70);
  },
);
