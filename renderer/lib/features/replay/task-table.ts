import type { ReplayPool } from './replay-model';

const columns = [
  'pool',
  'task',
  'call',
  'state',
  'worker_pid',
  'lane',
  'submitted',
  'started',
  'ended',
  'wait_ms',
  'duration_ms',
  'attempts',
  'exit_code',
  'error',
];

const iso = (t: number | null) => (t === null ? '' : new Date(t).toISOString());
const ms = (from: number | null, to: number | null) =>
  from === null || to === null ? '' : (to - from).toFixed(1);

/**
 * A pool's task table, one row per task in submission order, as CSV (RFC 4180 quoting) or TSV
 * (tabs and line breaks in a field become spaces). Times are ISO 8601; waits (submitted →
 * started) and durations in milliseconds.
 */
export function taskTable(pool: ReplayPool, format: 'csv' | 'tsv'): string {
  const field =
    format === 'csv'
      ? (value: string) => (/[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value)
      : (value: string) => value.replace(/[\t\r\n]/g, ' ');
  const separator = format === 'csv' ? ',' : '\t';
  const rows = [columns];
  for (const task of pool.tasks) {
    rows.push([
      pool.record.id,
      String(task.id),
      task.label,
      task.state,
      task.pid === null ? '' : String(task.pid),
      task.lane === null ? '' : String(task.lane + 1),
      iso(task.queuedAt),
      iso(task.startedAt),
      iso(task.endedAt),
      ms(task.queuedAt, task.startedAt),
      ms(task.startedAt, task.endedAt),
      String(task.attempts),
      task.exitcode === null ? '' : String(task.exitcode),
      task.error ?? '',
    ]);
  }
  return rows.map((row) => row.map(field).join(separator)).join('\r\n') + '\r\n';
}
