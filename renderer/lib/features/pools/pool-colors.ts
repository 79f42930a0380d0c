import type { TaskState } from '../../../../contract';

/** Task states as colours, read from the theme so light and dark both work. */
export const stateVars: Record<TaskState, string> = {
  queued: '--muted',
  running: '--accent',
  done: '--ok',
  failed: '--danger',
  cancelled: '--warn',
};

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
