import type {
  ActorInfo,
  DepthSample,
  EventPayload,
  QueueInfo,
  QueueItem,
  QueueMark,
  RunRecord,
  WaitGraph,
} from '../../../../contract';
import { api, onConnectionOpen } from '../../api.svelte';
import { m } from '../../i18n/messages';
import { untrack } from 'svelte';
import { alerts } from '../../shell/alerts.svelte';
import { navigation } from '../../shell/navigation.svelte';
import { oncePerFrame } from '../../components/once-per-frame';
import { mergeSnapshot } from '../../components/snapshot-merge';

const keepMarks = 5000;
const keepDepth = 4000;

/**
 * Every queue and pipe, their put/get marks and depth over time. Marks and samples live in plain
 * arrays (thousands of them must not be reactive proxies); `version` ticks, at most once per
 * frame, when any changed, and the lanes and the chart redraw from it.
 */
class QueuesStore {
  list = $state.raw<QueueInfo[]>([]);
  selectedId = $state<string | null>(null);
  items = $state.raw<QueueItem[]>([]);
  itemsTotal = $state(0);
  graph = $state.raw<WaitGraph>({ blocked: [], edges: [], cycles: [] });
  runs = $state.raw<Record<string, RunRecord>>({});
  version = $state(0);
  /** What the last Get from the UI returned, and from which queue (shown only with that queue). */
  lastTaken = $state<{ id: string; text: string } | null>(null);
  readonly #marks = new Map<string, QueueMark[]>();
  readonly #depth = new Map<string, DepthSample[]>();
  readonly #actors = new Map<string, ActorInfo[]>();
  readonly #bump = oncePerFrame(() => this.version++);
  #itemsTimer: ReturnType<typeof setTimeout> | null = null;
  #loadedAt = 0;
  #missedActivity = false;

  constructor() {
    onConnectionOpen(() => void this.load());
    api.on('queues.updated', (info) => this.#upsert(info));
    // Activity is sent only while the Queues view is shown; what came meanwhile is each queue's
    // history, loaded again when the view comes back.
    $effect.root(() => {
      $effect(() => {
        if (navigation.section !== 'queues') return;
        const stop = untrack(() => {
          if (this.#missedActivity) void this.load();
          return api.on('queues.activity', (activity) => this.#receiveActivity(activity));
        });
        return () => {
          stop();
          this.#missedActivity = true;
        };
      });
    });
    api.on('queues.waitGraph', (graph) => (this.graph = graph));
    api.on('runs.updated', (run) => {
      if (run.kind === 'process' || this.runs[run.id]) this.runs = { ...this.runs, [run.id]: run };
    });
  }

  #receiveActivity({ id, marks, depth, actors }: EventPayload<'queues.activity'>) {
    const list = this.#listOf(this.#marks, id);
    list.push(...marks);
    if (list.length > keepMarks) list.splice(0, list.length - keepMarks);
    const samples = this.#listOf(this.#depth, id);
    // The first sample sent may repeat the last one we hold (its bucket was still open).
    while (samples.length > 0 && depth.length > 0 && samples.at(-1)!.t >= depth[0]!.t) samples.pop();
    samples.push(...depth);
    if (samples.length > keepDepth) samples.splice(0, samples.length - keepDepth);
    this.#actors.set(id, actors);
    if (id === this.selectedId) this.#refreshItemsSoon();
    this.#bump();
  }

  get selected(): QueueInfo | null {
    return this.list.find((queue) => queue.id === this.selectedId) ?? null;
  }

  marksOf(id: string): readonly QueueMark[] {
    return this.#marks.get(id) ?? [];
  }

  depthOf(id: string): readonly DepthSample[] {
    return this.#depth.get(id) ?? [];
  }

  actorsOf(id: string): readonly ActorInfo[] {
    return this.#actors.get(id) ?? [];
  }

  #listOf<T>(map: Map<string, T[]>, id: string): T[] {
    let list = map.get(id);
    if (!list) map.set(id, (list = []));
    return list;
  }

  #upsert(info: QueueInfo): void {
    const index = this.list.findIndex((queue) => queue.id === info.id);
    if (index === -1) {
      this.list = [...this.list, info];
      // A queue made after the page loaded (an example, the form) is the one to watch.
      // Before the first load, an event is only news about an older queue.
      const madeSinceLoad = this.#loadedAt > 0 && info.createdAt >= this.#loadedAt;
      if (madeSinceLoad || this.selectedId === null) void this.select(info.id);
    } else {
      const next = this.list.slice();
      next[index] = info;
      this.list = next;
    }
  }

