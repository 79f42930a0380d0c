import type { SectionId } from './sections';

/**
 * "What am I looking at?": one paragraph per view, and the seed program (an example's id) that
 * shows the same picture. All the words in one place, ready for translation.
 */
export const viewHelp: Record<SectionId, { text: string; example: string; exampleLabel: string }> = {
  runs: {
    text:
      'Each entry on the left is one run: a command (as subprocess.Popen starts it) or a forked ' +
      'Process, with its children indented below it. Open one to see its pid, its state, its ' +
      'output as it arrives (stdout and stderr apart, or merged in the order they came), what you ' +
      'sent to its stdin, and how it ended: the exit code explained in words.',
    example: 'communicate',
    exampleLabel: 'Popen + communicate: text in, stdout and stderr apart',
  },
  examples: {
    text:
      'The seed programs Forkscope was made from, one card each, rebuilt on its engine: fork, ' +
      'Process and join, subprocess, a Pool and a Queue. Run starts one and opens the view that ' +
      'shows it; the Python source it rebuilds is under each card.',
    example: 'fork',
    exampleLabel: 'fork: one process becomes two',
  },
  pools: {
    text:
      'A pool is a fixed set of worker processes and a queue of tasks. The chart has one lane per ' +
      'worker and one bar per task, from when the worker took it to when it answered, coloured by ' +
      'how it ended; the table lists each task with its input, result, exit and output. A task ' +
      'waits while every worker is busy, as in multiprocessing.Pool.',
    example: 'pool',
    exampleLabel: 'Pool(4): five tasks on four workers',
  },
  queues: {
    text:
      'A queue carries items between processes. The lanes show, on one time axis, each put (by ' +
      'its producer) and each get (by its consumer), with a line from an item’s put to its get; ' +
      'the depth chart below, on the same axis, shows how many items waited. A process blocked ' +
      'on a get or a full put is listed with whom it waits for.',
    example: 'queue',
    exampleLabel: 'Queue: a writer and a reader',
  },
  system: {
    text:
      'Every process of this machine, as top or htop shows them: pid, parent, owner, state, CPU ' +
      'and memory, refreshed live (new ones green, ended ones struck through in red). The tree ' +
      'view nests each process under its parent; Forkscope’s own runs are marked. Select one for ' +
      'its details and history, or to send it a signal.',
    example: 'fork',
    exampleLabel: 'fork: a parent and its child',
  },
  replay: {
    text:
      'A recording is everything a session (or `forkscope record`) saw, in one file you can send. ' +
      'Open one (or drop it on the window) and move the time scrubber: runs, their console, pools ' +
      'with the tasks running at that moment, queues and descendant lanes show the state at the ' +
      'cursor; play it at 1×, 10× or 100×. Open two to compare them on one time axis, and export a ' +
      'Chrome trace (Perfetto opens it) or a pool’s task table.',
    example: 'pool',
    exampleLabel: 'Pool(4): record it, then compare it with Pool(2)',
  },
};

export const viewHelpWords = {
  toggle: 'What am I looking at?',
  seeExample: 'See it in the seed program:',
  close: 'Hide',
};
