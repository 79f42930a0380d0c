import { fork, type ChildProcess } from 'node:child_process';
import { access } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { ForkscopeError, type ForkParams, type ProcessParams, type RunRecord } from '../../../contract';
import type { Answer } from '../../../contract/dispatcher';
import { isForkscopeMessage, type FromChild, type ToChild } from './runner-protocol';
import type { Run, RunRegistry } from '../registry';
import { checkArgv, checkCwd, mergeEnv } from '../validate';

export interface ForkContext {
  registry: RunRegistry;
  baseDir: string;
  runnerPath: string;
  /** Answers a child's request (start a Process of its own, join one…): a result or `{code, message}`. */
  onChildCall(caller: Run, method: string, params: unknown): Promise<Answer>;
  /** Settles when the process's queue connections are closed and read (what it put is in its queues). */
  queueConnectionsClosed(pid: number): Promise<void>;
}

/** How long an exited process's queue connections may take to be read before its run ends anyway. */
const queueDrainMs = 5000;

const children = new WeakMap<Run, ChildProcess>();

/** Resolves when `promise` settles or after `ms`, whichever comes first (the timer does not outlive it). */
function settledWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    promise.then(done, done);
  });
}

async function checkModule(path: string): Promise<void> {
  try {
    await access(path);
  } catch {
    throw new ForkscopeError('not-found', `The module ${path} does not exist.`);
  }
}

function replyTo(child: ChildProcess, callId: number, answer: Promise<Answer>): void {
  void answer.then(
    (outcome) => child.connected && child.send({ $forkscope: 'reply', callId, ...outcome } satisfies ToChild),
  );
}

/**
 * Forks `modulePath` for `run` (its own process group, output captured, messages as events) and
 * ends the run when it exits. A fork that cannot start leaves a failed run, never a running one.
 */
function forkFor(
  ctx: ForkContext,
  run: Run,
  modulePath: string,
  args: string[],
  env: Record<string, string>,
): ChildProcess | null {
  let child: ChildProcess;
  try {
    child = fork(modulePath, args, {
      cwd: run.snapshot().cwd,
      // The run's marker: what it starts is found even after leaving its group (containment/).
      env: ctx.registry.containment.env(run.slot, env),
      stdio: ['pipe', 'pipe', 'pipe', 'ipc'],
      detached: process.platform !== 'win32',
      // The engine's own flags (a test runner's loaders, an inspector) are not the child's.
      execArgv: [],
      serialization: 'json',
    });
  } catch (error) {
    run.failed({ code: 'internal', message: `The fork could not start: ${(error as Error).message}` });
    return null;
  }
  child.on('error', (error) => {
    // Before a pid, an error means the fork never started; after it, a send to a child that is
    // gone failed on the channel, which must not crash the engine.
    if (child.pid === undefined)
      run.failed({ code: 'internal', message: `The fork could not start: ${error.message}` });
  });
  if (child.pid === undefined) return null;

  children.set(run, child);
  run.started(child.pid, child.stdin);
  const drained = Promise.all([
    run.capture.attach('stdout', child.stdout),
    run.capture.attach('stderr', child.stderr),
  ]);
  // The Process runner reports the target's return value or thrown error before it exits.
  let outcome: Partial<RunRecord> = {};
  child.on('message', (message: unknown) => {
    if (!isForkscopeMessage(message)) {
      ctx.registry.emit('message', { id: run.id, direction: 'from-child', data: message, t: Date.now() });
      return;
    }
    const typed = message as FromChild;
    if (typed.$forkscope === 'call')
      replyTo(child, typed.callId, ctx.onChildCall(run, typed.method, typed.params));
    if (typed.$forkscope === 'result') outcome = { result: typed.value as RunRecord['result'] };
    if (typed.$forkscope === 'thrown') {
      outcome = { thrown: { name: typed.name, message: typed.message, stack: typed.stack } };
    }
  });
  const pid = child.pid;
  child.once('exit', (code, signal) => {
    // As Python's Queue feeder flushes before a Process ends: its puts are in before its join returns.
    void settledWithin(ctx.queueConnectionsClosed(pid), queueDrainMs).then(() =>
      run.leaderExited(code, signal, drained, () => outcome),
    );
  });
  return child;
}

/** `child_process.fork` of a module: its output captured, its messages shown as events. */
export async function forkModule(
  ctx: ForkContext,
  params: ForkParams & { args: string[] },
  parentId?: string,
) {
  const cwd = await checkCwd(params.cwd, ctx.baseDir);
  const modulePath = resolve(cwd, params.modulePath);
  await checkModule(modulePath);
  const env = mergeEnv(params.env);
  checkArgv(params.args, env);
  const run = ctx.registry.create({
    kind: 'fork',
    label: params.label ?? [basename(modulePath), ...params.args].join(' '),
    argv: [process.execPath, modulePath, ...params.args],
    cwd,
    parentId: parentId ?? null,
  });
  forkFor(ctx, run, modulePath, params.args, env);
  return run.snapshot();
}

/** Python's `Process(target, args).start()`: an exported function run in a forked child. */
export async function startProcess(ctx: ForkContext, params: ProcessParams & { args: unknown[] }) {
  const cwd = await checkCwd(params.cwd, ctx.baseDir);
  const [file, exportName] = params.target.split('#') as [string, string];
  const modulePath = resolve(cwd, file);
  await checkModule(modulePath);
  const target = `${modulePath}#${exportName}`;
  const shownArgs = params.args.map((arg) => JSON.stringify(arg)).join(', ');
  const run = ctx.registry.create({
    kind: 'process',
    label: params.label ?? `${basename(modulePath)}#${exportName}(${shownArgs})`.slice(0, 120),
    argv: [process.execPath, ctx.runnerPath, target],
    cwd,
    parentId: params.parentId ?? null,
    target,
  });
  const child = forkFor(ctx, run, ctx.runnerPath, [], mergeEnv(params.env));
  child?.send({ $forkscope: 'run', target, args: params.args } satisfies ToChild);
  return run.snapshot();
}

export function sendToChild(ctx: ForkContext, run: Run, message: unknown): void {
  const child = children.get(run);
  if (!child)
    throw new ForkscopeError('invalid-argument', `${run.id} was not forked: it has no message channel.`);
  if (!child.connected)
    throw new ForkscopeError('already-exited', `${run.id} has exited: its channel is closed.`);
  child.send(message as object);
  ctx.registry.emit('message', { id: run.id, direction: 'to-child', data: message, t: Date.now() });
}
