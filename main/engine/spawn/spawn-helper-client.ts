import { fork, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import type { SpawnReply, SpawnRequest } from './spawn-protocol';

export interface SpawnedChild {
  pid: number;
  stdin: Socket | null;
  stdout: Socket | null;
  stderr: Socket | null;
  /** Resolves with how the child ended (null, null when the helper died and the exit is unknown). */
  exited: Promise<{ code: number | null; signal: string | null }>;
}

export class SpawnFailure extends Error {
  constructor(
    readonly errno: string,
    message: string,
  ) {
    super(message);
  }
}

interface Pending {
  resolve(child: SpawnedChild): void;
  reject(error: Error): void;
  pid?: number;
  handles: Partial<Record<'stdin' | 'stdout' | 'stderr', Socket>>;
  exit: (value: { code: number | null; signal: string | null }) => void;
  exited: Promise<{ code: number | null; signal: string | null }>;
}

/** Starts commands through the small spawn helper process (see child/spawn-helper.ts for why). */
export class SpawnHelperClient {
  private helper: ChildProcess | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** The environment the helper last received: it is not sent again while it stays the same. */
  private lastEnv: Record<string, string> | null = null;

  constructor(private readonly helperPath: string) {}

  get pid(): number | undefined {
    return this.helper?.pid;
  }

  private ensureHelper(): ChildProcess {
    if (this.helper) return this.helper;
    const helper = fork(this.helperPath, [], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv: ['--max-semi-space-size=1'],
      serialization: 'json',
    });
    helper.on('message', (reply: SpawnReply, handle?: Socket) => this.onReply(reply, handle));
    helper.once('exit', () => {
      if (this.helper === helper) {
        this.helper = null;
        this.lastEnv = null;
      }
      for (const [id, waiting] of this.pending) {
        if (waiting.pid === undefined) waiting.reject(new SpawnFailure('EHELPER', 'the spawn helper exited'));
        else waiting.exit({ code: null, signal: null });
        this.pending.delete(id);
      }
    });
    helper.unref();
    (helper.channel as { unref?: () => void } | undefined)?.unref?.();
    this.helper = helper;
    return helper;
  }

  private onReply(reply: SpawnReply, handle?: Socket) {
    const waiting = this.pending.get(reply.id);
    if (!waiting) {
      handle?.destroy();
      return;
    }
    switch (reply.type) {
      case 'error':
        this.pending.delete(reply.id);
        waiting.reject(new SpawnFailure(reply.errno, reply.message));
        return;
      case 'spawned':
        waiting.pid = reply.pid;
        return;
      case 'stdio':
        if (handle) waiting.handles[reply.stream] = handle;
        // stderr is always the last handle sent: the child is now fully handed over.
        if (reply.stream === 'stderr') {
          waiting.resolve({
            pid: waiting.pid!,
            stdin: waiting.handles.stdin ?? null,
            stdout: waiting.handles.stdout ?? null,
            stderr: waiting.handles.stderr ?? null,
            exited: waiting.exited,
          });
        }
        return;
      case 'exit':
        this.pending.delete(reply.id);
        waiting.exit({ code: reply.code, signal: reply.signal });
        return;
    }
  }

  spawn(
    request: Omit<SpawnRequest, 'op' | 'id' | 'env'> & { env: Record<string, string> },
  ): Promise<SpawnedChild> {
    const helper = this.ensureHelper();
    const id = this.nextId++;
    // The environment is most of a request (kilobytes of JSON): send it only when it changed.
    const env = sameEnv(request.env, this.lastEnv) ? undefined : request.env;
    this.lastEnv = request.env;
    return new Promise((resolve, reject) => {
      let exit!: Pending['exit'];
      const exited = new Promise<{ code: number | null; signal: string | null }>((done) => (exit = done));
      this.pending.set(id, { resolve, reject, handles: {}, exit, exited });
      helper.send({ op: 'spawn', id, ...request, env } satisfies SpawnRequest, (error) => {
        if (!error) return;
        this.lastEnv = null;
        this.pending.delete(id);
        reject(new SpawnFailure('EHELPER', `the spawn helper is unreachable: ${error.message}`));
      });
    });
  }

  stop(): void {
    this.helper?.kill('SIGKILL');
    this.helper = null;
  }
}

function sameEnv(env: Record<string, string>, last: Record<string, string> | null): boolean {
  if (!last) return false;
  let count = 0;
  for (const name in env) {
    if (env[name] !== last[name]) return false;
    count++;
  }
  return count === Object.keys(last).length;
}
