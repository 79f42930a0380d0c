/**
 * The spawn helper: a small process that starts commands for the engine.
 *
 * Node's spawn forks the calling process, so its cost grows with the caller's memory; this
 * process stays small, so spawning costs the same however big the engine grows. Each child's
 * pipes are handed to the engine over IPC (SCM_RIGHTS), so output flows straight to the engine.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { markVar } from '../../containment/marker';
import type { SpawnReply, SpawnRequest } from '../spawn-protocol';

const send = (reply: SpawnReply, handle?: Socket) => process.send?.(reply, handle);

/** Children still running: if the engine dies, they must not outlive it. */
const running = new Set<number>();

/** The engine sends the environment only when it changed. */
let lastEnv: Record<string, string> | undefined;

/** Moves this process into a cgroup (a write to its cgroup.procs); false when refused. */
function enter(cgroup: string): boolean {
  try {
    writeFileSync(`${cgroup}/cgroup.procs`, String(process.pid));
    return true;
  } catch {
    return false;
  }
}

function start(request: SpawnRequest) {
  const { id } = request;
  lastEnv = request.env ?? lastEnv;
  const base = lastEnv ?? (process.env as Record<string, string>);
  const env = request.mark ? { ...base, [markVar]: request.mark } : base;
  // Forked from inside the run's cgroup: no instruction of the child runs outside it. (spawn is
  // synchronous up to the child's exec, and this process does nothing else meanwhile.)
  const moved = request.cgroup && request.home ? enter(request.cgroup) : false;
  let child;
  try {
    child = spawn(request.file, request.args, {
      cwd: request.cwd,
      env,
      stdio: [request.noStdin ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      detached: process.platform !== 'win32',
      windowsHide: true,
    });
  } catch (error) {
    const err = error as NodeJS.ErrnoException;
    send({ id, type: 'error', errno: err.code ?? 'EINVAL', message: err.message });
    return;
  } finally {
    if (moved) enter(request.home!);
  }
  child.once('error', (err: NodeJS.ErrnoException) => {
    if (child.pid === undefined)
      send({ id, type: 'error', errno: err.code ?? 'UNKNOWN', message: err.message });
  });
  if (child.pid === undefined) return;
  const streams = { stdin: child.stdin, stdout: child.stdout, stderr: child.stderr } as unknown as Record<
    string,
    Socket | null
  >;
  // Not one byte may be read here: stop reading before the event loop gets a chance to.
  for (const name of ['stdout', 'stderr']) {
    (streams[name] as unknown as { _handle?: { readStop(): void } })._handle?.readStop();
  }
  send({ id, type: 'spawned', pid: child.pid });
  for (const name of ['stdin', 'stdout', 'stderr'] as const) {
    const stream = streams[name];
    if (stream) send({ id, type: 'stdio', stream: name }, stream);
  }
  const pid = child.pid;
  running.add(pid);
  child.once('exit', (code, signal) => {
    running.delete(pid);
    send({ id, type: 'exit', code, signal });
  });
}

function signalGroups(signal: NodeJS.Signals) {
  for (const pid of running) {
    try {
      process.kill(-pid, signal);
    } catch {
      // already gone
    }
  }
}

process.on('message', (message: SpawnRequest) => {
  if (message?.op === 'spawn') start(message);
});
// The engine going away (even SIGKILLed) closes the IPC channel: take every child's process group
// down (SIGTERM, a second of grace, SIGKILL), then leave.
process.on('disconnect', () => {
  signalGroups('SIGTERM');
  setTimeout(() => {
    signalGroups('SIGKILL');
    process.exit(0);
  }, 1000);
});
