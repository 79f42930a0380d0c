import type {
  ProcessDetails,
  ProcessHistory,
  ProcessRow,
  SignalName,
  SystemDiff,
  SystemSettings,
} from '../../../../contract/system';
import { api } from '../../api.svelte';
import {
  buildTree,
  compileQuery,
  filterRows,
  sortRows,
  type Sort,
  type SortColumn,
  type TreeLine,
} from './process-query';

export type Highlight = 'new' | 'exited';

/** How long a new (green) or exited (red) process stays highlighted. */
export const highlightMs = 4000;
const leaseMs = 15_000;
const historyLength = 120;

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The System view's state: the live process list (diffs applied), the query, the selection. */
class SystemStore {
  /** Current processes plus the recently exited ones (kept for their red highlight). */
  rows = $state.raw<ProcessRow[]>([]);
  highlights = $state.raw<ReadonlyMap<string, Highlight>>(new Map());
  settings = $state.raw<SystemSettings>({ intervalMs: 1000, paused: false });
  source = $state<'proc' | 'ps-list'>('proc');
  loaded = $state(false);
  error = $state<string | null>(null);

  query = $state('');
  regex = $state(false);
  sort = $state.raw<Sort>({ column: 'cpu', direction: 'desc' });
  mode = $state<'table' | 'tree'>('table');
  collapsed = $state.raw<ReadonlySet<string>>(new Set());

  selectedKey = $state<string | null>(null);
  details = $state.raw<ProcessDetails | null>(null);
  detailsError = $state<string | null>(null);
  history = $state.raw<ProcessHistory>({ t: [], cpu: [], memory: [] });
  /** The Send-signal dialog of the selected process, open with this signal chosen (F9/k, Delete). */
  signalDialog = $state<SignalName | null>(null);
  private detailsPending = false;

  readonly matcher = $derived(compileQuery(this.query, this.regex));
  readonly lines: TreeLine[] = $derived.by(() => {
    if (this.mode === 'tree') return buildTree(this.rows, this.matcher, this.sort, this.collapsed);
    return sortRows(filterRows(this.rows, this.matcher), this.sort).map((row) => ({
      row,
      depth: 0,
      children: 0,
      expanded: false,
      context: false,
    }));
  });
  readonly selected = $derived(this.rows.find((row) => row.key === this.selectedKey) ?? null);
  readonly liveCount = $derived(this.rows.filter((row) => this.highlights.get(row.key) !== 'exited').length);

  private current = new Map<string, ProcessRow>();
  private exited = new Map<string, { row: ProcessRow; until: number }>();
  private added = new Map<string, number>();
  private seq = 0;
  private syncing = false;
  private users = 0;
  private stops: (() => void)[] = [];

  /** Called by the view when it appears: events, a lease renewed while the page is visible. */
  start(): () => void {
    if (this.users++ === 0) {
      this.stops.push(api.on('system.diff', (diff) => this.receive(diff)));
      this.stops.push(api.on('system.settings', (settings) => (this.settings = settings)));
      const renew = () => {
        if (document.visibilityState === 'visible')
          void api.call('system.watch', { leaseMs }).catch(() => {});
      };
      renew();
      const lease = setInterval(renew, leaseMs / 3);
      const prune = setInterval(() => this.prune(), 500);
      document.addEventListener('visibilitychange', renew);
      this.stops.push(() => {
        clearInterval(lease);
        clearInterval(prune);
        document.removeEventListener('visibilitychange', renew);
      });
      void this.resync();
    }
    return () => {
      if (--this.users === 0) for (const stop of this.stops.splice(0)) stop();
    };
  }

  async resync(): Promise<void> {
    if (this.syncing) return;
    this.syncing = true;
    try {
      const snapshot = await api.call('system.snapshot', {});
      this.current = new Map(snapshot.rows.map((row) => [row.key, row]));
      for (const key of this.current.keys()) this.exited.delete(key);
      this.seq = snapshot.seq;
      this.settings = snapshot.settings;
      this.source = snapshot.source;
      this.loaded = true;
      this.error = null;
      this.publish();
    } catch (error) {
      this.error = `The process list could not be read: ${message(error)}`;
    } finally {
      this.syncing = false;
    }
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
    const selected = this.selectedKey ? this.current.get(this.selectedKey) : undefined;
    if (selected) this.pushHistory(diff.t, selected);
    // The details say what the state means: read them again when the state changed (a signal, an exit).
    if (selected && this.details && this.details.state !== selected.state) void this.refreshDetails();
    this.publish();
  }

