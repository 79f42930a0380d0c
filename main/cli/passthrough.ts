import type { StreamName } from '../../contract';
import type { Engine } from '../engine/engine';

/**
 * Passes one run's stdin, stdout and stderr through unchanged. Output bytes come from the capture's
 * tap as they are read, so the program's bytes reach our stdout exactly; bytes that arrive before the
 * launch has said which run is ours are held until it has.
 */
export class Passthrough {
  private runId: string | null = null;
  private early = new Map<string, { stream: StreamName; bytes: Buffer }[]>();
  /** Our stdout was closed by its reader (`| head`): the program is stopped as a shell's SIGPIPE would. */
  onBrokenPipe: () => void = () => {};

  constructor(private readonly engine: Engine) {
    engine.registry.rawOutput = (runId, stream, bytes) => {
      if (runId === this.runId) this.write(stream, bytes);
      else if (this.runId === null) {
        const held = this.early.get(runId) ?? [];
        held.push({ stream, bytes: Buffer.from(bytes) });
        this.early.set(runId, held);
      }
    };
    for (const out of [process.stdout, process.stderr]) {
      out.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code === 'EPIPE') this.onBrokenPipe();
      });
    }
  }

  private write(stream: StreamName, bytes: Buffer): void {
    const out = stream === 'stdout' ? process.stdout : process.stderr;
    if (out.destroyed || !out.writable) return;
    // The tap's bytes are a view of a buffer the capture reuses: a pending write needs its own copy.
    out.write(Buffer.from(bytes));
  }

  /** The launch said which run is ours: what it wrote so far goes out first, in order. */
  follow(runId: string): void {
    this.runId = runId;
    for (const { stream, bytes } of this.early.get(runId) ?? []) this.write(stream, bytes);
    this.early.clear();
    this.forwardStdin(runId);
  }

  private forwardStdin(runId: string): void {
    const stdin = this.engine.run(runId).stdin;
    if (!stdin) return;
    const input = process.stdin;
    input.on('data', (chunk: Buffer) => {
      if (stdin.destroyed) return;
      if (!stdin.write(chunk)) {
        input.pause();
        stdin.once('drain', () => input.resume());
      }
    });
    input.once('end', () => {
      try {
        this.engine.closeStdin(runId);
      } catch {
        // The run has ended and its stdin with it.
      }
    });
    input.once('error', () => {});
    // The program may not read at all: a stdin it closed is not an error of ours.
    stdin.on('error', () => input.pause());
  }

  /** Lets go of our stdin, so nothing keeps this process alive once the run has ended. */
  stop(): void {
    this.engine.registry.rawOutput = null;
    process.stdin.pause();
    process.stdin.unref?.();
  }
}
