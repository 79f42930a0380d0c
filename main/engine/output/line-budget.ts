/** What the budget needs of a ring that holds line bytes. */
export interface BudgetedRing {
  /** Bytes of line storage it holds now (its arena's size). */
  readonly arenaBytes: number;
  /** Gives back about half of its storage (its oldest lines go); returns the bytes freed. */
  shrink(): number;
}

/**
 * One limit on the line bytes held by every run's ring together. A ring asks before it grows its
 * storage; when the total would pass the limit, rings bigger than the asker are halved first (the
 * biggest first), so runs end up with fair shares and a flood in one run takes memory from idle
 * big ones, never from small ones. A ring nobody bigger can pay for is refused and keeps cycling
 * through the storage it has: its oldest lines go, as they would at its own limit.
 */
export class LineBudget {
  private total = 0;
  private readonly rings = new Set<BudgetedRing>();

  constructor(readonly maxBytes: number) {
    if (!(maxBytes > 0)) throw new RangeError(`A line budget must be positive, not ${maxBytes}.`);
  }

  get usedBytes(): number {
    return this.total;
  }

  /** Whether `ring` may take `extra` more bytes; on true, they are counted as its own. */
  request(ring: BudgetedRing, extra: number): boolean {
    this.rings.add(ring);
    while (this.total + extra > this.maxBytes) {
      const victim = this.biggestAbove(ring.arenaBytes + extra, ring);
      if (!victim) return false;
      const freed = victim.shrink();
      if (freed <= 0) return false;
      this.total -= freed;
    }
    this.total += extra;
    return true;
  }

  /** Storage a ring took without asking (the floor every ring may hold) or gave back (negative). */
  adjust(ring: BudgetedRing, delta: number): void {
    this.rings.add(ring);
    this.total += delta;
  }

  /** The ring is gone (its run was forgotten): its bytes no longer count. */
  release(ring: BudgetedRing): void {
    if (!this.rings.delete(ring)) return;
    this.total -= ring.arenaBytes;
  }

  private biggestAbove(size: number, asker: BudgetedRing): BudgetedRing | null {
    let biggest: BudgetedRing | null = null;
    for (const ring of this.rings) {
      if (ring === asker || ring.arenaBytes <= size) continue;
      if (!biggest || ring.arenaBytes > biggest.arenaBytes) biggest = ring;
    }
    return biggest;
  }
}
