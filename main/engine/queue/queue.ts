import { ForkscopeError } from '../../../contract/errors';
import { Fifo } from '../fifo';
import { slabPool } from './framing';
import { ItemState } from './item-log';
import { itemTextBytes } from './wire';
import { QueueLineage, type Participant, type QueueOptions, type WaitKind } from './queue-lineage';

/** Whoever takes items: a child's connection (which leases batches) or the engine itself. */
export interface Holder {
  readonly actor: number;
  /** A child's connection buffers leased items; the engine takes one at a time. */
  readonly leasing: boolean;
  /** Asks the holder to give back leased items it has not handed out (another getter is waiting). */
  recall?(queue: BrokeredQueue): void;
}

export interface Waiter {
  readonly kind: WaitKind;
  readonly holder: Holder;
  readonly since: number;
  timer: NodeJS.Timeout | null;
  fail(error: ForkscopeError): void;
}

interface GetWaiter extends Waiter {
  kind: 'get';
  want: number;
  deliver(ids: number[], items: Buffer[]): void;
}
interface PutWaiter extends Waiter {
  kind: 'put';
  item: Buffer;
  done(id: number): void;
}
interface SignalWaiter extends Waiter {
  kind: 'join' | 'poll';
  done(): void;
}

/** Keeps what an item's bytes refer to (a spilled item's segment) while the queue holds the item. */
export interface PayloadKeeper {
  retain(item: Buffer): void;
  release(item: Buffer): void;
}

const keepNothing: PayloadKeeper = { retain() {}, release() {} };

/** Leases are capped in bytes too: a batch of large items must not pin much memory in one child. */
const leaseBytes = 8 * 1024 * 1024;

/**
 * One queue, brokered in the main process: items waiting (their JSON text, never parsed here),
 * processes waiting on it, its lineage and its depth over time.
 */
export class BrokeredQueue extends QueueLineage {
  readonly createdAt = Date.now();
  /** Ids of the items waiting to be got, oldest first. */
  private readonly ready = new Fifo<number>();
  private readonly payloads = new Map<number, Buffer>();
  private readonly leases = new Map<Holder, Set<number>>();
  private leased = 0;
  private readonly recalled = new Set<Holder>();
  private getWaiters: GetWaiter[] = [];
  private putWaiters: PutWaiter[] = [];
  private signalWaiters: SignalWaiter[] = [];

  constructor(
    options: QueueOptions,
    private readonly changed: (queue: BrokeredQueue) => void,
    private readonly keeper: PayloadKeeper = keepNothing,
  ) {
    super(options);
    this.sample(this.createdAt);
  }

  /** Items put and not yet got (queued, or leased to a child that has not handed them out). */
  get depth(): number {
    return this.ready.length + this.leased;
  }

  get full(): boolean {
    return this.options.maxsize > 0 && this.depth >= this.options.maxsize;
  }

  get waiters(): readonly Waiter[] {
    return [...this.getWaiters, ...this.putWaiters, ...this.signalWaiters];
  }

  participant(actor: number, t: number): Participant {
    let entry = this.participants.get(actor);
    if (!entry)
      this.participants.set(actor, (entry = { puts: 0, gets: 0, holdsHandle: false, firstAt: t, lastAt: t }));
    return entry;
  }

  /** Takes a depth sample and tells the engine this queue changed (publishers coalesce it). */
  touch(t: number): void {
    this.sample(t);
    this.changed(this);
  }

  private closedError(): ForkscopeError {
    return new ForkscopeError(
      'closed',
      `${this.describe()} is closed: nothing can be put or got any more. Create a new queue to go on.`,
    );
  }

  describe(): string {
    return this.options.kind === 'pipe'
      ? `Pipe ${this.options.pipeId} (${this.options.name})`
      : `Queue ${this.id}`;
  }

