import { m } from '../../i18n/messages';

/** Splits a command line into argv: spaces separate, quotes group, as a shell would (no expansions). */
export function splitArgv(line: string): string[] {
  const argv: string[] = [];
  let current = '';
  let quote: string | null = null;
  let started = false;
  for (const char of line) {
    if (quote) {
      if (char === quote) quote = null;
      else current += char;
    } else if (char === '"' || char === "'") {
      quote = char;
      started = true;
    } else if (/\s/.test(char)) {
      if (started || current) argv.push(current);
      current = '';
      started = false;
    } else {
      current += char;
    }
  }
  if (started || current) argv.push(current);
  return argv;
}

/** One JSON value per line; a line that is not JSON is taken as a string. */
export function parseItems(text: string): unknown[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
    .map((line) => {
      try {
        return JSON.parse(line) as unknown;
      } catch {
        return line;
      }
    });
}

/** Built-in functions (main/engine/examples/programs/pool-tasks.js and pool-demo.js), each told in the UI's language. */
export const builtins = [
  { target: '@examples/pool-tasks.js#square', label: m.pool_builtin_square, sample: 'range' },
  { target: '@examples/pool-tasks.js#work', label: m.pool_builtin_work, sample: 'range' },
  { target: '@examples/pool-demo.js#longTimeTask', label: m.pool_builtin_long_time_task, sample: 'range' },
  { target: '@examples/pool-tasks.js#fib', label: m.pool_builtin_fib, sample: 'range' },
  { target: '@examples/pool-tasks.js#chatter', label: m.pool_builtin_chatter, sample: 'range' },
  { target: '@examples/pool-tasks.js#fail', label: m.pool_builtin_fail, sample: 'range' },
  { target: '@examples/pool-tasks.js#crash', label: m.pool_builtin_crash, sample: 'range' },
] as const;

/** An argv as a shell command line (the inverse of splitArgv): arguments that need it are single-quoted. */
export function joinArgv(argv: readonly string[]): string {
  return argv
    .map((arg) =>
      arg === '' ? "''" : /^[\w@%+=:,./{}-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`,
    )
    .join(' ');
}
