/** Messages between the engine and its spawn helper (child/spawn-helper.ts, in this folder). */
export interface SpawnRequest {
  op: 'spawn';
  id: number;
  file: string;
  args: string[];
  cwd: string;
  /** Omitted when it is the same as in the previous request: the helper keeps the last one. */
  env?: Record<string, string>;
  /** No stdin pipe: the child reads /dev/null (stdin closed from the start, nothing to write). */
  noStdin?: boolean;
  /**
   * The run's cgroup: the helper moves itself into it, forks the child there (so the child and
   * everything it ever starts are in it from their first instruction) and moves back to `home`.
   */
  cgroup?: string | null;
  home?: string | null;
  /** The run's environment marker (`FORKSCOPE_RUN`), added to the environment. */
  mark?: string;
}

export type SpawnReply =
  | { id: number; type: 'spawned'; pid: number }
  | { id: number; type: 'stdio'; stream: 'stdin' | 'stdout' | 'stderr' }
  | { id: number; type: 'error'; errno: string; message: string }
  | { id: number; type: 'exit'; code: number | null; signal: string | null };
