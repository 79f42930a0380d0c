/** Messages between the engine and its spawn helper (main/engine/child/spawn-helper.ts). */
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
}

export type SpawnReply =
  | { id: number; type: 'spawned'; pid: number }
  | { id: number; type: 'stdio'; stream: 'stdin' | 'stdout' | 'stderr' }
  | { id: number; type: 'error'; errno: string; message: string }
  | { id: number; type: 'exit'; code: number | null; signal: string | null };
