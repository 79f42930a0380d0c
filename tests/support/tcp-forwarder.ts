import { connect, createServer } from 'node:net';

/**
 * A TCP forwarder on a free loopback port to `port`: stands for `ssh -L LOCAL:127.0.0.1:PORT
 * server`, the tunnel a host is reached through (`via`).
 */
export async function startTcpForwarder(port: number): Promise<{ port: number; close(): void }> {
  const server = createServer((socket) => {
    const upstream = connect(port, '127.0.0.1');
    socket.pipe(upstream).pipe(socket);
    socket.on('error', () => upstream.destroy());
    upstream.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, close: () => server.close() };
}
