import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, Socket, type SocketConstructorOpts } from 'node:net';
import { join } from 'node:path';
import { ForkscopeError } from '../../../../contract/errors';
import { ownTempDir, releaseTempDir, tempDirPrefix } from '../../containment/temp-dirs';
import { FrameReader, FrameWriter, SlabReader, type OnFrame } from '../framing';
import { makeSpillDir, SpillStore } from '../spill';
import {
  Frame,
  isSpilled,
  itemsFrameHead,
  readAck,
  readCall,
  readGet,
  readGiveBack,
  readHello,
  readPut,
  readPutWait,
  writeError,
  writeItems,
  writeNotice,
  writeRecall,
  writeReply,
  WireError,
  type BrokerAddress,
  type QueueCall,
} from '../wire';
import type { BrokeredQueue, Holder } from '../queue';

export interface BrokerHooks {
  queueByRef(ref: number): BrokeredQueue | undefined;
  /** The actor (a run, or a bare pid) behind a connecting child. */
  actorForPid(pid: number): number;
  holderGone(holder: Holder): void;
}

/**
 * Serves queue clients on a Unix domain socket (a named pipe on Windows). One connection per
 * child process; every queue that child holds is multiplexed on it.
 */
export class QueueBroker {
  readonly address: BrokerAddress;
  /** Where producers write large items (tmpfs), or null: every item travels inline. */
  readonly spill: SpillStore | null;
  private readonly server: Server;
  private readonly dir: string | null;
  private readonly connections = new Set<Connection>();
  private listening: Promise<void> | null = null;

  constructor(private readonly hooks: BrokerHooks) {
    const secret = randomBytes(16).toString('hex');
    if (process.platform === 'win32') {
      this.dir = null;
      this.address = { path: `\\\\.\\pipe\\forkscope-queues-${process.pid}-${secret.slice(0, 8)}`, secret };
    } else {
      // A private folder (mode 0700): only this user can reach the socket; the secret checks the rest.
      // Named after this process: if it dies without removing it, the watchdog or the next start does.
      this.dir = mkdtempSync(tempDirPrefix('q'));
      ownTempDir(this.dir);
      this.address = { path: join(this.dir, 'broker.sock'), secret };
    }
    const spillDir = makeSpillDir(`forkscope-q-${process.pid}-`);
    if (spillDir) ownTempDir(spillDir);
    this.spill = spillDir ? new SpillStore(spillDir) : null;
    this.server = createServer({ pauseOnConnect: true }, (accepted) => {
      const connection = new Connection(accepted, this.hooks, secret, this.spill);
      this.connections.add(connection);
      connection.socket.once('close', () => this.connections.delete(connection));
    });
    this.server.unref();
  }

  listen(): Promise<void> {
    return (this.listening ??= new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.address.path, () => resolve());
    }));
  }

  /**
   * Settles once every connection of process `pid` is closed and read to its end, so what that
   * process put before it exited is in its queues before anyone hears that it ended (a put made
   * after a join must not overtake it). Connections still unnamed are awaited until they say who they are.
   */
  async closedFor(pid: number): Promise<void> {
    const named = await Promise.all([...this.connections].map((connection) => connection.named));
    await Promise.all(
      [...this.connections].filter((_, index) => named[index] === pid).map((connection) => connection.closed),
    );
  }

  stop(): void {
    for (const connection of this.connections) connection.destroy();
    this.server.close();
    if (this.spill) {
      this.spill.stop();
      releaseTempDir(this.spill.dir);
    }
    if (this.dir) {
      rmSync(this.dir, { recursive: true, force: true });
      releaseTempDir(this.dir);
    }
  }
}

/** A lease is sent in parts of about this size. */
const partBytes = 128 * 1024;
/** Items this large on average are written from their own buffers rather than copied. */
const directItemBytes = 4096;

/**
 * The accepted socket, reading in place into the slab pool (see `SlabReader`): `net.Server` has no
 * `onread` option, so the accepted handle (paused on connect, nothing read yet) is wrapped in a
 * socket that has one, as `net.Socket` does for a handle it is given. Where the handle cannot be
 * reached, the socket's own 'data' chunks are parsed instead (`FrameReader`).
 */
