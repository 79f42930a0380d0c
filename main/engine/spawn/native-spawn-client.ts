import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import type { Containment } from '../containment/containment';
import { markVar } from '../containment/marker';
import type { FdBudget } from './fd-budget';
import {
  encodeCancel,
  encodeEnv,
  encodeSpawn,
  encodeStreamHeader,
  ReplyReader,
  type NativeReply,
} from './native-protocol';
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

type StreamName = 'stdin' | 'stdout' | 'stderr';

interface Ready {
  secret: Buffer;
  /** The listener's address: Linux's abstract namespace, as Node spells it. */
  path: string;
}

interface Pending {
  file: string;
  streams: Partial<Record<StreamName, Socket>>;
  pid?: number;
  /** The helper started it: the streams are the caller's now. */
  started: boolean;
  resolve(child: SpawnedChild): void;
  reject(error: Error): void;
  exit(value: ChildExit): void;
  exited: Promise<ChildExit>;
  timer?: NodeJS.Timeout;
}

/** A full listen backlog is tried again this often, this many times (two seconds in all). */
const backlogWaitMs = 20;
const backlogTries = 100;

/** The helper could not be started or died before it was ready: the Node helper takes over. */
export class NativeHelperUnavailable extends Error {}

/**
 * Starts commands through the native spawn helper (native/spawn-helper.c; the protocol in
 * native-protocol.ts). Per launch: one socket per stream, connected by this process to the
 * helper's listener, and one frame on the control pipe; the helper answers with the pid, later
 * with the exit status. No descriptor crosses between the processes.
 */
export class NativeSpawnClient implements Spawner {
  private helper: ChildProcess | null = null;
  private ready: Promise<Ready> | null = null;
  private readyNow: Ready | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** The environment the helper last received: it is not sent again while it stays the same. */
  private lastEnv: Record<string, string> | null = null;
  /** Frames written in one turn of the event loop go out in one write. */
  private corked = false;

  constructor(
    private readonly binaryPath: string,
    private readonly containment?: Containment,
    private readonly fds?: FdBudget,
  ) {}

  get pid(): number | undefined {
    return this.helper?.pid;
  }

  private ensureHelper(): Promise<Ready> {
    if (this.ready) return this.ready;
    const helper = spawn(this.binaryPath, [], {
      stdio: ['pipe', 'pipe', 'inherit'],
      // Its own process group: a Ctrl-C in the terminal is for Forkscope, which then stops
      // every run in order, not for the helper, whose death would lose their exit statuses.
      detached: process.platform !== 'win32',
    });
    this.helper = helper;
    this.lastEnv = null;
    // Between spawns the helper waits in its own cgroup (it forks each child from the run's).
    if (helper.pid !== undefined) this.containment?.adoptHelper(helper.pid);
    const ready = new Promise<Ready>((resolve, reject) => {
      // A helper that never says it is ready would hold every launch: it is given up, the Node one takes over.
      const startTimer = setTimeout(() => {
        reject(
          new NativeHelperUnavailable(`the native spawn helper did not start within ${answerMs / 1000} s`),
        );
        helper.kill('SIGKILL');
      }, answerMs);
      startTimer.unref();
      const reader = new ReplyReader();
      helper.stdout!.on('data', (chunk: Buffer) => {
        for (const reply of reader.push(chunk)) {
          if (reply.type === 'ready') {
            clearTimeout(startTimer);
            this.readyNow = { secret: reply.secret, path: `\0${reply.name}` };
            if (this.pending.size === 0) (helper.stdout as Socket).unref();
            resolve(this.readyNow);
          } else this.onReply(reply);
        }
      });
      helper.once('error', (error) => {
        clearTimeout(startTimer);
        reject(new NativeHelperUnavailable(error.message));
      });
      helper.once('exit', (code, signal) => {
        clearTimeout(startTimer);
        reject(new NativeHelperUnavailable(`the native spawn helper exited (${signal ?? code})`));
        this.onHelperExit(helper);
      });
    });
    // The control pipe's write end breaks when the helper dies: its 'exit' tells the rest.
    helper.stdin!.on('error', () => {});
    // Idle, the helper must not keep the host alive; while a child starts or runs, it must (its
    // replies must arrive): the reply pipe is held open from now until it is ready, then by `holdOpen`.
    helper.unref();
    (helper.stdin as Socket).unref();
    this.ready = ready;
    return ready;
  }

  private onHelperExit(helper: ChildProcess): void {
    if (this.helper !== helper) return;
    this.helper = null;
    this.ready = null;
    this.readyNow = null;
    this.lastEnv = null;
    for (const [id, waiting] of this.pending) {
      this.forget(id);
      if (!waiting.started) {
        this.destroyStreams(waiting);
        waiting.reject(helperExited());
      } else if (waiting.pid !== undefined) {
        // Its exit status went with the helper: the run ends when the process is gone.
        void exitWhenGone(waiting.pid, waiting.exit);
      }
    }
  }

