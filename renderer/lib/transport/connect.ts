import { createClient, type ForkscopeClient } from '../../../contract/client';
import type { ServerFrame } from '../../../contract/frames';
import { tokenProtocolPrefix } from '../../../contract/transport';

type Bridge = Pick<ForkscopeClient, 'call' | 'on'>;

export type ConnectionState = 'connecting' | 'open' | 'closed';

export interface Connection {
  client: Bridge;
  kind: 'desktop' | 'browser';
  onState(listener: (state: ConnectionState) => void): void;
}

/** The desktop app's preload exposes the client; in a browser (serve mode) it is built over a WebSocket. */
export function connect(): Connection {
  const bridge = (window as unknown as { forkscope?: Bridge }).forkscope;
  if (bridge) return { client: bridge, kind: 'desktop', onState: (listener) => listener('open') };
  return connectWebSocket();
}

function connectWebSocket(): Connection {
  const token = new URLSearchParams(location.hash.slice(1)).get('token') ?? '';
  const frameListeners = new Set<(frame: ServerFrame) => void>();
  const stateListeners = new Set<(state: ConnectionState) => void>();
  const queue: string[] = [];
  let socket: WebSocket | null = null;
  let retryMs = 250;

  const setState = (state: ConnectionState) => stateListeners.forEach((listener) => listener(state));

  const client = createClient({
    send(frame) {
      const text = JSON.stringify(frame);
      if (socket?.readyState === WebSocket.OPEN) socket.send(text);
      else queue.push(text);
    },
    onFrame(listener) {
      frameListeners.add(listener);
      return () => frameListeners.delete(listener);
    },
  });

  function open() {
    setState('connecting');
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api`;
    const ws = new WebSocket(url, [tokenProtocolPrefix + token]);
    socket = ws;
    ws.onopen = () => {
      retryMs = 250;
      setState('open');
      for (const text of queue.splice(0)) ws.send(text);
    };
    ws.onmessage = (message) => {
      const frame = JSON.parse(String(message.data)) as ServerFrame;
      frameListeners.forEach((listener) => listener(frame));
    };
    ws.onclose = () => {
      // Requests waiting to be sent were just reported as failed: they must never be sent later.
      queue.length = 0;
      client.failPending('The connection to Forkscope was lost.');
      setState('closed');
      setTimeout(open, retryMs);
      retryMs = Math.min(retryMs * 2, 5000);
    };
  }
  open();

  return { client, kind: 'browser', onState: (listener) => stateListeners.add(listener) };
}
