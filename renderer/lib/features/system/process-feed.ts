import type { ProcessRow, SystemDiff, SystemSettings } from '../../../../contract/system';
import { m } from '../../i18n/messages';
import type { HostClient } from '../hosts/host-connection';

export type Highlight = 'new' | 'exited';

/** How long a new (green) or exited (red) process stays highlighted. */
export const highlightMs = 4000;
const leaseMs = 15_000;

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * One host's live process list: a snapshot, then its diffs applied (a missed diff means a new
 * snapshot), with the rows that just appeared or exited remembered for their highlight. Holds a
 * watch lease on the host while started. Plain data: the System store publishes what it says.
 */
export class ProcessFeed {
  settings: SystemSettings = { intervalMs: 1000, paused: false };
  source: 'proc' | 'ps-list' = 'proc';
  loaded = false;
  error: string | null = null;
  readonly current = new Map<string, ProcessRow>();
  readonly exited = new Map<string, { row: ProcessRow; until: number }>();
  readonly added = new Map<string, number>();
  seq = 0;
  private syncing = false;

  constructor(
    readonly host: string,
    readonly client: HostClient,
    /** Told after every change: a diff, a snapshot, settings, a highlight that ended. */
    private readonly onChange: (feed: ProcessFeed, diffTime?: number) => void,
  ) {}

  /** Events, a lease renewed while the page is visible, the first snapshot; returns the stop. */
  start(): () => void {
    const stops = [
      this.client.on('system.diff', (diff) => this.receive(diff)),
      this.client.on('system.settings', (settings) => {
        this.settings = settings;
        this.onChange(this);
      }),
    ];
    const renew = () => {
      if (document.visibilityState === 'visible')
        void this.client.call('system.watch', { leaseMs }).catch(() => {});
    };
    renew();
    const lease = setInterval(renew, leaseMs / 3);
    const prune = setInterval(() => this.prune(), 500);
    document.addEventListener('visibilitychange', renew);
    void this.resync();
    return () => {
      for (const stop of stops) stop();
      clearInterval(lease);
      clearInterval(prune);
      document.removeEventListener('visibilitychange', renew);
    };
  }

  async resync(): Promise<void> {
    if (this.syncing) return;
    this.syncing = true;
    try {
      const snapshot = await this.client.call('system.snapshot', {});
      this.current.clear();
      for (const row of snapshot.rows) this.current.set(row.key, row);
      for (const key of this.current.keys()) this.exited.delete(key);
      this.seq = snapshot.seq;
      this.settings = snapshot.settings;
      this.source = snapshot.source;
      this.loaded = true;
      this.error = null;
    } catch (error) {
      this.error = m.system_unreadable({ reason: message(error) });
    } finally {
      this.syncing = false;
    }
    this.onChange(this);
  }

  private receive(diff: SystemDiff): void {
    if (this.syncing) return;
    if (diff.baseSeq !== this.seq) {
      if (diff.seq > this.seq) void this.resync();
      return;
    }
    this.applyDiff(diff);
  }

  /** Applies one diff on top of the current list (its baseSeq must be ours). */
  applyDiff(diff: SystemDiff): void {
    const now = Date.now();
    for (const key of diff.removed) {
      const row = this.current.get(key);
      if (!row) continue;
      this.current.delete(key);
      this.added.delete(key);
      this.exited.set(key, { row, until: now + highlightMs });
    }
    for (const row of diff.added) {
      this.current.set(row.key, row);
      // A row back under the same key is live again, not also exited (keys stay unique).
      this.exited.delete(row.key);
      this.added.set(row.key, now + highlightMs);
    }
    for (const row of diff.changed) {
      this.current.set(row.key, row);
      this.exited.delete(row.key);
    }
    this.seq = diff.seq;
    this.onChange(this, diff.t);
  }

  /** Current rows, then the recently exited ones (kept for their red highlight). */
  rows(): ProcessRow[] {
    const rows = [...this.current.values()];
    for (const [key, { row }] of this.exited) if (!this.current.has(key)) rows.push(row);
    return rows;
  }

  private prune(): void {
    const now = Date.now();
    let changed = false;
    for (const [key, until] of this.added) {
      if (until > now) continue;
      this.added.delete(key);
      changed = true;
    }
    for (const [key, { until }] of this.exited) {
      if (until > now) continue;
      this.exited.delete(key);
      changed = true;
    }
    if (changed) this.onChange(this);
  }
}
