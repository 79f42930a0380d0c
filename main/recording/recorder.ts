import { createWriteStream, openSync } from 'node:fs';
import { hostname } from 'node:os';
import { constants as zlib, createGzip } from 'node:zlib';
import type { EventPayload, TaskSummary } from '../../contract';
import { encodeTaskColumns, taskColumnsEntry } from '../../contract/recording-columns';
import type { Publish } from '../api/publisher';
import type { Engine } from '../engine/engine';
import { exclusiveCreateFlags, logFileMode } from '../engine/output/log-session';
import {
  defaultLimits,
  recordingFormat,
  recordingVersion,
  unrecordedEvents,
  type EntryName,
  type RecordingEnd,
  type RecordingHeader,
  type RecordingLimits,
} from './format';
import { closingEntries } from './snapshot';

/** What a recorder listens to: the host every transport shares (main/api/host.ts). */
export interface RecordedHost {
  engine: Engine;
  subscribe(publish: Publish): () => void;
  /** Sends what the publishers hold back, so the closing entries come after the last events. */
  flush(): void;
}

export interface RecorderOptions {
  command?: string[] | null;
  limits?: Partial<RecordingLimits>;
  /** Overwrite an existing file (an explicit `--out`); otherwise the file must be new. */
  replace?: boolean;
  /** The version written in the header. */
  version?: string;
}

const batchBytes = 256 * 1024;
const batchMs = 50;
const syncFlushMs = 1000;
const tasksPerEntry = 5000;
const settledStates: ReadonlySet<string> = new Set(['done', 'failed', 'cancelled']);

/**
 * Appends every event the host publishes to a recording file (format.ts), within a budget. It
 * subscribes like a transport, so whatever a view can draw, the recording holds.
 */
export class Recorder {
  readonly limits: RecordingLimits;
  /** Why the file could not be written, or null. */
  error: string | null = null;
  private readonly gzip = createGzip({ level: 1 });
  private readonly closed: Promise<void>;
  private readonly unsubscribe: () => void;
  private pending: string[] = [];
  private pendingBytes = 0;
  private bytes = 0;
  private entries = 0;
  private outputBytes = 0;
  private droppedEvents = 0;
  private droppedLines = 0;
  private truncated = false;
  private stopped = false;
  private batchTimer: NodeJS.Timeout | null = null;
  /** Per pool, the newest summary of each changed task not yet written: fresh since the last sync flush, or held through it. */
  private readonly heldTasks = new Map<
    string,
    { fresh: Map<number, TaskSummary>; older: Map<number, TaskSummary> }
  >();
  private readonly syncTimer: NodeJS.Timeout;
  private unflushed = false;

  constructor(
    private readonly host: RecordedHost,
    readonly path: string,
    options: RecorderOptions = {},
  ) {
    this.limits = { ...defaultLimits, ...options.limits };
    const flags = options.replace ? 'w' : exclusiveCreateFlags;
    // Opened here, synchronously: a path that cannot be written is said before anything runs.
    const fd = openSync(path, flags, logFileMode);
    const file = createWriteStream('', { fd });
    this.closed = new Promise((resolve) => {
      file.once('close', resolve);
      file.once('error', (error) => {
        this.error ??= `${(error as NodeJS.ErrnoException).code ?? 'error'}: ${error.message}`;
        resolve();
      });
    });
    this.gzip.on('error', (error) => (this.error ??= error.message));
    this.gzip.pipe(file);
    const header: RecordingHeader = {
      format: recordingFormat,
      version: recordingVersion,
      createdAt: Date.now(),
      forkscope: options.version ?? '0.1.0',
      host: { pid: process.pid, platform: process.platform, hostname: hostname() },
      command: options.command ?? null,
      limits: this.limits,
    };
    this.gzip.write(JSON.stringify(header) + '\n');
    this.unsubscribe = host.subscribe(this.onEvent);
    // A crash loses at most the last second: each sync flush ends a readable stretch of the gzip stream.
    this.syncTimer = setInterval(() => {
      if (!this.unflushed || this.stopped) return;
      this.unflushed = false;
      this.writeHeldTasks(false);
      this.writeBatch();
      this.gzip.flush(zlib.Z_SYNC_FLUSH);
    }, syncFlushMs);
    this.syncTimer.unref();
  }

  private readonly onEvent: Publish = (name, payload) => {
    if (unrecordedEvents.has(name)) return;
    if (name === 'runs.output') {
      this.append(name, this.withinOutputLimit(payload as EventPayload<'runs.output'>));
      return;
    }
    if (name === 'pools.tasks') {
      this.holdTasks(payload as EventPayload<'pools.tasks'>);
      return;
    }
    this.append(name, payload);
  };

  /**
   * Task summaries wait for a sync flush, each task's newest only: a reader keeps a task's last
   * summary, whose times say when it was queued, started and ended, so the states a task went
   * through before it settled add nothing to a replay. A flush writes the settled tasks and those
   * held through the flush before; the others wait one more. A task that settles within a
   * second or two is written once, not once per state; one that runs longer is written at least
   * every two seconds, so a crash still loses only the last two.
   */
  private holdTasks({ poolId, tasks }: EventPayload<'pools.tasks'>): void {
    if (this.stopped) return;
    let held = this.heldTasks.get(poolId);
    if (!held) this.heldTasks.set(poolId, (held = { fresh: new Map(), older: new Map() }));
    for (const task of tasks) {
      if (held.older.has(task.id)) held.older.set(task.id, task);
      else held.fresh.set(task.id, task);
    }
    this.unflushed = true;
  }

