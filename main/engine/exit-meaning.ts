import { constants } from 'node:os';
import type { ExitInfo } from '../../contract';
import { uncaughtMeaning, type Uncaught } from './uncaught';

type StopCause = ExitInfo['stoppedBy'];

const signalMeanings: Record<string, string> = {
  SIGTERM: 'asked to stop (SIGTERM)',
  SIGKILL: 'killed outright (SIGKILL cannot be caught)',
  SIGINT: 'interrupted (SIGINT, as Ctrl-C)',
  SIGHUP: 'hung up (SIGHUP: its terminal or parent went away)',
  SIGQUIT: 'quit (SIGQUIT)',
  SIGSEGV: 'crashed: segmentation fault (SIGSEGV, a bad memory access)',
  SIGABRT: 'aborted itself (SIGABRT, often a failed assertion)',
  SIGBUS: 'crashed: bus error (SIGBUS)',
  SIGFPE: 'crashed: arithmetic error (SIGFPE)',
  SIGILL: 'crashed: illegal instruction (SIGILL)',
  SIGPIPE: 'wrote to a closed pipe (SIGPIPE)',
  SIGALRM: 'its alarm went off (SIGALRM)',
  SIGUSR1: 'got SIGUSR1',
  SIGUSR2: 'got SIGUSR2',
  SIGXCPU: 'ran out of CPU time (SIGXCPU)',
};

const codeMeanings: Record<number, string> = {
  0: 'success',
  1: 'failed (1: a general error, by convention)',
  2: 'failed (2: by convention, wrong usage or serious trouble)',
  126: 'found but could not be executed (126: permission or format)',
  127: 'command not found (127)',
};

const causeWords: Record<NonNullable<StopCause>, string> = {
  terminate: 'by Terminate',
  kill: 'by Kill',
  timeout: 'after its timeout',
  shutdown: 'when Forkscope stopped',
};

export function signalNumber(signal: string): number {
  return (constants.signals as Record<string, number>)[signal] ?? 0;
}

function signalName(number: number): string | undefined {
  return Object.entries(constants.signals).find(([, value]) => value === number)?.[0];
}

/**
 * The exit of a process as Python reports it (negative signal numbers) with a sentence that
 * explains it; a failure after an uncaught exception (found in its stderr) says so instead.
 */
export function describeExit(
  code: number | null,
  signal: string | null,
  stoppedBy: StopCause,
  uncaught: Uncaught | null = null,
): ExitInfo {
  const by = stoppedBy ? ` ${causeWords[stoppedBy]}` : '';
  if (signal) {
    const meaning = signalMeanings[signal] ?? `stopped by ${signal}`;
    return { code, signal, exitcode: -signalNumber(signal), meaning: `${meaning}${by}`, stoppedBy };
  }
  if (code === null) {
    // The process is gone but how it ended was lost with the process that started it.
    return { code, signal, exitcode: null, meaning: 'ended, but its exit status is unknown', stoppedBy };
  }
  const exitcode = code;
  if (uncaught && exitcode !== 0 && !stoppedBy) {
    return { code, signal, exitcode, meaning: uncaughtMeaning(uncaught), stoppedBy, uncaught };
  }
  let meaning = codeMeanings[exitcode];
  if (!meaning && exitcode > 128 && exitcode < 128 + 65) {
    const name = signalName(exitcode - 128);
    meaning = name ? `a child of it died of ${name} (${exitcode} = 128 + ${exitcode - 128})` : undefined;
  }
  meaning ??= `failed with exit code ${exitcode}`;
  return { code, signal, exitcode, meaning: `${meaning}${by}`, stoppedBy };
}
