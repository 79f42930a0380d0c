import { createClient, type ForkscopeClient } from '../../../contract/client';
import type { ServerFrame } from '../../../contract/frames';
import { apiPath, tokenProtocolPrefix } from '../../../contract/transport';

type Bridge = Pick<ForkscopeClient, 'call' | 'on'>;

/**
 * `unauthorized`: the page has no token in its address, or the server refuses it (serve mode
 * restarted with a new token, a mistyped address). Retrying cannot help until the address is fixed.
 */
export type ConnectionState = 'connecting' | 'open' | 'closed' | 'unauthorized';

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
  const closeListeners = new Set<(reason: string) => void>();
  const openListeners = new Set<() => void>();
  const queue: string[] = [];
  let socket: WebSocket | null = null;
  let retryMs = 250;
  let everOpened = false;

  let current: ConnectionState = 'connecting';
  const setState = (state: ConnectionState) => {
    current = state;
    stateListeners.forEach((listener) => listener(state));
  };

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
    onClose(listener) {
      closeListeners.add(listener);
    },
    onOpen(listener) {
      openListeners.add(listener);
    },
  });

  /**
   * A socket that closes before it opened, while the page's own server answers HTTP, was refused:
   * serve mode checks the token (and Origin) only on the WebSocket upgrade.
   */
  async function refused(): Promise<boolean> {
    if (everOpened) return false;
    try {
      const response = await fetch(location.pathname || '/', { method: 'HEAD', cache: 'no-store' });
      return response.ok;
    } catch {
      return false;
    }
  }

  function open() {
    // A refused page keeps saying so while it retries, rather than flickering to “connecting”.
    if (current !== 'unauthorized') setState('connecting');
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${apiPath}`;
    const ws = new WebSocket(url, [tokenProtocolPrefix + token]);
    socket = ws;
    ws.onopen = () => {
      retryMs = 250;
      everOpened = true;
      // A new socket is a new connection: it is sent no event until the client subscribes again.
      openListeners.forEach((listener) => listener());
      setState('open');
      for (const text of queue.splice(0)) ws.send(text);
    };
    ws.onmessage = (message) => {
      const frame = JSON.parse(String(message.data)) as ServerFrame;
      frameListeners.forEach((listener) => listener(frame));
    };
    ws.onclose = (event) => {
      // Requests waiting to be sent were just reported as failed: they must never be sent later.
      queue.length = 0;
      const why = event.reason ? ` (${event.reason})` : '';
      closeListeners.forEach((listener) => listener(`The connection to Forkscope was lost${why}.`));
      // Whatever closed it (a restart, or the server's budget for a page that stopped reading), the
      // retry below reopens it and every store loads its lists again on open: nothing stays missed.
      void refused().then((wasRefused) => {
        setState(wasRefused ? 'unauthorized' : 'closed');
        // Still retried (slowly when refused): the right server may come back on this address.
        setTimeout(open, wasRefused ? 5000 : retryMs);
        retryMs = Math.min(retryMs * 2, 5000);
      });
    };
  }
  // A token pasted or corrected in the address bar takes effect without a manual reload.
  addEventListener('hashchange', () => {
    if ((new URLSearchParams(location.hash.slice(1)).get('token') ?? '') !== token) location.reload();
  });
  if (token) {
    open();
  } else {
    // Without a token the server refuses every socket: say so instead of retrying forever.
    queueMicrotask(() => setState('unauthorized'));
  }

  return { client, kind: 'browser', onState: (listener) => stateListeners.add(listener) };
}
