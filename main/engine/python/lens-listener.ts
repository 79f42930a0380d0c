import { randomBytes, timingSafeEqual } from 'node:crypto';
import { unlink } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { splitLines } from '../pool/worker-protocol';
import {
  helloEvent,
  maxLensLineChars,
  parseLensEvent,
  type HelloEvent,
  type LensEvent,
} from './lens-protocol';

export interface LensPeer {
  readonly hello: HelloEvent;
  /** Every event after the hello, already checked. */
  onEvent(event: LensEvent): void;
  /** A line that failed its schema: ignored, and counted. */
  onMalformed(): void;
  /** The process closed its end: it has exited (or exec'd another program). */
  onClose(): void;
}

/**
 * One run's lens endpoint: a Unix socket in a private 0700 folder. Each Python process of the run
 * opens one connection; a connection that does not start with the run's secret is closed unread.
 */
export class LensListener {
  readonly secret = randomBytes(24).toString('hex');
  readonly path: string;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  private constructor(
    dir: string,
    name: string,
    private readonly accept: (hello: HelloEvent) => Omit<LensPeer, 'hello'>,
  ) {
    this.path = join(dir, `${name}.sock`);
    this.server = createServer((socket) => this.serve(socket));
  }

  static async open(
    dir: string,
    name: string,
    accept: (hello: HelloEvent) => Omit<LensPeer, 'hello'>,
  ): Promise<LensListener> {
    const listener = new LensListener(dir, name, accept);
    await new Promise<void>((resolve, reject) => {
      listener.server.once('error', reject);
      listener.server.listen(listener.path, () => {
        listener.server.off('error', reject);
        resolve();
      });
    });
    return listener;
  }

  get connections(): number {
    return this.sockets.size;
  }

  private serve(socket: Socket): void {
    this.sockets.add(socket);
    socket.setEncoding('utf8');
    let peer: Omit<LensPeer, 'hello'> | null = null;
    const refuse = () => socket.destroy();
    const onLine = (line: string) => {
      if (!line) return;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        if (!peer) return refuse();
        return peer.onMalformed();
      }
      if (!peer) {
        const hello = helloEvent.safeParse(value);
        if (!hello.success || !this.secretMatches(hello.data.secret)) return refuse();
        peer = this.accept(hello.data);
        return;
      }
      const event = parseLensEvent(value);
      if (event) peer.onEvent(event);
      else peer.onMalformed();
    };
    socket.on('data', splitLines(onLine, { maxLineChars: maxLensLineChars, onOverflow: refuse }));
    socket.on('error', () => {});
    socket.on('close', () => {
      this.sockets.delete(socket);
      peer?.onClose();
    });
  }

  private secretMatches(offered: string): boolean {
    const a = Buffer.from(offered);
    const b = Buffer.from(this.secret);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  /** Stops listening; open connections are read to their end (the last events of exiting processes). */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await unlink(this.path).catch(() => {});
  }

  /** Ends every connection now (the run is gone). */
  destroy(): void {
    for (const socket of this.sockets) socket.destroy();
    this.server.close();
    void unlink(this.path).catch(() => {});
  }
}
