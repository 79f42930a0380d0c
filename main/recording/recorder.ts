import { createWriteStream, openSync } from 'node:fs';
import { hostname } from 'node:os';
import { constants as zlib, createGzip } from 'node:zlib';
import type { EventPayload } from '../../contract';
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
    this.append(name, payload);
  };

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

  private append(name: EntryName, payload: unknown, closing = false): void {
    if (this.stopped && !closing) return;
    if (this.truncated && !closing) {
      this.droppedEvents++;
      return;
    }
    const line = `{"t":${Date.now()},"e":${JSON.stringify(name)},"p":${JSON.stringify(payload)}}\n`;
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
