import { closeSync, openSync, readSync, readdirSync } from 'node:fs';
import type { PythonWait, WaitInfo, ProcessWaitKind } from '../../../contract';
import { readLink, readProcText } from './proc-reader';

/**
 * Why a process waits, in the kernel's own words: its state (/proc/PID/stat), the function it
 * sleeps in (/proc/PID/wchan), its current system call and arguments (/proc/PID/syscall) and, for
 * the details, the top of its kernel stack (/proc/PID/stack, where readable). The descriptor a
 * read, write or poll waits on is named (/proc/PID/fd/N), and for a pipe, who holds its other end.
 * Only the main thread is looked at (/proc/PID/syscall is the thread group leader's).
 */

type Arch = 'x64' | 'arm64';

/** The syscalls a waiting process is usually in, by number, for the two architectures Node runs on here. */
const syscallNames: Record<Arch, Record<number, string>> = {
  x64: {
    0: 'read',
    1: 'write',
    7: 'poll',
    17: 'pread64',
    18: 'pwrite64',
    19: 'readv',
    20: 'writev',
    23: 'select',
    34: 'pause',
    35: 'nanosleep',
    42: 'connect',
    43: 'accept',
    44: 'sendto',
    45: 'recvfrom',
    46: 'sendmsg',
    47: 'recvmsg',
    61: 'wait4',
    65: 'semop',
    70: 'msgrcv',
    72: 'fcntl',
    73: 'flock',
    128: 'rt_sigtimedwait',
    130: 'rt_sigsuspend',
    202: 'futex',
    220: 'semtimedop',
    230: 'clock_nanosleep',
    232: 'epoll_wait',
    247: 'waitid',
    257: 'openat',
    270: 'pselect6',
    271: 'ppoll',
    275: 'splice',
    281: 'epoll_pwait',
    288: 'accept4',
    299: 'recvmmsg',
    441: 'epoll_pwait2',
    449: 'futex_waitv',
  },
  arm64: {
    22: 'epoll_pwait',
    25: 'fcntl',
    32: 'flock',
    56: 'openat',
    63: 'read',
    64: 'write',
    65: 'readv',
    66: 'writev',
    67: 'pread64',
    68: 'pwrite64',
    72: 'pselect6',
    73: 'ppoll',
    76: 'splice',
    95: 'waitid',
    98: 'futex',
    101: 'nanosleep',
    115: 'clock_nanosleep',
    133: 'rt_sigsuspend',
    137: 'rt_sigtimedwait',
    188: 'msgrcv',
    192: 'semtimedop',
    193: 'semop',
    202: 'accept',
    203: 'connect',
    206: 'sendto',
    207: 'recvfrom',
    211: 'sendmsg',
    212: 'recvmsg',
    242: 'accept4',
    243: 'recvmmsg',
    260: 'wait4',
    441: 'epoll_pwait2',
    449: 'futex_waitv',
  },
};

const arch: Arch | null = process.arch === 'x64' ? 'x64' : process.arch === 'arm64' ? 'arm64' : null;

export function syscallName(nr: number): string {
  return (arch && syscallNames[arch][nr]) ?? `syscall ${nr}`;
}

export interface SyscallNow {
  /** The process runs (in user space or on a CPU): no syscall to tell. */
  running: boolean;
  /** null when blocked outside a syscall (a page fault) or running. */
  nr: number | null;
  args: bigint[];
}

/** Parses /proc/PID/syscall: `running`, `-1 sp pc`, or `NR a1 … a6 sp pc` (hex). */
export function parseSyscall(text: string): SyscallNow {
  const fields = text.trim().split(' ');
  if (fields[0] === 'running') return { running: true, nr: null, args: [] };
  const nr = Number(fields[0]);
  if (!Number.isInteger(nr) || nr < 0) return { running: false, nr: null, args: [] };
  const args = fields.slice(1, 7).map((field) => {
    try {
      return BigInt(field);
    } catch {
      return 0n;
    }
  });
  return { running: false, nr, args };
}

/** A syscall argument as a C int (fds, pids). */
function int(value: bigint | undefined): number {
  return value === undefined ? -1 : Number(BigInt.asIntN(32, value));
}