function readInPlace(accepted: Socket, onFrame: OnFrame, afterRead: () => void): Socket {
  const handle = (accepted as unknown as { _handle?: object | null })._handle;
  if (handle) {
    const reader = new SlabReader(onFrame);
    let socket: Socket | null = null;
    let refused = false;
    // A frame too large to be one (a peer that does not speak this protocol) ends the connection;
    // whatever is still read lands in scratch space and is ignored.
    const refuse = () => {
      refused = true;
      socket?.destroy();
      return Buffer.allocUnsafe(64);
    };
    const options = {
      handle,
      onread: {
        buffer: () => {
          if (refused) return Buffer.allocUnsafe(64);
          try {
            return reader.buffer();
          } catch {
            return refuse();
          }
        },
        callback: (n: number) => {
          if (refused) return false;
          try {
            reader.landed(n);
          } catch {
            refuse();
            return false;
          }
          afterRead();
          return true;
        },
      },
    };
    socket = new Socket(options as SocketConstructorOpts);
    return socket;
  }
  const reader = new FrameReader(onFrame);
  accepted.on('data', (chunk: Buffer) => {
    try {
      reader.push(chunk);
    } catch {
      accepted.destroy();
    }
    afterRead();
  });
  accepted.resume();
  return accepted;
}

class Connection implements Holder {
  actor = -1;
  readonly leasing = true;
  readonly socket: Socket;
  private greeted = false;
  private readonly writer = new FrameWriter(256 * 1024);
  private readonly touched = new Set<BrokeredQueue>();
  private readonly refs = new Set<number>();
  private flushQueued = false;
  private gone = false;
  /** Spill writers this connection's process wrote with: done writing once it closes. */
  private readonly writers = new Set<number>();
  /** Spilled items of puts waiting for room: their segments are kept until they are in or refused. */
  private readonly pinned = new Set<Buffer>();
  private onNamed: (pid: number | null) => void = () => {};
  private onClosed: () => void = () => {};
  /** The pid the connection said it belongs to (null if it closed before saying so). */
  readonly named = new Promise<number | null>((resolve) => (this.onNamed = resolve));
  /** Closed, every byte it sent handled. */
  readonly closed = new Promise<void>((resolve) => (this.onClosed = resolve));

  constructor(
    accepted: Socket,
    private readonly hooks: BrokerHooks,
    private readonly secret: string,
    private readonly spill: SpillStore | null,
  ) {
    const socket = readInPlace(
      accepted,
      (type, body) => this.onFrame(type, body),
      () => this.settle(),
    );
    this.socket = socket;
    socket.on('error', () => {});
    socket.once('close', () => this.onClose());
  }

  destroy(): void {
    this.socket.destroy();
  }

  private onClose(): void {
    this.gone = true;
    this.onNamed(null);
    this.onClosed();
    if (this.greeted) this.hooks.holderGone(this);
    for (const item of this.pinned) this.spill?.release(item);
    this.pinned.clear();
    for (const writer of this.writers) this.spill?.writerGone(writer);
  }

  /** A spilled item's segment is known before the item is kept (the put itself may still be refused). */
  private arrived(item: Buffer): void {
    if (!isSpilled(item)) return;
    if (!this.spill) throw new WireError('a spilled item where there is no spill folder');
    this.writers.add(this.spill.arrived(item));
  }

  /** After a chunk: waiting getters are served once, so a burst of puts leaves in batches. */
  private settle(): void {
    const t = Date.now();
    for (const queue of this.touched) {
      queue.serve();
      queue.touch(t);
    }
    this.touched.clear();
    this.flush();
  }

  private flush(): void {
    this.flushQueued = false;
    if (this.writer.length === 0 || this.gone) return;
    const chunk = this.writer.take();
    this.socket.write(chunk, () => this.writer.written(chunk));
  }

  private later(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    setImmediate(() => this.flush());
  }

  private queue(ref: number): BrokeredQueue {
    const queue = this.hooks.queueByRef(ref);
    if (!queue) throw new ForkscopeError('not-found', `There is no queue with reference ${ref}.`);
    return queue;
  }

  private onFrame(type: number, body: Buffer): void {
    if (this.gone) return;
    try {
      this.handleFrame(type, body);
    } catch {
      this.socket.destroy();
    }
  }

