import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { ForkscopeError } from '../../../contract/errors';

/**
 * File descriptors. Each run holds about five in the engine (stdin, stdout and stderr pipes, two
 * log files) for as long as it runs; when none are left, the fd passing from the spawn helper fails
 * silently (Node drops the message: "Handle did not reach the receiving process correctly") and a
 * launch would wait forever. So:
 *  - at start the soft RLIMIT_NOFILE is raised to the hard limit. Node has no setrlimit (that
 *    would take a native addon), so this goes through util-linux's `prlimit --pid <own pid>`,
 *    which calls prlimit(2) on us: allowed for one's own process up to the hard limit. Children
 *    inherit the raised soft limit. Where `prlimit` is missing (macOS, a minimal image) the limit
 *    stays as it is and is only read.
 *  - a launch that would not find its descriptors fails at once with a clear error, before
 *    anything starts; launches under way count for what they will hold.
 */
export interface FdLimits {
  soft: number;
  hard: number;
  /** What was done at start, in words. */
  note: string;
}

const perLaunch = 6;
/** Kept free for everything else: connections, log rotation, /proc reads, the broker. */
const headroom = 24;
/**
 * Near the limit, a listing of /proc/self/fd is trusted this long, with every launch since counted
 * as holding `perLaunch` more: a pool of short commands would otherwise list it on every launch.
 */
const listingReuseMs = 100;

function readLimits(): { soft: number; hard: number } | null {
  if (process.platform === 'linux') {
    try {
      const line = readFileSync('/proc/self/limits', 'utf8')
        .split('\n')
        .find((entry) => entry.startsWith('Max open files'));
      const [soft, hard] = line!.slice('Max open files'.length).trim().split(/\s+/);
      const value = (text: string | undefined) => (text === 'unlimited' ? Infinity : Number(text));
      return { soft: value(soft), hard: value(hard) };
    } catch {
      return null;
    }
  }
  if (process.platform === 'win32') return null;
  const soft = spawnSync('sh', ['-c', 'ulimit -n; ulimit -Hn'], { encoding: 'utf8' }).stdout?.split('\n');
  if (!soft || soft.length < 2) return null;
  const value = (text: string) => (text.trim() === 'unlimited' ? Infinity : Number(text));
  return { soft: value(soft[0]!), hard: value(soft[1]!) };
}

let limits: FdLimits | null = null;

/** Raises the soft limit to the hard one (once per process) and says what it did. */
export function raiseFdLimit(): FdLimits {
  if (limits) return limits;
  const before = readLimits();
  if (!before)
    return (limits = { soft: Infinity, hard: Infinity, note: 'no descriptor limit is known here' });
  if (before.soft >= before.hard || !Number.isFinite(before.hard)) {
    return (limits = { ...before, note: `limit ${before.soft} (already the hard limit)` });
  }
  if (process.platform === 'linux') {
    const result = spawnSync(
      'prlimit',
      ['--pid', String(process.pid), `--nofile=${before.hard}:${before.hard}`],
      {
        stdio: 'ignore',
        timeout: 5000,
      },
    );
    const after = readLimits() ?? before;
    if (after.soft > before.soft)
      return (limits = { ...after, note: `limit raised from ${before.soft} to ${after.soft} (prlimit)` });
    const why = result.error ? 'prlimit is not installed' : `prlimit failed (status ${result.status})`;
    return (limits = { ...after, note: `limit ${after.soft}: ${why}, and Node has no setrlimit` });
  }
  return (limits = { ...before, note: `limit ${before.soft}: Node cannot raise it here (no setrlimit)` });
}

/** Descriptors this process holds now. */
export function openDescriptors(): number {
  try {
    // The listing itself holds one.
    return readdirSync(process.platform === 'linux' ? '/proc/self/fd' : '/dev/fd').length - 1;
  } catch {
    return 0;
  }
}

/** Guards launches against running out of descriptors. */
export class FdBudget {
  private inFlight = 0;
  readonly limits = raiseFdLimit();
  private listing: { open: number; at: number } | null = null;
  private launchesSinceListing = 0;

  /** `runsUpperBound` is cheap (may count ended runs); `liveRuns` is exact, used for the message. */
  constructor(
    private readonly runsUpperBound: () => number,
    private readonly liveRuns: () => number,
  ) {}

  /** How many descriptors are open, and whether a launch more would leave too few. */
  private tight(extra: number): { open: number; short: boolean } | null {
    const limit = this.limits.soft;
    if (!Number.isFinite(limit)) return null;
    // Far from the limit (a cheap estimate says so), the listing of /proc/self/fd is skipped.
    const estimate = (this.runsUpperBound() + this.inFlight + extra) * perLaunch + 200;
    if (limit > 4096 && estimate < limit / 2) return null;
    const needed = (this.inFlight + extra) * perLaunch + headroom;
    // An upper bound from a recent listing admits a launch; only a fresh listing refuses one.
    if (this.listing && performance.now() - this.listing.at < listingReuseMs) {
      const bound = this.listing.open + this.launchesSinceListing * perLaunch;
      if (bound + needed <= limit) return { open: bound, short: false };
    }
    const open = openDescriptors();
    this.listing = { open, at: performance.now() };
    this.launchesSinceListing = 0;
    return { open, short: open + needed > limit };
  }

  describe(open = openDescriptors()): string {
    return `too many open files: ${this.liveRuns()} runs hold ${open} descriptors, limit ${this.limits.soft}`;
  }

  /** Throws at once when a launch would not get its descriptors; else returns its release. */
  reserve(): () => void {
    const state = this.tight(1);
    if (state?.short) throw new ForkscopeError('unavailable', `${this.describe(state.open)}.`);
    this.inFlight++;
    this.launchesSinceListing++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inFlight--;
    };
  }

  /** True when the engine cannot take in a child's pipes any more (fewer than 4 left). */
  exhausted(): boolean {
    const limit = this.limits.soft;
    return Number.isFinite(limit) && openDescriptors() + 4 > limit;
  }

  info(): { limit: number | null; open: number; note: string } {
    return {
      limit: Number.isFinite(this.limits.soft) ? this.limits.soft : null,
      open: openDescriptors(),
      note: this.limits.note,
    };
  }
}
