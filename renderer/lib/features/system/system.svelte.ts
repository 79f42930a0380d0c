import { localHostId } from '../../../../contract/hosts';
import type {
  ProcessDetails,
  ProcessHistory,
  ProcessRow,
  SignalName,
  SystemDiff,
  SystemSettings,
} from '../../../../contract/system';
import type { HostClient } from '../hosts/host-connection';
import { hosts } from '../hosts/hosts.svelte';
import { ProcessFeed, type Highlight } from './process-feed';
import {
  buildTree,
  compileQuery,
  filterRows,
  sortRows,
  type Sort,
  type SortColumn,
  type TreeLine,
} from './process-query';

export { highlightMs, type Highlight } from './process-feed';

const historyLength = 120;
/** The System view's choice that shows every host's processes together. */
export const allHosts = 'all';

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The System view's state: the live process list of the host shown (or of every host, merged,
 * with a Host column), the query, the selection.
 */
class SystemStore {
  /** Current processes plus the recently exited ones (kept for their red highlight). */
  rows = $state.raw<ProcessRow[]>([]);
  highlights = $state.raw<ReadonlyMap<string, Highlight>>(new Map());
  settings = $state.raw<SystemSettings>({ intervalMs: 1000, paused: false });
  source = $state<'proc' | 'ps-list'>('proc');
  loaded = $state(false);
  error = $state<string | null>(null);
  /** `local`, another host's id, or `all`. */
  host = $state(localHostId);
  readonly merged = $derived(this.host === allHosts);

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
    // Pids repeat across hosts: the tree is drawn for one host at a time.
    if (this.mode === 'tree' && !this.merged)
      return buildTree(this.rows, this.matcher, this.sort, this.collapsed);
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

  private feeds: ProcessFeed[] = [];
  /** In the merged list, which feed each row came from (by its merged key). */
  private rowFeeds = new Map<string, { feed: ProcessFeed; key: string }>();
  private users = 0;
  private stopFeeds: (() => void)[] = [];

  /** Called by the view when it appears: the shown host's (or every host's) feed starts. */
  start(): () => void {
    if (this.users++ === 0) this.startFeeds();
    return () => {
      if (--this.users === 0) this.stopAll();
    };
  }

  /** Shows another host's processes, or every host's (`all`). */
  useHost(id: string): void {
    if (id === this.host) return;
    this.host = id;
    void this.select(null);
    this.loaded = false;
    this.rows = [];
    this.highlights = new Map();
    if (this.users > 0) {
      this.stopAll();
      this.startFeeds();
    }
  }

  /** All hosts shown: a host added or removed meanwhile joins or leaves the merged list. */
  followHosts(ids: readonly string[]): void {
    if (!this.merged || this.users === 0) return;
    const shown = this.feeds.map((feed) => feed.host).join('\n');
    if (shown === [localHostId, ...ids].join('\n')) return;
    this.stopAll();
    this.startFeeds();
  }

  private startFeeds(): void {
    const ids = this.merged ? [localHostId, ...hosts.list.map((host) => host.id)] : [this.host];
    this.feeds = ids.map(
      (id) => new ProcessFeed(id, hosts.connection(id).client, (feed, t) => this.changed(feed, t)),
    );
    this.stopFeeds = this.feeds.flatMap((feed) => {
      // A host that connects (again) after the feed started is read anew: its diffs were missed.
      let started = false;
      const stopOpen = hosts.connection(feed.host).onOpen(() => started && void feed.resync());
      started = true;
      return [feed.start(), stopOpen];
    });
  }

  private stopAll(): void {
    for (const stop of this.stopFeeds.splice(0)) stop();
    this.feeds = [];
  }

  async resync(): Promise<void> {
    await Promise.all(this.feeds.map((feed) => feed.resync()));
  }

  /** Applies one diff on top of this machine's list (the benchmark entry, renderer/bench.ts, feeds it). */
  applyDiff(diff: SystemDiff): void {
    this.feeds[0]?.applyDiff(diff);
  }

  /** The host a shown row belongs to. */
  hostOf(row: ProcessRow): string {
    return this.merged ? (this.rowFeeds.get(row.key)?.feed.host ?? localHostId) : this.host;
  }

  /** The client of the host a row belongs to: details and signals go there. */
  clientOf(row: ProcessRow): HostClient {
    return hosts.connection(this.hostOf(row)).client;
  }

  private changed(feed: ProcessFeed, diffTime?: number): void {
    if (!this.feeds.includes(feed)) return;
    const selected = this.selectedKey ? this.rowFeeds.get(this.selectedKey) : undefined;
    this.publish();
    // The selected process's history grows with each diff of its host.
    const row =
      this.merged && selected ? selected.feed.current.get(selected.key) : (this.selected ?? undefined);
    if (diffTime !== undefined && row && (!this.merged || selected?.feed === feed)) {
      this.pushHistory(diffTime, row);
      // The details say what the state means: read them again when the state changed (a signal, an exit).
      if (this.details && this.details.state !== row.state) void this.refreshDetails();
    }
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
    const rows: ProcessRow[] = [];
    this.rowFeeds.clear();
    for (const feed of this.feeds) {
      // One host: its rows as they are (no copy of thousands of rows per diff). Merged: keys made unique per host.
      const keyOf = this.merged ? (key: string) => `${feed.host}/${key}` : (key: string) => key;
      for (const key of feed.added.keys()) highlights.set(keyOf(key), 'new');
      for (const key of feed.exited.keys()) highlights.set(keyOf(key), 'exited');
      for (const row of feed.rows()) {
        if (!this.merged) {
          rows.push(row);
          continue;
        }
        const merged = { ...row, key: keyOf(row.key) };
        this.rowFeeds.set(merged.key, { feed, key: row.key });
        rows.push(merged);
      }
    }
    this.rows = rows;
    this.highlights = highlights;
    const first = this.feeds[0];
    if (first) {
      this.settings = first.settings;
      this.source = first.source;
    }
    this.loaded = this.feeds.some((feed) => feed.loaded);
    this.error = this.feeds.map((feed) => feed.error).find((error) => error !== null) ?? null;
  }

  /** The sequence number of the last diff applied (the benchmark entry, renderer/bench.ts, reads it). */
  get currentSeq(): number {
    return this.feeds[0]?.seq ?? 0;
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
      const details = await this.clientOf(row).call('system.details', { pid: row.pid });
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
      const details = await this.clientOf(row).call('system.details', { pid: row.pid });
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

  /** Merged, every host gets the same settings. */
  async configure(patch: Partial<SystemSettings>): Promise<void> {
    try {
      const answers = await Promise.all(this.feeds.map((feed) => feed.client.call('system.settings', patch)));
      if (answers[0]) this.settings = answers[0];
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
    const host = this.hostOf(row);
    for (const candidate of this.rows) {
      if (this.highlights.get(candidate.key) === 'exited' || this.hostOf(candidate) !== host) continue;
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
