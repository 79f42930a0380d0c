/**
 * Item 4 of issue 9: every process a run starts — also one that called setsid, double-forked or
 * was started by a Process or a forked module and detached — is stopped by Kill/Terminate, by
 * serve mode's shutdown (SIGINT) and when serve mode itself is SIGKILLed (the watchdog). In both
 * containment modes: a cgroup v2 per run where this machine lets us create cgroups, and the
 * fallback (process groups + environment marker + watchdog), forced with FORKSCOPE_CONTAINMENT=groups.
 * Survivors are found by a token no other process carries, in the sleeps' own arguments.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmdirSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cgroup2Mount, ownCgroup } from '../../main/engine/containment/cgroups';
import type { Engine } from '../../main/engine/engine';
import { createTestEngine, eventually } from '../support/engine';
import type { ServeProcess } from '../support/serve';
import { killSurvivors, startServeWith, startTrees, survivors, uniqueDuration } from './serve-child';

/** Where this process would make cgroups, if it may (root, or a delegated cgroup). */
function cgroupParent(): string | null {
  const mount = cgroup2Mount();
  const own = ownCgroup();
  if (!mount || own === null) return null;
  const dir = join(mount, own);
  try {
    accessSync(dir, constants.W_OK);
    // cgroup.kill (Linux 5.14+) exists only in non-root cgroups: look for it in one made for the check.
    const probe = join(dir, `forkscope-probe-${process.pid}`);
    mkdirSync(probe);
    const hasKill = existsSync(join(probe, 'cgroup.kill'));
    rmdirSync(probe);
    return hasKill ? dir : null;
  } catch {
    return null;
  }
}
const parent = cgroupParent();
const noCgroupReason =
  'no writable cgroup v2 with cgroup.kill here (not mounted, not root / not delegated, or Linux < 5.14)';

const tokens: string[] = [];
const servers: ServeProcess[] = [];
const engines: Engine[] = [];
function token(): string {
  const value = uniqueDuration();
  tokens.push(value);
  return value;
}
afterAll(async () => {
  await Promise.all(engines.map((engine) => engine.shutdown().catch(() => {})));
  for (const serve of servers) await serve.stop('SIGKILL');
  for (const value of tokens) killSurvivors(value);
});

const modes = [
  { name: 'cgroup', env: {} as Record<string, string>, skip: parent === null },
  { name: 'groups', env: { FORKSCOPE_CONTAINMENT: 'groups' }, skip: false },
] as const;

function brokerDirs(pid: number): string[] {
  return readdirSync(tmpdir()).filter((name) => name.startsWith(`forkscope-q-${pid}-`));
}

