import { ForkscopeError, type ErrorCode } from './errors';
import type { EventFrame, RequestFrame, ResponseFrame, ServerFrame } from './frames';
import type { EventName, EventPayload, MethodInput, MethodName, MethodOutput } from './index';

/** What a transport must do for the client: send a frame, and deliver frames from the other side. */
export interface ClientTransport {
  send(frame: RequestFrame): void;
  onFrame(listener: (frame: ServerFrame) => void): () => void;
  /** Where the connection can end (a WebSocket), every call still waiting fails then with `reason`. */
  onClose?(listener: (reason: string) => void): void;
  /** Where the connection can open again (a WebSocket), the client subscribes anew then, first. */
  onOpen?(listener: () => void): void;
}

export type Listener<E extends EventName> = (payload: EventPayload<E>) => void;

export interface ForkscopeClient {
  call<M extends MethodName>(method: M, params: MethodInput<M>): Promise<MethodOutput<M>>;
  on<E extends EventName>(name: E, listener: Listener<E>): () => void;
  /** Fails every call still waiting (the connection is gone). */
  failPending(message: string): void;
}

/** The typed client, the same over Electron IPC and WebSocket. Responses are trusted: they come from our own main. */
export function createClient(transport: ClientTransport): ForkscopeClient {
  let nextId = 1;
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  const listeners = new Map<string, Set<(payload: unknown) => void>>();

  function failAll(error: ForkscopeError) {
    for (const waiter of pending.values()) waiter.reject(error);
    pending.clear();
  }

  function settle(frame: ResponseFrame) {
    if (frame.id === null) {
      // An error the server could not pin on one request (it could not read the frame): any of the
      // waiting calls may be the one it meant, and none would ever be answered otherwise.
      if (!frame.ok) failAll(new ForkscopeError(frame.error.code as ErrorCode, frame.error.message));
      return;
    }
    const waiter = pending.get(frame.id);
    if (!waiter) return;
    pending.delete(frame.id);
    if (frame.ok) waiter.resolve(frame.result);
    else waiter.reject(new ForkscopeError(frame.error.code as ErrorCode, frame.error.message));
  }

  function emit(frame: EventFrame) {
    for (const listener of listeners.get(frame.name) ?? []) listener(frame.payload);
  }

  /**
   * The host sends a connection only the events it subscribed to: an event is subscribed while it
   * has a listener here. A refusal is not the listener's business (the connection may be gone).
   */
  function subscription(method: 'events.subscribe' | 'events.unsubscribe', names: EventName[]) {
    if (names.length > 0) call(method, { names }).catch(() => {});
  }

  function call<M extends MethodName>(method: M, params: MethodInput<M>): Promise<MethodOutput<M>> {
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      transport.send({ t: 'req', id, method, params });
    });
  }

  transport.onFrame((frame) => (frame.t === 'res' ? settle(frame) : emit(frame)));
  transport.onClose?.((reason) => failAll(new ForkscopeError('unavailable', reason)));
  transport.onOpen?.(() => subscription('events.subscribe', [...listeners.keys()] as EventName[]));

  return {
    call,
    on(name, listener) {
      let set = listeners.get(name);
      if (!set) {
        listeners.set(name, (set = new Set()));
        subscription('events.subscribe', [name]);
      }
      const own = set;
      own.add(listener as (payload: unknown) => void);
      return () => {
        if (!own.delete(listener as (payload: unknown) => void) || own.size > 0) return;
        listeners.delete(name);
        subscription('events.unsubscribe', [name]);
      };
    },
    failPending(message) {
      failAll(new ForkscopeError('unavailable', message));
    },
  };
}