  private handleFrame(type: number, body: Buffer): void {
    if (!this.greeted) {
      const hello = type === Frame.hello ? readHello(body) : null;
      if (!hello || hello.secret !== this.secret) {
        this.socket.destroy();
        return;
      }
      this.greeted = true;
      this.onNamed(hello.pid);
      this.actor = this.hooks.actorForPid(hello.pid);
      const t = Date.now();
      for (const ref of hello.refs) {
        const queue = this.hooks.queueByRef(ref);
        if (!queue) continue;
        this.refs.add(ref);
        queue.participant(this.actor, t).holdsHandle = true;
        this.touched.add(queue);
      }
      return;
    }
    switch (type) {
      case Frame.put: {
        const { ref, item } = readPut(body);
        this.arrived(item);
        try {
          const queue = this.queue(ref);
          queue.accept(this.actor, item, Date.now());
          this.touched.add(queue);
        } catch (error) {
          this.notice(ref, error as ForkscopeError);
        }
        return;
      }
      case Frame.putWait: {
        const put = readPutWait(body);
        this.arrived(put.item);
        // The item may wait for room: it gets bytes of its own rather than hold a slab.
        const item = Buffer.from(put.item);
        const pinned = this.spill !== null && isSpilled(item);
        if (pinned) {
          this.spill.retain(item);
          this.pinned.add(item);
        }
        const unpin = () => {
          if (pinned && this.pinned.delete(item)) this.spill!.release(item);
        };
        this.guard(put.req, () =>
          this.queue(put.ref).put(
            this,
            item,
            put.block,
            put.timeoutMs,
            (id) => {
              unpin();
              this.reply(put.req, { id });
            },
            (error) => {
              unpin();
              this.error(put.req, error);
            },
          ),
        );
        // No such queue: refused before it could wait, and no callback unpins it.
        if (!this.hooks.queueByRef(put.ref)) unpin();
        return;
      }
      case Frame.get: {
        const get = readGet(body);
        this.guard(get.req, () =>
          this.queue(get.ref).get(
            this,
            get.block,
            get.timeoutMs,
            get.want,
            (ids, items) => this.sendItems(get.req, get.ref, ids, items),
            (error) => this.error(get.req, error),
          ),
        );
        return;
      }
      case Frame.ack: {
        const { ref, ids } = readAck(body);
        this.hooks.queueByRef(ref)?.ack(this, ids, Date.now());
        return;
      }
      case Frame.giveBack: {
        const { ref, ids } = readGiveBack(body);
        this.hooks.queueByRef(ref)?.giveBack(this, ids);
        return;
      }
      case Frame.call: {
        const { req, call } = readCall(body);
        this.guard(req, () => this.onCall(req, call));
        return;
      }
      default:
        this.socket.destroy();
    }
  }

  private onCall(req: number, call: QueueCall): void {
    const queue = this.queue(call.ref);
    const timeout = call.timeoutMs === undefined || call.timeoutMs < 0 ? -1 : call.timeoutMs;
    switch (call.op) {
      case 'qsize':
        return this.reply(req, queue.depth);
      case 'empty':
        return this.reply(req, queue.depth === 0);
      case 'full':
        return this.reply(req, queue.full);
      case 'taskDone':
        queue.taskDone(this.actor);
        return this.reply(req, null);
      case 'join':
        return queue.join(
          this,
          timeout,
          () => this.reply(req, null),
          (error) => this.error(req, error),
        );
      case 'poll':
        // poll() without a timeout answers at once; a negative timeout waits for as long as it takes.
        return queue.poll(this, call.timeoutMs ?? 0, (ready) => this.reply(req, ready));
      case 'close': {
        const who = queue.participants.get(this.actor);
        if (who) who.holdsHandle = false;
        queue.touch(Date.now());
        return this.reply(req, null);
      }
      default:
        throw new ForkscopeError('unknown-method', `A queue client cannot ask for "${call.op}".`);
    }
  }

  private guard(req: number, work: () => void): void {
    try {
      work();
    } catch (error) {
      this.error(req, error as ForkscopeError);
    }
  }

  recall(queue: BrokeredQueue): void {
    writeRecall(this.writer, queue.options.ref);
    this.later();
  }

  /**
   * A lease leaves in parts of about `partBytes`, so the child hands out the first items while the
   * rest are on their way. A part of large items is written as its header and the items' own
   * buffers (one writev, no copy); small items are copied into the writer's chunk.
   */
  private sendItems(req: number, ref: number, ids: number[], items: Buffer[]): void {
    if (this.gone) return;
    const count = ids.length;
    let corked = false;
    for (let k = 0; k < count;) {
      let n = 0;
      let bytes = 0;
      while (k + n < count && (n === 0 || bytes < partBytes)) bytes += items[k + n++]!.length;
      const part = { req, ref, more: count - k - n };
      if (bytes >= n * directItemBytes) {
        if (!corked) {
          this.socket.cork();
          corked = true;
        }
        this.flush();
        this.socket.write(itemsFrameHead(part, ids, items, k, n, bytes));
        for (let j = 0; j < n; j++) this.socket.write(items[k + j]!);
      } else writeItems(this.writer, part, ids, items, k, n, bytes);
      k += n;
    }
    if (corked) {
      this.flush();
      this.socket.uncork();
    } else this.later();
  }

  private reply(req: number, value: unknown): void {
    writeReply(this.writer, req, value);
    this.later();
  }

  private error(req: number, error: ForkscopeError): void {
    writeError(this.writer, req, { code: error.code ?? 'internal', message: error.message });
    this.later();
  }

  private notice(ref: number, error: ForkscopeError): void {
    writeNotice(this.writer, ref, { code: error.code ?? 'internal', message: error.message });
    this.later();
  }
}
