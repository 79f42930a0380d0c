import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import {
  ForkscopeError,
  type FleetAgent,
  type PoolLane,
  type PoolRecord,
  type TaskDetail,
  type TaskSummary,
  type TaskTry,
} from '../../../contract';
import { commandTask, expandTemplate } from '../pool/command-pool';
import { PoolBase } from '../pool/pool-base';
import { Task } from '../pool/task';
import { TaskMode } from '../pool/worker-protocol';
import { taskDetail } from '../pool/task-output';
import {
  agentsKey,
  heartbeatMs,
  jobIdOf,
  lostAfterMs,
  redactRedisUrl,
  stoppedKey,
  taskOfJobId,
  type AgentBeat,
  type FleetJobData,
  type FleetProgress,
  type FleetResult,
} from './fleet-protocol';

export interface DistributedPoolOptions {
  redis: string;
  queue: string;
  /** Command tasks: the argv template. */
  template?: string[] | undefined;
  /** Function tasks: `module#export` on the agents' hosts. */
  target?: string | undefined;
  retries: number;
  backoffMs: number;
  taskTimeoutMs?: number | undefined;
  cwd?: string | undefined;
  env?: Record<string, string | null> | undefined;
}

/** A task run by an agent: where it runs, and the attempts that failed before. */
class FleetTask extends Task {
  host: string | null = null;
  readonly tries: TaskTry[] = [];
  /** The current attempt, told by the agent as job progress. */
  attempt: { startedAt: number; lane: number; host: string; pid: number | null } | null = null;
  tail: FleetResult['tail'] = [];
  logs: FleetResult['logs'] | null = null;

  override summary(): TaskSummary {
    return { ...super.summary(), host: this.host, tries: this.tries };
  }
}

interface Lane {
  lane: number;
  host: string;
  agentPid: number;
  slot: number;
  startedAt: number;
  tasksDone: number;
}

/** Beyond this many seconds without a heartbeat, a stopped or lost agent is no longer listed. */
const forgetAgentsAfterMs = 10 * 60_000;

/**
 * A pool whose command tasks are BullMQ jobs in a Redis, run by worker agents on any host
 * (`forkscope worker`). The pool only queues jobs and draws what BullMQ's events stream says:
 * progress from the agents (where and when each attempt ran, its exit code), completed, failed
 * (retries exhausted) and stalled (its agent died: the job is back in the queue). Lanes are the
 * agents' job slots, `host:pid#slot`. While Redis cannot be reached the pool says so and waits;
 * ioredis reconnects and QueueEvents reads on from the last event it saw.
 */
