import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../support/engine';

export const launcher = join(projectRoot, 'bin', 'forkscope.mjs');

export interface CliResult {
  status: number | null;
  stdout: Buffer;
  stderr: string;
  stderrBytes: Buffer;
  pid: number;
}

/** A folder for a test's recordings and logs (removed after the run by require-build). */
export function tempFolder(): string {
  return mkdtempSync(join(tmpdir(), 'forkscope-test-cli-'));
}

/** Runs `forkscope …` as a user would, through the bin launcher; `onStart` may signal it. */
export function runCli(
  args: string[],
  options: {
    cwd: string;
    input?: Buffer;
    /** Added to (over) this process's environment, e.g. a PATH with a shim first. */
    env?: Record<string, string>;
    onStart?: (pid: number, stdout: () => string) => void;
  },
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [launcher, ...args], {
      cwd: options.cwd,
      env: { ...process.env, XDG_STATE_HOME: join(options.cwd, 'state'), ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (status) =>
      resolve({
        status,
        stdout: Buffer.concat(out),
        stderr: Buffer.concat(err).toString(),
        stderrBytes: Buffer.concat(err),
        pid: child.pid!,
      }),
    );
    if (options.input) child.stdin.end(options.input);
    else child.stdin.end();
    options.onStart?.(child.pid!, () => Buffer.concat(out).toString());
  });
}

/** `forkscope report FILE --json`, parsed. */
export async function reportOf(file: string, cwd: string) {
  const result = await runCli(['report', file, '--json'], { cwd });
  if (result.status !== 0) throw new Error(`report failed (${result.status}): ${result.stderr}`);
  return JSON.parse(result.stdout.toString()) as import('../../main/recording/report').Report;
}