  /**
   * A put that never waits (the pipelined path of a child, or a put with room to spare).
   * Returns the item's id.
   */
  accept(actor: number, item: Buffer, t: number): number {
    if (this.closed) throw this.closedError();
    const id = this.log.put(actor, t, item);
    // A child's item is a view of the slab it was read into: held until it is got or lost.
    slabPool.retain(item);
    this.keeper.retain(item);
    this.payloads.set(id, item);
    this.ready.push(id);
    this.unfinished++;
    const who = this.participant(actor, t);
    who.puts++;
    who.lastAt = t;
    this.sample(t);
    return id;
  }

  /** put(item, block, timeout), as Python's: waits for room when the queue has a maxsize. */
  put(
    holder: Holder,
    item: Buffer,
    block: boolean,
    timeoutMs: number,
    done: (id: number) => void,
    fail: (e: ForkscopeError) => void,
    signal?: AbortSignal,
  ) {
    const t = Date.now();
    if (this.closed) return fail(this.closedError());
    if (!this.full && this.putWaiters.length === 0) {
      done(this.accept(holder.actor, item, t));
      this.serve();
      // A put that did not wait (Forkscope's own, or a child's put with a maxsize) changes the
      // queue as much as a pipelined one: publishers must see it.
      this.touch(t);
      return;
    }
    if (!block || timeoutMs === 0) {
      return fail(
        new ForkscopeError(
          'full',
          `${this.describe()} is full (maxsize ${this.options.maxsize}): put(block=False) raises Full.`,
        ),
      );
    }
    const waiter: PutWaiter = { kind: 'put', holder, since: t, timer: null, item, done, fail };
    this.wait(
      this.putWaiters,
      waiter,
      timeoutMs,
      () =>
        new ForkscopeError(
          'full',
          `${this.describe()} stayed full (maxsize ${this.options.maxsize}) for ${timeoutMs} ms: the put gave up (Full). ` +
            'Is a consumer still getting from it?',
        ),
      signal,
    );
    this.touch(t);
  }

  /** get(block, timeout): delivers one item, or a batch leased to a child that buffers them. */
  get(
    holder: Holder,
    block: boolean,
    timeoutMs: number,
    want: number,
    deliver: GetWaiter['deliver'],
    fail: (e: ForkscopeError) => void,
    signal?: AbortSignal,
  ) {
    const t = Date.now();
    const waiter: GetWaiter = { kind: 'get', holder, since: t, timer: null, want, deliver, fail };
    if (!this.ready.empty && this.getWaiters.length === 0) {
      this.deliver(waiter, t);
      this.serve();
      return;
    }
    if (this.closed) return fail(this.closedError());
    if (!block || timeoutMs === 0) return fail(this.emptyError(null));
    this.wait(this.getWaiters, waiter, timeoutMs, () => this.emptyError(timeoutMs), signal);
    this.recallLeases(holder);
    this.touch(t);
  }

  private emptyError(timeoutMs: number | null): ForkscopeError {
    return new ForkscopeError(
      'empty',
      timeoutMs === null
        ? `${this.describe()} is empty: get(block=False) raises Empty.`
        : `${this.describe()} stayed empty for ${timeoutMs} ms: the get timed out (Empty). Is a producer still putting?`,
    );
  }

  private wait<W extends Waiter>(
    list: W[],
    waiter: W,
    timeoutMs: number,
    onTimeout: () => ForkscopeError,
    signal?: AbortSignal,
  ): void {
    list.push(waiter);
    // The caller went away (its connection closed): it must not take an item nobody will receive.
    signal?.addEventListener(
      'abort',
      () => {
        const at = list.indexOf(waiter);
        if (at < 0) return;
        list.splice(at, 1);
        if (waiter.timer) clearTimeout(waiter.timer);
        waiter.fail(new ForkscopeError('cancelled', 'The caller went away before the wait ended.'));
        this.touch(Date.now());
      },
      { once: true },
    );
    if (timeoutMs > 0) {
      waiter.timer = setTimeout(() => {
        const at = list.indexOf(waiter);
        if (at < 0) return;
        list.splice(at, 1);
        waiter.fail(onTimeout());
        this.touch(Date.now());
      }, timeoutMs);
      waiter.timer.unref?.();
    }
  }

