/**
 * The lineage of every item of one queue, kept in columns (typed arrays) so that a million
 * small items cost a few dozen bytes each: who put it and when, who got it and when, or why
 * it was lost. An item's id is its index + 1 in put order.
 */
import { itemPreviewBytes, itemTextBytes, previewItem } from './wire';

export const ItemState = { queued: 0, leased: 1, got: 2, lostClosed: 3, lostHolderDied: 4 } as const;
export type ItemStateCode = (typeof ItemState)[keyof typeof ItemState];
export const itemStateNames = ['queued', 'leased', 'got', 'lost-closed', 'lost-holder-died'] as const;

function grow<T extends Float64Array | Int32Array | Uint8Array>(array: T, size: number): T {
  const next = new (array.constructor as new (n: number) => T)(size);
  next.set(array);
  return next;
}

export class ItemLog {
  size = 0;
  private putBy = new Int32Array(1024);
  private putAt = new Float64Array(1024);
  private gotBy = new Int32Array(1024);
  private gotAt = new Float64Array(1024);
  private state = new Uint8Array(1024);
  private bytes = new Int32Array(1024);
  /** The item's JSON text, shortened: what a person sees when hovering a mark. */
  private previews: string[] = [];
  /** Ids in the order they were got (the publisher reads this to send get marks). */
  gotOrder = new Int32Array(1024);
  gotCount = 0;
  /** Ids taken back by the broker after their holder died before handing them out. */
  readonly requeued = new Set<number>();

  private reserve(): void {
    if (this.size < this.putBy.length) return;
    const n = this.putBy.length * 2;
    this.putBy = grow(this.putBy, n);
    this.putAt = grow(this.putAt, n);
    this.gotBy = grow(this.gotBy, n);
    this.gotAt = grow(this.gotAt, n);
    this.state = grow(this.state, n);
    this.bytes = grow(this.bytes, n);
  }

  /** Records a put; returns the new item's id. */
  put(actor: number, t: number, item: Buffer): number {
    this.reserve();
    const i = this.size++;
    this.putBy[i] = actor;
    this.putAt[i] = t;
    this.gotBy[i] = -1;
    this.state[i] = ItemState.queued;
    this.bytes[i] = itemTextBytes(item);
    this.previews.push(previewItem(item, itemPreviewBytes));
    return i + 1;
  }

  setState(id: number, state: ItemStateCode): void {
    this.state[id - 1] = state;
  }

  stateOf(id: number): ItemStateCode {
    return this.state[id - 1] as ItemStateCode;
  }

  got(id: number, actor: number, t: number): void {
    const i = id - 1;
    if (this.state[i] === ItemState.got) return;
    this.state[i] = ItemState.got;
    this.gotBy[i] = actor;
    this.gotAt[i] = t;
    if (this.gotCount === this.gotOrder.length) this.gotOrder = grow(this.gotOrder, this.gotOrder.length * 2);
    this.gotOrder[this.gotCount++] = id;
  }

  /** Lease holder, kept in gotBy while the item is leased (not yet got). */
  lease(id: number, actor: number): void {
    this.state[id - 1] = ItemState.leased;
    this.gotBy[id - 1] = actor;
  }

  /** Lost: its queue was closed before anyone got it, or its holder died with the queue closed. */
  lose(id: number, state: typeof ItemState.lostClosed | typeof ItemState.lostHolderDied, t: number): void {
    this.state[id - 1] = state;
    this.gotAt[id - 1] = t;
  }

  unlease(id: number): void {
    this.state[id - 1] = ItemState.queued;
    this.gotBy[id - 1] = -1;
    this.requeued.add(id);
  }

  record(id: number) {
    const i = id - 1;
    const state = this.state[i] as ItemStateCode;
    return {
      id,
      putBy: this.putBy[i]!,
      putAt: this.putAt[i]!,
      gotBy: state === ItemState.got ? this.gotBy[i]! : -1,
      heldBy: state === ItemState.leased ? this.gotBy[i]! : -1,
      gotAt: state === ItemState.got ? this.gotAt[i]! : null,
      lostAt: state >= ItemState.lostClosed ? this.gotAt[i]! : null,
      state: itemStateNames[state],
      bytes: this.bytes[i]!,
      preview: this.previews[i]!,
      requeued: this.requeued.has(id),
    };
  }
}
