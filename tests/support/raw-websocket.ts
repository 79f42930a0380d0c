/**
 * A WebSocket client made by hand on a `net` socket, for probes a well-behaved client cannot make:
 * one that stops reading, or sends frames no library would. Loopback only.
 */
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { apiPath, tokenProtocolPrefix } from '../../contract/transport';

/** Opens the API socket (the handshake is read to its end) and returns it paused: nothing more is read. */
export async function openRawSocket(port: number, token: string, path = apiPath): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.write(
    [
      `GET ${path} HTTP/1.1`,
      `Host: 127.0.0.1:${port}`,
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
      'Sec-WebSocket-Version: 13',
      `Sec-WebSocket-Protocol: ${tokenProtocolPrefix}${token}`,
      '',
      '',
    ].join('\r\n'),
  );
  const head = await new Promise<string>((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (!text.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      socket.pause();
      resolve(text);
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.once('close', () => resolve(text));
  });
  if (!head.startsWith('HTTP/1.1 101')) {
    socket.destroy();
    throw new Error(`the upgrade was refused: ${head.split('\r\n')[0]}`);
  }
  // A stalled client is not an error for the test process: a reset from the server is expected.
  socket.on('error', () => {});
  return socket;
}

/** One masked text frame, as every client must send (RFC 6455 §5.3). */
export function textFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  const length = payload.length;
  const header =
    length < 126
      ? Buffer.from([0x81, 0x80 | length])
      : length < 65536
        ? Buffer.from([0x81, 0x80 | 126, length >> 8, length & 0xff])
        : Buffer.concat([Buffer.from([0x81, 0x80 | 127, 0, 0, 0, 0]), u32(length)]);
  const mask = randomBytes(4);
  for (let index = 0; index < length; index++) payload[index]! ^= mask[index % 4]!;
  return Buffer.concat([header, mask, payload]);
}

function u32(value: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value);
  return out;
}

/** Status code of a refused upgrade on `path`, or 101 when it was accepted. */
export async function upgradeStatus(port: number, token: string, path: string): Promise<number> {
  try {
    const socket = await openRawSocket(port, token, path);
    socket.destroy();
    return 101;
  } catch (error) {
    const match = /HTTP\/1\.1 (\d{3})/.exec((error as Error).message);
    return match ? Number(match[1]) : 0;
  }
}
