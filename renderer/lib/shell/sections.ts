import type { Component } from 'svelte';
import RunsView from '../features/runs/RunsView.svelte';
import ExamplesView from '../features/examples/ExamplesView.svelte';
import PoolsView from '../features/pools/PoolsView.svelte';
import QueuesView from '../features/queues/QueuesView.svelte';
import SystemView from '../features/system/SystemView.svelte';
import ReplayView from '../features/replay/ReplayView.svelte';

export type SectionId = 'runs' | 'examples' | 'pools' | 'queues' | 'system' | 'replay';

export interface Section {
  id: SectionId;
  label: string;
  view: Component;
}

/** The sidebar, in order. Each area owns its view under lib/features/<area>/. */
export const sections: Section[] = [
  { id: 'runs', label: 'Runs', view: RunsView },
  { id: 'examples', label: 'Examples', view: ExamplesView },
  { id: 'pools', label: 'Pools', view: PoolsView },
  { id: 'queues', label: 'Queues', view: QueuesView },
  { id: 'system', label: 'System', view: SystemView },
  { id: 'replay', label: 'Recordings', view: ReplayView },
];
