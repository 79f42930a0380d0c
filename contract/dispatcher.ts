import { ForkscopeError, toErrorInfo, type ErrorInfo } from './errors';
import { maxFrameBytes, requestFrame, type ResponseFrame } from './frames';
import {
  isMethodName,
  methods,
  type EventName,
  type MethodName,
  type MethodOutput,
  type MethodParsedInput,
} from './index';

/** What a handler knows of the call beside its input. */
export interface CallContext {
  /** Aborted when the connection that made the call goes away: a waiting handler should stop waiting. */
  signal: AbortSignal;
  /** The run that made the call, when a forked child made it (its calls start processes of its own). */
  caller?: string;
  /** The connection's event subscriptions (absent where no events are sent, as to a child). */
  subscriptions?: {
    add(names: readonly EventName[]): void;
    remove(names: readonly EventName[]): void;
  };
}

export type Handler<M extends MethodName> = (
  input: MethodParsedInput<M>,
  context: CallContext,
) => Promise<MethodOutput<M>> | MethodOutput<M>;

/** A handler for every method allowed (all of them by default): a missing one is a compile error. */
export type Handlers<M extends MethodName = MethodName> = { [K in M]: Handler<K> };

const detached: CallContext = { signal: new AbortController().signal };

export interface DispatcherOptions<M extends MethodName = MethodName> {
  /** Told about errors that are not ForkscopeErrors: bugs, to be logged by the host. */
  onInternalError?: (method: string, error: unknown) => void;
  /**
   * The only methods this dispatcher answers (a forked child's few); any other contract method is
   * refused as unknown. Default: every method of the contract.
   */
  allow?: readonly M[];
}

/** A call answered: its result, or its error as `{code, message}`. */
export type Answer = { ok: true; result: unknown } | { ok: false; error: ErrorInfo };

/**
 * The id of a request that cannot be parsed (too large, cut short), read from its first bytes, so
 * the caller's own call fails rather than waits. Only a top-level id before any nested value is
 * trusted, as `{"t":"req","id":7,...` (the order the client writes): an "id" inside params is never taken.
 */
function leadingId(text: string): number | null {
  const match = /^\s*\{\s*(?:"t"\s*:\s*"req"\s*,\s*)?"id"\s*:\s*(\d{1,15})\s*[,}]/.exec(text.slice(0, 200));
  return match ? Number(match[1]) : null;
}

/**
 * Turns raw frames (text from a WebSocket, values from IPC) into handler calls.
 * Input is validated here, once, with the contract's schema; handlers get typed, valid input.
 */
export function createDispatcher<M extends MethodName = MethodName>(
  handlers: NoInfer<Handlers<M>>,
  options: DispatcherOptions<M> = {},
) {
  const allowed = options.allow ? new Set<string>(options.allow) : null;

  async function call(name: string, params: unknown, context: CallContext = detached): Promise<unknown> {
    if (!isMethodName(name) || (allowed && !allowed.has(name)))
      throw new ForkscopeError('unknown-method', `There is no method named "${name}".`);
    const parsed = parseInput(name, params);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      const where = first && first.path.length > 0 ? ` (at ${first.path.join('.')})` : '';
      throw new ForkscopeError(
        'invalid-params',
        `Invalid parameters for ${name}: ${first?.message ?? 'rejected'}${where}.`,
      );
    }
    const handler = (handlers as Record<string, (input: unknown, context: CallContext) => unknown>)[name]!;
    return await handler(parsed.data, context);
  }

  function parseInput(name: MethodName, params: unknown) {
    try {
      return methods[name].input.safeParse(params);
    } catch (error) {
      // A value nested deeper than the stack allows: the caller's mistake, answered, not logged as a bug.
      if (error instanceof RangeError) {
        throw new ForkscopeError(
          'invalid-params',
          `Invalid parameters for ${name}: they are nested too deeply.`,
        );
      }
      throw error;
    }
  }

  function errorOf(name: string, error: unknown): ErrorInfo {
    return toErrorInfo(error, `Forkscope failed while handling ${name}`, (bug) =>
      options.onInternalError?.(name, bug),
    );
  }

  /** A call whose outcome is a value either way: the result, or the error as `{code, message}`. */
  async function answer(name: string, params: unknown, context: CallContext = detached): Promise<Answer> {
    try {
      return { ok: true, result: (await call(name, params, context)) ?? null };
    } catch (error) {
      return { ok: false, error: errorOf(name, error) };
    }
  }

  /** Handles one frame already decoded from its transport's encoding. */
  async function handleFrame(frame: unknown, context: CallContext = detached): Promise<ResponseFrame> {
    const request = requestFrame.safeParse(frame);
    if (!request.success) {
      const id = typeof (frame as { id?: unknown })?.id === 'number' ? (frame as { id: number }).id : null;
      return {
        t: 'res',
        id,
        ok: false,
        error: { code: 'bad-frame', message: 'A request needs {t:"req", id, method, params}.' },
      };
    }
    const { id, method, params } = request.data;
    return { t: 'res', id, ...(await answer(method, params, context)) };
  }

  /** Handles one text frame: size and JSON are checked before anything else. */
  async function handleText(text: string, context: CallContext = detached): Promise<ResponseFrame> {
    if (text.length > maxFrameBytes) {
      return {
        t: 'res',
        id: leadingId(text),
        ok: false,
        error: { code: 'payload-too-large', message: `A request may be at most ${maxFrameBytes} bytes.` },
      };
    }
    let frame: unknown;
    try {
      frame = JSON.parse(text);
    } catch {
      return {
        t: 'res',
        id: leadingId(text),
        ok: false,
        error: { code: 'bad-frame', message: 'A request must be JSON.' },
      };
    }
    return handleFrame(frame, context);
  }

  return { call, answer, handleFrame, handleText };
}
