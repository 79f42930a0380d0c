/**
 * Runs inside a forked child: turns the bound queue and pipe handles in a Process's args into
 * objects with put/get (Python's Queue, JoinableQueue and Pipe, with promises), all multiplexed
 * on one socket to the broker in Forkscope's main process.
 *
 * Speed comes from three habits: puts on an unbounded queue are pipelined (written to a buffer
 * flushed once per turn of the event loop, as Python's feeder thread does); a get receives a batch
 * of items leased to this process, handed out one by one and acknowledged in batches; and items
 * travel as JSON text the broker never parses.
 */
import { connect, type Socket } from 'node:net';
import { FrameWriter, SlabReader, slabPool } from '../framing';
import { SpillReader, SpillWriter, spillMinChars } from '../spill';
import {
  decodeItem,
  Frame,
  ItemTag,
  maxItemBytes,
  putFrameBytes,
  readError,
  readItems,
  readNotice,
  readRecall,
  readReply,
  writeAck,
  writeCall,
  writeGet,
  writeGiveBack,
  writeHello,
  writePut,
  writePutWait,
  type BrokerAddress,
  type ItemOut,
  type ItemText,
  type QueueCall,
  type SpilledItem,
} from '../wire';
import {
  brokerPathEnv,
  brokerSecretEnv,
  brokerSpillEnv,
  isPipeHandle,
  isQueueHandle,
  mapHandles,
  type BoundPipeHandle,
  type BoundQueueHandle,
} from '../handles';

export interface BlockOptions {
  /** Wait for an item (get) or for room (put); false raises Empty/Full at once. Default true. */
  block?: boolean;
  /** Seconds, as Python's; or use timeoutMs. No timeout: wait for as long as it takes. */
  timeout?: number;
  timeoutMs?: number;
}

const errorNames: Record<string, string> = {
  empty: 'Empty',
  full: 'Full',
  closed: 'Closed',
  timeout: 'Timeout',
};

/** Raised by queue operations: `name` is Empty, Full, Closed or Timeout (as Python's exceptions), `code` the API's code. */
export class QueueError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = errorNames[code] ?? 'QueueError';
  }
}

const defaultWant = 4096;
/** How long an exiting process waits for the broker to read its last frames (as the engine waits). */
const closeWaitMs = 5_000;
const flushBytes = 256 * 1024;
const highWater = 4 * 1024 * 1024;

function timeoutOf(options: BlockOptions): number {
  if (options.block === false) return 0;
  if (options.timeoutMs !== undefined) return Math.max(0, options.timeoutMs);
  if (options.timeout !== undefined && options.timeout !== null) return Math.max(0, options.timeout * 1000);
  return -1;
}

/** The item's tag and text: a string as itself, anything else as JSON. */
function encode(item: unknown): ItemText {
  const isString = typeof item === 'string';
  const text = isString ? item : json(item);
  checkSize(text, isString);
  return [isString ? ItemTag.string : ItemTag.json, text];
}

/**
 * The broker drops a connection that sends a frame past its limit, so an item too large for it is
 * refused here, before a byte is written: the caller gets an error at once instead of waiting
 * for an answer that cannot come.
 */
function checkSize(text: string, isString: boolean): void {
  // UTF-8 takes at most 3 bytes per UTF-16 unit: only a long text needs counting.
  if (1 + text.length * 3 <= maxItemBytes) return;
  const bytes = 1 + Buffer.byteLength(text);
  if (bytes <= maxItemBytes) return;
  const mib = (n: number) => (n / 1024 / 1024).toFixed(1);
  throw new QueueError(
    'payload-too-large',
    `A queue item may be at most ${mib(maxItemBytes)} MiB; this one is ${mib(bytes)} MiB${isString ? '' : ' as JSON'}. Send it in parts, or put a file path in the queue instead.`,
  );
}

function json(item: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(item);
  } catch (error) {
    throw new QueueError('invalid-argument', `A queue item must be JSON: ${(error as Error).message}.`);
  }
  if (text === undefined) {
    throw new QueueError('invalid-argument', `A queue item must be a JSON value, not ${typeof item}.`);
  }
  return text;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  ref?: number;
}