  private onReply(reply: Exclude<NativeReply, { type: 'ready' }>): void {
    const waiting = this.pending.get(reply.id);
    if (!waiting) return;
    switch (reply.type) {
      case 'started': {
        clearTimeout(waiting.timer);
        waiting.pid = reply.pid;
        waiting.started = true;
        const { stdin, stdout, stderr } = waiting.streams;
        waiting.resolve({
          pid: reply.pid,
          stdin: stdin ?? null,
          stdout: stdout ?? null,
          stderr: stderr ?? null,
          exited: waiting.exited,
          placed: { inCgroup: reply.inCgroup, startTicks: reply.startTicks },
        });
        return;
      }
      case 'failed':
        this.forget(reply.id);
        this.destroyStreams(waiting);
        waiting.reject(
          spawnFailure(
            reply.errno,
            this.fds,
            `spawn ${waiting.file} ${reply.errno}`,
            ` (the spawn helper got ${reply.errno})`,
          ),
        );
        return;
      case 'exited':
        this.forget(reply.id);
        waiting.exit({ code: reply.code, signal: reply.signal });
        return;
    }
  }

  async spawn(params: SpawnParams): Promise<SpawnedChild> {
    const ready = this.readyNow ?? (await this.ensureHelper());
    const id = this.nextId++;
    let exit!: Pending['exit'];
    const exited = new Promise<ChildExit>((done) => (exit = done));
    const waiting: Pending = {
      file: params.file,
      streams: {},
      started: false,
      resolve: () => {},
      reject: () => {},
      exit,
      exited,
    };
    this.pending.set(id, waiting);
    this.holdOpen();
    const names: StreamName[] = params.noStdin ? ['stdout', 'stderr'] : ['stdin', 'stdout', 'stderr'];
    try {
      // Every stream is connected and named before the spawn is asked for: the helper starts the
      // child as soon as it has all three, and a stream that cannot connect costs no child.
      await Promise.all(names.map((name) => this.connectStream(ready, id, name, waiting)));
    } catch (error) {
      this.forget(id);
      this.destroyStreams(waiting);
      this.write(encodeCancel(id));
      const errno = (error as NodeJS.ErrnoException).code ?? 'EHELPER';
      throw spawnFailure(
        errno,
        this.fds,
        `the spawn helper could not be reached: ${(error as Error).message}`,
        ': the streams of the command could not be opened',
      );
    }
    if (!this.pending.has(id)) throw helperExited();
    return new Promise<SpawnedChild>((resolve, reject) => {
      waiting.resolve = resolve;
      waiting.reject = reject;
      waiting.timer = setTimeout(() => {
        if (waiting.started) return;
        this.forget(id);
        this.destroyStreams(waiting);
        this.write(encodeCancel(id));
        reject(new SpawnFailure('ETIMEDOUT', `the spawn helper did not answer within ${answerMs / 1000} s`));
      }, answerMs);
      // The environment is most of a request (kilobytes): sent only when it changed.
      if (!sameEnv(params.env, this.lastEnv)) {
        this.write(encodeEnv(params.env));
        this.lastEnv = params.env;
      }
      const home = this.containment?.tree?.helper ?? null;
      this.write(
        encodeSpawn({
          id,
          file: params.file,
          args: params.args,
          cwd: params.cwd,
          noStdin: params.noStdin ?? false,
          cgroup: params.cgroup && home ? params.cgroup : null,
          home,
          mark: params.mark ? `${markVar}=${params.mark}` : null,
        }),
      );
    });
  }

  /**
   * One stream's socket: connected to the helper, its header written (then it is the child's).
   * A full backlog (thousands of launches in one turn, EAGAIN) is waited out a little at a time.
   */
  private connectStream(
    ready: Ready,
    id: number,
    name: StreamName,
    waiting: Pending,
    tries = 0,
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = connect({ path: ready.path });
      waiting.streams[name] = socket;
      let failedOnce = false;
      const failed = (error: NodeJS.ErrnoException) => {
        // The error event and the write's callback may both report it.
        if (failedOnce) return;
        failedOnce = true;
        if (error.code !== 'EAGAIN' || tries >= backlogTries || !this.pending.has(id)) return reject(error);
        socket.destroy();
        setTimeout(() => resolve(this.connectStream(ready, id, name, waiting, tries + 1)), backlogWaitMs);
      };
      socket.once('error', failed);
      socket.write(encodeStreamHeader(ready.secret, id, name), (error) => {
        if (error) return failed(error);
        socket.off('error', failed);
        resolve();
      });
    });
  }

  private write(frame: Buffer): void {
    const stdin = this.helper?.stdin as Socket | null | undefined;
    if (!stdin) return;
    if (!this.corked) {
      this.corked = true;
      stdin.cork();
      process.nextTick(() => {
        this.corked = false;
        stdin.uncork();
      });
    }
    stdin.write(frame);
  }

  private destroyStreams(waiting: Pending): void {
    for (const socket of Object.values(waiting.streams)) socket?.destroy();
  }

  /** While a child is starting or running, the reply pipe keeps the event loop alive: its exit must arrive. */
  private holdOpen(): void {
    (this.helper?.stdout as Socket | null | undefined)?.ref();
  }

  private forget(id: number): void {
    clearTimeout(this.pending.get(id)?.timer);
    this.pending.delete(id);
    if (this.pending.size === 0) (this.helper?.stdout as Socket | null | undefined)?.unref();
  }

  stop(): void {
    this.helper?.kill('SIGKILL');
  }
}