const readCalls = new Set(['read', 'readv', 'pread64', 'recvfrom', 'recvmsg', 'recvmmsg']);
const writeCalls = new Set(['write', 'writev', 'pwrite64', 'sendto', 'sendmsg', 'splice']);
const pollCalls = new Set([
  'poll',
  'ppoll',
  'select',
  'pselect6',
  'epoll_wait',
  'epoll_pwait',
  'epoll_pwait2',
]);

/** The kernel functions a sleeping process is usually found in, when its syscall cannot be read. */
function kindFromWchan(wchan: string): ProcessWaitKind | null {
  if (/^do_wait|kernel_wait/.test(wchan)) return 'child';
  if (/pipe_read|n_tty_read|wait_woken|unix_stream_read|sk_wait_data|skb_wait/.test(wchan)) return 'read';
  if (/pipe_write|sk_stream_wait/.test(wchan)) return 'write';
  if (/futex|flock|locks_lock|sem/.test(wchan)) return 'lock';
  if (/nanosleep|hrtimer/.test(wchan)) return 'sleep';
  if (/poll|select|ep_poll/.test(wchan)) return 'poll';
  if (/sigsuspend|sigtimedwait|pause/.test(wchan)) return 'signal';
  return null;
}

const wchanWords: Record<string, string> = {
  child: 'waiting for a child to exit',
  read: 'waiting to read',
  write: 'waiting to write',
  lock: 'waiting on a lock',
  sleep: 'sleeping',
  poll: 'waiting for any of several descriptors',
  signal: 'waiting for a signal',
};

/** What a descriptor is: a pipe, a socket, the terminal, a file. */
export interface FdTarget {
  fd: number;
  link: string | null;
  pipe: number | null;
}

export function fdTarget(pid: number, fd: number): FdTarget {
  const link = readLink(`/proc/${pid}/fd/${fd}`).value;
  const pipe = link ? /^pipe:\[(\d+)\]$/.exec(link) : null;
  return { fd, link, pipe: pipe ? Number(pipe[1]) : null };
}

/** Opened for writing (O_WRONLY or O_RDWR), from /proc/PID/fdinfo/N. */
function writable(pid: number, fd: number): boolean {
  const text = readProcText(`/proc/${pid}/fdinfo/${fd}`);
  const match = text ? /flags:\s*([0-7]+)/.exec(text) : null;
  return match ? (parseInt(match[1]!, 8) & 3) !== 0 : false;
}

/**
 * Who else holds a pipe: for each pid given (the run's processes, or every process for the
 * details), its descriptors that link to `pipe:[inode]`, split by direction.
 */
export function pipePeers(
  inode: number,
  self: number,
  pids: Iterable<number>,
): { writers: number[]; readers: number[] } {
  const target = `pipe:[${inode}]`;
  const writers: number[] = [];
  const readers: number[] = [];
  for (const pid of pids) {
    if (pid === self) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    let writes = false;
    let reads = false;
    for (const name of fds) {
      if (readLink(`/proc/${pid}/fd/${name}`).value !== target) continue;
      if (writable(pid, Number(name))) writes = true;
      else reads = true;
    }
    if (writes) writers.push(pid);
    if (reads) readers.push(pid);
  }
  return { writers, readers };
}

function describeFd(target: FdTarget, peers: number[] | null, arrow: '←' | '→'): string {
  const who =
    peers === null
      ? ''
      : peers.length > 0
        ? ` ${arrow} pid ${peers.slice(0, 4).join(', ')}${peers.length > 4 ? '…' : ''}`
        : ` ${arrow} no other process holds its other end`;
  return `fd ${target.fd}${who}`;
}

function whatFd(target: FdTarget): 'pipe' | 'socket' | 'the terminal' | 'a file' | 'a descriptor' {
  const link = target.link ?? '';
  if (target.pipe !== null) return 'pipe';
  if (link.startsWith('socket:')) return 'socket';
  if (/^\/dev\/(pts\/|tty)/.test(link)) return 'the terminal';
  if (link.startsWith('/')) return 'a file';
  return 'a descriptor';
}

/** At most this many pollfd entries are read from a poll()ing process's memory. */
const maxPollFds = 8;

