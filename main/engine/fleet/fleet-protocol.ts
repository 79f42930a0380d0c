/**
 * What a distributed pool and its worker agents say to each other through Redis. Jobs, locks,
 * stalls, retries and backoff are BullMQ's; this file only names the payloads and the one hash
 * of heartbeats that BullMQ has no place for.
 */
import type { FleetAgent } from '../../../contract';

/** A job's data: one command task (argv), or one function call (call). */
export interface FleetJobData {
  /** The pool that queued it (jobs of many pools may share a queue and its agents). */
  pool: string;
  task: number;
  argv?: string[] | undefined;
  /** `module#export` on the agent's host, called with args in a Process of the agent's engine. */
  call?: { target: string; args: unknown[] } | undefined;
  cwd?: string | undefined;
  env?: Record<string, string | null> | undefined;
  timeoutMs?: number | undefined;
  label: string;
}

/** Where an attempt runs: the agent's host and pid, and which of its K slots. */
export interface FleetPlace {
  host: string;
  agentPid: number;
  slot: number;
  /** The task's own process on that host. */
  pid: number | null;
}

/** Sent as job progress (BullMQ's events stream): one when an attempt starts, one when it ends. */
export type FleetProgress =
  | ({ phase: 'start'; startedAt: number; attempt: number } & FleetPlace)
  | ({
      phase: 'end';
      startedAt: number;
      endedAt: number;
      attempt: number;
      exitcode: number | null;
      /** exit-meaning's sentence, or why it could not start. */
      meaning: string;
      ok: boolean;
    } & FleetPlace);

/** A job's return value: the task's exit and a bounded tail of its output, with where the rest is. */
export interface FleetResult extends FleetPlace {
  exitcode: number;
  startedAt: number;
  endedAt: number;
  /** The last lines of output (at most tailLines, each at most tailChars). */
  tail: { stream: 'stdout' | 'stderr'; text: string }[];
  /** The full logs, on the agent's host. */
  logs: { stdout: string; stderr: string };
  /** A function task's return value (JSON); absent for commands. */
  value?: unknown;
}

export const tailLines = 50;
export const tailChars = 400;

/** One hash per queue: agent id → its last heartbeat (JSON). */
export const agentsKey = (queue: string) => `forkscope:fleet:${queue}:agents`;
/** Set when a pool is terminated: agents stop that pool's running jobs. */
export const stoppedKey = (queue: string, pool: string) => `forkscope:fleet:${queue}:stopped:${pool}`;

/** How often an agent writes its heartbeat; after lostAfterMs without one it is drawn as lost. */
export const heartbeatMs = 1000;
export const lostAfterMs = 4000;

/** The heartbeat as stored: the record less what the reader derives (lost). */
export type AgentBeat = Omit<FleetAgent, 'state'> & { state: 'working' | 'stopping' | 'stopped' };

/** A job id per task: BullMQ refuses ':' in custom ids and ids that are integers. */
export const jobIdOf = (pool: string, task: number) => `${pool}.${task}`;
export function taskOfJobId(pool: string, jobId: string): number | null {
  if (!jobId.startsWith(pool + '.')) return null;
  const task = Number(jobId.slice(pool.length + 1));
  return Number.isInteger(task) && task > 0 ? task : null;
}

/** The URL as shown to people: a password in it is never printed. */
export function redactRedisUrl(url: string): string {
  return url.replace(/^(rediss?:\/\/)[^@/]*@/, '$1…@');
}

/**
 * Stall timing from the one number people set: a job whose agent died is back in the queue within
 * stallMs. BullMQ frees a lock lockDuration after its last renewal and its checker looks every
 * stalledInterval, so half of each makes the worst case stallMs.
 */
export function stallTiming(stallMs: number): { lockDuration: number; stalledInterval: number } {
  const half = Math.max(250, Math.round(stallMs / 2));
  return { lockDuration: half, stalledInterval: half };
}
