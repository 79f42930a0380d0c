import { Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { JsonValue } from '../../../contract/json';
import type { Engine } from '../engine';
import type { Run } from '../registry';
import {
  agentsKey,
  heartbeatMs,
  redactRedisUrl,
  stallTiming,
  stoppedKey,
  tailChars,
  tailLines,
  type AgentBeat,
  type FleetJobData,
  type FleetProgress,
  type FleetResult,
} from './fleet-protocol';

export interface AgentOptions {
  redis: string;
  queue: string;
  concurrency: number;
  /** The host name people see (--name); the OS host name by default. */
  name: string;
  /** A job whose agent died is back in the queue within this (see stallTiming). */
  stallMs: number;
  /** BullMQ's rate limiter: at most max jobs per duration ms, for this queue's agents together. */
  limiter?: { max: number; duration: number } | undefined;
  /** Told what the agent does, one line at a time (the CLI prints it). */
  log?: (line: string) => void;
}

/**
 * A worker agent (`forkscope worker`): takes command jobs from a BullMQ queue and runs each
 * through its own local Engine — the spawn helper, a process group (or cgroup) per task, a full
 * log on this host — and reports where, when and how each attempt ran as job progress, and the
 * exit code and a bounded tail of output as the job's return value. A non-zero exit fails the
 * attempt, so BullMQ's retries and backoff apply; if this process dies, its jobs' locks lapse and
 * BullMQ's stalled-job check gives them to another agent. None of that is written here.
 */
export class FleetAgent {
  private worker: Worker<FleetJobData, FleetResult> | null = null;
  private connection: Redis | null = null;
  private beatTimer: NodeJS.Timeout | null = null;
  private readonly freeSlots: number[];
  /** Running jobs: their runs (to stop them when their pool is terminated) and labels. */
  private readonly running = new Map<string, { run: Run | null; label: string; pool: string }>();
  private done = 0;
  private failed = 0;
  private lastError: string | null = null;
  private state: AgentBeat['state'] = 'working';
  /** Set by a forced stop: attempts in flight are left to BullMQ's stall check, not reported. */
  private abandoning = false;
  private readonly startedAt = Date.now();
  readonly id: string;

  constructor(
    private readonly engine: Engine,
    private readonly opts: AgentOptions,
  ) {
    this.id = `${opts.name}:${process.pid}`;
    // Lowest slot first, so a lightly loaded agent keeps to its first lanes.
    this.freeSlots = Array.from({ length: opts.concurrency }, (_, index) => opts.concurrency - 1 - index);
  }

  private log(line: string): void {
    this.opts.log?.(line);
  }

  async start(): Promise<void> {
    // BullMQ's workers block on Redis and must retry forever (maxRetriesPerRequest: null).
    this.connection = new Redis(this.opts.redis, { maxRetriesPerRequest: null });
    let down = false;
    this.connection.on('error', (error: Error) => {
      this.lastError = `Redis: ${error.message}`;
      if (!down) this.log(`waiting for Redis at ${redactRedisUrl(this.opts.redis)}: ${error.message}`);
      down = true;
    });
    this.connection.on('ready', () => {
      if (down) this.log('Redis is back');
      down = false;
    });
    const timing = stallTiming(this.opts.stallMs);
    this.worker = new Worker<FleetJobData, FleetResult>(this.opts.queue, (job) => this.process(job), {
      connection: this.connection,
      concurrency: this.opts.concurrency,
      name: this.id,
      lockDuration: timing.lockDuration,
      stalledInterval: timing.stalledInterval,
      // An agent that dies twice under the same job is bad luck; five times, the job is the cause.
      maxStalledCount: 5,
      ...(this.opts.limiter ? { limiter: this.opts.limiter } : {}),
    });
    this.worker.on('error', (error) => {
      this.lastError = error.message;
    });
    this.worker.on('failed', (job, error) => {
      if (job) this.lastError = `${job.data.label}: ${error.message}`;
    });
    await this.worker.waitUntilReady();
    this.beat();
    this.beatTimer = setInterval(() => this.beat(), heartbeatMs);
    this.log(
      `worker ${this.id} takes jobs from queue "${this.opts.queue}" at ${redactRedisUrl(this.opts.redis)}, ${this.opts.concurrency} at a time`,
    );
  }

  private beat(): void {
    const beat = this.snapshotBeat();
    const connection = this.connection;
    if (!connection || connection.status !== 'ready') return;
    void connection.hset(agentsKey(this.opts.queue), this.id, JSON.stringify(beat)).catch(() => {});
    // Pools that were terminated: their running jobs stop here too.
    const pools = [...new Set([...this.running.values()].map((job) => job.pool))];
    for (const pool of pools) {
      void connection
        .exists(stoppedKey(this.opts.queue, pool))
        .then((stopped) => {
          if (!stopped) return;
          for (const job of this.running.values()) {
            if (job.pool === pool) void job.run?.stop('terminate', this.engine.graceMs).catch(() => {});
          }
        })
        .catch(() => {});
    }
  }

  private async process(job: Job<FleetJobData, FleetResult>): Promise<FleetResult> {
    const data = job.data;
    const slot = this.freeSlots.pop() ?? this.opts.concurrency;
    const attempt = job.attemptsMade + 1;
    const place = { host: this.opts.name, agentPid: process.pid, slot, pid: null as number | null };
    const key = job.id ?? `${data.pool}.${data.task}`;
    this.running.set(key, { run: null, label: data.label, pool: data.pool });
    const startedAt = Date.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      let exitcode: number | null = null;
      let meaning: string;
      let run: Run | null = null;
      try {
        const record = await this.startTask(data);
        run = this.engine.run(record.id);
        // A Process has no timeout of its own: stopped as a command's timeout would stop it.
        if (data.call && data.timeoutMs)
          timer = setTimeout(
            () => void run?.stop('timeout', this.engine.graceMs).catch(() => {}),
            data.timeoutMs,
          );
        this.running.get(key)!.run = run;
        place.pid = record.pid;
        if (record.state === 'failed') {
          meaning = record.error?.message ?? 'it could not start';
        } else {
          await job.updateProgress({ phase: 'start', startedAt, attempt, ...place } satisfies FleetProgress);
          await run.whenEnded();
          if (this.abandoning) await new Promise(() => {});
          const ended = run.snapshot();
          exitcode = ended.exit?.exitcode ?? null;
          meaning =
            ended.exit?.stoppedBy === 'timeout'
              ? `ran past its timeout of ${data.timeoutMs} ms and was stopped`
              : ended.thrown
                ? `threw ${ended.thrown.name}: ${ended.thrown.message}`
                : (ended.exit?.meaning ?? 'ended');
        }
      } catch (error) {
        meaning = (error as Error).message;
      }
      const endedAt = Date.now();
      const ok = exitcode === 0;
      await job.updateProgress({
        phase: 'end',
        startedAt,
        endedAt,
        attempt,
        exitcode,
        meaning,
        ok,
        ...place,
      } satisfies FleetProgress);
      if (!ok) {
        this.failed++;
        // Thrown, so the attempt fails and BullMQ retries it (with backoff) while attempts remain.
        throw new Error(
          `${data.label} ${meaning} (exit ${exitcode ?? '?'}) on ${this.opts.name} (agent pid ${process.pid})`,
        );
      }
      this.done++;
      const snapshot = run!.snapshot();
      return {
        ...place,
        exitcode: 0,
        startedAt,
        endedAt,
        tail: tailOf(run!),
        logs: { stdout: snapshot.output.stdout.logPath, stderr: snapshot.output.stderr.logPath },
        ...(data.call ? { value: snapshot.result ?? null } : {}),
      };
    } finally {
      clearTimeout(timer);
      this.running.delete(key);
      if (slot < this.opts.concurrency) this.freeSlots.push(slot);
      this.freeSlots.sort((a, b) => b - a);
    }
  }

  /** A command through the spawn helper, or a function call in a Process (the engine's own, as any run's). */
  private startTask(data: FleetJobData) {
    if (data.call) {
      return this.engine.startProcess({
        target: data.call.target,
        args: data.call.args as JsonValue[],
        cwd: data.cwd,
        env: data.env,
        label: data.label,
      });
    }
    const argv = data.argv ?? [];
    return this.engine.launch({
      program: argv[0] ?? '',
      args: argv.slice(1),
      shell: false,
      closeStdin: true,
      cwd: data.cwd,
      env: data.env,
      timeoutMs: data.timeoutMs,
      label: data.label,
    });
  }

  /**
   * Graceful (the first SIGINT/SIGTERM): takes no more jobs and lets the running ones finish.
   * Forced: stops the runs now and reports nothing of them, so their locks lapse and BullMQ gives
   * the jobs to another agent after the stall interval, as if this host had died.
   */
  async stop(force: boolean): Promise<void> {
    this.state = 'stopping';
    this.beat();
    if (force) {
      this.abandoning = true;
      await this.engine.shutdown();
    } else {
      await this.worker?.close().catch(() => {});
      await this.engine.shutdown();
    }
    if (this.beatTimer) clearInterval(this.beatTimer);
    this.state = 'stopped';
    if (this.connection?.status === 'ready') {
      await this.connection
        .hset(agentsKey(this.opts.queue), this.id, JSON.stringify(this.snapshotBeat()))
        .catch(() => {});
    }
    this.connection?.disconnect();
  }

  private snapshotBeat(): AgentBeat {
    return {
      id: this.id,
      name: this.opts.name,
      pid: process.pid,
      concurrency: this.opts.concurrency,
      state: this.state,
      running: [...this.running.values()].map((job) => job.label),
      done: this.done,
      failed: this.failed,
      lastError: this.lastError,
      startedAt: this.startedAt,
      heartbeatAt: Date.now(),
    };
  }
}

/** The last lines of a run's output, bounded: the full logs stay on this host. */
function tailOf(run: Run): FleetResult['tail'] {
  const capture = run.capture;
  const from = Math.max(0, capture.nextSeq - tailLines);
  return capture.read(from, tailLines, tailLines * tailChars).lines.map((line) => ({
    stream: line.stream,
    text: line.text.length > tailChars ? `${line.text.slice(0, tailChars - 1)}…` : line.text,
  }));
}