/** The descriptors of a poll/ppoll call, read from the caller's memory (same user; best effort). */
function pollFds(pid: number, address: bigint, count: number): number[] | null {
  if (count <= 0 || address === 0n) return null;
  let fd: number;
  try {
    fd = openSync(`/proc/${pid}/mem`, 'r');
  } catch {
    return null;
  }
  try {
    const entries = Math.min(count, maxPollFds);
    const bytes = Buffer.alloc(entries * 8);
    const read = readSync(fd, bytes, 0, bytes.length, address);
    const fds: number[] = [];
    for (let offset = 0; offset + 8 <= read; offset += 8) fds.push(bytes.readInt32LE(offset));
    return fds.filter((value) => value >= 0);
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

export interface DescribeOptions {
  /** Whose descriptors to search for the other end of a pipe (the run's processes); none: not searched. */
  peers?: () => Iterable<number>;
  /** Read /proc/PID/stack (the details do; the sampler does not). */
  stack?: boolean;
  /** Look inside poll()'s descriptor list. */
  pollFds?: boolean;
  /** The previous answer for this process: kept as is (with its `since`) when nothing changed. */
  previous?: WaitInfo | null;
  now?: number;
}

const stateWords: Record<string, [ProcessWaitKind, string]> = {
  R: ['running', 'running'],
  D: ['disk', 'in an uninterruptible wait in the kernel (disk or device)'],
  T: ['stopped', 'stopped (SIGSTOP or job control)'],
  t: ['stopped', 'stopped by a debugger'],
  Z: ['zombie', 'exited; its parent has not collected its exit status yet'],
  X: ['zombie', 'dead'],
};

/** The state letter from /proc/PID/stat. */
function stateOf(stat: string): string {
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) || '?';
}

/** Why `pid` waits now, in words; null when the process is gone. */
export function describeWait(pid: number, options: DescribeOptions = {}): WaitInfo | null {
  const now = options.now ?? Date.now();
  const stat = readProcText(`/proc/${pid}/stat`);
  if (stat === null) return null;
  const state = stateOf(stat);
  const wchanText = readProcText(`/proc/${pid}/wchan`)?.trim() ?? '';
  const wchan = wchanText && wchanText !== '0' ? wchanText : null;
  const stack = options.stack ? readStack(pid) : null;
  const found = explain(pid, state, wchan, options);
  const previous = options.previous;
  const since =
    previous && previous.kind === found.kind && previous.text === found.text ? previous.since : now;
  return { ...found, state, wchan, stack, source: 'kernel', since };
}

function readStack(pid: number): string[] | null {
  const text = readProcText(`/proc/${pid}/stack`);
  if (!text) return null;
  const frames = text
    .split('\n')
    .map((line) => /\]\s+([^+\s]+)/.exec(line)?.[1])
    .filter((name): name is string => !!name);
  return frames.length > 0 ? frames.slice(0, 6) : null;
}