/** One connection to the broker, shared by every handle of this process. */
class BrokerLink {
  private readonly socket: Socket;
  private readonly writer = new FrameWriter(4 * flushBytes);
  private readonly pending = new Map<number, Pending>();
  private readonly buffers = new Map<
    number,
    { ids: number[]; items: Buffer[]; head: number; batch: number }
  >();
  /** Queues with a read-ahead get in flight: the request, until the last part of its lease is in. */
  private readonly prefetching = new Map<number, number>();
  /** Queues whose lease is arriving in parts, the last one not in yet. */
  private readonly streaming = new Set<number>();
  /** Gets of the program waiting for an item, per queue. */
  private readonly getting = new Map<number, number>();
  /** Gets of the program waiting for items already on their way (`expecting`). */
  private readonly nudges = new Map<number, (() => void)[]>();
  private readonly acks = new Map<number, number[]>();
  readonly notices = new Map<number, QueueError>();
  private nextReq = 1;
  private flushQueued = false;
  private broken: QueueError | null = null;
  /** The process is exiting: its side is ended, nothing more is written. */
  private ending = false;
  /** Large items' text goes to the spill folder (spill.ts), not through the broker's socket. */
  private readonly spillWriter: SpillWriter | null;
  private readonly spillReader: SpillReader | null;
  /** Bytes of spilled items whose puts are not flushed yet: they count toward `flushBytes`. */
  private spilledUnflushed = 0;

  constructor(address: BrokerAddress, refs: number[], spillDir: string | undefined) {
    this.spillWriter = spillDir ? new SpillWriter(spillDir) : null;
    this.spillReader = spillDir ? new SpillReader(spillDir) : null;
    // The socket reads in place into large slabs: a lease's items are views, never joined or copied.
    const reader = new SlabReader((type, body) => this.onFrame(type, body));
    this.socket = connect({
      path: address.path,
      onread: { buffer: () => reader.buffer(), callback: (n: number) => reader.landed(n) },
    });
    this.socket.setNoDelay?.(true);
    this.socket.on('error', () => {});
    this.socket.on('close', () => this.fail());
    writeHello(this.writer, { secret: address.secret, pid: process.pid, refs });
    this.flushSoon();
  }

  private fail(): void {
    this.broken = new QueueError(
      'unavailable',
      'The connection to Forkscope’s queue broker is gone (is Forkscope stopping?).',
    );
    for (const waiter of this.pending.values()) waiter.reject(this.broken);
    this.pending.clear();
    this.prefetching.clear();
    this.streaming.clear();
    for (const ref of [...this.nudges.keys()]) this.nudge(ref);
  }

  check(ref: number): void {
    if (this.broken) throw this.broken;
    const notice = this.notices.get(ref);
    if (notice) throw notice;
  }

  private buffer(ref: number) {
    let buffer = this.buffers.get(ref);
    if (!buffer) this.buffers.set(ref, (buffer = { ids: [], items: [], head: 0, batch: 0 }));
    return buffer;
  }

  /** Acks go out before any other frame, so the broker's counts are right when it answers. */
  private writeAcks(): void {
    for (const [ref, ids] of this.acks) {
      if (ids.length === 0) continue;
      writeAck(this.writer, ref, ids);
      ids.length = 0;
    }
  }

  private flushSoon(): void {
    // A spilled item's frame is small, but a consumer waits for it as for an inline one.
    if (this.writer.length + this.spilledUnflushed >= flushBytes) return this.flush();
    if (this.flushQueued) return;
    this.flushQueued = true;
    setImmediate(() => this.flush());
  }

  flush(callback?: () => void): void {
    this.flushQueued = false;
    this.spilledUnflushed = 0;
    this.writeAcks();
    if (this.writer.length > 0 && !this.socket.destroyed && !this.ending) {
      const chunk = this.writer.take();
      this.socket.write(chunk, () => {
        this.writer.written(chunk);
        callback?.();
      });
    } else if (callback && this.socket.writableLength > 0 && !this.socket.destroyed)
      this.socket.once('drain', callback);
    else callback?.();
  }

  /** Resolves once everything written so far has left this process. */
  drained(): Promise<void> {
    return new Promise((resolve) => this.flush(resolve));
  }