for (const mode of modes) {
  describe.skipIf(mode.skip)(
    `serve mode, containment "${mode.name}"${mode.skip ? ` (skipped: ${noCgroupReason})` : ''}`,
    () => {
      it('SIGINT leaves no process behind: setsid sleeps, double forks, detached children of a Process and of a fork', async () => {
        const serve = await startServeWith({ env: mode.env });
        servers.push(serve);
        const duration = token();
        const { info } = await startTrees(serve, duration);
        expect(info.containment.mode).toBe(mode.name);
        expect(await serve.stop('SIGINT')).toBe(0);
        // Shutdown waits for all of them: nothing is left the moment it has exited.
        expect(survivors(duration)).toEqual([]);
        expect(brokerDirs(serve.process.pid!)).toEqual([]);
        if (parent) expect(existsSync(join(parent, `forkscope-${serve.process.pid}`))).toBe(false);
      }, 40_000);

      it('SIGKILL of serve mode: the watchdog stops every process, removes the cgroups and the broker folder', async () => {
        const serve = await startServeWith({ env: mode.env });
        servers.push(serve);
        const duration = token();
        await startTrees(serve, duration);
        const pid = serve.process.pid!;
        expect(brokerDirs(pid)).toHaveLength(1);
        await serve.stop('SIGKILL');
        const started = Date.now();
        await eventually(() => survivors(duration).length === 0, 5000, 'no survivor');
        const tookMs = Date.now() - started;
        await eventually(() => brokerDirs(pid).length === 0, 3000, 'the broker folder removed');
        if (parent)
          await eventually(
            () => !existsSync(join(parent, `forkscope-${pid}`)),
            3000,
            'the cgroup tree removed',
          );
        expect(tookMs).toBeLessThan(5000);
      }, 40_000);
    },
  );

  describe.skipIf(mode.skip)(`Kill and Terminate, containment "${mode.name}"`, () => {
    function engineInMode(): Engine {
      const saved = process.env.FORKSCOPE_CONTAINMENT;
      if (mode.env.FORKSCOPE_CONTAINMENT) process.env.FORKSCOPE_CONTAINMENT = mode.env.FORKSCOPE_CONTAINMENT;
      try {
        const engine = createTestEngine();
        engines.push(engine);
        return engine;
      } finally {
        if (saved === undefined) delete process.env.FORKSCOPE_CONTAINMENT;
        else process.env.FORKSCOPE_CONTAINMENT = saved;
      }
    }

    it('runs.kill of a run whose child called setsid: the child is gone when the run shows as ended', async () => {
      const engine = engineInMode();
      expect(engine.hostInfo().containment.mode).toBe(mode.name);
      const duration = token();
      const run = await engine.launch({
        program: 'sh',
        args: ['-c', `setsid sleep ${duration} & wait`],
        shell: false,
        closeStdin: true,
      });
      await eventually(() => survivors(duration).length >= 2, 10_000, 'sh and its setsid sleep');
      const ended = await engine.kill(run.id);
      expect(ended.endedAt).not.toBeNull();
      expect(survivors(duration)).toEqual([]);
    });

    it('a run whose leader exited stays running while a process it started lives; Terminate ends both', async () => {
      const engine = engineInMode();
      const duration = token();
      const run = await engine.launch({
        program: 'setsid',
        args: ['sleep', duration],
        shell: false,
        closeStdin: true,
      });
      await eventually(() => survivors(duration).length === 1, 10_000, 'the setsid sleep');
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect(engine.run(run.id).snapshot().state).toBe('running');
      const ended = await engine.terminate(run.id, 1000);
      expect(ended.endedAt).not.toBeNull();
      expect(survivors(duration)).toEqual([]);
    });

    // Only cgroup containment has cgroups to reuse: the test exists in that mode alone.
    if (mode.name === 'cgroup') {
      it('an ended run’s empty cgroup is reused by the next run, which it contains as a new one', async () => {
        const engine = engineInMode();
        const first = await engine.launch({ program: 'true', args: [], shell: false, closeStdin: true });
        const firstCgroup = engine.run(first.id).slot.cgroup;
        expect(firstCgroup).not.toBeNull();
        await engine.join(first.id, 10_000);
        const duration = token();
        const second = await engine.launch({
          program: 'sh',
          args: ['-c', `setsid sleep ${duration} & wait`],
          shell: false,
          closeStdin: true,
        });
        expect(engine.run(second.id).slot.cgroup).toBe(firstCgroup);
        await eventually(() => survivors(duration).length >= 2, 10_000, 'sh and its setsid sleep');
        // The sleep left the run's session and group, not its (reused) cgroup.
        for (const pid of survivors(duration)) {
          const own = readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('::')[1];
          expect(firstCgroup!.endsWith(own!)).toBe(true);
        }
        const ended = await engine.kill(second.id);
        expect(ended.endedAt).not.toBeNull();
        expect(survivors(duration)).toEqual([]);
        expect(readFileSync(join(firstCgroup!, 'cgroup.events'), 'utf8')).toMatch(/^populated 0$/m);
      });
    }

    it('a run with no leftover ends as before, with its exit code', async () => {
      const engine = engineInMode();
      const run = await engine.launch({
        program: 'sh',
        args: ['-c', 'exit 3'],
        shell: false,
        closeStdin: true,
      });
      const ended = await engine.join(run.id, 10_000);
      expect(ended.exit?.exitcode).toBe(3);
    });
  });
}

describe.skipIf(parent === null)(
  `the next start${parent === null ? ` (skipped: ${noCgroupReason})` : ''}`,
  () => {
    it('kills and removes the cgroup tree and broker folder of a host that died with its watchdog', async () => {
      const dead = spawnSync('true').pid!;
      const duration = token();
      const stale = join(parent!, `forkscope-${dead}`);
      mkdirSync(join(stale, 's1'), { recursive: true });
      const sleeper = spawn('sleep', [duration], { stdio: 'ignore' });
      writeFileSync(join(stale, 's1', 'cgroup.procs'), String(sleeper.pid));
      const staleDir = mkdtempSync(join(tmpdir(), `forkscope-q-${dead}-`));
      // Its queues' spill folder in shared memory, with a segment left in it.
      const staleSpill = mkdtempSync(join('/dev/shm', `forkscope-q-${dead}-`));
      writeFileSync(join(staleSpill, 'segment'), 'x'.repeat(70_000));
      expect(readFileSync(join(stale, 's1', 'cgroup.procs'), 'utf8').trim()).toBe(String(sleeper.pid));
      engines.push(createTestEngine());
      expect(existsSync(stale)).toBe(false);
      expect(existsSync(staleDir)).toBe(false);
      expect(existsSync(staleSpill)).toBe(false);
      await eventually(() => survivors(duration).length === 0, 3000, 'the stale sleep killed');
    });
  },
);
