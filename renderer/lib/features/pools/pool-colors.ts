import type { TaskState } from '../../../../contract';
import type { LegendItem } from '../../components/Legend.svelte';
import { m } from '../../i18n/messages';
import { stateWord } from '../../i18n/state-words';

/** Task states as colours, read from the theme so light and dark both work. */
export function stateColors(element: Element): Record<TaskState, string> {
  const style = getComputedStyle(element);
  const read = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
  return {
    queued: read('--muted', '#5b6474'),
    running: read('--accent', '#2563c9'),
    done: read('--ok', '#17804a'),
    failed: read('--danger', '#c0262f'),
    cancelled: read('--warn', '#9a5b00'),
  };
}

/**
 * What the Gantt chart's colours mean: one bar per task, on the lane of the worker (or slot) that
 * ran it; and the ✕ after an exited worker's lane name, when a lane has one.
 */
export function ganttLegend(workerExited = false): LegendItem[] {
  const exited: LegendItem[] = workerExited
    ? [{ color: null, mark: '✕', label: m.gantt_worker_exited(), meaning: m.gantt_worker_exited_meaning() }]
    : [];
  return [
    { color: 'var(--accent)', label: stateWord('running'), meaning: m.gantt_running_meaning() },
    { color: 'var(--ok)', label: stateWord('done'), meaning: m.gantt_done_meaning() },
    { color: 'var(--danger)', label: stateWord('failed'), meaning: m.gantt_failed_meaning() },
    { color: 'var(--warn)', label: stateWord('cancelled'), meaning: m.gantt_cancelled_meaning() },
    { color: 'var(--muted)', label: stateWord('queued'), meaning: m.gantt_queued_meaning() },
    ...exited,
  ];
}
