import type { EventName, EventPayload } from '../../contract';
import type { Engine } from '../engine/engine';
import type { OutputCursor } from '../engine/output/output-capture';

export type Publish = <E extends EventName>(name: E, payload: EventPayload<E>) => void;

export interface PublisherOptions {
  /** How often coalesced events go out. */
  intervalMs?: number;
  /** The most lines of one run sent per batch; a flood sends the newest and counts the rest. */
  maxLinesPerBatch?: number;
  /**
   * The most line text (bytes) sent per batch, shared by the runs with new lines (each gets at
   * least 16 KiB, one long line's head): a flood of long lines in several runs must not outrun
   * what a page can take, or its connection is closed for not reading.
   */
  maxBytesPerBatch?: number;
}

/**
 * Turns the engine's change feed into coalesced events for a transport: the latest record of
 * each changed run, and each run's new lines, once per interval. Output is asked of the engine
 * from this publisher's cursor per run, so a flood costs the publisher the same as a trickle.
 */
export function startPublisher(engine: Engine, publish: Publish, options: PublisherOptions = {}) {
  const intervalMs = options.intervalMs ?? 33;
  const maxLines = options.maxLinesPerBatch ?? 500;
  const maxBytes = options.maxBytesPerBatch ?? 512 * 1024;
  const changedRuns = new Map<string, EventPayload<'runs.updated'>>();
  const outputRuns = new Set<string>();
  /** Per run: where this publisher's reading stands. */
  const cursors = new Map<string, OutputCursor>();
  let timer: NodeJS.Timeout | null = null;

  const schedule = () => {
    timer ??= setTimeout(flush, intervalMs);
  };

  function flushOutput(id: string, maxRunBytes: number) {
    const since = engine.outputSince(id, cursors.get(id), maxLines, maxRunBytes);
    if (!since) return;
    const { cursor, ...output } = since;
    cursors.set(id, cursor);
    publish('runs.output', { id, ...output });
  }

  function flush() {
    timer = null;
    // Output first: a run's last lines arrive before the record that says it ended.
    const runBytes = Math.max(16 * 1024, maxBytes / Math.max(1, outputRuns.size));
    for (const id of outputRuns) flushOutput(id, runBytes);
    outputRuns.clear();
    for (const record of changedRuns.values()) publish('runs.updated', record);
    changedRuns.clear();
  }

  const stopWatching = engine.watchRuns({
    changed(record) {
      changedRuns.set(record.id, record);
      schedule();
    },
    output(id) {
      outputRuns.add(id);
      schedule();
    },
    message: (message) => publish('runs.message', message as EventPayload<'runs.message'>),
  });

  return {
    flush,
    stop() {
      if (timer) clearTimeout(timer);
      stopWatching();
    },
  };
}
