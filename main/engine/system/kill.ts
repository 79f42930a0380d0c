import { ForkscopeError, type KillResult, type SignalName } from '../../../contract';
import type { Listing, RawProcess } from './lister';
import { ancestorsOf, markOwnership, treeOf, type Mark, type OwnPids } from './ownership';

export interface KillRequest {
  pid: number;
  signal: SignalName;
  tree: boolean;
  /** The start time the caller saw: a pid reused since then is refused. */
  start?: number | undefined;
}

export interface KillContext {
  /** A fresh listing: every check is made against the machine as it is now. */
  listing: Listing;
  own: OwnPids;
  /** Forkscope's parent pid. */
  parent: number;
}

/**
 * pids kill(2) reads as something other than one process, and init: never a target from here.
 * Each is named for what it really means, since "pid 0" looks like a process to most people.
 */
function reservedPid(pid: number): string | null {
  if (pid === 1)
    return 'pid 1 is the system’s init process: stopping it would bring the whole machine (or container) down.';
  if (pid === 0)
    return 'pid 0 is not a process: to kill() it means the caller’s own process group, which would signal Forkscope itself.';
  if (pid === -1)
    return 'pid -1 is not a process: to kill() it means every process you may signal, which would stop nearly everything you run.';
  if (pid < 0)
    return `pid ${pid} is not a process: to kill() it means the whole process group ${-pid}. Choose a process instead (with its tree if you want its children).`;
  return null;
}

function label(entry: RawProcess): string {
  return `${entry.name} (pid ${entry.pid})`;
}

/** Every check that can refuse, made before any signal is sent. */
function refusal(
  process: RawProcess,
  context: KillContext,
  ancestors: Set<number>,
  marks: Map<number, Mark>,
): string | null {
  const { pid } = process;
  const reserved = reservedPid(pid);
  if (reserved) return reserved;
  if (pid === context.own.self) return `${label(process)} is Forkscope itself: quit the app instead.`;
  if (ancestors.has(pid)) {
    const who = pid === context.parent ? 'Forkscope’s parent' : 'an ancestor of Forkscope';
    return `${label(process)} is ${who}: signalling it could take Forkscope down with it.`;
  }
  if (marks.get(pid)?.own === 'forkscope') {
    return `${label(process)} is part of Forkscope itself (its helper or its own child): it cannot be signalled from here.`;
  }
  return null;
}

function errnoError(process: RawProcess, signal: SignalName, error: unknown): ForkscopeError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ESRCH') return new ForkscopeError('already-exited', `${label(process)} has already exited.`);
  if (code === 'EPERM') {
    return new ForkscopeError(
      'permission-denied',
      `permission denied: ${label(process)} belongs to ${process.user}; Forkscope may not send it SIG${signal} (EPERM).`,
    );
  }
  return new ForkscopeError(
    'internal',
    `SIG${signal} could not be sent to ${label(process)}: ${String(error)}`,
  );
}

/**
 * Sends a signal to one process or to its whole tree (parent first, so a pool cannot replace
 * a worker it just lost). Everything that could make it wrong is checked first: pid 1,
 * Forkscope itself, its machinery and its ancestors, a pid reused since the caller's snapshot.
 */
export function safeKill(request: KillRequest, context: KillContext): KillResult {
  const { pid, signal } = request;
  const reserved = reservedPid(pid);
  if (reserved) throw new ForkscopeError('refused', `Refused: ${reserved}`);
  const processes = context.listing.processes;
  const byPid = new Map(processes.map((entry) => [entry.pid, entry]));
  const target = byPid.get(pid);
  if (!target) throw new ForkscopeError('already-exited', `pid ${pid} has already exited.`);
  if (request.start !== undefined && target.start !== 0 && Math.abs(target.start - request.start) > 1) {
    throw new ForkscopeError(
      'refused',
      `Refused: pid ${pid} now belongs to another process (${target.name}, started ${new Date(target.start).toISOString()}): ` +
        'the one you chose has exited and its pid was reused. Refresh and choose again.',
    );
  }
  if (target.state === 'Z') {
    throw new ForkscopeError(
      'already-exited',
      `${label(target)} has already exited: it is a zombie waiting for its parent (pid ${target.ppid}) to collect it; no signal reaches it.`,
    );
  }
  const ancestors = ancestorsOf(context.own.self, processes);
  const marks = markOwnership(processes, context.own);
  const pids = request.tree ? treeOf(pid, processes) : [pid];
  for (const member of pids) {
    const entry = byPid.get(member);
    if (!entry) continue;
    const reason = refusal(entry, context, ancestors, marks);
    if (reason) {
      throw new ForkscopeError(
        'refused',
        member === pid ? `Refused: ${reason}` : `Refused: the tree of ${label(target)} holds ${reason}`,
      );
    }
  }

  const result: KillResult = { signal, signalled: [], failed: [] };
  for (const member of pids) {
    const entry = byPid.get(member)!;
    try {
      process.kill(member, `SIG${signal}`);
      result.signalled.push({ pid: member, name: entry.name });
    } catch (error) {
      const failure = errnoError(entry, signal, error);
      if (member === pid) throw failure;
      result.failed.push({ pid: member, code: failure.code, message: failure.message });
    }
  }
  return result;
}