  private recallLeases(except: Holder): void {
    for (const [holder, ids] of this.leases) {
      if (holder === except || ids.size === 0 || this.recalled.has(holder)) continue;
      this.recalled.add(holder);
      holder.recall?.(this);
    }
  }

  private deliver(waiter: GetWaiter, t: number): void {
    if (waiter.timer) clearTimeout(waiter.timer);
    const available = this.ready.length;
    const n = waiter.holder.leasing
      ? Math.min(waiter.want, available <= 1 ? 1 : Math.ceil(available / 2))
      : 1;
    const ids: number[] = [];
    const items: Buffer[] = [];
    let bytes = 0;
    while (ids.length < n && !this.ready.empty && (ids.length === 0 || bytes < leaseBytes)) {
      const id = this.ready.shift()!;
      const item = this.payloads.get(id)!;
      ids.push(id);
      items.push(item);
      bytes += itemTextBytes(item);
    }
    if (waiter.holder.leasing) {
      let held = this.leases.get(waiter.holder);
      if (!held) this.leases.set(waiter.holder, (held = new Set()));
      for (const id of ids) {
        held.add(id);
        this.log.lease(id, waiter.holder.actor);
      }
      this.leased += ids.length;
      this.recalled.delete(waiter.holder);
    } else {
      for (const id of ids) this.markGot(id, waiter.holder.actor, t);
    }
    waiter.deliver(ids, items);
    this.touch(t);
  }

  /** The item's bytes are not needed any more (got, or lost). */
  private drop(id: number): void {
    const item = this.payloads.get(id);
    if (!item) return;
    this.payloads.delete(id);
    slabPool.release(item);
    this.keeper.release(item);
  }

  private markGot(id: number, actor: number, t: number): void {
    this.drop(id);
    this.log.got(id, actor, t);
    const who = this.participant(actor, t);
    who.gets++;
    who.lastAt = t;
  }

  /** A child handed leased items to its program: they are got now. */
  ack(holder: Holder, ids: ArrayLike<number>, t: number): void {
    const held = this.leases.get(holder);
    if (!held) return;
    for (let k = 0; k < ids.length; k++) {
      const id = ids[k]!;
      if (!held.delete(id)) continue;
      this.leased--;
      this.markGot(id, holder.actor, t);
    }
    this.serve();
    this.touch(t);
  }

  /** A child gives back leased items it never handed out: they go back to the front, in order. */
  giveBack(holder: Holder, ids: ArrayLike<number>, holderDied = false): void {
    const held = this.leases.get(holder);
    if (!held) return;
    const back: number[] = [];
    const t = Date.now();
    for (let k = 0; k < ids.length; k++) {
      const id = ids[k]!;
      if (!held.delete(id)) continue;
      this.leased--;
      if (this.closed) {
        this.drop(id);
        this.log.lose(id, holderDied ? ItemState.lostHolderDied : ItemState.lostClosed, t);
        this.lost++;
      } else {
        this.log.unlease(id);
        back.push(id);
      }
    }
    this.ready.unshift(back.sort((a, b) => a - b));
    this.serve();
    this.touch(t);
  }

  /** Hands items to waiting getters and admits waiting puts while there is room. */
  serve(): void {
    let progressed = true;
    let admitted = false;
    while (progressed) {
      progressed = false;
      while (this.getWaiters.length > 0 && !this.ready.empty) {
        this.deliver(this.getWaiters.shift()!, Date.now());
        progressed = true;
      }
      while (this.putWaiters.length > 0 && !this.full && !this.closed) {
        const waiter = this.putWaiters.shift()!;
        if (waiter.timer) clearTimeout(waiter.timer);
        waiter.done(this.accept(waiter.holder.actor, waiter.item, Date.now()));
        progressed = true;
        admitted = true;
      }
    }
    if (admitted) this.changed(this);
    if (this.signalWaiters.length > 0) {
      const wake = this.signalWaiters.filter(
        (w) => (w.kind === 'join' && this.unfinished === 0) || (w.kind === 'poll' && !this.ready.empty),
      );
      for (const waiter of wake) {
        this.signalWaiters.splice(this.signalWaiters.indexOf(waiter), 1);
        if (waiter.timer) clearTimeout(waiter.timer);
        waiter.done();
      }
    }
  }

