import { EventEmitter } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter } from 'node:path';
import type { LaunchParams, LensDetail, LensStatus, RunRecord } from '../../../contract';
import type { PoolManager } from '../pool/pool-manager';
import type { QueueEngine } from '../queue/queue-engine';
import type { RunRegistry } from '../registry';
import { isPythonLaunch } from './is-python';
import { LensListener } from './lens-listener';
import { lensEndpointEnv, lensSecretEnv } from './lens-protocol';
import { PythonSession } from './python-session';

export interface PreparedLens {
  /** Added to the launch's environment (nothing when the lens is off). */
  env: Record<string, string>;
  /** The launch has its run: the lens's records belong to it from now on. */
  attach(runId: string): void;
  /** The launch failed before it had a run: its endpoint is closed. */
  discard(): void;
}

/** How long the last events of a run's exiting processes may take to arrive after its end. */
const drainMs = 1000;
const maxOffRecords = 10_000;

/**
 * The Python lens on the engine's side: decides per launch whether to carry the lens, opens the
 * run's listener before the program starts, and keeps one PythonSession per run.
 */
export class PythonLens extends EventEmitter<{ changed: [string] }> {
  private dir: Promise<string> | null = null;
  private readonly sessions = new Map<
    string,
    { session: PythonSession; listener: LensListener; finishing: boolean }
  >();
  private readonly offReasons = new Map<string, string>();
  private counter = 0;

  constructor(
    private readonly lensDir: string,
    private readonly registry: RunRegistry,
    private readonly queues: QueueEngine,
    private readonly pools: () => PoolManager,
  ) {
    super();
    registry.on('run', (record) => this.runChanged(record));
  }

  async prepare(
    params: Pick<LaunchParams, 'program' | 'args' | 'shell' | 'env' | 'lens'>,
  ): Promise<PreparedLens> {
    const mode = params.lens ?? 'auto';
    const offWith = (reason: string): PreparedLens => ({
      env: {},
      attach: (runId) => this.setOff(runId, reason),
      discard: () => {},
    });
    if (mode === 'off') return offWith('Turned off for this run.');
    if (mode === 'auto' && !isPythonLaunch(params.program, params.args ?? [], params.shell ?? false)) {
      return offWith('Not a Python program.');
    }
    if (process.platform === 'win32') return offWith('The lens does not run on Windows yet.');
    let listener: LensListener;
    const session = new PythonSession(this.queues, this.pools());
    try {
      this.dir ??= mkdtemp(`${tmpdir()}/forkscope-lens-`);
      listener = await LensListener.open(await this.dir, `l${++this.counter}`, (hello) => {
        session.connected(hello);
        return {
          onEvent: (event) => session.apply(hello.pid, event),
          onMalformed: () => session.malformedLine(),
          onClose: () => session.disconnected(hello.pid),
        };
      });
    } catch (error) {
      return offWith(`Could not open its endpoint: ${(error as Error).message}.`);
    }
    const inherited = params.env?.PYTHONPATH === undefined ? process.env.PYTHONPATH : params.env.PYTHONPATH;
    return {
      env: {
        PYTHONPATH: inherited ? `${this.lensDir}${delimiter}${inherited}` : this.lensDir,
        [lensEndpointEnv]: listener.path,
        [lensSecretEnv]: listener.secret,
      },
      attach: (runId) => {
        session.runId = runId;
        this.sessions.set(runId, { session, listener, finishing: false });
        session.on('changed', () => this.emit('changed', runId));
        this.emit('changed', runId);
        const record = this.registry
          .all()
          .find((run) => run.id === runId)
          ?.snapshot();
        if (record) this.runChanged(record);
      },
      discard: () => listener.destroy(),
    };
  }

  private setOff(runId: string, reason: string): void {
    if (this.offReasons.size >= maxOffRecords) this.offReasons.delete(this.offReasons.keys().next().value!);
    this.offReasons.set(runId, reason);
  }

  private runChanged(record: RunRecord): void {
    if (record.state === 'running') return;
    const entry = this.sessions.get(record.id);
    if (!entry || entry.finishing) return;
    entry.finishing = true;
    const end = record.endedAt ?? Date.now();
    const started = Date.now();
    const finish = () => {
      if (entry.listener.connections > 0 && Date.now() - started < drainMs) {
        setTimeout(finish, 50).unref();
        return;
      }
      entry.listener.destroy();
      entry.session.runEnded(end, record.exit?.exitcode ?? null);
    };
    finish();
  }

  status(runId: string): LensStatus {
    const entry = this.sessions.get(runId);
    if (entry) return entry.session.status();
    return {
      runId,
      state: 'off',
      reason: this.offReasons.get(runId) ?? 'Not a command run.',
      events: 0,
      lost: 0,
      errors: 0,
      processes: 0,
      pools: [],
      queues: [],
      unseen: null,
    };
  }

  detail(runId: string): LensDetail {
    const entry = this.sessions.get(runId);
    if (entry) return entry.session.detail();
    return { status: this.status(runId), processes: [], signals: [] };
  }

  session(runId: string): PythonSession | null {
    return this.sessions.get(runId)?.session ?? null;
  }

  async stop(): Promise<void> {
    for (const { listener } of this.sessions.values()) listener.destroy();
    if (this.dir) await rm(await this.dir, { recursive: true, force: true }).catch(() => {});
  }
}
