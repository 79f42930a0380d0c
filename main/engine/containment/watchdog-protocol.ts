/** Lines (JSON, one per line) the host writes to its watchdog's stdin (see child/watchdog.ts). */
export type ToWatchdog =
  /** The host's cgroup tree (null without cgroups) and the prefix of every marker it hands out. */
  | { t: 'init'; tree: string | null; markPrefix: string; host: number }
  /** A run's process group and its leader's start time (clock ticks after boot). */
  | { t: 'group'; key: string; pgid: number; startTicks: number }
  | { t: 'end'; key: string }
  /** A temporary folder the host owns, or no longer owns. */
  | { t: 'dir' | 'undir'; path: string };
