import { signalNumber } from '../exit-meaning';
import type { PoolBase } from './pool-base';
import type { Task } from './task';

const seconds = (ms: number) => (ms / 1000).toFixed(3);
const clean = (text: string) => text.replace(/[\t\n\r]/g, ' ');

function signalOf(task: Task): number {
  const match = /signal (SIG[A-Z0-9]+)/.exec(task.failure?.message ?? '');
  return match ? signalNumber(match[1]!) : 0;
}

function exitval(task: Task): number {
  if (task.exitcode !== null) return task.exitcode < 0 ? 0 : task.exitcode;
  return task.state === 'done' ? 0 : 1;
}

/** The pid that ran it, with its host for distributed pools (`host:pid`, as parallel's Host column). */
function workerOf(task: Task): string | number {
  const host = task.summary().host;
  return host ? `${host}:${task.pid ?? '?'}` : (task.pid ?? '-');
}

/**
 * A job log as GNU parallel's --joblog writes it (tab-separated, one line per finished task, in
 * the order they finished — input order with keep-order): Seq, Worker (pid), Starttime (epoch
 * seconds), JobRuntime (seconds), Exitval, Signal, Command (the argv, or target(args)).
 */
export function jobLog(pool: PoolBase): string {
  const rows = ['Seq\tWorker\tStarttime\tJobRuntime\tExitval\tSignal\tCommand'];
  for (const task of pool.logOrder()) {
    if (task.startedAt === null) continue;
    const runtime = (task.endedAt ?? Date.now()) - task.startedAt;
    const signal = task.exitcode !== null && task.exitcode < 0 ? -task.exitcode : signalOf(task);
    const command = task.command ? task.label() : `${task.target}(${clean(JSON.stringify(task.payload))})`;
    rows.push(
      [
        task.id,
        workerOf(task),
        seconds(task.startedAt),
        seconds(runtime),
        exitval(task),
        signal,
        clean(command),
      ].join('\t'),
    );
  }
  return rows.join('\n') + '\n';
}

interface TraceEvent {
  name: string;
  cat?: string;
  ph: 'X' | 'M' | 'i';
  ts?: number;
  dur?: number;
  pid: number;
  tid: number;
  s?: 't';
  args?: Record<string, unknown>;
}

/**
 * The pool's timeline in Chrome's Trace Event format (Perfetto and chrome://tracing open it):
 * one thread per lane (worker pid or job slot), one complete event ("X") per task, timestamps
 * in microseconds.
 */
export function chromeTrace(pool: PoolBase): string {
  const record = pool.record();
  const pid = 1;
  const events: TraceEvent[] = [
    { name: 'process_name', ph: 'M', pid, tid: 0, args: { name: `${record.label} (${record.id})` } },
  ];
  for (const lane of record.lanes) {
    const name =
      record.kind === 'command'
        ? `slot ${lane.lane + 1}`
        : lane.host !== undefined
          ? `${lane.host} · agent ${lane.pid ?? '?'} · lane ${lane.lane + 1}`
          : `worker ${lane.lane + 1} · pid ${lane.pid ?? '?'}`;
    events.push({ name: 'thread_name', ph: 'M', pid, tid: lane.lane + 1, args: { name } });
    events.push({
      name: 'thread_sort_index',
      ph: 'M',
      pid,
      tid: lane.lane + 1,
      args: { sort_index: lane.lane },
    });
  }
  for (const task of pool.tasks) {
    if (task.startedAt === null || task.lane === null) continue;
    const end = task.endedAt ?? Date.now();
    events.push({
      name: task.label(),
      cat: task.state,
      ph: 'X',
      ts: Math.round(task.startedAt * 1000),
      dur: Math.max(1, Math.round((end - task.startedAt) * 1000)),
      pid,
      tid: task.lane + 1,
      args: {
        task: task.id,
        state: task.state,
        pid: task.pid,
        ...(task.summary().host ? { host: task.summary().host } : {}),
        attempts: task.attempts,
        ...(task.failure ? { error: task.failure.message } : {}),
      },
    });
  }
  return JSON.stringify({ traceEvents: events, displayTimeUnit: 'ms' });
}
