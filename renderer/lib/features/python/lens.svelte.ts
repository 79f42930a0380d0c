import { SvelteMap } from 'svelte/reactivity';
import type { LensDetail, LensStatus } from '../../../../contract';
import { api, onConnectionOpen } from '../../api.svelte';

/** How often an open run's lens detail is re-read while its program reports. */
const refreshMs = 300;

/**
 * What the Python lens saw, per run: the status of every run it reported on (from events), and
 * the full detail (processes, signals) of the runs someone is looking at.
 */
class LensStore {
  readonly statuses = new SvelteMap<string, LensStatus>();
  readonly details = new SvelteMap<string, LensDetail>();
  readonly #watched = new Set<string>();
  readonly #timers = new Map<string, ReturnType<typeof setTimeout>>();

  constructor() {
    api.on('python.lens', (status) => {
      this.statuses.set(status.runId, status);
      if (this.#watched.has(status.runId)) this.#refreshSoon(status.runId);
    });
    onConnectionOpen(() => {
      for (const runId of this.#watched) void this.#load(runId);
    });
  }

  /** Starts following one run's detail; the returned function stops. */
  watch(runId: string): () => void {
    this.#watched.add(runId);
    void this.#load(runId);
    return () => this.#watched.delete(runId);
  }

  #refreshSoon(runId: string): void {
    if (this.#timers.has(runId)) return;
    this.#timers.set(
      runId,
      setTimeout(() => {
        this.#timers.delete(runId);
        void this.#load(runId);
      }, refreshMs),
    );
  }

  async #load(runId: string): Promise<void> {
    try {
      const detail = await api.call('python.lens', { runId });
      this.details.set(runId, detail);
      this.statuses.set(runId, detail.status);
    } catch {
      // A run cleared meanwhile: nothing to show.
    }
  }
}

export const lens = new LensStore();
