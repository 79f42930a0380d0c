/** Every error that crosses the bridge carries one of these codes and a sentence a person can act on. */
export const errorCodes = [
  'invalid-params',
  'unknown-method',
  'bad-frame',
  'payload-too-large',
  'not-found',
  'command-not-found',
  'permission-denied',
  'bad-cwd',
  'invalid-argument',
  'argument-list-too-long',
  'stdin-closed',
  'already-exited',
  'timeout',
  'refused',
  'degraded',
  'empty',
  'full',
  'closed',
  'unavailable',
  'internal',
  'task-failed',
  'worker-died',
  'cancelled',
] as const;

export type ErrorCode = (typeof errorCodes)[number];

export interface ErrorInfo {
  readonly code: ErrorCode;
  readonly message: string;
}

/** Thrown by handlers and the engine; the dispatcher turns it into an error frame as it is. */
export class ForkscopeError extends Error implements ErrorInfo {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ForkscopeError';
  }

  toJSON(): ErrorInfo {
    return { code: this.code, message: this.message };
  }
}

export function isForkscopeError(value: unknown): value is ForkscopeError {
  return value instanceof ForkscopeError;
}

/**
 * The one place an error becomes what crosses a boundary (a response frame, a reply to a forked
 * child): a ForkscopeError as it is; anything else is a bug, told to `onInternal` and named
 * `internal` with the sentence `context` begins.
 */
export function toErrorInfo(
  error: unknown,
  context: string,
  onInternal?: (error: unknown) => void,
): ErrorInfo {
  if (isForkscopeError(error)) return error.toJSON();
  onInternal?.(error);
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'internal', message: `${context}: ${message}` };
}
