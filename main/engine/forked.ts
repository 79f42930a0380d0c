import { fork, type ChildProcess } from 'node:child_process';
import { access } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { ForkscopeError, type ForkParams, type ProcessParams, type RunRecord } from '../../contract';
import { isForkscopeMessage, type FromChild, type ToChild } from './child/runner-protocol';
import type { Run, RunRegistry } from './registry';
import { checkArgv, checkCwd, mergeEnv } from './validate';

export interface ForkContext {
  registry: RunRegistry;
  baseDir: string;
  runnerPath: string;
  /** Answers a child's request (start a Process of its own, join one…). */
  onChildCall(caller: Run, method: string, params: unknown): Promise<unknown>;
}

async function checkModule(path: string): Promise<void> {
  try {
    await access(path);
  } catch {
    throw new ForkscopeError('not-found', `The module ${path} does not exist.`);
  }
}

function forkChild(
  ctx: ForkContext,
  run: Run,
  modulePath: string,
  args: string[],
  env: Record<string, string>,
) {
  const child = fork(modulePath, args, {
    cwd: run.snapshot().cwd,
    env,
    stdio: ['pipe', 'pipe', 'pipe', 'ipc'],
    detached: process.platform !== 'win32',
    // The engine's own flags (a test runner's loaders, an inspector) are not the child's.
    execArgv: [],
    serialization: 'json',
  });
  return child;
}

function wire(
  ctx: ForkContext,
  run: Run,
  child: ChildProcess,
  onRunnerMessage?: (message: FromChild) => void,
) {
  const drained = Promise.all([
    run.capture.attach('stdout', child.stdout),
    run.capture.attach('stderr', child.stderr),
  ]);
  child.on('message', (message: unknown) => {
    if (isForkscopeMessage(message)) {
      const typed = message as FromChild;
      if (typed.$forkscope === 'call') {
        void ctx
          .onChildCall(run, typed.method, typed.params)
          .then(
            (result): ToChild => ({
              $forkscope: 'reply',
              callId: typed.callId,
              ok: true,
              result: result ?? null,
            }),
            (error: unknown): ToChild => ({
              $forkscope: 'reply',
              callId: typed.callId,
              ok: false,
              error: {
                code: (error as ForkscopeError).code ?? 'internal',
                message: (error as Error).message,
              },
            }),
          )
          .then((reply) => child.connected && child.send(reply));
      } else onRunnerMessage?.(typed);
      return;
    }
    ctx.registry.emit('message', { id: run.id, direction: 'from-child', data: message, t: Date.now() });
  });
  // A send to a child that is gone fails on the channel: that must not crash the engine.
  child.on('error', () => {});
  child.once('exit', (code, signal) => {
    void Promise.race([drained, delay(250)]).then(async () => {
      await run.capture.close();
      run.exited(code, signal, pendingOutcome(run));
    });
  });
}

const outcomes = new WeakMap<Run, Partial<RunRecord>>();
const pendingOutcome = (run: Run) => outcomes.get(run) ?? {};
const children = new WeakMap<Run, ChildProcess>();

export function childOf(run: Run): ChildProcess | undefined {
  return children.get(run);
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
  const child = forkChild(ctx, run, modulePath, params.args, env);
  children.set(run, child);
  run.started(child.pid!, child.stdin);
  wire(ctx, run, child);
  return run.snapshot();
}

/** Python's `Process(target, args).start()`: an exported function run in a forked child. */
export async function startProcess(ctx: ForkContext, params: ProcessParams & { args: unknown[] }) {
  const cwd = await checkCwd(params.cwd, ctx.baseDir);
  const [file, exportName] = params.target.split('#') as [string, string];
  const modulePath = resolve(cwd, file);
  await checkModule(modulePath);
  const env = mergeEnv(params.env);
  const target = `${modulePath}#${exportName}`;
  const run = ctx.registry.create({
    kind: 'process',
    label:
      params.label ??
      `${basename(modulePath)}#${exportName}(${params.args.map((a) => JSON.stringify(a)).join(', ')})`.slice(
        0,
        120,
      ),
    argv: [process.execPath, ctx.runnerPath, target],
    cwd,
    parentId: params.parentId ?? null,
    target,
  });
  const child = forkChild(ctx, run, ctx.runnerPath, [], env);
  children.set(run, child);
  run.started(child.pid!, child.stdin);
  wire(ctx, run, child, (message) => {
    if (message.$forkscope === 'result') outcomes.set(run, { result: message.value as RunRecord['result'] });
    if (message.$forkscope === 'thrown') {
      outcomes.set(run, { thrown: { name: message.name, message: message.message, stack: message.stack } });
    }
  });
  child.send({ $forkscope: 'run', target, args: params.args } satisfies ToChild);
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