  /**
   * Before the process exits: what it wrote is sent, then its side of the connection is ended and
   * the broker's close awaited (at most `closeWaitMs`; the broker closes once it has read to the
   * end). Closing at once could make a frame the broker writes meanwhile (a read-ahead's items, a
   * recall) fail with EPIPE, and Node then drops the broker's side with this process's last puts
   * still unread in it.
   */
  async finish(): Promise<void> {
    await this.drained();
    if (this.socket.destroyed) return;
    this.ending = true;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, closeWaitMs);
      this.socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.socket.end();
    });
  }

  private request(ref: number, write: (req: number) => void): Promise<unknown> {
    this.check(ref);
    const req = this.nextReq++;
    this.writeAcks();
    write(req);
    // The caller waits for the answer: send now rather than at the end of this turn.
    this.flush();
    return new Promise((resolve, reject) => this.pending.set(req, { resolve, reject, ref }));
  }

  /** What a put sends: the item inline, or (a large one) spilled. */
  private itemOut(item: unknown): ItemOut {
    const text = encode(item);
    if (!this.spillWriter || text[1].length < spillMinChars) return text;
    const spilled = this.spillWriter.write(text[0], text[1]);
    if (!spilled) return text;
    this.spilledUnflushed += text[1].length;
    return spilled;
  }

  /** Pipelined put (unbounded queue): no round trip; a refusal is reported by the next operation. */
  putNow(ref: number, item: unknown): Promise<void> | undefined {
    this.check(ref);
    const out = this.itemOut(item);
    this.writeAcks();
    // A large item goes into a fresh chunk rather than growing (and copying) this one.
    if (!this.writer.fits(putFrameBytes(out)) && this.writer.length > 0) this.flush();
    writePut(this.writer, ref, out);
    this.flushSoon();
    if (this.socket.writableLength > highWater)
      // A socket that closes never drains: then the put ends too, and the next operation says why.
      return new Promise((resolve) => {
        const done = () => {
          this.socket.off('drain', done).off('close', done);
          resolve();
        };
        this.socket.once('drain', done).once('close', done);
      });
    return undefined;
  }

  putWait(ref: number, item: unknown, options: BlockOptions): Promise<unknown> {
    this.check(ref);
    const out = this.itemOut(item);
    return this.request(ref, (req) =>
      writePutWait(
        this.writer,
        { req, ref, timeoutMs: timeoutOf(options), block: options.block !== false },
        out,
      ),
    );
  }

  /** An item already leased to this process, if any: handed out and acknowledged. */
  takeLocal(ref: number): { hit: true; value: unknown } | { hit: false } {
    const buffer = this.buffers.get(ref);
    if (!buffer || buffer.head >= buffer.ids.length) return { hit: false };
    const k = buffer.head++;
    const id = buffer.ids[k]!;
    const item = buffer.items[k]!;
    const drained = buffer.head === buffer.ids.length;
    if (drained) {
      buffer.ids = [];
      buffer.items = [];
      buffer.head = 0;
    }
    let acks = this.acks.get(ref);
    if (!acks) this.acks.set(ref, (acks = []));
    let value: unknown;
    try {
      // Read before its ack can leave: once got, the broker may remove a spilled item's segment.
      value = decodeItem(item, this.readSpilled);
    } finally {
      // Handed out even when it cannot be read: the program got its error in its place.
      acks.push(id);
      slabPool.release(item);
      // Nothing more leased here for now: the segments read from may be removed or written over.
      if (drained) this.spillReader?.close();
    }
    // Streaming (big batches): ask for the next batch while this one is being used, without
    // waiting in the broker (block=false), so a consumer is never shown blocked by a read-ahead.
    if (buffer.batch >= 8 && buffer.ids.length - buffer.head <= buffer.batch / 2 && !this.expecting(ref)) {
      const req = this.nextReq++;
      this.prefetching.set(ref, req);
      this.writeGet(req, ref, { block: false });
      // Items end the read-ahead with their last part (onFrame); Empty ends it here.
      this.pending.set(req, {
        resolve: () => {},
        reject: () => {
          this.prefetching.delete(ref);
          this.nudge(ref);
        },
      });
      // The program may keep taking from the buffer without yielding: send now.
      this.flush();
    }
    this.flushSoon();
    return { hit: true, value };
  }

  private readonly readSpilled = (ref: SpilledItem): Buffer => {
    try {
      if (!this.spillReader) throw new Error('no spill folder is known');
      return this.spillReader.read(ref);
    } catch (error) {
      throw new QueueError(
        'unavailable',
        `A large queue item could not be read from Forkscope’s spill folder: ${(error as Error).message}.`,
      );
    }
  };

  /** Items for `ref` are on their way without waiting in the broker: a read-ahead, or the rest of a lease. */
  private expecting(ref: number): boolean {
    return this.prefetching.has(ref) || this.streaming.has(ref);
  }

  /** Wakes the gets waiting for items of `ref` (some arrived, or none will). */
  private nudge(ref: number): void {
    const waiting = this.nudges.get(ref);
    if (!waiting) return;
    this.nudges.delete(ref);
    for (const wake of waiting) wake();
  }

  async get(ref: number, options: BlockOptions): Promise<unknown> {
    for (;;) {
      const local = this.takeLocal(ref);
      if (local.hit) return local.value;
      // Counted while waiting: a recall does not take back the items this get is about to take.
      this.getting.set(ref, (this.getting.get(ref) ?? 0) + 1);
      try {
        // Items are coming: take them rather than ask again. A blocking get sent now would be
        // answered after them, and could wait in the broker while they sit here unused.
        if (this.expecting(ref)) {
          await new Promise<void>((wake) => {
            const waiting = this.nudges.get(ref);
            if (waiting) waiting.push(wake);
            else this.nudges.set(ref, [wake]);
          });
          this.check(ref);
        } else await this.request(ref, (req) => this.writeGet(req, ref, options));
      } finally {
        this.getting.set(ref, this.getting.get(ref)! - 1);
      }
      // Another get of this process may have taken the batch first: then it asks again.
    }
  }

  private writeGet(req: number, ref: number, options: BlockOptions): void {
    writeGet(this.writer, {
      req,
      ref,
      timeoutMs: timeoutOf(options),
      block: options.block !== false,
      want: defaultWant,
    });
  }

  call(ref: number, op: string, extra: Pick<QueueCall, 'timeoutMs'> = {}): Promise<unknown> {
    return this.request(ref, (req) => writeCall(this.writer, req, { op, ref, ...extra }));
  }

  localCount(ref: number): number {
    const buffer = this.buffers.get(ref);
    return buffer ? buffer.ids.length - buffer.head : 0;
  }

  private onFrame(type: number, body: Buffer): void {
    switch (type) {
      case Frame.items: {
        let buffer!: ReturnType<BrokerLink['buffer']>;
        const { req, ref, n, more } = readItems(body, (part) => (buffer = this.buffer(part.ref)));
        // Held until handed out (or given back): their slab is reused after that.
        for (let k = buffer.items.length - n; k < buffer.items.length; k++) slabPool.retain(buffer.items[k]!);
        if (more > 0) this.streaming.add(ref);
        else {
          this.streaming.delete(ref);
          if (this.prefetching.get(ref) === req) this.prefetching.delete(ref);
        }
        // The first part answers the get; the rest of the lease follows into the same buffer.
        if (this.pending.has(req)) {
          buffer.batch = n + more;
          this.settle(req, true, null);
        }
        this.nudge(ref);
        return;
      }
      case Frame.reply: {
        const { req, value } = readReply(body);
        this.settle(req, true, value);
        return;
      }
      case Frame.error: {
        const { req, error } = readError(body);
        this.settle(req, false, error);
        return;
      }
      case Frame.notice: {
        const { ref, error } = readNotice(body);
        this.notices.set(ref, new QueueError(error.code, error.message));
        return;
      }
      case Frame.recall:
        this.giveBack(readRecall(body).ref);
        return;
    }
  }

  /** The broker recalls the items leased here that the program has not taken. */
  private giveBack(ref: number): void {
    const buffer = this.buffers.get(ref);
    if (!buffer) return;
    // Items that gets of the program are waiting for are as good as got: they stay (given
    // back, they could be leased to a process that is recalled in turn, back and forth).
    const from = buffer.head + (this.getting.get(ref) ?? 0);
    if (from >= buffer.ids.length) return;
    const ids = buffer.ids.slice(from);
    for (let k = from; k < buffer.items.length; k++) slabPool.release(buffer.items[k]!);
    if (from === buffer.head) this.buffers.delete(ref);
    else {
      buffer.ids.length = from;
      buffer.items.length = from;
    }
    this.writeAcks();
    writeGiveBack(this.writer, ref, ids);
    this.flushSoon();
  }

  private settle(req: number, ok: boolean, value: unknown): void {
    const waiter = this.pending.get(req);
    if (!waiter) return;
    this.pending.delete(req);
    if (ok) waiter.resolve(value);
    else {
      const { code, message } = value as { code: string; message: string };
      waiter.reject(new QueueError(code, message));
    }
  }
}

