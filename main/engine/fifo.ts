/**
 * First in, first out, with the head as an index: taking from the front moves the index, not the
 * array (a map of a million items queues a million tasks; a queue streams millions of item ids),
 * and the part already taken is let go once it is most of the array. What comes back goes to the
 * front. Pools queue their tasks in one, queues their item ids.
 */
export class Fifo<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  get empty(): boolean {
    return this.head >= this.items.length;
  }

  push(item: T): void {
    this.items.push(item);
  }

  /** The one `offset` places from the front (0: the next), still in. */
  peek(offset = 0): T | undefined {
    return offset < this.length ? this.items[this.head + offset] : undefined;
  }

  /** Takes out the next one. */
  shift(): T | undefined {
    if (this.empty) return undefined;
    const item = this.items[this.head++]!;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Takes out the one `offset` places from the front (a get that matched past the head). */
  removeAt(offset: number): T | undefined {
    if (offset === 0) return this.shift();
    if (offset >= this.length) return undefined;
    return this.items.splice(this.head + offset, 1)[0];
  }

  /** Back to the front, in the order given, before everything still in. */
  unshift(items: readonly T[]): void {
    if (items.length === 0) return;
    this.items = [...items, ...this.items.slice(this.head)];
    this.head = 0;
  }

  /** Everything still in, taken out. */
  drain(): T[] {
    const rest = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    return rest;
  }
}
