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
  return names[signal] ?? `signal ${signal}`;
}

/** A Python exit code (Process.exitcode, Popen.returncode): negative means killed by that signal. */
export function describePythonExit(code: number | null): string {
  if (code === null) return 'exit status not seen';
  if (code < 0) return `killed by ${signalName(-code)} (${code})`;
  return code === 0 ? 'exit code 0' : `exit code ${code}`;
}
