import { resolve } from 'node:path';
import { ForkscopeError, type LaunchParams, type RunRecord } from '../../contract';
import type { RunRegistry } from './registry';
import { SpawnFailure, type SpawnHelperClient } from './spawn/spawn-helper-client';
import { checkArgv, checkCwd, mergeEnv, permissionDeniedMessage } from './validate';

type Launch = LaunchParams & { args: string[]; shell: boolean; closeStdin: boolean };

function shellArgv(program: string, args: string[]): string[] {
  const line = [program, ...args].join(' ');
  return process.platform === 'win32' ? ['cmd.exe', '/d', '/s', '/c', line] : ['/bin/sh', '-c', line];
}

function spawnError(program: string, failure: SpawnFailure, cwd: string, searchPath: string | undefined) {
  switch (failure.errno) {
    case 'ENOENT':
      return {
        code: 'command-not-found' as const,
        message: `command not found: ${program} (ENOENT). Is it installed and on PATH?`,
      };
    case 'EACCES':
      return {
        code: 'permission-denied' as const,
        message: permissionDeniedMessage(program, cwd, searchPath),
      };
    case 'E2BIG':
      return {
        code: 'argument-list-too-long' as const,
        message: 'The argument list is too long for the system (E2BIG).',
      };
    default:
      return { code: 'internal' as const, message: `${program} could not start: ${failure.message}` };
  }
}

/** Working directories found good in the last second: a launch loop need not stat the same one each time. */
const checkedDirs = new Map<string, number>();
const trustCheckMs = 1000;

async function checkCwdCached(cwd: string | undefined, baseDir: string): Promise<string> {
  const dir = resolve(baseDir, cwd ?? '.');
  if ((checkedDirs.get(dir) ?? 0) > performance.now()) return dir;
  const checked = await checkCwd(cwd, baseDir);
  if (checkedDirs.size >= 64) checkedDirs.clear();
  checkedDirs.set(checked, performance.now() + trustCheckMs);
  return checked;
}

/**
 * Python's Popen: argv without a shell unless asked, cwd, env overrides, stdin text
 * (written at start, then closed on demand), a timeout that stops the whole tree.
 */
export async function launchCommand(
  registry: RunRegistry,
  spawner: SpawnHelperClient,
  params: Launch,
  options: { baseDir: string; graceMs: number; parentId?: string },
): Promise<RunRecord> {
  const argv = params.shell ? shellArgv(params.program, params.args) : [params.program, ...params.args];
  const env = mergeEnv(params.env);
  checkArgv(argv, env);
  const cwd = await checkCwdCached(params.cwd, options.baseDir);

  // Stdin closed at once with nothing to write: no pipe at all (the child reads /dev/null),
  // which spares handing a third pipe over from the spawn helper.
  const noStdin = params.closeStdin && params.input === undefined;
  // The helper is asked first: the run's record and logs are set up while it forks. It forks
  // the child inside the run's cgroup, with the run's marker (containment/).
  const slot = registry.containment.allocate();
  const spawning = spawner.spawn({
    file: argv[0]!,
    args: argv.slice(1),
    cwd,
    env,
    noStdin,
    cgroup: slot.cgroup,
    mark: slot.mark,
  });
  spawning.catch(() => {}); // awaited below

  const run = registry.create({
    kind: 'command',
    label: params.label ?? [params.program, ...params.args].join(' ').slice(0, 120),
    argv,
    cwd,
    shell: params.shell,
    parentId: options.parentId ?? null,
    slot,
  });

  let child;
  try {
    child = await spawning;
  } catch (error) {
    if (!(error instanceof SpawnFailure)) throw error;
    if (checkedDirs.delete(cwd)) {
      // The cwd was taken on trust from a recent check: it may have gone since (ENOENT then names it).
      try {
        await checkCwd(cwd, options.baseDir);
      } catch (cwdError) {
        registry.forget(run.id);
        throw cwdError;
      }
    }
    const info = spawnError(params.program, error, cwd, env.PATH);
    if (info.code === 'argument-list-too-long') {
      registry.forget(run.id);
      throw new ForkscopeError(info.code, info.message);
    }
    run.failed(info);
    return run.snapshot();
  }

  // Its OS parent is the spawn helper that forked it, not this process.
  const helper = spawner.pid;
  run.started(
    child.pid,
    child.stdin,
    helper !== undefined ? { pid: helper, name: 'spawn helper' } : undefined,
    child.placed,
  );
  const drained = Promise.all([
    run.capture.attach('stdout', child.stdout),
    run.capture.attach('stderr', child.stderr),
  ]);
  if (params.input !== undefined) run.writeStdin(params.input);
  if (params.closeStdin) run.closeStdin();

  let timer: NodeJS.Timeout | undefined;
  if (params.timeoutMs !== undefined) {
    timer = setTimeout(() => void run.stop('timeout', options.graceMs).catch(() => {}), params.timeoutMs);
  }
  void child.exited.then(({ code, signal, unknown }) => {
    clearTimeout(timer);
    const lost = {
      error: {
        code: 'unavailable' as const,
        message: 'Forkscope’s spawn helper stopped while this ran, so its exit status is unknown.',
      },
    };
    void run.leaderExited(code, signal, drained, () => (unknown ? lost : {}));
  });
  return run.snapshot();
}