  async load(): Promise<void> {
    // Events keep coming while the snapshot and the histories load: what they bring is newer.
    const updatedMeanwhile: string[] = [];
    const noteUpdate = api.on('queues.updated', (info) => updatedMeanwhile.push(info.id));
    try {
      await this.#loadSnapshot(updatedMeanwhile);
    } finally {
      noteUpdate();
    }
  }

  async #loadSnapshot(updatedMeanwhile: readonly string[]): Promise<void> {
    const requestedAt = Date.now();
    const [list, runs, graph] = await Promise.all([
      alerts.attempt(m.queues_load(), () => api.call('queues.list', {})),
      alerts.attempt(m.queues_load_runs(), () => api.call('runs.list', {})),
      alerts.attempt(m.queues_load_graph(), () => api.call('queues.waitGraph', {})),
    ]);
    if (!list) return;
    this.#loadedAt = requestedAt;
    this.runs = Object.fromEntries((runs ?? []).map((run) => [run.id, run]));
    if (graph) this.graph = graph;
    for (const queue of list) await this.#loadHistory(queue.id);
    this.list = mergeSnapshot(list, this.list, updatedMeanwhile);
    if (this.selectedId === null && this.list.length > 0) await this.select(this.list.at(-1)!.id);
    this.#bump();
  }

  async #loadHistory(id: string): Promise<void> {
    const history = await alerts.attempt(m.queues_load_history(), () =>
      api.call('queues.history', { id, limit: keepMarks }),
    );
    if (!history) return;
    this.#marks.set(id, history.marks);
    this.#depth.set(id, history.depth);
    this.#actors.set(id, history.actors);
  }

  async select(id: string): Promise<void> {
    // What a Get on another queue returned does not belong beside this one.
    if (this.lastTaken?.id !== id) this.lastTaken = null;
    this.selectedId = id;
    if (!this.#marks.has(id)) await this.#loadHistory(id);
    await this.refreshItems();
    this.#bump();
  }

  #refreshItemsSoon(): void {
    if (this.#itemsTimer !== null) return;
    this.#itemsTimer = setTimeout(() => {
      this.#itemsTimer = null;
      void this.refreshItems();
    }, 200);
  }

  async refreshItems(): Promise<void> {
    const id = this.selectedId;
    if (!id) return;
    const page = await alerts.attempt(m.queues_load_items(), () =>
      api.call('queues.items', { id, from: 1, limit: 500 }),
    );
    if (!page || id !== this.selectedId) return;
    this.items = page.items;
    this.itemsTotal = page.total;
  }

  create(name: string, maxsize: number, joinable: boolean) {
    return alerts.attempt(m.queue_create(), () =>
      api.call('queues.create', { name: name.trim() || undefined, maxsize, joinable }),
    );
  }

  async put(id: string, text: string): Promise<boolean> {
    let item: unknown;
    try {
      item = JSON.parse(text);
    } catch {
      // Plain words are put as a string, as a person typing A expects.
      item = text;
    }
    const done = await alerts.attempt(m.queue_put(), () =>
      api.call('queues.put', { id, item: item as never, block: false }),
    );
    return done !== undefined;
  }

  async take(id: string): Promise<void> {
    const got = await alerts.attempt(m.queue_get(), () => api.call('queues.take', { id, block: false }));
    this.lastTaken = got ? { id, text: `#${got.itemId}: ${JSON.stringify(got.item)}` } : null;
  }

  async close(id: string): Promise<void> {
    await alerts.attempt(m.queue_close(), () => api.call('queues.close', { id }));
    await this.refreshItems();
  }

  /** A lane's name: the run's label, else what the engine calls the actor. */
  label(actor: string): string {
    if (actor === 'main') return m.queues_main_actor();
    for (const id of this.#actors.keys()) {
      const found = this.#actors.get(id)!.find((a) => a.actor === actor);
      if (found) return found.label;
    }
    return actor;
  }
}

export const queues = new QueuesStore();
