import type { CallContext } from '../../contract/dispatcher';
import type { ServerFrame } from '../../contract/frames';
import type { Host } from './host';

/**
 * One client of the API over any transport: requests in, responses and events out, only the
 * events it subscribed to (`events.subscribe`). Transports call `receiveText` (WebSocket) or
 * `receiveFrame` (IPC, already structured).
 */
export function openConnection(host: Host, send: (frame: ServerFrame) => void) {
  let open = true;
  const cancel = new AbortController();
  const subscribed = new Set<string>();
  const context: CallContext = {
    signal: cancel.signal,
    subscriptions: {
      add: (names) => names.forEach((name) => subscribed.add(name)),
      remove: (names) => names.forEach((name) => subscribed.delete(name)),
    },
  };
  const deliver = (frame: ServerFrame) => open && send(frame);
  const unsubscribe = host.subscribe(
    (name, payload) => subscribed.has(name) && deliver({ t: 'evt', name, payload }),
  );
  return {
    receiveText: async (text: string) => deliver(await host.dispatcher.handleText(text, context)),
    receiveFrame: async (frame: unknown) => deliver(await host.dispatcher.handleFrame(frame, context)),
    close() {
      open = false;
      cancel.abort();
      unsubscribe();
    },
  };
}
