/**
 * The Python lens's wire format: one JSON object per line, from each Python process to its run's
 * listener; the first line is `hello` with the run's secret. The Python side is
 * `lens/forkscope_lens/channel.py`. Every line is checked here: the program is the user's, but
 * whatever it sends is parsed like any other untrusted input.
 *
 * A busy queue's puts and gets come as `items` lines: one per run of the same kind on the same
 * queue, in named columns (each item's preview, and its time in µs after the line's `t`), so a
 * thousand items are one parse and one check, not a thousand.
 */
import { z } from 'zod';

/** The environment that carries the lens to every Python process of a run. */
export const lensEndpointEnv = 'FORKSCOPE_LENS';
export const lensSecretEnv = 'FORKSCOPE_LENS_SECRET';

/** A line longer than this ends the connection: the lens never sends one (its previews are short). */
export const maxLensLineChars = 1024 * 1024;

const maxTextChars = 10_000;
const pid = z.number().int();
const t = z.number();
const text = z.string().max(maxTextChars);
const argv = z.array(z.string().max(10_000)).max(64);
const inode = z.number().int().nonnegative();
const pool = inode;
const job = z.number().int().nonnegative();
/** Items in one `items` line at most (the lens sends up to 512). */
export const maxItemsPerLine = 4096;

/**
 * A column of an `items` line: checked by one plain loop, not a schema per element — the same
 * rule as `z.array(element).max(maxItemsPerLine)`, at a fraction of the cost on the hot path.
 */
function column<T>(what: string, isElement: (value: unknown) => value is T) {
  return z.custom<T[]>(
    (value) =>
      Array.isArray(value) &&
      value.length >= 1 &&
      value.length <= maxItemsPerLine &&
      value.every((element) => isElement(element)),
    `a list of 1 to ${maxItemsPerLine} ${what}`,
  );
}
const isPreview = (value: unknown): value is string =>
  typeof value === 'string' && value.length <= maxTextChars;
const errorInfo = z.object({ type: text, message: text, traceback: z.string().max(20_000) });

export const helloEvent = z.object({
  e: z.literal('hello'),
  secret: z.string().max(200),
  pid,
  ppid: pid,
  via: z.enum(['start', 'fork']),
  t,
  py: text,
  argv,
  exe: text.nullable(),
});
export type HelloEvent = z.infer<typeof helloEvent>;

const waitEvent = z.object({
  e: z.literal('wait'),
  t,
  kind: z.enum(['get', 'put', 'join', 'lock', 'event', 'recv', 'child']),
  what: text,
  on: z.union([pid, z.array(pid).max(1024)]).optional(),
  q: inode.optional(),
  end: inode.optional(),
  lock: z.union([z.string().max(200), z.number()]).optional(),
});

