import { z } from 'zod';
import type { TaskSummary } from './pools';

/**
 * A recording's compact form of a `pools.tasks` batch (format version 2): one entry named
 * `recording.taskColumns` whose payload holds the batch column by column instead of one object
 * per task. Task summaries are uniform, so the keys are written once, a column holding one value
 * is written once, and integer columns (ids, times, pids) are written as differences from the
 * previous non-null value. A 5,000-task batch is about a quarter of the bytes of its objects and
 * is made in about half the time, and the gzip stream behind it does a quarter of the work: on a
 * busy pool these are most of what recording costs. Readers turn it back into the `pools.tasks`
 * event it was, by name, before anything else sees it (see {@link decodeTaskColumns}).
 */

export const taskColumnsEntry = 'recording.taskColumns';

/** One column: `{v}` the same value for every row, `{d}` integers as differences (null stays null), or the values. */
const column = z.union([
  z.array(z.unknown()),
  z.object({ d: z.array(z.number().int().nullable()) }),
  z.object({ v: z.unknown() }),
]);

const taskColumns = z
  .object({
    poolId: z.string(),
    /** How many rows (tasks). */
    n: z.number().int().min(0),
    // Set by assignment on plain objects: `__proto__` would be a prototype, not a key.
    fields: z.array(z.string().refine((field) => field !== '__proto__')),
    cols: z.array(column),
  })
  .refine(
    ({ n, fields, cols }) =>
      cols.length === fields.length &&
      cols.every((col) => (Array.isArray(col) ? col.length === n : 'd' in col ? col.d.length === n : true)),
    'each field has one column of n rows',
  );

type Row = Record<string, unknown>;

/** Within 2^52 either way, a difference is still an exact integer. */
const exactInteger = (value: unknown) =>
  typeof value === 'number' && Number.isSafeInteger(value) && value <= 2 ** 52 && value >= -(2 ** 52);

/**
 * One column's values as JSON: once when all are the same, as differences when all are integers
 * (or null), else as they are. Null when some values are undefined (a key some tasks lack).
 */
function columnJson(values: unknown[]): string | null {
  const first = values[0];
  let same = true;
  let integers = true;
  for (let at = 0; at < values.length; at++) {
    const value = values[at];
    if (value === undefined) return null;
    if (same && value !== first) same = false;
    if (integers && value !== null && !exactInteger(value)) integers = false;
  }
  if (same) return `{"v":${JSON.stringify(first)}}`;
  if (!integers) return JSON.stringify(values);
  let previous = 0;
  for (let at = 0; at < values.length; at++) {
    const value = values[at] as number | null;
    if (value === null) continue;
    values[at] = value - previous;
    previous = value;
  }
  return `{"d":${JSON.stringify(values)}}`;
}

/** A task summary's keys, in the order summaries are made; the optional ones last. */
export const taskColumnFields = [
  'id',
  'label',
  'input',
  'output',
  'state',
  'lane',
  'pid',
  'runId',
  'queuedAt',
  'startedAt',
  'endedAt',
  'attempts',
  'items',
  'exitcode',
  'error',
  'host',
  'tries',
] as const satisfies readonly (keyof TaskSummary)[];

const knownFields: ReadonlySet<string> = new Set(taskColumnFields);

/** Keys a summary may lack: their column is left out when every task lacks it. */
const optionalFields: ReadonlySet<string> = new Set(['input', 'output', 'host', 'tries']);

/**
 * The payload of a `recording.taskColumns` entry as JSON, or null when the batch cannot be
 * written exactly this way (a task lacking a key the others have): then it is recorded as the
 * event it is. The values are read with a precomputed shape, one plain property read each; a
 * key missing from {@link taskColumnFields} is caught by tests/unit/recording-columns.test.ts.
 */
export function encodeTaskColumns(poolId: string, tasks: readonly TaskSummary[]): string | null {
  const n = tasks.length;
  if (n === 0) return null;
  // Summaries are made by one method per pool kind: a key this list lacks shows on the first.
  for (const key in tasks[0]) if (!knownFields.has(key)) return null;
  const columns = taskColumnFields.map(() => new Array<unknown>(n));
  const [id, label, input, output, state, lane, pid, runId, queuedAt, startedAt, endedAt] = columns;
  const [attempts, items, exitcode, error, host, tries] = columns.slice(11);
  for (let at = 0; at < n; at++) {
    const task = tasks[at]!;
    id![at] = task.id;
    label![at] = task.label;
    input![at] = task.input;
    output![at] = task.output;
    state![at] = task.state;
    lane![at] = task.lane;
    pid![at] = task.pid;
    runId![at] = task.runId;
    queuedAt![at] = task.queuedAt;
    startedAt![at] = task.startedAt;
    endedAt![at] = task.endedAt;
    attempts![at] = task.attempts;
    items![at] = task.items;
    exitcode![at] = task.exitcode;
    error![at] = task.error;
    host![at] = task.host;
    tries![at] = task.tries;
  }
  const fields: string[] = [];
  const json: string[] = [];
  for (let index = 0; index < taskColumnFields.length; index++) {
    const field = taskColumnFields[index]!;
    const values = columns[index]!;
    if (values[0] === undefined && optionalFields.has(field) && values.every((value) => value === undefined))
      continue;
    const column = columnJson(values);
    if (column === null) return null;
    fields.push(field);
    json.push(column);
  }
  return `{"poolId":${JSON.stringify(poolId)},"n":${n},"fields":${JSON.stringify(fields)},"cols":[${json.join(',')}]}`;
}

/**
 * The `pools.tasks` payload a `recording.taskColumns` entry was made from, each task's keys in
 * their order; null for a payload that is not one.
 */
export function decodeTaskColumns(payload: unknown): { poolId: string; tasks: Row[] } | null {
  const parsed = taskColumns.safeParse(payload);
  if (!parsed.success) return null;
  const { poolId, n, fields, cols } = parsed.data;
  const tasks: Row[] = Array.from({ length: n }, () => ({}));
  fields.forEach((field, index) => {
    const col = cols[index]!;
    if (Array.isArray(col)) {
      for (let at = 0; at < n; at++) tasks[at]![field] = col[at];
    } else if ('d' in col) {
      let previous = 0;
      for (let at = 0; at < n; at++) {
        const delta = col.d[at]!;
        if (delta === null) tasks[at]![field] = null;
        else tasks[at]![field] = previous += delta;
      }
    } else {
      for (let at = 0; at < n; at++) tasks[at]![field] = col.v;
    }
  });
  return { poolId, tasks };
}
