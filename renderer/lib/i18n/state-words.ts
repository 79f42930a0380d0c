import { m } from './messages';

/**
 * The engine's state names (a contract enum, kept in English in records, CSS classes and tests'
 * data attributes) as words in the current language. A state this renderer does not know (a
 * newer engine's) is shown as the engine names it.
 */
const words: Record<string, () => string> = {
  unstarted: m.state_run_unstarted,
  exited: m.state_run_exited,
  signalled: m.state_run_signalled,
  unsubmitted: m.state_task_unsubmitted,
  queued: m.state_task_queued,
  running: m.state_task_running,
  done: m.state_task_done,
  failed: m.state_task_failed,
  cancelled: m.state_task_cancelled,
  alive: m.state_lane_alive,
  zombie: m.state_lane_zombie,
  ended: m.state_lane_ended,
};

/** A run's, a task's or a process lane's state: "running" is 运行中, "done" is 已完成. */
export function stateWord(state: string): string {
  return Object.hasOwn(words, state) ? words[state]!() : state;
}
