import { Fifo } from '../fifo';
import { ItemTag } from './wire';
import { ItemState } from './item-log';
import {
  QueueLineage,
  type Participant,
  type QueueOptions,
  type QueueWait,
  type WaitKind,
} from './queue-lineage';

/** How far past the head a get looks for the item whose preview it saw (items from two producers interleave). */
const matchWindow = 64;
/** Gets seen before their put (each process reports on its own stream): matched when the put arrives. */
const maxEarlyGets = 1024;

/**
 * A queue Forkscope watches but does not broker: a Python program's own multiprocessing queue,
 * seen through the lens. It holds no items, only their lineage: a get is matched to the oldest
 * queued item with the same preview (a queue is FIFO, so that is exact for one producer).
 */
export class ObservedQueue extends QueueLineage {
  /** Ids of the items put and not yet seen got, oldest first. */
  private readonly queued = new Fifo<number>();
  private readonly previews = new Map<number, string>();
  private readonly waits = new Map<number, QueueWait>();
  private earlyGets: { actor: number; t: number; preview: string }[] = [];
  /** task_done() calls seen before the puts they answer (the putter's stream is behind). */
  private earlyTaskDones = 0;

  constructor(
    options: QueueOptions,
    readonly runId: string | null,
    readonly createdAt: number,
    private readonly changed: (queue: ObservedQueue) => void,
  ) {
    super(options);
    this.touch(createdAt);
  }

  get depth(): number {
    return this.queued.length;
  }

  get waiters(): readonly QueueWait[] {
    return [...this.waits.values()];
  }

  private participant(actor: number, t: number): Participant {
    let entry = this.participants.get(actor);
    if (!entry)
      this.participants.set(actor, (entry = { puts: 0, gets: 0, holdsHandle: true, firstAt: t, lastAt: t }));
    entry.lastAt = Math.max(entry.lastAt, t);
    return entry;
  }

  private touch(t: number): void {
    this.sample(t);
    this.changed(this);
  }

  /** The process holds this queue (it was passed to it, or it used it). */
  holds(actor: number, t: number): void {
    if (this.participants.has(actor)) return;
    this.participant(actor, t);
    this.changed(this);
  }

  put(actor: number, t: number, preview: string): void {
    const bytes = Buffer.from(`\0${preview}`);
    bytes[0] = ItemTag.json;
    const id = this.log.put(actor, t, bytes);
    if (this.options.kind === 'joinable') {
      if (this.earlyTaskDones > 0) this.earlyTaskDones--;
      else this.unfinished++;
    }
    this.participant(actor, t).puts++;
    const early = this.earlyGets.findIndex((get) => get.preview === preview);
    if (early !== -1) {
      const [get] = this.earlyGets.splice(early, 1);
      this.log.got(id, get!.actor, get!.t);
    } else {
      this.previews.set(id, preview);
      this.queued.push(id);
    }
    this.touch(t);
  }

  /** A get seen in a process: the item it took is the oldest queued one that looks the same. */
  got(actor: number, t: number, preview: string): void {
    this.waits.delete(actor);
    let at = 0;
    const end = Math.min(this.queued.length, matchWindow);
    while (at < end && this.previews.get(this.queued.peek(at)!) !== preview) at++;
    this.participant(actor, t).gets++;
    if (at === end) {
      // Its put has not been told yet (the putter's stream is behind), or was lost.
      if (this.earlyGets.length < maxEarlyGets) this.earlyGets.push({ actor, t, preview });
      return this.touch(t);
    }
    const id = this.queued.removeAt(at)!;
    this.previews.delete(id);
    this.log.got(id, actor, t);
    this.touch(t);
  }

  taskDone(actor: number, t: number): void {
    if (this.unfinished > 0) this.unfinished--;
    else if (this.earlyTaskDones < maxEarlyGets) this.earlyTaskDones++;
    this.participant(actor, t);
    this.touch(t);
  }

  waitStarted(actor: number, kind: WaitKind, t: number): void {
    this.participant(actor, t);
    this.waits.set(actor, { kind, holder: { actor }, since: t });
    this.touch(t);
  }

  waitEnded(actor: number, t: number): void {
    if (this.waits.delete(actor)) this.touch(t);
  }

  /** Its program has ended: what is still queued was never got. */
  close(t = Date.now()): number {
    if (this.closed) return 0;
    this.closedAt = t;
    const left = this.queued.drain();
    for (const id of left) this.log.lose(id, ItemState.lostClosed, t);
    this.lost += left.length;
    this.previews.clear();
    this.earlyGets = [];
    this.waits.clear();
    this.touch(t);
    return left.length;
  }
}
