import { buildReport } from '../recording/report';
import { reportText } from '../recording/report-text';
import { readRecording, RecordingError } from '../recording/reader';
import { CliError } from './cli-error';

export const reportUsage = `Usage: forkscope report FILE [--json] [--shims]

Prints what a recording holds: its processes, pools and tasks, queues and items, and waits.
A shim's short-lived helpers (a pyenv shim's readlink and bash, run before it exec'd the real
program) are folded into the process it became and counted; --shims lists them.
With --json, one JSON document (schemaVersion 1, described in README, "Command line"): it holds
every process, the helpers last with "folded": true.
`;

const options = ['--json', '--shims'];

/** `forkscope report FILE [--json] [--shims]`. */
export async function report(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(reportUsage);
    return 0;
  }
  const unknown = args.find((arg) => arg.startsWith('-') && !options.includes(arg));
  if (unknown) throw new CliError(`unknown option ${unknown} (forkscope report FILE [--json] [--shims]).`, 2);
  const files = args.filter((arg) => !options.includes(arg));
  if (files.length !== 1) throw new CliError('say which recording: forkscope report FILE [--json]', 2);
  const path = files[0]!;
  let built;
  try {
    built = buildReport(await readRecording(path));
  } catch (error) {
    if (error instanceof RecordingError) throw new CliError(error.message, 1);
    throw error;
  }
  process.stdout.write(
    args.includes('--json')
      ? JSON.stringify(built, null, 2) + '\n'
      : reportText(built, path, { shims: args.includes('--shims') }),
  );
  return 0;
}