  /** Writes the held task summaries that are due (all of them when `all`). */
  private writeHeldTasks(all: boolean): void {
    for (const [poolId, held] of this.heldTasks) {
      const due = [...held.older.values()];
      const waiting = new Map<number, TaskSummary>();
      for (const task of held.fresh.values()) {
        if (all || settledStates.has(task.state)) due.push(task);
        else waiting.set(task.id, task);
      }
      this.writeTasks(poolId, due);
      if (waiting.size === 0) this.heldTasks.delete(poolId);
      else {
        this.heldTasks.set(poolId, { fresh: new Map(), older: waiting });
        this.unflushed = true;
      }
    }
  }

  /** Task summaries column by column (contract/recording-columns.ts), 5,000 an entry. */
  private writeTasks(poolId: string, tasks: TaskSummary[]): void {
    for (let at = 0; at < tasks.length; at += tasksPerEntry) {
      const part = tasks.slice(at, at + tasksPerEntry);
      const columns = encodeTaskColumns(poolId, part);
      if (columns !== null) this.appendJson(taskColumnsEntry, columns);
      else this.append('pools.tasks', { poolId, tasks: part });
    }
  }

  /** Past the output limit an output event keeps its counts; its lines are counted as skipped. */
  private withinOutputLimit(event: EventPayload<'runs.output'>): EventPayload<'runs.output'> {
    let kept = 0;
    for (const line of event.lines) {
      if (this.outputBytes + line.text.length > this.limits.maxOutputBytes) break;
      this.outputBytes += line.text.length;
      kept++;
    }
    if (kept === event.lines.length) return event;
    this.droppedLines += event.lines.length - kept;
    this.outputBytes = this.limits.maxOutputBytes;
    return {
      ...event,
      lines: event.lines.slice(0, kept),
      skipped: event.skipped + event.lines.length - kept,
    };
  }

  /** Whether an event comes too late (stopped, or past the budget: then it is counted as dropped). */
  private refused(closing: boolean): boolean {
    if (closing) return false;
    if (this.stopped) return true;
    if (this.truncated) this.droppedEvents++;
    return this.truncated;
  }

  private append(name: EntryName, payload: unknown, closing = false): void {
    if (!this.refused(closing)) this.appendJson(name, JSON.stringify(payload), closing);
  }

  /** `payload` is JSON already. */
  private appendJson(name: EntryName, payload: string, closing = false): void {
    if (this.refused(closing)) return;
    const line = `{"t":${Date.now()},"e":${JSON.stringify(name)},"p":${payload}}\n`;
    if (!closing && this.bytes + line.length > this.limits.maxBytes) {
      this.truncated = true;
      this.droppedEvents++;
      this.append(
        'recording.truncated',
        { reason: 'the recording size budget is used up', bytes: this.bytes },
        true,
      );
      return;
    }
    this.bytes += line.length;
    this.entries++;
    this.pending.push(line);
    this.pendingBytes += line.length;
    this.unflushed = true;
    if (this.pendingBytes >= batchBytes) this.writeBatch();
    else this.batchTimer ??= setTimeout(() => this.writeBatch(), batchMs);
  }

  /** Entries go to the compressor in batches: one write per ~50 ms, not one per event. */
  private writeBatch(): void {
    if (this.batchTimer) clearTimeout(this.batchTimer);
    this.batchTimer = null;
    if (this.pending.length === 0 || this.error) return;
    this.gzip.write(this.pending.join(''));
    this.pending = [];
    this.pendingBytes = 0;
  }

  /** Uncompressed bytes of entries so far. */
  get size(): number {
    return this.bytes;
  }

  /**
   * Stops listening, appends the closing entries (every pool's tasks, every queue's items, the
   * descendant lanes and the lens's view, in full) and the end entry, and closes the file.
   */
  async stop(extra: Pick<RecordingEnd, 'exitStatus'> = {}): Promise<RecordingEnd> {
    if (this.stopped) throw new Error('This recording is stopped already.');
    this.host.flush();
    this.writeHeldTasks(true);
    this.stopped = true;
    this.unsubscribe();
    clearInterval(this.syncTimer);
    for (const entry of closingEntries(this.host.engine, { tasks: this.truncated })) {
      this.append(entry.e, entry.p, true);
    }
    const end: RecordingEnd = {
      endedAt: Date.now(),
      entries: this.entries + 1,
      bytes: this.bytes,
      droppedEvents: this.droppedEvents,
      droppedLines: this.droppedLines,
      ...extra,
    };
    this.append('recording.end', end, true);
    this.writeBatch();
    this.gzip.end();
    await this.closed;
    return end;
  }
}

/** Opens `path` and starts recording; throws (ENOENT, EACCES, EEXIST…) before anything is recorded. */
export function startRecorder(host: RecordedHost, path: string, options: RecorderOptions = {}): Recorder {
  return new Recorder(host, path, options);
}
