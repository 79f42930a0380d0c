import { closeSync, openSync, readFileSync, readSync, readdirSync, readlinkSync, statSync } from 'node:fs';

/**
 * Linux's /proc read directly and synchronously: one open/read/close per file into a shared
 * buffer. Measured here, this is faster than `ps` itself (which reads the same files and
 * formats them) and much faster than Node's async fs (one thread-pool hop per file).
 */

const buffer = Buffer.alloc(64 * 1024);

/** The bytes of a small /proc file, or null when the process is gone or hidden. */
function readSmall(path: string): number | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    let length = 0;
    while (length < buffer.length) {
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
    }
    return length;
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

export interface ProcStat {
  pid: number;
  name: string;
  state: string;
  ppid: number;
  pgid: number;
  sid: number;
  /** utime + stime, in clock ticks. */
  cpuTicks: number;
  threads: number;
  /** Clock ticks after boot. */
  startTicks: number;
  rssPages: number;
  /** Where the program's text starts (field 26): changes on every exec; 0 where not allowed to see. */
  startCode: number;
}

/** Parses /proc/<pid>/stat; the name sits in parentheses and may itself hold spaces and parentheses. */
export function parseStat(text: string): ProcStat | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const fields = text.slice(close + 2).split(' ');
  // fields[0] is field 3 (state) of proc(5).
  const field = (n: number) => Number(fields[n - 3]);
  return {
    pid: Number(text.slice(0, open - 1)),
    name: text.slice(open + 1, close),
    state: fields[0] ?? '?',
    ppid: field(4),
    pgid: field(5),
    sid: field(6),
    cpuTicks: field(14) + field(15),
    threads: field(20),
    startTicks: field(22),
    rssPages: field(24),
    startCode: field(26),
  };
}

export function readStat(pid: number): ProcStat | null {
  const length = readSmall(`/proc/${pid}/stat`);
  return length === null ? null : parseStat(buffer.toString('latin1', 0, length));
}

/** The command line with NULs as spaces; empty for kernel threads and zombies. */
export function readCmdline(pid: number, max = 4096): string {
  const length = readSmall(`/proc/${pid}/cmdline`);
  if (!length) return '';
  let end = length;
  while (end > 0 && buffer[end - 1] === 0) end--;
  const text = buffer.toString('utf8', 0, Math.min(end, max));
  return text.replaceAll('\0', ' ');
}

export function readUid(pid: number): number | null {
  try {
    return statSync(`/proc/${pid}`).uid;
  } catch {
    return null;
  }
}

/** Every pid in /proc right now (cheap: one getdents). */
export function listPids(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    const first = entry.charCodeAt(0);
    if (first >= 48 && first <= 57) pids.push(Number(entry));
  }
  return pids;
}

export function readLink(path: string): { value: string | null; error: string | null } {
  try {
    return { value: readlinkSync(path), error: null };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM')
      return { value: null, error: 'permission denied (another user’s process)' };
    if (code === 'ENOENT')
      return { value: null, error: 'not available (the process has exited or is a zombie)' };
    return { value: null, error: `not available (${code ?? 'unknown error'})` };
  }
}

export const clockTicksPerSecond = 100; // USER_HZ: 100 on every Linux ABI Node runs on.

/** The page size, learned by comparing our own RSS in pages (statm) and in bytes (Node). */
export const pageSize: number = (() => {
  try {
    const pages = Number(readFileSync('/proc/self/statm', 'latin1').split(' ')[1]);
    const bytes = process.memoryUsage.rss();
    const guess = bytes / pages;
    return [4096, 16384, 65536].reduce((best, size) =>
      Math.abs(size - guess) < Math.abs(best - guess) ? size : best,
    );
  } catch {
    return 4096;
  }
})();

/** Epoch ms of boot, from /proc/uptime (10 ms precision; fixed once so start times compare exactly). */
export const bootTimeMs: number = (() => {
  try {
    const uptime = Number(readFileSync('/proc/uptime', 'latin1').split(' ')[0]);
    return Math.round(Date.now() - uptime * 1000);
  } catch {
    return 0;
  }
})();

export function startTimeMs(startTicks: number): number {
  return bootTimeMs + Math.round((startTicks * 1000) / clockTicksPerSecond);
}

export const hasProc: boolean = (() => {
  if (process.platform !== 'linux') return false;
  try {
    return statSync('/proc/self/stat').isFile();
  } catch {
    return false;
  }
})();

/** A small /proc file as text (latin1), or null when it cannot be read. */
export function readProcText(path: string): string | null {
  const length = readSmall(path);
  return length === null ? null : buffer.toString('latin1', 0, length);
}

/** The thread group (process) a task id belongs to: a thread's id reads like a pid in /proc. */
export function readTgid(pid: number): number | null {
  const text = readProcText(`/proc/${pid}/status`);
  const match = text ? /\nTgid:\s*(\d+)/.exec(text) : null;
  return match ? Number(match[1]) : null;
}

/**
 * The last pid the kernel handed out in our pid namespace (/proc/loadavg's fifth field): what was
 * born since the previous look lies between the two values, so a sampler need not list /proc.
 */
export function readLastPid(): number | null {
  const text = readProcText('/proc/loadavg');
  if (!text) return null;
  const value = Number(text.trim().split(' ')[4]);
  return Number.isInteger(value) ? value : null;
}

export const pidMax: number = (() => {
  try {
    return Number(readFileSync('/proc/sys/kernel/pid_max', 'latin1').trim()) || 4_194_304;
  } catch {
    return 4_194_304;
  }
})();
