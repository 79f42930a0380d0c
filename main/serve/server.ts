import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { maxFrameBytes } from '../../contract/frames';
import { apiPath } from '../../contract/transport';
import type { Host } from '../api/host';
import { newToken, ServeGuard } from './guard';
import { isLogRequest, serveLog, serveStatic } from './static-files';
import { serveClient } from './ws-client';

export interface ServeOptions {
  host: Host;
  rendererDir: string;
  bindHost?: string;
  port?: number;
  token?: string;
}

export interface RunningServer {
  url: string;
  port: number;
  token: string;
  server: Server;
  close(): Promise<void>;
}

/** Frames past this are refused with an error; far past it, the socket is closed (ws's own guard). */
const hardFrameLimit = maxFrameBytes * 4;

/** The path of a request line as sent, without its query: compared as is, never normalised. */
function pathOf(url: string | undefined): string {
  return (url ?? '').split('?', 1)[0]!;
}

/** Serve mode: the built renderer over HTTP and the API over a WebSocket, on loopback, behind a token. */
export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const bindHost = options.bindHost ?? '127.0.0.1';
  const token = options.token ?? newToken();
  const guard = new ServeGuard(token, bindHost);

  const logPathOf = (runId: string, stream: 'stdout' | 'stderr') =>
    options.host.engine.logPath(runId, stream);
  const server = createServer((request, response) => {
    if (!guard.hostAllowed(request)) {
      response.writeHead(421, { 'Content-Type': 'text/plain' }).end('Misdirected request: unknown Host.');
      return;
    }
    const served = isLogRequest(request.url)
      ? serveLog(logPathOf, (token) => guard.tokenMatches(token), request, response)
      : serveStatic(options.rendererDir, request, response);
    served.catch(() => {
      if (!response.headersSent) response.writeHead(400).end();
      else response.destroy();
    });
  });
  const sockets = new WebSocketServer({
    noServer: true,
    maxPayload: hardFrameLimit,
    handleProtocols: (protocols) => guard.tokenFrom(protocols) ?? false,
    // One message per turn of the event loop: each answer is sent (and counted against the
    // client's budget) before the next request of a burst is handled, not all held at once.
    allowSynchronousEvents: false,
  });

  server.on('upgrade', (request, socket, head) => {
    const refuse = (status: number, why: string) => {
      socket.end(`HTTP/1.1 ${status} ${why}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (!guard.hostAllowed(request)) return refuse(421, 'Misdirected Request');
    if (pathOf(request.url) !== apiPath) return refuse(404, 'Not Found');
    if (!guard.originAllowed(request)) return refuse(403, 'Forbidden Origin');
    const offered = new Set(
      (request.headers['sec-websocket-protocol'] ?? '')
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean),
    );
    if (!guard.tokenValid(guard.tokenFrom(offered))) return refuse(401, 'Unauthorized');
    sockets.handleUpgrade(request, socket, head, (ws) => sockets.emit('connection', ws, request));
  });

  sockets.on('connection', (ws: WebSocket) => serveClient(ws, options.host));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, bindHost, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  guard.listeningOn(port);
  const urlHost = bindHost.includes(':') ? `[${bindHost}]` : bindHost;

  return {
    url: `http://${urlHost}:${port}/#token=${token}`,
    port,
    token,
    server,
    async close() {
      for (const client of sockets.clients) client.terminate();
      sockets.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
