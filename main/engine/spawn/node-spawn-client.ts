import { fork, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import type { Containment } from '../containment/containment';
import { signalTree } from '../lifetime';
import type { FdBudget } from './fd-budget';
import type { SpawnReply, SpawnRequest } from './spawn-protocol';
import {
  answerMs,
  sameEnv,
  SpawnFailure,
  spawnFailure,
  exitWhenGone,
  helperExited,
  type ChildExit,
  type SpawnedChild,
  type SpawnParams,
  type Spawner,
} from './spawned-child';

interface Pending {
  resolve(child: SpawnedChild): void;
  reject(error: Error): void;
  pid?: number;
  handles: Partial<Record<'stdin' | 'stdout' | 'stderr', Socket>>;
  handedOver: boolean;
  exit: (value: ChildExit) => void;
  exited: Promise<ChildExit>;
  /** No answer, or pipes that never arrive: the launch fails rather than waiting forever. */
  timer?: NodeJS.Timeout;
}

/** How long a started child's pipes may take to arrive once its pid has. */
const handoverMs = 5_000;

/**
 * Starts commands through the Node spawn helper (child/spawn-helper.ts): the fallback where the
 * native helper is not built. Each child's pipes come back over IPC, one message per pipe.
 */
export class NodeSpawnClient implements Spawner {
  private helper: ChildProcess | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** The environment the helper last received: it is not sent again while it stays the same. */
  private lastEnv: Record<string, string> | null = null;

  constructor(
    private readonly helperPath: string,
    private readonly containment?: Containment,
    private readonly fds?: FdBudget,
  ) {}

  get pid(): number | undefined {
    return this.helper?.pid;
  }

  private ensureHelper(): ChildProcess {
    if (this.helper) return this.helper;
    const helper = fork(this.helperPath, [], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      // Its own process group: a Ctrl-C in the terminal is for Forkscope, which then stops
      // every run in order, not for the helper, whose death would lose their exit statuses.
      detached: process.platform !== 'win32',
      execArgv: ['--max-semi-space-size=1'],
      serialization: 'json',
    });
    // Between spawns the helper waits in its own cgroup (it forks each child from the run's).
    if (helper.pid !== undefined) this.containment?.adoptHelper(helper.pid);
    helper.on('message', (reply: SpawnReply, handle?: Socket) => this.onReply(reply, handle));
    helper.once('exit', () => {
      if (this.helper === helper) {
        this.helper = null;
        this.lastEnv = null;
      }
      for (const [id, waiting] of this.pending) {
        this.forget(id);
        if (!waiting.handedOver) {
          // Started but not handed over: nobody could read it or stop it; stop it now.
          if (waiting.pid !== undefined) signalTree(waiting.pid, 'SIGKILL');
          waiting.reject(helperExited());
        } else {
          // Its exit status went with the helper: the run ends when the process is gone.
          void exitWhenGone(waiting.pid!, waiting.exit);
        }
      }
    });
    // Idle, the helper must not keep the host alive; while a child runs, it must (see `holdOpen`).
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
        this.forget(reply.id);
        waiting.reject(
          spawnFailure(reply.errno, this.fds, reply.message, ` (the spawn helper got ${reply.errno})`),
        );
        return;
      case 'spawned':
        waiting.pid = reply.pid;
        // With no descriptor left here, the pipes the helper sends cannot be taken in: Node drops
        // them and the launch would wait forever. Stop the child and say so, now.
        if (this.fds?.exhausted()) {
          this.abandon(
            reply.id,
            'EMFILE',
            `${this.fds.describe()}: the pipes of pid ${reply.pid} could not be received`,
          );
          return;
        }
        clearTimeout(waiting.timer);
        waiting.timer = setTimeout(
          () =>
            this.abandon(
              reply.id,
              'EMFILE',
              `the pipes of pid ${reply.pid} did not arrive within ${handoverMs / 1000} s${this.fds ? ` (${this.fds.describe()})` : ''}`,
            ),
          handoverMs,
        );
        return;
      case 'stdio':
        if (handle) waiting.handles[reply.stream] = handle;
        // stderr is always the last handle sent: the child is now fully handed over.
        if (reply.stream === 'stderr') {
          waiting.handedOver = true;
          clearTimeout(waiting.timer);
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
        this.forget(reply.id);
        waiting.exit({ code: reply.code, signal: reply.signal });
        return;
    }
  }

  spawn(request: SpawnParams): Promise<SpawnedChild> {
    const helper = this.ensureHelper();
    const id = this.nextId++;
    // The environment is most of a request (kilobytes of JSON): send it only when it changed.
    const env = sameEnv(request.env, this.lastEnv) ? undefined : request.env;
    this.lastEnv = request.env;
    return new Promise((resolve, reject) => {
      let exit!: Pending['exit'];
      const exited = new Promise<ChildExit>((done) => (exit = done));
      const timer = setTimeout(
        () => this.abandon(id, 'ETIMEDOUT', `the spawn helper did not answer within ${answerMs / 1000} s`),
        answerMs,
      );
      this.pending.set(id, { resolve, reject, handles: {}, handedOver: false, exit, exited, timer });
      this.holdOpen();
      const home = this.containment?.tree?.helper ?? null;
      helper.send({ op: 'spawn', id, ...request, env, home } satisfies SpawnRequest, (error) => {
        if (!error) return;
        this.lastEnv = null;
        this.forget(id);
        reject(new SpawnFailure('EHELPER', `the spawn helper is unreachable: ${error.message}`));
      });
    });
  }

  /** While a child is starting or running, the IPC channel keeps the event loop alive: its exit must arrive. */
  private holdOpen(): void {
    (this.helper?.channel as { ref?: () => void } | undefined)?.ref?.();
  }

  /** A launch that cannot complete: whatever it started is killed and the launch fails. */
  private abandon(id: number, errno: string, message: string): void {
    const waiting = this.pending.get(id);
    if (!waiting || waiting.handedOver) return;
    this.forget(id);
    if (waiting.pid !== undefined) signalTree(waiting.pid, 'SIGKILL');
    for (const handle of Object.values(waiting.handles)) handle?.destroy();
    waiting.reject(new SpawnFailure(errno, message));
  }

  private forget(id: number): void {
    clearTimeout(this.pending.get(id)?.timer);
    this.pending.delete(id);
    if (this.pending.size === 0) (this.helper?.channel as { unref?: () => void } | undefined)?.unref?.();
  }

  stop(): void {
    this.helper?.kill('SIGKILL');
    this.helper = null;
  }
}
