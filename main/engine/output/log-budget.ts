import { statfsSync } from 'node:fs';
import { logPolicy, type LogPolicy, type LogWarning } from '../../../contract/runs';
import { defaultRetention, type Retention } from './log-session';
import type { LogWriter } from './log-writer';

const logPolicies = logPolicy.options;

/** The default budget is the smaller of this and `defaultBudgetShare` of the free space at start. */
const defaultBudgetCap = 5 * 1024 ** 3;
const defaultBudgetShare = 0.2;
/** A run writing its log faster than this is warned about (a `yes` writes ~200 MB/s). */
export const fastLogBytesPerSecond = 10 * 1024 * 1024;
/** Past this share of the budget, writing runs carry a warning. */
const budgetWarnShare = 0.8;

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** "5G", "500M", "64k", "1048576": bytes, or a clear error naming what was given. */
export function parseByteSize(text: string, what: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$/i.exec(text);
  if (!match) throw new Error(`${what} must be a size such as 5G, 500M or 1048576, not "${text}"`);
  const power = ' kmgt'.indexOf(match[2]!.toLowerCase() || ' ');
  const bytes = Math.floor(Number(match[1]) * 1024 ** power);
  if (bytes < 1) throw new Error(`${what} must be at least 1 byte, not "${text}"`);
  return bytes;
}

/** The smaller of 5 GB and 20 % of the space free for `dir` now (5 GB if that cannot be known). */
export function defaultLogBudget(dir: string): number {
  try {
    const fs = statfsSync(dir);
    return Math.max(1, Math.min(defaultBudgetCap, Math.floor(fs.bavail * fs.bsize * defaultBudgetShare)));
  } catch {
    return defaultBudgetCap;
  }
}

/** One budget for all the logs of a session: the bytes written so far against a limit. */
export class LogBudget {
  used = 0;
  constructor(
    readonly limitBytes: number,
    /** What a run does when the budget is used up, unless it was told otherwise (`runs.setLogPolicy`). */
    readonly defaultPolicy: LogPolicy = 'stop-logging',
  ) {}

  get exceeded(): boolean {
    return this.used >= this.limitBytes;
  }

  describe(): string {
    return `${formatBytes(this.used)} of ${formatBytes(this.limitBytes)}`;
  }
}

export interface RunLogHooks {
  /** The run's log state changed (a warning, an error, the policy): its record should be published. */
  changed(): void;
  /** The budget is used up and this run's policy is to stop it. */
  stopRun(reason: string): void;
}

/**
 * A run's share of the budget: what its writers may write, its policy when the budget is used up,
 * and the warning its record carries (writing fast, budget 80 % used, budget used up).
 */
export class RunLog {
  policy: LogPolicy;
  warning: LogWarning | null = null;
  private readonly writers: LogWriter[] = [];
  private stopAsked = false;
  private rateSince = performance.now();
  private rateBytes = 0;

  constructor(
    private budget: LogBudget = new LogBudget(Number.POSITIVE_INFINITY),
    private hooks: RunLogHooks = { changed: () => {}, stopRun: () => {} },
  ) {
    this.policy = budget.defaultPolicy;
  }

  /** Puts the run under the session's budget, before anything is written (the capture makes its writers first). */
  use(budget: LogBudget, hooks: RunLogHooks): void {
    this.budget = budget;
    this.hooks = hooks;
    this.policy = budget.defaultPolicy;
  }

  add(writer: LogWriter): void {
    this.writers.push(writer);
  }

  /** Before a writer writes: null to go on, or why this run's logging stops. */
  admit(): string | null {
    if (!this.budget.exceeded || this.policy === 'keep-logging') return null;
    const reason = `the log budget is used up (${this.budget.describe()})`;
    if (this.policy === 'stop-run' && !this.stopAsked) {
      this.stopAsked = true;
      this.hooks.stopRun(`Stopped because ${reason}.`);
    }
    this.warn({
      kind: 'budget-exceeded',
      message:
        this.policy === 'stop-run'
          ? `Stopped: ${reason}.`
          : `Logging stopped: ${reason}. The newest lines are still kept in memory.`,
    });
    return reason;
  }

