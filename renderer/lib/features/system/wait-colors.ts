import { processWaitKind, type ProcessWaitKind } from '../../../../contract/system';
import type { LegendItem } from '../../components/Legend.svelte';

/** What a process waited for, as the colour of its lane (theme variables: both themes work). */
export const waitColors: Record<ProcessWaitKind, { color: string; label: string; meaning: string }> = {
  running: { color: 'var(--ok)', label: 'running', meaning: 'on a CPU, or ready to run' },
  child: {
    color: 'var(--ansi-magenta)',
    label: 'waits for a child',
    meaning: 'in waitpid/wait4/waitid (or Process.join, Popen.wait): waiting for a child to exit',
  },
  read: {
    color: 'var(--accent)',
    label: 'waits to read',
    meaning: 'blocked reading a pipe, socket or terminal (or Queue.get): nothing to read yet',
  },
  write: {
    color: 'var(--ansi-cyan)',
    label: 'waits to write',
    meaning: 'blocked writing: the pipe is full (or Queue.put on a full queue)',
  },
  poll: {
    color: 'var(--ansi-yellow)',
    label: 'waits on several',
    meaning: 'in poll/select/epoll: waiting for any of several descriptors (an event loop)',
  },
  lock: {
    color: 'var(--danger)',
    label: 'waits on a lock',
    meaning: 'a futex, semaphore or file lock held by someone else',
  },
  sleep: {
    color: 'var(--muted)',
    label: 'sleeping',
    meaning: 'in nanosleep/clock_nanosleep: asleep for a set time',
  },
  signal: {
    color: 'var(--ansi-bright-black)',
    label: 'waits for a signal',
    meaning: 'in pause/sigsuspend/sigtimedwait',
  },
  disk: {
    color: 'var(--warn)',
    label: 'disk or device',
    meaning: 'uninterruptible wait in the kernel (state D)',
  },
  stopped: {
    color: 'var(--ansi-black)',
    label: 'stopped',
    meaning: 'stopped by SIGSTOP, job control or a debugger',
  },
  zombie: { color: 'var(--warn)', label: 'exited', meaning: 'exited, not yet collected' },
  other: {
    color: 'var(--surface-3)',
    label: 'other',
    meaning: 'in another system call (the details name it)',
  },
};

/** The descendant lanes' legend: the wait colours seen, then the marks. */
export function laneLegend(kinds: Iterable<ProcessWaitKind>): LegendItem[] {
  const seen = new Set(kinds);
  const order = processWaitKind.options.filter((kind) => kind !== 'zombie');
  return [
    ...order
      .filter((kind) => seen.has(kind))
      .map((kind) => ({
        color: waitColors[kind].color,
        label: waitColors[kind].label,
        meaning: waitColors[kind].meaning,
      })),
    {
      color: 'var(--accent-soft)',
      label: 'alive, not sampled yet',
      meaning: 'the process lives; what it waits for is read on a budget, a moment later',
    },
    {
      color: 'var(--warn)',
      hatched: true,
      label: 'zombie',
      meaning: `exited, but its parent did not collect its exit status for longer than a moment (250 ms): the hatched tail runs until it was collected, or to the end of the run if it never was`,
    },
    {
      color: null,
      mark: '┃',
      label: 'run',
      meaning: 'the run’s own process (the root of the tree), drawn first',
    },
    {
      color: null,
      mark: '⤷',
      label: 'exec',
      meaning:
        'the process replaced its program (a shim, sh -c, env): its lane is named after what it became',
    },
  ];
}
