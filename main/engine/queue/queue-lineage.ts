import { sampleDepth } from './depth-history';
import { ItemLog } from './item-log';

export type WaitKind = 'get' | 'put' | 'join' | 'poll';

export interface QueueOptions {
  id: string;
  ref: number;
  name: string;
  kind: 'queue' | 'joinable' | 'simple' | 'pipe';
  maxsize: number;
  pipeId?: string;
}

export interface Participant {
  puts: number;
  gets: number;
  holdsHandle: boolean;
  firstAt: number;
  lastAt: number;
}

/** A process waiting on a queue, as the views see it. */
export interface QueueWait {
  readonly kind: WaitKind;
  readonly holder: { readonly actor: number };
  readonly since: number;
}

/**
 * The read side of a queue, brokered (`BrokeredQueue`) or only observed (`ObservedQueue`, a
 * Python program's): what the queue engine's views and publishers read — every item's lineage,
 * who took part, the depth over time, who waits.
 */
export abstract class QueueLineage {
  readonly log = new ItemLog();
  readonly participants = new Map<number, Participant>();
  readonly depthT: number[] = [];
  readonly depthV: number[] = [];
  closedAt: number | null = null;
  unfinished = 0;
  lost = 0;

  constructor(readonly options: QueueOptions) {}

  get id(): string {
    return this.options.id;
  }

  get closed(): boolean {
    return this.closedAt !== null;
  }

  /** Items put and not yet got. */
  abstract get depth(): number;

  abstract get waiters(): readonly QueueWait[];

  protected sample(t: number): void {
    sampleDepth(this.depthT, this.depthV, t, this.depth);
  }
}
