import type { ChildCallMethod, FromChild, ToChild } from '../runner-protocol';

/**
 * What a child forked by Forkscope can ask of the engine, as `globalThis.forkscope`:
 * a Process may start Processes of its own and join them, as Python's can.
 */
export interface ForkscopeChildApi {
  call(method: ChildCallMethod, params: unknown): Promise<unknown>;
}

export function installChildApi(): ForkscopeChildApi {
  let nextCallId = 1;
  const waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  process.on('message', (message: ToChild) => {
    if (message?.$forkscope !== 'reply') return;
    const waiter = waiting.get(message.callId);
    waiting.delete(message.callId);
    if (message.ok) waiter?.resolve(message.result);
    else waiter?.reject(Object.assign(new Error(message.error.message), { code: message.error.code }));
  });
  const api: ForkscopeChildApi = {
    call(method, params) {
      const callId = nextCallId++;
      return new Promise((resolve, reject) => {
        waiting.set(callId, { resolve, reject });
        process.send?.({ $forkscope: 'call', callId, method, params } satisfies FromChild);
      });
    },
  };
  (globalThis as { forkscope?: ForkscopeChildApi }).forkscope = api;
  return api;
}