/** Python's multiprocessing.Queue (and JoinableQueue), in a child, with promises. */
export class ChildQueue {
  readonly id: string;
  readonly maxsize: number;
  private closed = false;

  constructor(
    private readonly link: BrokerLink,
    private readonly handle: BoundQueueHandle,
  ) {
    this.id = handle.$queue;
    this.maxsize = handle.maxsize;
  }

  private open(): void {
    if (this.closed)
      throw new QueueError(
        'closed',
        `Queue ${this.id} was closed in this process: it can no longer put or get.`,
      );
  }

  /** put(item, {block, timeout}): resolves once the item is on its way (unbounded) or accepted (bounded). */
  async put(item: unknown, options: BlockOptions = {}): Promise<void> {
    this.open();
    if (this.maxsize === 0) await this.link.putNow(this.handle.ref, item);
    else await this.link.putWait(this.handle.ref, item, options);
  }

  putNowait(item: unknown): Promise<void> {
    return this.put(item, { block: false });
  }

  /** get({block, timeout}): the next item; Empty after the timeout or at once when block is false. */
  get(options: BlockOptions = {}): Promise<unknown> {
    this.open();
    return this.link.get(this.handle.ref, options);
  }

  getNowait(): Promise<unknown> {
    return this.get({ block: false });
  }

