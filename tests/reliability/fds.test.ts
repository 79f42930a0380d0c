/**
 * Item 2 of issue 9: exhausted file descriptors. Under a hard limit of 100 (nothing can raise it),
 * 40 launches at once: every call settles — a running run with its pid, or at once the clear error
 * "too many open files: N runs hold M descriptors, limit L" — no run stays "running" without a pid,
 * and shutdown leaves no sleep behind. Where the hard limit is higher, the soft limit is raised to it
 * at start (through prlimit: Node has no setrlimit) and all 40 launch.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import type { ServeProcess } from '../support/serve';
import { connectClient } from '../support/serve';
import { killSurvivors, startServeWith, survivors } from './serve-child';

const hasPrlimit = spawnSync('prlimit', ['--version']).status === 0;
const servers: ServeProcess[] = [];
const durations: string[] = [];
afterAll(async () => {
  for (const serve of servers) await serve.stop('SIGKILL');
  for (const duration of durations) killSurvivors(duration);
});

function duration(): string {
  const value = `30.${String(Math.floor(Math.random() * 1e9)).padStart(9, '0')}`;
  durations.push(value);
  return value;
}

type Outcome =
  | { kind: 'run'; pid: number | null; state: string; error: string | null }
  | { kind: 'error'; message: string }
  | { kind: 'hung' };

describe.skipIf(!hasPrlimit)(
  `descriptors${hasPrlimit ? '' : ' (skipped: no prlimit(1) to start serve mode under a limit)'}`,
  () => {
    it('under a hard limit of 100, 40 launches all settle at once, none runs without a pid, none survives', async () => {
      const serve = await startServeWith({ prefix: ['prlimit', '--nofile=100:100'] });
      servers.push(serve);
      const { client, close } = await connectClient(serve);
      const info = await client.call('app.info', {});
      expect(info.files.limit).toBe(100);
      const sleep = duration();
      const started = Date.now();
      const outcomes: Outcome[] = await Promise.all(
        Array.from({ length: 40 }, () =>
          Promise.race<Outcome>([
            client.call('runs.launch', { program: 'sleep', args: [sleep] }).then(
              (run) => ({ kind: 'run', pid: run.pid, state: run.state, error: run.error?.message ?? null }),
              (error: Error) => ({ kind: 'error', message: error.message }),
            ),
            new Promise<Outcome>((resolve) => setTimeout(() => resolve({ kind: 'hung' }), 10_000)),
          ]),
        ),
      );
      const settledMs = Date.now() - started;
      expect(outcomes.filter((o) => o.kind === 'hung')).toEqual([]);
      const running = outcomes.filter((o) => o.kind === 'run' && o.state === 'running');
      const refused = outcomes.filter((o) => o.kind !== 'run' || o.state !== 'running');
      expect(running.length).toBeGreaterThan(0);
      expect(refused.length).toBeGreaterThan(0);
      for (const o of running) expect(o.kind === 'run' && o.pid).toBeGreaterThan(0);
      for (const o of refused) {
        const message = o.kind === 'error' ? o.message : o.kind === 'run' ? o.error : '';
        expect(message).toMatch(/too many open files: \d+ runs hold \d+ descriptors, limit 100/);
      }
      expect(settledMs).toBeLessThan(8000);
      // No run is "running" without a pid, a moment later.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const list = await client.call('runs.list', {});
      expect(list.filter((run) => run.state === 'running' && run.pid === null)).toEqual([]);
      expect(survivors(sleep)).toHaveLength(running.length);
      // Kill works on what runs; the descriptors come back and a launch succeeds again.
      const first = list.find((run) => run.state === 'running')!;
      const killed = await client.call('runs.kill', { id: first.id });
      expect(killed.endedAt).not.toBeNull();
      close();
      expect(await serve.stop('SIGINT')).toBe(0);
      expect(survivors(sleep)).toEqual([]);
    }, 60_000);

    it('runs with the soft limit raised to the hard one (Node does it at start; prlimit where the runtime did not), and then all 40 launch', async () => {
      const serve = await startServeWith({ prefix: ['prlimit', '--nofile=100:4096'] });
      servers.push(serve);
      const { client, close } = await connectClient(serve);
      const info = await client.call('app.info', {});
      expect(info.files.limit).toBe(4096);
      expect(info.files.note).toMatch(/4096/);
      const sleep = duration();
      const runs = await Promise.all(
        Array.from({ length: 40 }, () => client.call('runs.launch', { program: 'sleep', args: [sleep] })),
      );
      expect(runs.every((run) => run.state === 'running' && run.pid !== null)).toBe(true);
      close();
      expect(await serve.stop('SIGINT')).toBe(0);
      expect(survivors(sleep)).toEqual([]);
    }, 60_000);
  },
);
