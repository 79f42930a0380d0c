import { m } from '../i18n/messages';

/** Linux signal numbers as people know them (the renderer has no `os.constants`). */
const names: Record<number, string> = {
  1: 'SIGHUP',
  2: 'SIGINT',
  3: 'SIGQUIT',
  6: 'SIGABRT',
  9: 'SIGKILL',
  10: 'SIGUSR1',
  12: 'SIGUSR2',
  13: 'SIGPIPE',
  14: 'SIGALRM',
  15: 'SIGTERM',
  17: 'SIGCHLD',
  18: 'SIGCONT',
  19: 'SIGSTOP',
};

export function signalName(signal: number): string {
  return names[signal] ?? m.signal_number({ n: signal });
}

/** A Python exit code (Process.exitcode, Popen.returncode): negative means killed by that signal. */
export function describePythonExit(code: number | null): string {
  if (code === null) return m.python_exit_unseen();
  if (code < 0) return m.python_exit_killed({ signal: signalName(-code), code });
  return m.python_exit_code({ code });
}
