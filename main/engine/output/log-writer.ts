import { closeSync, open, write, writev } from 'node:fs';
import { RunLog } from './log-budget';
import { exclusiveCreateFlags, logFileMode } from './log-session';

/**
 * Writes wait until this much is queued, or `batchMs` has passed: in a flood every read would
 * otherwise cost a write of its own (a thread-pool round trip and a wake-up of the event loop).
 */
const minWriteBytes = 1024 * 1024;
const batchMs = 2;

interface Segment {
  buffer: Buffer;
  start: number;
  end: number;
}

/**
 * Appends byte ranges to a log file: one write in flight at a time, and whatever queued up
 * meanwhile goes out in the next one (one writev), so a flood costs few system calls and the
 * reader never waits for the disk. The ranges are not copied: the caller must leave those bytes
 * alone until they are written (`settled` says how far that is).
 */
export class LogWriter {
  /** Bytes accepted and not yet on disk. */
  unwritten = 0;
  /** Bytes accepted so far, and of those, how many are done with (written, or dropped after an error). */
  accepted = 0;
  settled = 0;
  /** Bytes on disk: less than `accepted` while writes are under way, or for good after an error. */
  written = 0;
  /**
   * Set when the log could not be opened or written (a full disk, EIO) or its budget stopped it:
   * "log incomplete from byte N: <reason>". Capture goes on in memory.
   */
  error: string | null = null;
  /** Why writing stopped while the run may go on (the budget): it may be resumed. */
  private stopped: string | null = null;
  private failed = false;
  /** Resolves once `end()` was called, every byte is written and the file is closed. */
  readonly finished: Promise<void>;
  private fd: number | null = null;
  private opening = false;
  private busy = false;
  private ending = false;
  private closing = false;
  private segments: Segment[] = [];
  private timer: NodeJS.Timeout | null = null;
  private resolveFinished!: () => void;

  constructor(
    private readonly path: string,
    private readonly onProgress: () => void,
    private readonly runLog: RunLog = new RunLog(),
  ) {
    runLog.add(this);
    this.finished = new Promise((resolve) => (this.resolveFinished = resolve));
  }

  /**
   * The file is created with the first byte, not before: most commands of a pool print nothing,
   * and creating a file was the biggest cost of a run (≈ 0.3 ms of CPU on ext4). A stream that
   * never wrote has no file; its path is reported all the same, and `logged` is 0 with no error.
   * Opened asynchronously (a busy disk, a big log folder); closed synchronously: by then every
   * write is done, and a close is cheaper than a thread-pool round trip. Created exclusively and
   * never through a symlink: an existing file is never truncated.
   */
  private openFile(): void {
    this.opening = true;
    open(this.path, exclusiveCreateFlags, logFileMode, (error, fd) => {
      this.opening = false;
      if (error) this.fail(error);
      else this.fd = fd;
      this.kick();
    });
  }

  write(buffer: Buffer, start: number, end: number): void {
    if (end <= start || this.ending) return;
    this.accepted += end - start;
    if (this.failed || this.stopped !== null) {
      this.settled = this.accepted;
      return;
    }
    this.unwritten += end - start;
    const last = this.segments[this.segments.length - 1];
    if (last && last.buffer === buffer && last.end === start) last.end = end;
    else this.segments.push({ buffer, start, end });
    // The first byte creates the file at once (its open overlaps the batching).
    if (this.unwritten >= minWriteBytes || this.fd === null) this.kick();
    else this.timer ??= setTimeout(this.kickLater, batchMs);
  }

  private readonly kickLater = () => {
    this.timer = null;
    this.kick();
  };

  end(): void {
    this.ending = true;
    this.kick();
  }

  /** Logging goes on after the budget stopped it: the bytes received meanwhile are not in the log. */
  resume(): void {
    if (this.stopped === null || this.failed || this.ending) return;
    this.error = `log incomplete: received bytes ${this.written}–${this.accepted} are not in it (${this.stopped}; logging resumed)`;
    this.stopped = null;
    this.runLog.changed();
  }

  private fail(error: NodeJS.ErrnoException): void {
    this.failed = true;
    const code = error.code ?? 'EIO';
    this.drop(error.message.startsWith(code) ? error.message : `${code}: ${error.message}`);
  }

  /** Nothing more is written; the bytes queued and to come are counted as done with. */
  private drop(reason: string): void {
    this.error = `log incomplete from byte ${this.written}: ${reason}`;
    this.segments = [];
    this.unwritten = 0;
    this.settled = this.accepted;
    this.runLog.changed();
  }

  private kick(): void {
    if (this.opening || this.busy || this.closing) return;
    if (this.fd === null && this.segments.length > 0 && !this.failed) {
      this.openFile();
      return;
    }
    if (this.segments.length > 0 && this.fd !== null && !this.failed) {
      const refused = this.runLog.admit();
      if (refused !== null) {
        this.stopped = refused;
        this.drop(refused);
      }
    }
    if (this.segments.length === 0 || this.fd === null) {
      if (this.ending) this.close();
      return;
    }
    const batch = this.segments;
    this.segments = [];
    this.busy = true;
    let total = 0;
    for (const segment of batch) total += segment.end - segment.start;
    const done = (error: NodeJS.ErrnoException | null, written: number) => {
      this.busy = false;
      if (error) this.fail(error);
      else {
        this.unwritten -= written;
        this.settled += written;
        this.written += written;
        this.runLog.wrote(written);
        if (written < total) this.segments = [...remainder(batch, written), ...this.segments];
      }
      this.onProgress();
      if (this.unwritten >= minWriteBytes || this.ending || this.failed) this.kick();
      else if (this.segments.length > 0) this.timer ??= setTimeout(this.kickLater, batchMs);
    };
    if (batch.length === 1) {
      const only = batch[0]!;
      write(this.fd, only.buffer, only.start, total, null, done);
    } else {
      writev(
        this.fd,
        batch.map((segment) => segment.buffer.subarray(segment.start, segment.end)),
        null,
        done,
      );
    }
  }

  private close(): void {
    this.closing = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.fd !== null) {
      try {
        closeSync(this.fd);
      } catch {
        // Every write has completed: nothing is lost if closing reports an error.
      }
      this.fd = null;
    }
    this.resolveFinished();
  }
}

/** What is left of `batch` after its first `written` bytes (a short write). */
function remainder(batch: Segment[], written: number): Segment[] {
  const rest: Segment[] = [];
  let skip = written;
  for (const segment of batch) {
    const length = segment.end - segment.start;
    if (skip >= length) {
      skip -= length;
      continue;
    }
    rest.push({ buffer: segment.buffer, start: segment.start + skip, end: segment.end });
    skip = 0;
  }
  return rest;
}
