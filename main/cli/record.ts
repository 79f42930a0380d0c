import { constants, openSync, closeSync, rmSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { createHost } from '../api/host';
import { appPaths } from '../app-paths';
import { parseByteSize } from '../engine/output/log-budget';
import { LogFolderError, openLogSession, pruneLogSessions } from '../engine/output/log-session';
import { recordingExtension } from '../recording/format';
import { startRecorder, type Recorder } from '../recording/recorder';
import { CliError } from './cli-error';
import { shellStatus } from './exit-status';
import { Passthrough } from './passthrough';

export const recordUsage = `Usage: forkscope record [options] [--] PROGRAM [ARGS…]

Runs PROGRAM on Forkscope's engine, passes its stdin, stdout and stderr through unchanged, and
writes a recording of everything it did (its processes, pools, tasks, queues, waits, output).
Exits with the program's exit status (128+N when signal N ended it). Ctrl-C stops its whole tree.

Options:
  --out FILE            where the recording goes (default: PROGRAM-YYYYMMDD-HHMMSS.fsrec here)
  --no-lens             do not look inside Python programs (the Python lens)
  --output-limit SIZE   output text kept in the recording, e.g. 16M (default 16M; 0 for none)
  --log-dir DIR         where the full logs go (default: $XDG_STATE_HOME/forkscope/logs)
`;

interface RecordOptions {
  out: string | null;
  lens: boolean;
  outputLimit: number;
  logDir: string | undefined;
  command: string[];
}

/** Options end at `--` or at the first word that is not one: the rest is the program's own. */
export function parseRecordArgs(args: string[]): RecordOptions {
  const options: RecordOptions = {
    out: null,
    lens: true,
    outputLimit: 16 * 1024 * 1024,
    logDir: undefined,
    command: [],
  };
  let at = 0;
  const value = (name: string): string => {
    const next = args[++at];
    if (next === undefined) throw new CliError(`${name} needs a value.`, 2);
    return next;
  };
  for (; at < args.length; at++) {
    const arg = args[at]!;
    if (arg === '--') {
      at++;
      break;
    }
    if (!arg.startsWith('-') || arg === '-') break;
    const [name, inline] = arg.includes('=')
      ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
      : [arg, null];
    switch (name) {
      case '--out':
        options.out = inline ?? value(name);
        break;
      case '--no-lens':
        options.lens = false;
        break;
      case '--output-limit': {
        const text = inline ?? value(name);
        options.outputLimit = text.trim() === '0' ? 0 : parseSize(text);
        break;
      }
      case '--log-dir':
        options.logDir = inline ?? value(name);
        break;
      default:
        throw new CliError(
          `unknown option ${name} (options go before the program; see forkscope record --help).`,
          2,
        );
    }
  }
  options.command = args.slice(at);
  if (options.command.length === 0)
    throw new CliError('say which program to run: forkscope record -- PROGRAM [ARGS…]', 2);
  return options;
}

function parseSize(text: string): number {
  try {
    return parseByteSize(text, '--output-limit');
  } catch (error) {
    throw new CliError(`${(error as Error).message}.`, 2);
  }
}

function defaultOut(program: string, now = new Date()): string {
  const two = (n: number) => String(n).padStart(2, '0');
  const stamp =
    `${now.getFullYear()}${two(now.getMonth() + 1)}${two(now.getDate())}-` +
    `${two(now.getHours())}${two(now.getMinutes())}${two(now.getSeconds())}`;
  const name = basename(program).replace(/[^\w.-]+/g, '_') || 'program';
  // Two recordings started in the same second get -2, -3…: an existing file is never overwritten.
  for (let n = 1; ; n++) {
    const path = resolve(`${name}-${stamp}${n === 1 ? '' : `-${n}`}${recordingExtension}`);
    try {
      closeSync(openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600));
      return path;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}

function openRecorder(host: Parameters<typeof startRecorder>[0], options: RecordOptions): Recorder {
  const explicit = options.out !== null;
  let path = '';
  try {
    path = explicit ? resolve(options.out!) : defaultOut(options.command[0]!);
    return startRecorder(host, path, {
      command: options.command,
      replace: true,
      limits: { maxOutputBytes: options.outputLimit },
    });
  } catch (error) {
    const err = error as NodeJS.ErrnoException;
    throw new CliError(
      `cannot write the recording ${path || options.out}: ${err.code ?? ''} ${err.message}`.trim(),
      2,
    );
  }
}

/** `forkscope record`: returns the exit status to leave with. */
export async function record(args: string[], entryUrl: string): Promise<number> {
  if (args[0] === '--help' || args[0] === '-h') {
    process.stdout.write(recordUsage);
    return 0;
  }
  const options = parseRecordArgs(args);
  const paths = appPaths(entryUrl, options.logDir);
  let logDir: string;
  try {
    logDir = openLogSession(paths.logRoot);
  } catch (error) {
    if (!(error instanceof LogFolderError)) throw error;
    throw new CliError(`${error.message}. Choose another folder with --log-dir.`, 2);
  }
  pruneLogSessions(paths.logRoot, logDir);
  const host = createHost({ appRoot: paths.appRoot, logDir });
  host.killEverythingOnCrash();
  const recorder = openRecorder(host, options);
  const passthrough = new Passthrough(host.engine);

  let runId: string | null = null;
  let interrupted: number | null = null;
  const stopRun = (how: 'terminate' | 'kill') => {
    if (runId === null) return;
    void (how === 'kill' ? host.engine.kill(runId) : host.engine.terminate(runId)).catch(() => {});
  };
  // Ctrl-C reaches only us (the program leads its own process group): we stop its whole tree.
  // A second one does not wait for the grace period.
  const onSignal = (signal: NodeJS.Signals, status: number) => () => {
    const again = interrupted !== null;
    interrupted ??= status;
    stopRun(again ? 'kill' : 'terminate');
    if (!again)
      process.stderr.write(
        `\nforkscope: ${signal}: stopping ${options.command[0]} and everything it started…\n`,
      );
  };
  process.on('SIGINT', onSignal('SIGINT', 130));
  process.on('SIGTERM', onSignal('SIGTERM', 143));
  process.on('SIGHUP', onSignal('SIGHUP', 129));
  passthrough.onBrokenPipe = () => {
    interrupted ??= 141;
    stopRun('terminate');
  };

  const [program, ...programArgs] = options.command as [string, ...string[]];
  const started = await host.engine.launch({
    program,
    args: programArgs,
    shell: false,
    closeStdin: false,
    lens: options.lens ? 'auto' : 'off',
    label: options.command.join(' ').slice(0, 120),
  });
  runId = started.id;
  if (interrupted !== null) stopRun('terminate');
  if (started.state === 'failed') {
    // Nothing ran: say why in one line, as a shell would, and leave no empty recording behind.
    passthrough.stop();
    await recorder.stop();
    rmSync(recorder.path, { force: true });
    await host.shutdown();
    throw new CliError(started.error?.message ?? `${program} could not start.`, shellStatus(started));
  }
  passthrough.follow(runId);
  host.engine.system.tracker.track(runId);
  await host.engine.join(runId);
  // The lens's last events (exiting workers) arrive just after the run ends.
  const deadline = Date.now() + 2000;
  while (host.engine.python.session(runId)?.finished === false && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  passthrough.stop();
  const ended = host.engine.run(runId).snapshot();
  const status = interrupted ?? shellStatus(ended);
  const end = await recorder.stop({ exitStatus: status });
  await host.shutdown();
  const note = recorder.error
    ? ` (incomplete: ${recorder.error})`
    : end.droppedEvents > 0
      ? ' (size budget reached)'
      : '';
  process.stderr.write(`forkscope: recording written to ${recorder.path}${note}\n`);
  return status;
}
