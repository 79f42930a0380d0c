import type { EventName, EventPayload, MethodInput, MethodName, MethodOutput } from '../../../../contract';
import type { HostClient } from './host-connection';

/**
 * A client for another host, relayed by this Forkscope's main process (hosts.call, hosts.subscribe,
 * hosts.event): the same `call` and `on` a store uses for this machine. An event is subscribed on
 * the other host while it has a listener here, as contract/client.ts does for this one.
 */
export function relayClient(
  local: HostClient,
  host: string,
  onLocalOpen: (listener: (reconnected: boolean) => void) => void,
): HostClient {
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  const subscription = (method: 'hosts.subscribe' | 'hosts.unsubscribe', names: string[]) => {
    if (names.length > 0) local.call(method, { host, names }).catch(() => {});
  };
  local.on('hosts.event', (event) => {
    if (event.host !== host) return;
    for (const listener of listeners.get(event.name) ?? []) listener(event.payload);
  });
  // A new connection to this Forkscope holds no relay yet (they end with the connection): ask again.
  onLocalOpen((reconnected) => reconnected && subscription('hosts.subscribe', [...listeners.keys()]));

  return {
    call<M extends MethodName>(method: M, params: MethodInput<M>): Promise<MethodOutput<M>> {
      // main/hosts checked the answer with this method's output schema.
      return local.call('hosts.call', { host, method, params }) as Promise<MethodOutput<M>>;
    },
    on<E extends EventName>(name: E, listener: (payload: EventPayload<E>) => void): () => void {
      let set = listeners.get(name);
      if (!set) {
        listeners.set(name, (set = new Set()));
        subscription('hosts.subscribe', [name]);
      }
      const own = set;
      const untyped = listener as (payload: unknown) => void;
      own.add(untyped);
      return () => {
        if (!own.delete(untyped) || own.size > 0) return;
        listeners.delete(name);
        subscription('hosts.unsubscribe', [name]);
      };
    },
  };
}
