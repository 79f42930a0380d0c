import { connect, type ConnectionState } from './transport/connect';

const connection = connect();

/** The typed API client, the same in the desktop app and in a browser. */
export const api = connection.client;

class ConnectionStatus {
  state = $state<ConnectionState>('connecting');
  /** How many times the connection opened: 1 at start, more after reconnects. */
  opens = $state(0);
  readonly kind = connection.kind;
}

export const connectionStatus = new ConnectionStatus();

// Plain callbacks, not state: nothing renders from this set.
// eslint-disable-next-line svelte/prefer-svelte-reactivity
const openListeners = new Set<(reconnected: boolean) => void>();

connection.onState((state) => {
  connectionStatus.state = state;
  if (state !== 'open') return;
  connectionStatus.opens++;
  for (const listener of openListeners) listener(connectionStatus.opens > 1);
});

/**
 * Runs `listener` every time the connection opens (now, if it is already open): stores load
 * their lists there, and reload them after a reconnect since events were missed meanwhile.
 */
export function onConnectionOpen(listener: (reconnected: boolean) => void): () => void {
  openListeners.add(listener);
  if (connectionStatus.state === 'open') listener(connectionStatus.opens > 1);
  return () => openListeners.delete(listener);
}
