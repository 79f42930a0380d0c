import type { ExampleInfo } from '../../../../contract';
import { api, onConnectionOpen } from '../../api.svelte';
import { m } from '../../i18n/messages';
import { alerts } from '../../shell/alerts.svelte';
import { navigation } from '../../shell/navigation.svelte';
import { pools } from '../pools/pools.svelte';
import { runs } from '../runs/runs.svelte';
import { exampleText } from './example-text';

/** The built-in examples, and which one is starting. */
class ExamplesStore {
  list = $state.raw<ExampleInfo[]>([]);
  loaded = $state(false);
  starting = $state<string | null>(null);

  constructor() {
    onConnectionOpen(() => void this.load());
  }

  async load(): Promise<void> {
    const list = await alerts.attempt(m.examples_load_action(), () => api.call('examples.list', {}));
    if (!list) return;
    this.list = list;
    this.loaded = true;
  }

  /** Runs one example, then shows where it happens: its first run, or its own section. */
  async run(example: ExampleInfo): Promise<void> {
    this.starting = example.id;
    try {
      const started = await alerts.attempt(m.example_run_label({ title: exampleText(example).title }), () =>
        api.call('examples.run', { id: example.id }),
      );
      if (!started) return;
      const first = started.runIds[0];
      if (example.view === 'runs' && first) {
        await runs.ensure(first);
        navigation.showRun(first);
      } else {
        // Its own pool is the one to show, whatever else was selected there before.
        if (started.poolId) pools.select(started.poolId);
        navigation.section = example.view;
      }
    } finally {
      this.starting = null;
    }
  }
}

export const examples = new ExamplesStore();
