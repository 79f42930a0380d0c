import { totalmem } from 'node:os';
import {
  clockTicksPerSecond,
  hasProc,
  listPids,
  pageSize,
  readCmdline,
  readStat,
  readUid,
  startTimeMs,
} from './proc-reader';
import { UserNames } from './users';

/** One process as read, before Forkscope's own marks are added. */
export interface RawProcess {
  key: string;
  pid: number;
  ppid: number;
  pgid: number | null;
  name: string;
  cmd: string;
  uid: number | null;
  user: string;
  state: string;
  /** Percent of one CPU since the previous listing (the first time: since the process started). */
  cpu: number;
  memory: number;
  start: number;
  threads: number | null;
}

export interface Listing {
  t: number;
  processes: RawProcess[];
  source: 'proc' | 'ps-list';
}

interface Known {
  startTicks: number;
  name: string;
  cmd: string;
  uid: number | null;
  cpuTicks: number;
  seenAt: number;
}

/** Processes younger than this have their command line re-read: a fork is often followed by exec. */
const youngMs = 5000;

/**
 * Lists the machine's processes. On Linux it reads /proc directly and keeps what rarely changes
 * (command line, owner) per pid and start time, so a refresh reads one small file per process;
 * elsewhere it asks ps-list.
 */
export class ProcessLister {
  readonly source: 'proc' | 'ps-list';
  private known = new Map<number, Known>();
  private readonly users = new UserNames();

  constructor(options: { forcePsList?: boolean } = {}) {
    this.source = hasProc && !options.forcePsList ? 'proc' : 'ps-list';
  }

  list(): Promise<Listing> {
    return this.source === 'proc' ? Promise.resolve(this.listProc()) : this.listPsList();
  }

  /** One synchronous pass over /proc. */
  listProc(): Listing {
    const t = Date.now();
    const processes: RawProcess[] = [];
    const next = new Map<number, Known>();
    for (const pid of listPids()) {
      const stat = readStat(pid);
      if (!stat) continue;
      const start = startTimeMs(stat.startTicks);
      let known = this.known.get(pid);
      if (known && known.startTicks !== stat.startTicks) known = undefined;
      let cpu: number;
      if (known) {
        const seconds = (t - known.seenAt) / 1000;
        cpu = seconds > 0 ? ((stat.cpuTicks - known.cpuTicks) / clockTicksPerSecond / seconds) * 100 : 0;
      } else {
        const seconds = (t - start) / 1000;
        cpu = seconds > 0 ? (stat.cpuTicks / clockTicksPerSecond / seconds) * 100 : 0;
      }
      const stale = !known || known.name !== stat.name || t - start < youngMs;
      const cmd = stale ? readCmdline(pid) || (known?.cmd ?? '') : known!.cmd;
      const uid = known ? known.uid : readUid(pid);
      next.set(pid, {
        startTicks: stat.startTicks,
        name: stat.name,
        cmd,
        uid,
        cpuTicks: stat.cpuTicks,
        seenAt: t,
      });
      processes.push({
        key: `${pid}:${stat.startTicks}`,
        pid,
        ppid: stat.ppid,
        pgid: stat.pgid,
        name: stat.name,
        cmd: cmd || `[${stat.name}]`,
        uid,
        user: this.users.name(uid),
        state: stat.state,
        cpu: Math.max(0, Math.round(cpu * 10) / 10),
        memory: stat.rssPages * pageSize,
        start,
        threads: stat.threads,
      });
    }
    this.known = next;
    return { t, processes, source: 'proc' };
  }

  private async listPsList(): Promise<Listing> {
    const { default: psList } = await import('ps-list');
    const t = Date.now();
    const total = totalmem();
    const processes = (await psList()).map((entry): RawProcess => {
      const start = entry.startTime ? entry.startTime.getTime() : 0;
      return {
        key: `${entry.pid}:${start}`,
        pid: entry.pid,
        ppid: entry.ppid,
        pgid: null,
        name: entry.name,
        cmd: entry.cmd ?? entry.name,
        uid: entry.uid ?? null,
        user: this.users.name(entry.uid ?? null),
        state: '?',
        cpu: entry.cpu ?? 0,
        memory: Math.round(((entry.memory ?? 0) / 100) * total),
        start,
        threads: null,
      };
    });
    return { t, processes, source: 'ps-list' };
  }
}
