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
