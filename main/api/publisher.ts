import type { EventName, EventPayload } from '../../contract';
import type { Engine } from '../engine/engine';

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
 * Turns the engine's event stream into coalesced events for a transport: the latest record of
 * each changed run, and each run's new lines, once per interval. Output is pulled from the
 * capture rings, so a flood costs the publisher the same as a trickle.
 */
export function startPublisher(engine: Engine, publish: Publish, options: PublisherOptions = {}) {
  const intervalMs = options.intervalMs ?? 33;
  const maxLines = options.maxLinesPerBatch ?? 500;
  const maxBytes = options.maxBytesPerBatch ?? 512 * 1024;
  const changedRuns = new Map<string, EventPayload<'runs.updated'>>();
  const outputRuns = new Set<string>();
  /** Per run: the next line not sent yet, and the unfinished lines as last sent. */
  const sent = new Map<string, { seq: number; unfinished: string }>();
  let timer: NodeJS.Timeout | null = null;

  const schedule = () => {
    timer ??= setTimeout(flush, intervalMs);
  };

  function flushOutput(id: string, maxRunBytes: number) {
    let run;
    try {
      run = engine.run(id);
    } catch {
      return;
    }
    const from = sent.get(id)?.seq ?? 0;
    const next = run.capture.nextSeq;
    const unfinished = run.capture.unfinished();
    const unfinishedKey = JSON.stringify(unfinished);
    if (next <= from && unfinishedKey === (sent.get(id)?.unfinished ?? '{"stdout":null,"stderr":null}'))
      return;
    const start = run.capture.newestWithin(Math.max(from, next - maxLines), maxRunBytes);
    const { lines } = run.capture.read(start, maxLines, Infinity);
    sent.set(id, { seq: next, unfinished: unfinishedKey });
    const stats = run.capture.stats();
    publish('runs.output', {
      id,
      lines,
      skipped: start - from,
      unfinished,
      stdout: { bytes: stats.stdout.bytes, lines: stats.stdout.lines },
      stderr: { bytes: stats.stderr.bytes, lines: stats.stderr.lines },
    });
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

  const onRun = (record: EventPayload<'runs.updated'>) => {
    changedRuns.set(record.id, record);
    schedule();
  };
  const onOutput = (id: string) => {
    outputRuns.add(id);
    schedule();
  };
  const onMessage = (message: EventPayload<'runs.message'>) => publish('runs.message', message);

  engine.registry.on('run', onRun);
  engine.registry.on('output', onOutput);
  engine.registry.on('message', onMessage as never);

  return {
    flush,
    stop() {
      if (timer) clearTimeout(timer);
      engine.registry.off('run', onRun);
      engine.registry.off('output', onOutput);
      engine.registry.off('message', onMessage as never);
    },
  };
}
