import type {
  CreatePoolParams,
  EventPayload,
  PoolRecord,
  TaskDetail,
  TaskSummary,
} from '../../../../contract';
import { api, onConnectionOpen } from '../../api.svelte';
import { m } from '../../i18n/messages';
import { untrack } from 'svelte';
import { alerts } from '../../shell/alerts.svelte';
import { navigation } from '../../shell/navigation.svelte';
import { oncePerFrame } from '../../components/once-per-frame';
import { mergeSnapshot } from '../../components/snapshot-merge';

/**
 * Every pool and its tasks. Task summaries live in plain arrays indexed by task id (10,000 of
 * them must not be 10,000 reactive proxies); `version` ticks, at most once per frame, when any
 * of them changed, and the Gantt chart and the table redraw from it.
 */
class PoolsStore {
  list = $state.raw<PoolRecord[]>([]);
  selectedId = $state<string | null>(null);
  selectedTaskId = $state<number | null>(null);
  detail = $state.raw<TaskDetail | null>(null);
  version = $state(0);
  readonly #tasks = new Map<string, TaskSummary[]>();
  readonly #bump = oncePerFrame(() => this.version++);
  #loadedAt = 0;
  /** Listening to pools.tasks (the Pools view is shown). */
  #listening = false;
  /** Tasks may have changed while nobody listened: loaded again when the view comes back. */
  #stale = false;

  constructor() {
    onConnectionOpen(() => void this.load());
    api.on('pools.updated', (record) => this.#upsert(record));
    // Task changes are sent only while the Pools view is shown (the only place that draws tasks).
    $effect.root(() => {
      $effect(() => {
        if (navigation.section !== 'pools') return;
        const stop = untrack(() => {
          this.#listening = true;
          const off = api.on('pools.tasks', (payload) => this.#receiveTasks(payload));
          if (this.#stale) void this.load();
          return off;
        });
        return () => {
          stop();
          this.#listening = false;
          this.#stale = true;
        };
      });
    });
  }

  #receiveTasks({ poolId, tasks }: EventPayload<'pools.tasks'>): void {
    const list = this.#listOf(poolId);
    for (const task of tasks) list[task.id - 1] = task;
    if (this.selectedTaskId !== null && poolId === this.selectedId) {
      if (tasks.some((task) => task.id === this.selectedTaskId)) void this.refreshDetail();
    }
    this.#bump();
  }

  get selected(): PoolRecord | null {
    return this.list.find((pool) => pool.id === this.selectedId) ?? null;
  }

  /** The tasks of a pool, by id (read `version` first to redraw when they change). */
  tasksOf(poolId: string): readonly TaskSummary[] {
    return this.#tasks.get(poolId) ?? [];
  }

  #listOf(poolId: string): TaskSummary[] {
    let list = this.#tasks.get(poolId);
    if (!list) this.#tasks.set(poolId, (list = []));
    return list;
  }

  #upsert(record: PoolRecord): void {
    const index = this.list.findIndex((pool) => pool.id === record.id);
    if (index === -1) {
      this.list = [...this.list, record];
      // A pool made after the page loaded (by the form, an example, a test) is the one to watch;
      // before the first load, an event is only news about an older pool (an agent's heartbeat).
      if (this.#loadedAt > 0 && record.createdAt >= this.#loadedAt) this.select(record.id);
    } else {
      const next = this.list.slice();
      next[index] = record;
      this.list = next;
    }
  }

  async load(): Promise<void> {
    this.#stale = !this.#listening;
    const requestedAt = Date.now();
    const list = await alerts.attempt(m.pools_load(), () => api.call('pools.list', {}));
    if (!list) return;
    // The page's first load draws the line (when it was asked for): pools made after it are the
    // ones to watch, however they arrive (an event, or a later load's snapshot before the event).
    const firstLoad = this.#loadedAt === 0;
    if (firstLoad) this.#loadedAt = requestedAt;
    const known = new Set(this.list.map((pool) => pool.id));
    // Events keep coming while the tasks load: what they bring is newer than this snapshot.
    const updatedMeanwhile: string[] = [];
    const noteUpdate = api.on('pools.updated', (record) => updatedMeanwhile.push(record.id));
    try {
      for (const pool of list) await this.#loadTasks(pool.id);
    } finally {
      noteUpdate();
    }
    this.list = mergeSnapshot(list, this.list, updatedMeanwhile);
    const madeSince = firstLoad
      ? undefined
      : this.list.findLast((pool) => !known.has(pool.id) && pool.createdAt >= this.#loadedAt);
    if (madeSince) this.select(madeSince.id);
    this.selectedId ??= this.list.at(-1)?.id ?? null;
    this.#bump();
  }

  async #loadTasks(poolId: string): Promise<void> {
    const list: TaskSummary[] = [];
    for (let fromId = 1; ;) {
      const page = await api.call('pools.tasks', { id: poolId, fromId, limit: 10_000 });
      for (const task of page.tasks) list[task.id - 1] = task;
      fromId += page.tasks.length;
      if (page.tasks.length === 0 || fromId > page.total) break;
    }
    this.#tasks.set(poolId, list);
  }

  select(id: string): void {
    if (this.selectedId === id) return;
    this.selectedId = id;
    this.selectedTaskId = null;
    this.detail = null;
  }

  async create(params: CreatePoolParams): Promise<PoolRecord | undefined> {
    const record = await alerts.attempt(m.pools_create(), () => api.call('pools.create', params));
    if (record) {
      this.#upsert(record);
      this.select(record.id);
    }
    return record;
  }

  async submit(poolId: string, target: string, items: unknown[]): Promise<void> {
    await alerts.attempt(m.pool_add(), () =>
      api.call('pools.submit', { id: poolId, target, items: items as never, chunksize: 1 }),
    );
  }

  async addInputs(poolId: string, inputs: string[]): Promise<void> {
    await alerts.attempt(m.pools_add_inputs(), () => api.call('pools.addInputs', { id: poolId, inputs }));
  }

  async control(poolId: string, action: 'close' | 'join' | 'terminate'): Promise<void> {
    const method = action === 'close' ? 'pools.close' : action === 'join' ? 'pools.join' : 'pools.terminate';
    const words = { close: m.pool_close, join: m.pool_join, terminate: m.pool_terminate };
    const record = await alerts.attempt(words[action](), () => api.call(method, { id: poolId }));
    if (record) this.#upsert(record);
  }

  async selectTask(taskId: number | null): Promise<void> {
    this.selectedTaskId = taskId;
    this.detail = null;
    if (taskId !== null) await this.refreshDetail();
  }

  async refreshDetail(): Promise<void> {
    const poolId = this.selectedId;
    const taskId = this.selectedTaskId;
    if (poolId === null || taskId === null) return;
    const detail = await alerts.attempt(m.pools_task_details(), () =>
      api.call('pools.task', { id: poolId, taskId }),
    );
    if (detail && this.selectedTaskId === taskId) this.detail = detail;
  }

  async export(poolId: string, format: 'joblog' | 'trace'): Promise<void> {
    const file = await alerts.attempt(m.pools_export(), () =>
      api.call('pools.export', { id: poolId, format }),
    );
    if (!file) return;
    const url = URL.createObjectURL(new Blob([file.text], { type: file.mime }));
    const link = document.createElement('a');
    link.href = url;
    link.download = file.filename;
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }

  async runExample(): Promise<void> {
    const started = await alerts.attempt(m.pools_run_example(), () =>
      api.call('examples.run', { id: 'pool' }),
    );
    if (started?.poolId) this.select(started.poolId);
  }
}

export const pools = new PoolsStore();
