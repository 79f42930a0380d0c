import type { Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { processAlive } from '../lifetime';
import type { Placement } from '../containment/containment';
import type { FdBudget } from './fd-budget';

/** A command started by a spawn helper, its streams in the engine's hands. */
export interface SpawnedChild {
  pid: number;
  stdin: Socket | null;
  stdout: Socket | null;
  stderr: Socket | null;
  /** Resolves with how the child ended; `unknown` when the helper died and could not tell. */
  exited: Promise<ChildExit>;
  /** What the helper already did or read for containment (the native one says), so the engine need not. */
  placed?: Placement;
}

export interface ChildExit {
  code: number | null;
  signal: string | null;
  unknown?: boolean;
}

/** What a launch asks a spawn helper for. */
export interface SpawnParams {
  file: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  /** No stdin stream: the child reads /dev/null. */
  noStdin?: boolean;
  /** The run's cgroup: the child is forked inside it (the helper moves there to fork it). */
  cgroup?: string | null;
  /** The run's environment marker (`FORKSCOPE_RUN`'s value). */
  mark?: string;
}

/** Either spawn helper, as the engine sees it. */
export interface Spawner {
  readonly pid: number | undefined;
  spawn(params: SpawnParams): Promise<SpawnedChild>;
  stop(): void;
}

export class SpawnFailure extends Error {
  constructor(
    readonly errno: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A failed start as the engine tells it: out of descriptors, the budget's own sentence (how many
 * runs hold how many, the limit); anything else, `otherwise`.
 */
export function spawnFailure(
  errno: string,
  fds: FdBudget | undefined,
  otherwise: string,
  where: string,
): SpawnFailure {
  const exhausted = (errno === 'EMFILE' || errno === 'ENFILE') && fds;
  return new SpawnFailure(errno, exhausted ? `${fds.describe()}${where}` : otherwise);
}

/** How long a helper may take to answer a spawn (it may have hundreds queued). */
export const answerMs = 15_000;

/** A launch whose helper died before it could say whether the command started. */
export function helperExited(): SpawnFailure {
  return new SpawnFailure('EHELPER', 'the spawn helper exited while starting it');
}

/** A running child whose helper died: its exit status went with it; it ends when the process is gone. */
export async function exitWhenGone(pid: number, exit: (value: ChildExit) => void): Promise<void> {
  while (processAlive(pid)) await delay(250);
  exit({ code: null, signal: null, unknown: true });
}

/** True when two environments hold the same names and values. */
export function sameEnv(env: Record<string, string>, last: Record<string, string> | null): boolean {
  if (!last) return false;
  let count = 0;
  for (const name in env) {
    if (env[name] !== last[name]) return false;
    count++;
  }
  return count === Object.keys(last).length;
}