  /** JoinableQueue.task_done(). */
  taskDone(actor: number): void {
    if (this.options.kind !== 'joinable') {
      throw new ForkscopeError(
        'invalid-argument',
        `${this.describe()} is not joinable: create it with joinable: true to use taskDone().`,
      );
    }
    if (this.unfinished <= 0) {
      throw new ForkscopeError(
        'invalid-argument',
        `taskDone() was called more times than there were items put on ${this.describe()}.`,
      );
    }
    this.unfinished--;
    this.participant(actor, Date.now()).lastAt = Date.now();
    this.serve();
    this.touch(Date.now());
  }

  /** JoinableQueue.join(timeout): resolves once every item put has had its taskDone(). */
  join(
    holder: Holder,
    timeoutMs: number,
    done: () => void,
    fail: (e: ForkscopeError) => void,
    signal?: AbortSignal,
  ): void {
    if (this.options.kind !== 'joinable') {
      return fail(
        new ForkscopeError(
          'invalid-argument',
          `${this.describe()} is not joinable: create it with joinable: true to join it.`,
        ),
      );
    }
    if (this.unfinished === 0) return done();
    const waiter: SignalWaiter = { kind: 'join', holder, since: Date.now(), timer: null, done, fail };
    this.wait(
      this.signalWaiters,
      waiter,
      timeoutMs,
      () =>
        new ForkscopeError(
          'timeout',
          `${this.describe()}.join() waited ${timeoutMs} ms: ${this.unfinished} item(s) still lack their taskDone().`,
        ),
      signal,
    );
    this.touch(Date.now());
  }

  /** Pipe's poll(timeout): true as soon as an item is waiting, false after the timeout. */
  poll(holder: Holder, timeoutMs: number, done: (ready: boolean) => void): void {
    if (!this.ready.empty) return done(true);
    if (this.closed || timeoutMs === 0) return done(false);
    const waiter: SignalWaiter = {
      kind: 'poll',
      holder,
      since: Date.now(),
      timer: null,
      done: () => done(true),
      fail: () => done(false),
    };
    this.wait(this.signalWaiters, waiter, timeoutMs, () => new ForkscopeError('timeout', 'poll timed out'));
    this.recallLeases(holder);
    this.touch(Date.now());
  }

  /** A holder is gone (its process died or closed its connection): its waits end, its leases return. */
  holderGone(holder: Holder): void {
    for (const list of [this.getWaiters, this.putWaiters, this.signalWaiters] as Waiter[][]) {
      for (const waiter of list.filter((w) => w.holder === holder)) {
        if (waiter.timer) clearTimeout(waiter.timer);
        list.splice(list.indexOf(waiter), 1);
      }
    }
    this.recalled.delete(holder);
    const held = this.leases.get(holder);
    if (held) {
      this.giveBack(holder, [...held], true);
      this.leases.delete(holder);
    }
    this.touch(Date.now());
  }

  /** Closes the queue: items never got are recorded as lost, every waiter gets a Closed error. */
  close(): number {
    if (this.closed) return 0;
    const t = Date.now();
    this.closedAt = t;
    const never = this.ready.drain();
    for (const id of never) {
      this.drop(id);
      this.log.lose(id, ItemState.lostClosed, t);
    }
    this.lost += never.length;
    const waiting = [...this.getWaiters, ...this.putWaiters, ...this.signalWaiters];
    this.getWaiters = [];
    this.putWaiters = [];
    this.signalWaiters = [];
    for (const waiter of waiting) {
      if (waiter.timer) clearTimeout(waiter.timer);
      if (waiter.kind === 'poll') (waiter as SignalWaiter).done();
      else waiter.fail(this.closedError());
    }
    this.touch(t);
    return never.length;
  }
}