  private pushHistory(t: number, row: ProcessRow): void {
    const keep = (list: number[], value: number) => [...list.slice(-(historyLength - 1)), value];
    this.history = {
      t: keep(this.history.t, t),
      cpu: keep(this.history.cpu, row.cpu),
      memory: keep(this.history.memory, row.memory),
    };
  }

  private publish(): void {
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- built here, then published whole via $state.raw
    const highlights = new Map<string, Highlight>();
    for (const key of this.added.keys()) highlights.set(key, 'new');
    for (const key of this.exited.keys()) highlights.set(key, 'exited');
    const rows = [...this.current.values()];
    for (const [key, { row }] of this.exited) if (!this.current.has(key)) rows.push(row);
    this.rows = rows;
    this.highlights = highlights;
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
    if (changed) this.publish();
  }

  /** The sequence number of the last diff applied (the benchmark entry, renderer/bench.ts, reads it). */
  get currentSeq(): number {
    return this.seq;
  }

  sortBy(column: SortColumn): void {
    const numeric = column === 'cpu' || column === 'memory';
    this.sort =
      this.sort.column === column
        ? { column, direction: this.sort.direction === 'asc' ? 'desc' : 'asc' }
        : { column, direction: numeric ? 'desc' : 'asc' };
  }

  toggle(key: string): void {
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- built here, then published whole via $state.raw
    const next = new Set(this.collapsed);
    if (next.has(key)) next.delete(key);
    else next.add(key);
    this.collapsed = next;
  }

  async select(row: ProcessRow | null): Promise<void> {
    if (row?.key !== this.selectedKey) this.signalDialog = null;
    this.selectedKey = row?.key ?? null;
    this.details = null;
    this.detailsError = null;
    this.history = { t: [], cpu: [], memory: [] };
    if (!row) return;
    try {
      const details = await api.call('system.details', { pid: row.pid });
      if (this.selectedKey !== row.key) return;
      this.details = details;
      this.history =
        details.history.t.length > 0
          ? details.history
          : { t: [Date.now()], cpu: [row.cpu], memory: [row.memory] };
    } catch (error) {
      if (this.selectedKey === row.key) this.detailsError = message(error);
    }
  }

  /** Reads the selected process's details again, keeping its history. */
  async refreshDetails(): Promise<void> {
    const row = this.selected;
    if (!row || this.detailsPending) return;
    this.detailsPending = true;
    try {
      const details = await api.call('system.details', { pid: row.pid });
      if (this.selectedKey === row.key) this.details = details;
    } catch (error) {
      if (this.selectedKey === row.key) this.detailsError = message(error);
    } finally {
      this.detailsPending = false;
    }
  }

  /** Sorts by the column after the current one (F6 / >). */
  sortByNext(columns: readonly SortColumn[]): void {
    const next = columns[(columns.indexOf(this.sort.column) + 1) % columns.length]!;
    this.sortBy(next);
  }

  async configure(patch: Partial<SystemSettings>): Promise<void> {
    try {
      this.settings = await api.call('system.settings', patch);
    } catch (error) {
      this.error = message(error);
    }
  }

  highlightOf(key: string): Highlight | null {
    return this.highlights.get(key) ?? null;
  }

  /** The process and, for a tree, everything below it: what a kill would hit. */
  treeOf(row: ProcessRow): ProcessRow[] {
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- built here, then published whole via $state.raw
    const children = new Map<number, ProcessRow[]>();
    for (const candidate of this.current.values()) {
      let list = children.get(candidate.ppid);
      if (!list) children.set(candidate.ppid, (list = []));
      list.push(candidate);
    }
    const order = [row];
    for (let index = 0; index < order.length && order.length < 100_000; index++) {
      for (const child of children.get(order[index]!.pid) ?? [])
        if (child.pid !== child.ppid) order.push(child);
    }
    return order;
  }
}

export const systemStore = new SystemStore();
