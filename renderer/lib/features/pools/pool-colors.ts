import type { TaskState } from '../../../../contract';
import type { LegendItem } from '../../components/Legend.svelte';

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

/** What the Gantt chart's colours mean: one bar per task, on the lane of the worker (or slot) that ran it. */
export const ganttLegend: LegendItem[] = [
  { color: 'var(--accent)', label: 'running', meaning: 'a task running now, from its start to the present' },
  { color: 'var(--ok)', label: 'done', meaning: 'a task that returned, from its start to its end' },
  { color: 'var(--danger)', label: 'failed', meaning: 'a task that raised, or whose worker died under it' },
  {
    color: 'var(--warn)',
    label: 'cancelled',
    meaning: 'a task cancelled (or never run: the pool was terminated)',
  },
  { color: 'var(--muted)', label: 'queued', meaning: 'a task given to a worker that has not started it yet' },
];
