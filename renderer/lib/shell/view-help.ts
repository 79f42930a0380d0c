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
  // Not translated yet (the recordings feature is being written): its English, as its author wrote it.
  replay: {
    text: () =>
      'A recording is everything a session (or `forkscope record`) saw, in one file you can send. ' +
      'Open one (or drop it on the window) and move the time scrubber: runs, their console, pools ' +
      'with the tasks running at that moment, queues and descendant lanes show the state at the ' +
      'cursor; play it at 1×, 10× or 100×. Open two to compare them on one time axis, and export a ' +
      'Chrome trace (Perfetto opens it) or a pool’s task table.',
    example: 'pool',
    exampleLabel: () => 'Pool(4): record it, then compare it with Pool(2)',
  },
};

export const viewHelpWords = {
  toggle: m.viewhelp_toggle,
  seeExample: m.viewhelp_see,
};