export const lensEvent = z.discriminatedUnion('e', [
  z.object({ e: z.literal('stats'), t, lost: z.number().int(), errors: z.number().int() }),
  z.object({ e: z.literal('fork'), t }),
  z.object({ e: z.enum(['exec', 'posix_spawn']), t, argv }),
  z.object({
    e: z.literal('signal'),
    t,
    target: pid,
    sig: z.number().int(),
    group: z.boolean(),
    via: text.nullable(),
  }),
  z.object({
    e: z.literal('proc.start'),
    t,
    child: pid,
    name: text,
    target: text.nullable(),
    method: text.nullable(),
    daemon: z.boolean(),
  }),
  z.object({ e: z.literal('proc.run'), t, name: text, target: text.nullable() }),
  z.object({ e: z.literal('proc.end'), t, code: z.number().int().nullable() }),
  z.object({ e: z.enum(['proc.exit', 'popen.exit', 'worker.exit']), t, child: pid, code: z.number().int() }),
  /** The process collected this child's exit through os.wait/waitpid/wait3/wait4/waitid. */
  z.object({ e: z.literal('reaped'), t, child: pid, code: z.number().int() }),
  z.object({ e: z.literal('popen'), t, child: pid, argv, cwd: text.nullable() }),
  z.object({
    e: z.literal('popen.fail'),
    t,
    argv,
    cwd: text.nullable(),
    error: errorInfo,
    errno: z.number().int().nullable(),
  }),
  waitEvent,
  z.object({ e: z.literal('wait.end'), t, kind: text, outcome: text.optional() }),
  z.object({
    e: z.literal('pool.new'),
    t,
    kind: z.enum(['Pool', 'ProcessPoolExecutor']),
    pool,
    size: z.number().int().min(0).max(100_000),
    initializer: text.nullable(),
    maxtasks: z.number().int().nullable(),
    method: text.nullable(),
    workers: z.array(pid).max(100_000),
  }),
  z.object({ e: z.literal('pool.workers'), t, pool, added: z.array(pid).max(100_000) }),
  z.object({ e: z.enum(['pool.close', 'pool.terminate', 'pool.join', 'worker.ready']), t, pool }),
  z.object({
    e: z.literal('task.submit'),
    t,
    pool,
    job,
    i: job,
    fn: text.nullable(),
    /** The task's label: `work(3)`, `work × 4`. */
    args: text,
    /** What it was given: the call's arguments (`3`), a chunk's items (`1, 2, 3`); previews. */
    input: text.nullable().optional(),
    items: z.number().int().nullable().optional(),
  }),
  z.object({
    e: z.literal('map.submit'),
    t,
    pool,
    job,
    fn: text.nullable(),
    chunks: z.number().int().min(0).max(10_000_000).nullable(),
    items: z.number().int().nullable(),
    chunksize: z.number().int().nullable(),
  }),
  z.object({
    e: z.literal('task.start'),
    t,
    pool,
    job,
    i: job,
    fn: text.nullable(),
    items: z.number().int().nullable(),
    args: text,
    input: text.nullable().optional(),
  }),
  z.object({
    e: z.literal('task.end'),
    t,
    pool,
    job,
    i: job,
    ok: z.boolean(),
    result: text.optional(),
    error: errorInfo.optional(),
  }),
  z.object({
    e: z.literal('queue.handle'),
    t,
    q: inode,
    kind: z.enum(['queue', 'joinable', 'simple']),
    maxsize: z.number().int(),
    /** A Manager()'s queue, used through proxies; its id is the queue's id in the manager's process. */
    managed: z.boolean().optional(),
  }),
  z.object({ e: z.enum(['put', 'get']), t, q: inode, item: text, blocked: z.number() }),
  z
    .object({
      e: z.literal('items'),
      kind: z.enum(['put', 'get']),
      t,
      q: inode,
      /** Each item's time, in µs after `t`. */
      us: column('whole numbers', Number.isSafeInteger as (value: unknown) => value is number),
      item: column('previews', isPreview),
    })
    .refine((items) => items.us.length === items.item.length, 'one time per item'),
  z.object({ e: z.literal('task_done'), t, q: inode }),
  z.object({ e: z.literal('pipe.new'), t, ends: z.array(inode.nullable()).length(2), duplex: z.boolean() }),
  z.object({ e: z.literal('send'), t, end: inode, item: text }),
  z.object({ e: z.literal('recv'), t, end: inode, item: text, blocked: z.number() }),
  z.object({ e: z.literal('lock.held'), t, lock: z.union([z.string().max(200), z.number()]), kind: text }),
  z.object({ e: z.literal('lock.released'), t, lock: z.union([z.string().max(200), z.number()]) }),
]);
export type LensEvent = z.infer<typeof lensEvent>;

/**
 * Each event kind's own schema, found by its `e` first: the same checks as `lensEvent`, without
 * trying the union (a queue loop sends one event per put and per get: this is the hot path).
 */
const schemaOf = new Map<string, z.ZodType<LensEvent>>();
for (const option of lensEvent.options) {
  const kind = option.shape.e;
  const names = kind instanceof z.ZodLiteral ? [...kind.values] : kind.options;
  for (const name of names) schemaOf.set(String(name), option as z.ZodType<LensEvent>);
}

/** One checked event, or null for a line that is not one. */
export function parseLensEvent(value: unknown): LensEvent | null {
  const kind = (value as { e?: unknown } | null)?.e;
  const schema = typeof kind === 'string' ? schemaOf.get(kind) : undefined;
  if (!schema) return null;
  const parsed = schema.safeParse(value);
  return parsed.success ? parsed.data : null;
}
export type LensEventOf<E extends LensEvent['e']> = Extract<LensEvent, { e: E }>;
