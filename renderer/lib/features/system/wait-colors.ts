import { processWaitKind, type ProcessWaitKind } from '../../../../contract/system';
import { formatDuration } from '../../components/format';
import type { LegendItem } from '../../components/Legend.svelte';
import { m } from '../../i18n/messages';

/**
 * What a process waited for, as the colour of its lane (theme variables: both themes work), and
 * its name and meaning in the current language (functions: they are said when drawn).
 */
export const waitColors: Record<
  ProcessWaitKind,
  { color: string; label: () => string; meaning: () => string }
> = {
  running: { color: 'var(--ok)', label: m.wait_running, meaning: m.wait_running_meaning },
  child: { color: 'var(--ansi-magenta)', label: m.wait_child, meaning: m.wait_child_meaning },
  read: { color: 'var(--accent)', label: m.wait_read, meaning: m.wait_read_meaning },
  write: { color: 'var(--ansi-cyan)', label: m.wait_write, meaning: m.wait_write_meaning },
  poll: { color: 'var(--ansi-yellow)', label: m.wait_poll, meaning: m.wait_poll_meaning },
  lock: { color: 'var(--danger)', label: m.wait_lock, meaning: m.wait_lock_meaning },
  sleep: { color: 'var(--muted)', label: m.wait_sleep, meaning: m.wait_sleep_meaning },
  signal: { color: 'var(--ansi-bright-black)', label: m.wait_signal, meaning: m.wait_signal_meaning },
  disk: { color: 'var(--warn)', label: m.wait_disk, meaning: m.wait_disk_meaning },
  stopped: { color: 'var(--ansi-black)', label: m.wait_stopped, meaning: m.wait_stopped_meaning },
  zombie: { color: 'var(--warn)', label: m.wait_zombie, meaning: m.wait_zombie_meaning },
  other: { color: 'var(--surface-3)', label: m.wait_other, meaning: m.wait_other_meaning },
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
        label: waitColors[kind].label(),
        meaning: waitColors[kind].meaning(),
      })),
    { color: 'var(--accent-soft)', label: m.wait_unsampled(), meaning: m.wait_unsampled_meaning() },
    {
      color: 'var(--warn)',
      hatched: true,
      label: m.wait_zombie_tail(),
      meaning: m.wait_zombie_tail_meaning({ ms: formatDuration(250) }),
    },
    { color: null, mark: '┃', label: m.wait_run_mark(), meaning: m.wait_run_mark_meaning() },
    { color: null, mark: '⤷', label: m.wait_exec_mark(), meaning: m.wait_exec_mark_meaning() },
  ];
}