  /** `bytes` more reached the disk. */
  wrote(bytes: number): void {
    this.budget.used += bytes;
    this.rateBytes += bytes;
    const now = performance.now();
    const elapsed = now - this.rateSince;
    if (elapsed < 1000) return;
    const perSecond = (this.rateBytes * 1000) / elapsed;
    this.rateSince = now;
    this.rateBytes = 0;
    if (this.warning?.kind === 'budget-exceeded') return;
    const left = Math.max(0, this.budget.limitBytes - this.budget.used);
    if (this.budget.used >= this.budget.limitBytes * budgetWarnShare) {
      this.warn({
        kind: 'budget-80',
        message: `The log budget is ${Math.floor((100 * this.budget.used) / this.budget.limitBytes)} % used (${this.budget.describe()}).`,
      });
    } else if (perSecond >= fastLogBytesPerSecond) {
      this.warn({
        kind: 'fast',
        message: `Writing ${formatBytes(perSecond)}/s to its log: the log budget (${formatBytes(left)} left) lasts about ${Math.round(left / perSecond)} s at this rate.`,
      });
    } else if (this.warning?.kind === 'fast' && perSecond < fastLogBytesPerSecond / 2) {
      this.warn(null);
    }
  }

  setPolicy(policy: LogPolicy): void {
    this.policy = policy;
    if (policy === 'keep-logging') {
      for (const writer of this.writers) writer.resume();
      if (this.warning?.kind === 'budget-exceeded') this.warning = null;
    } else if (this.budget.exceeded) {
      // Takes effect now, not at the next write: a quiet run is stopped too when asked to.
      this.admit();
    }
    this.hooks.changed();
  }

  /** A writer's state changed (an error): the record says so. */
  changed(): void {
    this.hooks.changed();
  }

  private warn(warning: LogWarning | null): void {
    if (warning?.message === this.warning?.message) return;
    this.warning = warning;
    this.hooks.changed();
  }
}

export interface LogSettings {
  /** Undefined: the default (the smaller of 5 GB and 20 % of the free space). */
  budgetBytes?: number;
  policy?: LogPolicy;
  retention: Retention;
}

/**
 * The log settings from command-line values, else the environment (FORKSCOPE_LOG_BUDGET,
 * FORKSCOPE_LOG_POLICY, FORKSCOPE_LOG_KEEP_SESSIONS, FORKSCOPE_LOG_KEEP_DAYS). Throws an Error
 * naming the setting and the bad value.
 */
export function readLogSettings(
  given: { budget?: string; policy?: string; keepSessions?: string; keepDays?: string },
  env: NodeJS.ProcessEnv = process.env,
): LogSettings {
  const budget = given.budget ?? env.FORKSCOPE_LOG_BUDGET;
  const policy = given.policy ?? env.FORKSCOPE_LOG_POLICY;
  const count = (text: string | undefined, what: string, fallback: number, min: number) => {
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!Number.isInteger(value) || value < min) {
      throw new Error(`${what} must be a whole number of at least ${min}, not "${text}"`);
    }
    return value;
  };
  if (policy !== undefined && !(logPolicies as readonly string[]).includes(policy)) {
    throw new Error(
      `--log-policy (FORKSCOPE_LOG_POLICY) must be one of ${logPolicies.join(', ')}, not "${policy}"`,
    );
  }
  return {
    budgetBytes:
      budget === undefined ? undefined : parseByteSize(budget, '--log-budget (FORKSCOPE_LOG_BUDGET)'),
    policy: policy as LogPolicy | undefined,
    retention: {
      sessions: count(
        given.keepSessions ?? env.FORKSCOPE_LOG_KEEP_SESSIONS,
        '--log-keep-sessions (FORKSCOPE_LOG_KEEP_SESSIONS)',
        defaultRetention.sessions,
        1,
      ),
      maxAgeDays: count(
        given.keepDays ?? env.FORKSCOPE_LOG_KEEP_DAYS,
        '--log-keep-days (FORKSCOPE_LOG_KEEP_DAYS)',
        defaultRetention.maxAgeDays,
        0,
      ),
    },
  };
}
