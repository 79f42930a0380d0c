import { m } from '../i18n/messages';
import type { SectionId } from './sections';

/**
 * "What am I looking at?": one paragraph per view, and the seed program (an example's id) that
 * shows the same picture. The words are messages (renderer/lib/i18n/messages/<locale>.json).
 */
export const viewHelp: Partial<
  Record<SectionId, { text: () => string; example: string; exampleLabel: () => string }>
> = {
  runs: { text: m.viewhelp_runs, example: 'communicate', exampleLabel: m.viewhelp_runs_example },
  examples: { text: m.viewhelp_examples, example: 'fork', exampleLabel: m.viewhelp_examples_example },
  pools: { text: m.viewhelp_pools, example: 'pool', exampleLabel: m.viewhelp_pools_example },
  queues: { text: m.viewhelp_queues, example: 'queue', exampleLabel: m.viewhelp_queues_example },
  system: { text: m.viewhelp_system, example: 'fork', exampleLabel: m.viewhelp_system_example },
  replay: { text: m.viewhelp_replay, example: 'pool', exampleLabel: m.viewhelp_replay_example },
};

export const viewHelpWords = {
  toggle: m.viewhelp_toggle,
  seeExample: m.viewhelp_see,
};