export class DistributedPool extends PoolBase {
  readonly kind = 'distributed' as const;
  /** Unique across every Forkscope using the same Redis: job ids start with it. */
  readonly key: string;
  private readonly connection: Redis;
  private readonly queue: Queue<FleetJobData, FleetResult>;
  private events: QueueEvents | null = null;
  private readonly laneOf = new Map<string, Lane>();
  private readonly allLanes: Lane[] = [];
  private agents: FleetAgent[] = [];
  private agentsTimer: NodeJS.Timeout | null = null;
  private redisDown: string | null = null;
  private readonly released: FleetTask[] = [];
  /** Adds waiting for the previous ones, so jobs reach Redis in task order. */
  private adding: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    id: string,
    label: string,
    private readonly opts: DistributedPoolOptions,
  ) {
    super(id, label, 0);
    this.key = `${hostname().replace(/[^\w-]/g, '_')}-${process.pid}-${id}-${randomBytes(3).toString('hex')}`;
    // Commands wait offline while Redis is away (maxRetriesPerRequest: null): nothing is dropped.
    this.connection = new Redis(opts.redis, { maxRetriesPerRequest: null });
    this.connection.on('error', (error: Error) => this.down(error.message));
    this.connection.on('close', () => this.down('connection closed'));
    this.connection.on('ready', () => this.up());
    this.queue = new Queue<FleetJobData, FleetResult>(opts.queue, {
      connection: this.connection,
      // Room for every event of a big batch even if the pool reads them late (after an outage).
      streams: { events: { maxLen: 200_000 } },
    });
    this.queue.on('error', (error: Error) => this.down(error.message));
  }

  /** Connects and starts listening from the stream's current end, before any job is added. */
  async start(timeoutMs = 5000): Promise<void> {
    const ready = this.queue.waitUntilReady();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(
              `Redis at ${redactRedisUrl(this.opts.redis)} did not answer within ${timeoutMs / 1000} s${this.redisDown ? ` (${this.redisDown})` : ''}. Is it running? Start one with: redis-server --port 6379`,
            ),
          ),
        timeoutMs,
      );
    });
    try {
      await Promise.race([ready, late]);
      const last = (await this.connection.xrevrange(this.queue.keys.events!, '+', '-', 'COUNT', 1))[0];
      this.events = new QueueEvents(this.opts.queue, {
        connection: this.connection,
        lastEventId: last?.[0] ?? '0-0',
      });
      this.events.on('error', (error: Error) => this.down(error.message));
      this.events.on('progress', ({ jobId, data }) => this.onProgress(jobId, data as FleetProgress));
      this.events.on('completed', ({ jobId, returnvalue }) => this.onCompleted(jobId, returnvalue));
      this.events.on('failed', ({ jobId, failedReason }) => this.onFailed(jobId, failedReason));
      this.events.on('stalled', ({ jobId }) => this.onStalled(jobId));
      await this.events.waitUntilReady();
    } catch (error) {
      this.dispose();
      throw error;
    } finally {
      clearTimeout(timer);
    }
    void this.readAgents();
    this.agentsTimer = setInterval(() => void this.readAgents(), heartbeatMs);
  }

  private down(reason: string): void {
    if (this.endedAt !== null || this.closed) return;
    this.redisDown = reason || 'unreachable';
    const problem = `Waiting for Redis at ${redactRedisUrl(this.opts.redis)} (${this.redisDown}): tasks go on when it is back.`;
    if (this.problem !== problem) {
      this.problem = problem;
      this.markDirty();
    }
  }

  private up(): void {
    if (this.redisDown === null) return;
    this.redisDown = null;
    this.problem = null;
    this.markDirty();
    // Events are read on from the last one seen; the jobs' own state settles what the stream lost.
    void this.reconcile();
  }

  /** Command tasks: one per input, through the template. */
  add(inputs: readonly string[]): Task[] {
    this.checkOpen();
    const template = this.opts.template;
    if (!template)
      throw new ForkscopeError(
        'invalid-argument',
        `${this.label} runs a function: give it items, not inputs.`,
      );
    const tasks = inputs.map((input) => {
      const task = commandTask(FleetTask, this.tasks.length + 1, template, input, this.opts.taskTimeoutMs);
      this.addTask(task);
      return task;
    });
    return this.queueJobs(tasks, (task) => ({ argv: expandTemplate(template, String(task.payload[0])) }));
  }

  /** Function tasks: one call of the pool's target per item, run by an agent whose host has the module. */
  call(items: readonly unknown[]): Task[] {
    this.checkOpen();
    const target = this.opts.target;
    if (!target)
      throw new ForkscopeError('invalid-argument', `${this.label} runs commands: give it inputs, not items.`);
    const tasks = items.map((item) => {
      const task = new FleetTask(
        this.tasks.length + 1,
        target,
        TaskMode.Call,
        [item],
        this.opts.taskTimeoutMs,
      );
      this.addTask(task);
      return task;
    });
    return this.queueJobs(tasks, (task) => ({ call: { target, args: task.payload } }));
  }

  /** pools.submit: items for this pool's own target, one call each (no chunks or star: an agent runs one call per job). */
  submit(
    target: string,
    items: readonly unknown[],
    how: { chunksize?: number | undefined; star: boolean },
  ): number[] {
    if (target !== this.opts.target)
      throw new ForkscopeError(
        'invalid-argument',
        `${this.label} calls ${this.opts.target ?? 'no function'}, not ${target}.`,
      );
    if (how.star || (how.chunksize ?? 1) > 1)
      throw new ForkscopeError(
        'invalid-argument',
        'A distributed pool runs one call per job: no chunksize or star.',
      );
    return this.call(items).map((task) => task.id);
  }

  private queueJobs(
    tasks: FleetTask[],
    what: (task: FleetTask) => Pick<FleetJobData, 'argv' | 'call'>,
  ): Task[] {
    const jobs = tasks.map((task) => ({
      name: task.command ? 'command' : 'call',
      data: {
        pool: this.key,
        task: task.id,
        ...what(task),
        cwd: this.opts.cwd,
        env: this.opts.env,
        timeoutMs: this.opts.taskTimeoutMs,
        label: task.label(),
      },
      opts: {
        jobId: jobIdOf(this.key, task.id),
        attempts: this.opts.retries + 1,
        backoff: { type: 'exponential', delay: this.opts.backoffMs },
        // Kept a day, so a pool that lost events can still read how its jobs ended.
        removeOnComplete: { age: 24 * 3600 },
        removeOnFail: { age: 24 * 3600 },
      },
    }));
    this.adding = this.adding.then(async () => {
      for (let at = 0; at < jobs.length; at += 1000) {
        await this.queue.addBulk(jobs.slice(at, at + 1000)).catch((error: Error) => {
          for (const task of tasks.slice(at, at + 1000)) {
            this.settle(task, 'failed', {
              code: 'unavailable',
              message: `Could not queue it in Redis: ${error.message}`,
            });
            this.release(task);
          }
        });
      }
    });
    return tasks;
  }

  private taskOf(jobId: string): FleetTask | null {
    const id = taskOfJobId(this.key, jobId);
    const task = id === null ? undefined : this.tasks[id - 1];
    return task && !task.settled ? (task as FleetTask) : null;
  }

  private laneFor(host: string, agentPid: number, slot: number, t: number): Lane {
    const key = `${host}:${agentPid}#${slot}`;
    let lane = this.laneOf.get(key);
    if (!lane) {
      lane = { lane: this.allLanes.length, host, agentPid, slot, startedAt: t, tasksDone: 0 };
      this.laneOf.set(key, lane);
      this.allLanes.push(lane);
      this.markDirty();
    }
    return lane;
  }

  private onProgress(jobId: string, progress: FleetProgress): void {
    const task = this.taskOf(jobId);
    if (!task || typeof progress !== 'object' || progress === null) return;
    const lane = this.laneFor(progress.host, progress.agentPid, progress.slot, progress.startedAt);
    if (progress.phase === 'start') {
      task.attempts = Math.max(task.attempts + 1, progress.attempt);
      task.attempt = {
        startedAt: progress.startedAt,
        lane: lane.lane,
        host: progress.host,
        pid: progress.pid,
      };
      task.lane = lane.lane;
      task.host = progress.host;
      task.pid = progress.pid;
      task.startedAt = progress.startedAt;
      task.endedAt = null;
      task.exitcode = null;
      if (task.state !== 'running') this.setState(task, 'running');
      else this.touch(task);
      return;
    }
    task.exitcode = progress.exitcode;
    if (progress.ok) return; // `completed` follows.
    lane.tasksDone++;
    task.tries.push({
      lane: lane.lane,
      host: progress.host,
      pid: progress.pid,
      startedAt: progress.startedAt,
      endedAt: progress.endedAt,
      exitcode: progress.exitcode,
      error: `attempt ${progress.attempt}: ${progress.meaning} (exit ${progress.exitcode ?? '?'})`,
    });
    task.attempt = null;
    // Back to queued until BullMQ says whether it retries (waiting, delayed) or gives up (failed).
    this.setState(task, 'queued');
  }

  private onStalled(jobId: string): void {
    const task = this.taskOf(jobId);
    if (!task) return;
    const attempt = task.attempt;
    task.tries.push({
      lane: attempt?.lane ?? task.lane,
      host: attempt?.host ?? task.host,
      pid: attempt?.pid ?? task.pid,
      startedAt: attempt?.startedAt ?? task.startedAt,
      endedAt: Date.now(),
      exitcode: null,
      error: `its agent${attempt ? ` on ${attempt.host}` : ''} stopped answering (stalled): the job went back to the queue`,
    });
    task.attempt = null;
    if (task.state === 'running') this.setState(task, 'queued');
  }

  private onCompleted(jobId: string, returnvalue: unknown): void {
    const task = this.taskOf(jobId);
    if (!task) return;
    let result: FleetResult | null = null;
    try {
      result = (typeof returnvalue === 'string' ? JSON.parse(returnvalue) : returnvalue) as FleetResult;
    } catch {
      result = null;
    }
    if (result) {
      // The completion is the truth even if its start was never read (an outage, a trimmed stream).
      const lane = this.laneFor(result.host, result.agentPid, result.slot, result.startedAt);
      lane.tasksDone++;
      task.lane = lane.lane;
      task.host = result.host;
      task.pid = result.pid;
      task.startedAt = result.startedAt;
      task.endedAt = result.endedAt;
      task.exitcode = result.exitcode;
      task.attempts = Math.max(task.attempts, 1);
      task.tail = result.tail;
      task.logs = result.logs;
    }
    // A function's result is what it returned (as a local pool's); a command's, where and how it ended.
    task.result = this.opts.target
      ? (result?.value ?? null)
      : { exitcode: result?.exitcode ?? 0, host: result?.host ?? null, logs: result?.logs ?? null };
    this.settle(task, 'done');
    this.release(task);
    this.maybeFinish();
  }

  private onFailed(jobId: string, failedReason: string): void {
    const task = this.taskOf(jobId);
    if (!task) return;
    const last = task.tries.at(-1);
    task.endedAt = last?.endedAt ?? Date.now();
    if (last) {
      task.startedAt = last.startedAt;
      task.lane = last.lane;
    }
    const exits = task.tries.map((attempt) => attempt.exitcode ?? '?').join(', ');
    this.settle(task, 'failed', {
      code: 'task-failed',
      message: `${failedReason} — failed ${task.tries.length} time(s), exit codes: ${exits || 'none'}`,
    });
    this.release(task);
    this.maybeFinish();
  }

  /** After an outage: asks Redis how the jobs that are not settled here ended. */
  private async reconcile(): Promise<void> {
    const pending = this.tasks.filter((task) => !task.settled);
    for (const task of pending) {
      const job = await this.queue.getJob(jobIdOf(this.key, task.id)).catch(() => undefined);
      if (!job || task.settled) continue;
      if (job.finishedOn && job.returnvalue) this.onCompleted(job.id!, job.returnvalue);
      else if (job.finishedOn && job.failedReason && job.attemptsMade >= this.opts.retries + 1)
        this.onFailed(job.id!, job.failedReason);
    }
  }

  private async readAgents(): Promise<void> {
    if (this.redisDown !== null) return;
    let beats: Record<string, string>;
    try {
      beats = await this.connection.hgetall(agentsKey(this.opts.queue));
    } catch {
      return;
    }
    const now = Date.now();
    const agents: FleetAgent[] = [];
    for (const text of Object.values(beats)) {
      let beat: AgentBeat;
      try {
        beat = JSON.parse(text) as AgentBeat;
      } catch {
        continue;
      }
      if (now - beat.heartbeatAt > forgetAgentsAfterMs) continue;
      const lost = beat.state !== 'stopped' && now - beat.heartbeatAt > lostAfterMs;
      agents.push({ ...beat, state: lost ? 'lost' : beat.state });
    }
    agents.sort((a, b) => a.name.localeCompare(b.name) || a.pid - b.pid);
    this.agents = agents;
    this.markDirty();
  }

  private release(task: FleetTask): void {
    this.released.push(task);
  }

  protected maybeFinish(): void {
    if (this.endedAt !== null) return;
    if (
      this.state === 'terminated' ||
      (this.state === 'closing' && this.tasks.every((task) => task.settled))
    ) {
      if (this.state !== 'terminated') this.state = 'done';
      this.dispose();
      this.ended();
    }
  }

  /** Cancels what has not run: waiting jobs are removed; agents stop this pool's running ones. */
  async terminate(): Promise<void> {
    if (this.state === 'done' || this.state === 'terminated') return;
    this.state = 'terminated';
    this.problem ??= 'The pool was terminated.';
    if (this.redisDown === null) await this.adding;
    if (this.redisDown === null) {
      await this.connection.set(stoppedKey(this.opts.queue, this.key), '1', 'EX', 24 * 3600).catch(() => {});
    }
    for (const task of this.tasks) {
      if (task.settled) continue;
      if (this.redisDown === null) await this.queue.remove(jobIdOf(this.key, task.id)).catch(() => 0);
      this.settle(task, 'cancelled', {
        code: 'cancelled',
        message: `Task ${task.id} was cancelled: the pool was terminated.`,
      });
      this.release(task as FleetTask);
    }
    this.markDirty();
    this.maybeFinish();
  }

  /** Stops listening and closes the connections (done or terminated). */
  private dispose(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.agentsTimer) clearInterval(this.agentsTimer);
    const events = this.events;
    void (async () => {
      // Jobs still on their way to Redis are let through, unless Redis is away (they would wait forever).
      if (this.redisDown === null) await this.adding;
      await events?.close().catch(() => {});
      await this.queue.close().catch(() => {});
      this.connection.disconnect();
    })();
  }

  override record(): PoolRecord {
    const record = super.record();
    const live = this.agents.filter((agent) => agent.state === 'working' || agent.state === 'stopping');
    return {
      ...record,
      size: live.reduce((sum, agent) => sum + agent.concurrency, 0),
      agents: this.agents,
    };
  }

  protected lanes(): PoolLane[] {
    const alive = new Set(
      this.agents.filter((agent) => agent.state === 'working' || agent.state === 'stopping').map((a) => a.id),
    );
    const known = new Map(this.agents.map((agent) => [agent.id, agent]));
    return this.allLanes.map((lane) => {
      const agent = known.get(`${lane.host}:${lane.agentPid}`);
      const gone = this.endedAt !== null || (agent !== undefined && !alive.has(agent.id));
      return {
        lane: lane.lane,
        runId: null,
        pid: lane.agentPid,
        state: gone ? 'exited' : 'ready',
        startedAt: lane.startedAt,
        endedAt: gone ? (agent?.heartbeatAt ?? this.endedAt) : null,
        tasksDone: lane.tasksDone,
        exit:
          agent?.state === 'lost'
            ? `agent lost: no heartbeat since ${new Date(agent.heartbeatAt).toISOString()}`
            : agent?.state === 'stopped'
              ? 'agent stopped'
              : null,
        replacedBy: null,
        host: lane.host,
      };
    });
  }

  protected options(): PoolRecord['options'] {
    return {
      initializer: null,
      maxTasksPerChild: null,
      taskTimeoutMs: this.opts.taskTimeoutMs ?? null,
      template: this.opts.template ?? null,
      targets: this.opts.target ? [this.opts.target] : [],
      keepOrder: false,
      halt: 'never',
      retries: this.opts.retries,
    };
  }

  detail(id: number): TaskDetail {
    const task = this.task(id) as FleetTask;
    // The output lives on the agent's host: its tail came back with the result, the rest is in its log.
    const base = taskDetail(task, task.label());
    const output = task.tail.map((line, index) => ({
      seq: index,
      stream: line.stream,
      t: task.endedAt ?? Date.now(),
      text: line.text,
    }));
    if (task.logs) {
      output.push({
        seq: output.length,
        stream: 'stderr',
        t: task.endedAt ?? Date.now(),
        text: `[forkscope] full logs on ${task.host ?? 'its host'}: ${task.logs.stdout} ${task.logs.stderr}`,
      });
    }
    return { ...base, output, outputTruncated: task.tail.length > 0 };
  }

  logOrder(): Task[] {
    return this.released.filter((task) => task.startedAt !== null);
  }
}