  /** Items put and not yet got, counted by the broker (it works on every platform, unlike Python's on macOS). */
  async qsize(): Promise<number> {
    return (await this.link.call(this.handle.ref, 'qsize')) as number;
  }

  async empty(): Promise<boolean> {
    return (await this.qsize()) === 0;
  }

  async full(): Promise<boolean> {
    return (await this.link.call(this.handle.ref, 'full')) as boolean;
  }

  /** JoinableQueue.task_done(). */
  async taskDone(): Promise<void> {
    await this.link.call(this.handle.ref, 'taskDone');
  }

  /** JoinableQueue.join({timeout}): resolves when every item put has had its taskDone(); Timeout otherwise. */
  async join(options: { timeout?: number; timeoutMs?: number } = {}): Promise<void> {
    const timeoutMs = timeoutOf(options);
    await this.link.call(this.handle.ref, 'join', { timeoutMs: timeoutMs < 0 ? -1 : timeoutMs || 1 });
  }

  /** This process will put no more (as Python's close()): pending puts are flushed first. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.link.call(this.handle.ref, 'close');
  }

  toJSON() {
    return { $queue: this.id };
  }
}

/** One end of Python's Pipe(): send, recv, poll. */
export class PipeEnd {
  readonly id: string;
  readonly end: 0 | 1;

  constructor(
    private readonly link: BrokerLink,
    private readonly handle: BoundPipeHandle,
  ) {
    this.id = handle.$pipe;
    this.end = handle.end;
  }

  async send(item: unknown): Promise<void> {
    await this.link.putNow(this.handle.sendRef, item);
  }

  recv(options: BlockOptions = {}): Promise<unknown> {
    return this.link.get(this.handle.recvRef, options);
  }

  /** poll(timeout): whether an item is waiting; no timeout answers at once, null waits for one. */
  async poll(timeout: number | null = 0): Promise<boolean> {
    if (this.link.localCount(this.handle.recvRef) > 0) return true;
    const timeoutMs = timeout === null ? -1 : Math.max(0, timeout * 1000);
    return (await this.link.call(this.handle.recvRef, 'poll', { timeoutMs })) as boolean;
  }

  async close(): Promise<void> {
    await this.link.call(this.handle.sendRef, 'close');
  }

  toJSON() {
    return { $pipe: this.id, end: this.end };
  }
}

let link: BrokerLink | null = null;

/** Replaces bound handles in a Process's args by live queue and pipe objects. */
export function bindQueueHandles(args: unknown[]): unknown[] {
  const refs = new Set<number>();
  mapHandles(args, (handle) => {
    if (isQueueHandle(handle)) refs.add((handle as BoundQueueHandle).ref);
    else if (isPipeHandle(handle)) {
      refs.add((handle as BoundPipeHandle).sendRef);
      refs.add((handle as BoundPipeHandle).recvRef);
    }
    return handle;
  });
  if (refs.size === 0) return args;
  const path = process.env[brokerPathEnv];
  const secret = process.env[brokerSecretEnv];
  const spillDir = process.env[brokerSpillEnv];
  if (!path || !secret) {
    throw new QueueError(
      'unavailable',
      `A queue handle was passed, but ${brokerPathEnv} is not set: start this Process through Forkscope.`,
    );
  }
  link ??= new BrokerLink({ path, secret }, [...refs], spillDir);
  const shared = link;
  return mapHandles(args, (handle) =>
    isPipeHandle(handle)
      ? new PipeEnd(shared, handle as BoundPipeHandle)
      : new ChildQueue(shared, handle as BoundQueueHandle),
  ) as unknown[];
}

/**
 * Before the child exits: everything put has left the process and been read by the broker
 * (Python's join_thread, done for you).
 */
export async function flushQueueClients(): Promise<void> {
  await link?.finish();
}
