import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readRecording, RecordingError } from '../recording/reader';
import { CliError } from './cli-error';

export const openUsage = `Usage: forkscope open FILE [--port N] [--host H] [--log-dir DIR] [--no-browser]

Starts serve mode with the recording FILE and prints the address that replays it (the time
scrubber, compare and exports are in its Recordings view); opens it in the browser when there is
a display, unless --no-browser. Ctrl-C stops it.
`;

const valued = new Set(['--port', '--host', '--log-dir']);

function parse(args: string[]) {
  const files: string[] = [];
  const serveArgs: string[] = [];
  let browser = true;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--no-browser') browser = false;
    else if (valued.has(arg)) {
      const value = args[++i];
      if (value === undefined) throw new CliError(`${arg} needs a value (forkscope open --help).`, 2);
      serveArgs.push(arg, value);
    } else if (arg.startsWith('-')) throw new CliError(`unknown option ${arg} (forkscope open --help).`, 2);
    else files.push(arg);
  }
  if (files.length !== 1) throw new CliError('say which recording: forkscope open FILE', 2);
  return { file: files[0]!, serveArgs, browser };
}

/** Opens the address in the desktop's browser, if there is a desktop; a failure only means it is not opened. */
function openBrowser(url: string): void {
  const opener =
    process.platform === 'darwin'
      ? 'open'
      : process.platform === 'win32'
        ? null
        : process.env.DISPLAY || process.env.WAYLAND_DISPLAY
          ? 'xdg-open'
          : null;
  if (!opener) return;
  const child = spawn(opener, [url], { stdio: 'ignore', detached: true });
  child.on('error', () => {});
  child.unref();
}

/**
 * `forkscope open FILE`: the file is checked first (a foreign or newer file is refused as `report`
 * refuses it), then serve mode runs in a child process with `--open FILE`, its output passed on,
 * and the replay's address printed. The desktop app is not started from here: serve mode works
 * wherever Node does, with or without Electron and a display.
 */
export async function open(args: string[], entryUrl: string): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(openUsage);
    return 0;
  }
  const { file, serveArgs, browser } = parse(args);
  try {
    await readRecording(file);
  } catch (error) {
    if (error instanceof RecordingError) throw new CliError(error.message, 1);
    throw error;
  }
  const serveJs = join(dirname(fileURLToPath(entryUrl)), 'serve.js');
  const child = spawn(process.execPath, [serveJs, '--open', file, ...serveArgs], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const forward = (signal: NodeJS.Signals) => () => {
    if (child.exitCode === null) child.kill(signal);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, forward(signal));
  let pending = '';
  let shown = false;
  child.stdout.on('data', (chunk: Buffer) => {
    process.stdout.write(chunk);
    if (shown) return;
    pending += chunk.toString();
    const match = /^Replay of .*: (\S+)$/m.exec(pending);
    if (match) {
      shown = true;
      if (browser) openBrowser(match[1]!);
    }
  });
  return new Promise<number>((resolve, reject) => {
    child.on('error', (error) => reject(new CliError(`serve mode could not start: ${error.message}`, 1)));
    child.on('close', (code, signal) => resolve(code ?? 128 + (signal ? constants.signals[signal] : 0)));
  });
}
