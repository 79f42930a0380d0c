import { connect, type ConnectionState } from './transport/connect';

const connection = connect();

/** The typed API client, the same in the desktop app and in a browser. */
export const api = connection.client;

class ConnectionStatus {
  state = $state<ConnectionState>('connecting');
  readonly kind = connection.kind;
}

export const connectionStatus = new ConnectionStatus();
connection.onState((state) => (connectionStatus.state = state));