function explain(
  pid: number,
  state: string,
  wchan: string | null,
  options: DescribeOptions,
): { kind: ProcessWaitKind; text: string; syscall: string | null } {
  const fixed = stateWords[state];
  if (fixed && state !== 'D') return { kind: fixed[0], text: fixed[1], syscall: null };
  const raw = readProcText(`/proc/${pid}/syscall`);
  const call = raw ? parseSyscall(raw) : null;
  if (call?.running) return { kind: 'running', text: 'running', syscall: null };
  if (!call || call.nr === null) {
    // Not readable (another user's process), or blocked outside a syscall: the wchan is all there is.
    const kind = (wchan && kindFromWchan(wchan)) || (state === 'D' ? 'disk' : 'other');
    const base =
      state === 'D'
        ? stateWords.D![1]
        : (wchanWords[kind] ?? (call ? 'blocked (not in a system call)' : 'sleeping'));
    return { kind, text: wchan ? `${base} (in ${wchan})` : base, syscall: null };
  }
  const name = syscallName(call.nr);
  const [a1, a2, a3] = call.args;
  const text = (kind: ProcessWaitKind, words: string) => ({
    kind: state === 'D' ? ('disk' as const) : kind,
    text: state === 'D' ? `${words} — uninterruptible (disk or device)` : words,
    syscall: name,
  });
  if (name === 'wait4' || name === 'waitid') {
    // wait4(pid, …); waitid(idtype, id, …) with P_PID = 1.
    const child = name === 'wait4' ? int(a1) : int(a1) === 1 ? int(a2) : -1;
    return text(
      'child',
      child > 0 ? `waiting for its child pid ${child} to exit` : 'waiting for a child to exit',
    );
  }
  if (readCalls.has(name) || writeCalls.has(name)) {
    const reading = readCalls.has(name);
    const target = fdTarget(pid, int(a1));
    const what = whatFd(target);
    let peers: number[] | null = null;
    if (target.pipe !== null && options.peers) {
      const found = pipePeers(target.pipe, pid, options.peers());
      peers = reading ? found.writers : found.readers;
    }
    const where = describeFd(target, peers, reading ? '←' : '→');
    if (reading) {
      const from =
        what === 'a file' || what === 'a descriptor' ? `${what} (${target.link ?? '?'})` : `a ${what}`;
      return text('read', `waiting to read from ${from.replace('a the', 'the')} (${where})`);
    }
    const to = what === 'a file' || what === 'a descriptor' ? `${what} (${target.link ?? '?'})` : `a ${what}`;
    return text(
      'write',
      `waiting to write to ${to.replace('a the', 'the')} (${where}${target.pipe !== null ? '; the pipe is full' : ''})`,
    );
  }
  if (pollCalls.has(name)) {
    if ((name === 'poll' || name === 'ppoll') && options.pollFds !== false) {
      const fds = pollFds(pid, a1 ?? 0n, int(a2));
      if (fds && fds.length > 0) {
        const described = fds.map((fd) => {
          const target = fdTarget(pid, fd);
          const kind = whatFd(target);
          if (target.pipe !== null && options.peers) {
            const found = pipePeers(target.pipe, pid, options.peers());
            const others = [...new Set([...found.writers, ...found.readers])];
            return `fd ${fd}: pipe${others.length > 0 ? ` ↔ pid ${others.slice(0, 3).join(', ')}` : ''}`;
          }
          return `fd ${fd}: ${kind === 'a file' || kind === 'a descriptor' ? (target.link ?? '?') : kind}`;
        });
        return text('poll', `waiting for any of ${described.join(', ')} (${name})`);
      }
    }
    const count = name === 'poll' || name === 'ppoll' ? int(a2) : null;
    return text(
      'poll',
      name.startsWith('epoll')
        ? `waiting for events (${name}: an event loop)`
        : `waiting for any of ${count !== null && count > 0 ? `${count} ` : 'several '}descriptors (${name})`,
    );
  }
  if (name === 'futex' || name === 'futex_waitv') return text('lock', 'waiting on a lock (futex)');
  if (name === 'semop' || name === 'semtimedop') return text('lock', `waiting on a semaphore (${name})`);
  if (name === 'flock' || name === 'fcntl') return text('lock', `waiting on a file lock (${name})`);
  if (name === 'nanosleep' || name === 'clock_nanosleep') return text('sleep', `sleeping (${name})`);
  if (name === 'pause' || name === 'rt_sigsuspend' || name === 'rt_sigtimedwait')
    return text('signal', `waiting for a signal (${name})`);
  if (name === 'accept' || name === 'accept4') {
    return text('read', `waiting for a connection (fd ${int(a1)})`);
  }
  if (name === 'connect') return text('write', `connecting (fd ${int(a1)})`);
  if (name === 'msgrcv') return text('read', 'waiting for a message (msgrcv)');
  if (name === 'openat') {
    return text('other', 'opening a file (a FIFO waits for its other end)');
  }
  void a3;
  return text('other', `in the system call ${name}${wchan ? ` (in ${wchan})` : ''}`);
}

/** The Python lens's word on a wait, as a category. */
export function pythonWaitKind(what: string): ProcessWaitKind {
  if (/join|wait|shutdown|result/i.test(what) && !/Queue|Connection|Pipe/.test(what)) return 'child';
  if (/\.get|recv|poll/i.test(what)) return 'read';
  if (/\.put|send/i.test(what)) return 'write';
  if (/acquire|Lock|Semaphore|Condition|Event|Barrier/i.test(what)) return 'lock';
  if (/join/i.test(what)) return 'child';
  return 'other';
}

/** The Python lens knows more (blocked in Queue.get on q1): its answer wins over the kernel's. */
export function fromPython(wait: PythonWait, kernel: WaitInfo | null): WaitInfo {
  return {
    kind: pythonWaitKind(wait.what),
    text: `blocked in ${wait.what}${wait.on ? ` on ${wait.on}` : ''} (Python)`,
    state: kernel?.state ?? 'S',
    wchan: kernel?.wchan ?? null,
    syscall: kernel?.syscall ?? null,
    stack: kernel?.stack ?? null,
    source: 'python',
    since: wait.since,
  };
}
