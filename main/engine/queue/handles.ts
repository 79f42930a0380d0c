/** What a program writes in a Process's JSON args: `{ "$queue": "q1" }` or `{ "$pipe": "p1", "end": 0 }`. */
export type QueueHandleRef = { $queue: string };
export type PipeHandleRef = { $pipe: string; end: 0 | 1 };

/**
 * The same handles once the engine has bound them. The broker's address and secret travel in the
 * child's environment (never in args, which are shown in labels).
 */
export interface BoundQueueHandle {
  $queue: string;
  ref: number;
  maxsize: number;
  joinable: boolean;
}
export interface BoundPipeHandle {
  $pipe: string;
  end: 0 | 1;
  sendRef: number;
  recvRef: number;
}

export const brokerPathEnv = 'FORKSCOPE_QUEUE_BROKER';
export const brokerSecretEnv = 'FORKSCOPE_QUEUE_SECRET';
/** The broker's spill folder for large items (spill.ts); absent where there is none. */
export const brokerSpillEnv = 'FORKSCOPE_QUEUE_SPILL';

export function isQueueHandle(value: unknown): value is QueueHandleRef {
  return typeof value === 'object' && value !== null && typeof (value as QueueHandleRef).$queue === 'string';
}

export function isPipeHandle(value: unknown): value is PipeHandleRef {
  return typeof value === 'object' && value !== null && typeof (value as PipeHandleRef).$pipe === 'string';
}

/** Rebuilds JSON args with every handle replaced (arrays and plain objects are walked, a few levels deep). */
export function mapHandles(
  value: unknown,
  map: (handle: QueueHandleRef | PipeHandleRef) => unknown,
  depth = 0,
): unknown {
  if (isQueueHandle(value) || isPipeHandle(value)) return map(value);
  if (depth > 8 || typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((entry) => mapHandles(entry, map, depth + 1));
  // fromEntries defines properties, so a key named "__proto__" stays a key (assignment would set the prototype).
  return Object.fromEntries(
    Object.entries(value).map(([key, entry]) => [key, mapHandles(entry, map, depth + 1)]),
  );
}
