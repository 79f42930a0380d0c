import type { DescendantLane, DescendantsInfo } from '../../../../contract/system';
import { api } from '../../api.svelte';

/** Descendant lanes of tracked runs, kept up to date from `system.lanes` events. */
class DescendantsStore {
  runs = $state.raw<ReadonlyMap<string, DescendantsInfo>>(new Map());
  error = $state<string | null>(null);
  private users = 0;
  private stop: (() => void) | null = null;

  start(): () => void {
    if (this.users++ === 0) {
      this.stop = api.on('system.lanes', (event) => {
        const known = this.runs.get(event.runId);
        // eslint-disable-next-line svelte/prefer-svelte-reactivity -- built here, then published whole via $state.raw
        const lanes = new Map<string, DescendantLane>(
          (known?.lanes ?? []).map((lane) => [`${lane.pid}:${lane.start}`, lane]),
        );
        for (const lane of event.lanes) lanes.set(`${lane.pid}:${lane.start}`, lane);
        this.put({
          runId: event.runId,
          rootPid: event.rootPid,
          label: known?.label ?? event.runId,
          tracking: event.tracking,
          sampleHz: known?.sampleHz ?? 0,
          lanes: [...lanes.values()],
        });
        if (!known) void this.load(event.runId);
      });
      void api
        .call('system.tracked', {})
        .then((all) => all.forEach((info) => this.put(info)))
        .catch(() => {});
    }
    return () => {
      if (--this.users === 0) {
        this.stop?.();
        this.stop = null;
      }
    };
  }

  private put(info: DescendantsInfo): void {
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- built here, then published whole via $state.raw
    const next = new Map(this.runs);
    next.set(info.runId, info);
    this.runs = next;
  }

  async load(runId: string): Promise<void> {
    try {
      this.put(await api.call('system.descendants', { runId }));
    } catch (error) {
      this.error = error instanceof Error ? error.message : String(error);
    }
  }

  async track(runId: string): Promise<void> {
    try {
      this.error = null;
      this.put(await api.call('system.track', { runId }));
    } catch (error) {
      this.error = error instanceof Error ? error.message : String(error);
    }
  }
}

export const descendantsStore = new DescendantsStore();
