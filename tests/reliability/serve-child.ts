import { readFileSync, readdirSync } from 'node:fs';
import type { HostInfo } from '../../contract/app';
import { connectClient, startServe, type ServeProcess } from '../support/serve';

/** Serve mode as a real child process, through `prefix` (e.g. `prlimit --nofile=100:100`) and with extra environment. */
export function startServeWith(
  options: { prefix?: string[]; env?: Record<string, string> } = {},
): Promise<ServeProcess> {
  return startServe([], options);
}

/** A token no other process on the machine carries: a sleep duration `1000.<9 digits>`. */
export function uniqueDuration(): string {
  return `1000.${String(Math.floor(Math.random() * 1e9)).padStart(9, '0')}`;
}

/** Live processes (zombies excluded) whose command line holds `token`. */
export function survivors(token: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'latin1');
      if (!cmdline.includes(token)) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      if (stat[stat.lastIndexOf(')') + 2] !== 'Z') found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** SIGKILLs every live process holding `token` (a test's own cleanup, whatever happened). */
export function killSurvivors(token: string): void {
  for (const pid of survivors(token)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

/**
 * The trees of the issue, all carrying `duration` in their sleeps' arguments: `setsid sleep`s and
 * `sh -c '(sleep &) &'` double forks as commands, a Process whose target detaches two children and a
 * forked module that does the same (the fork itself carries it too). Resolves with app.info once
 * every one of those processes runs, and how many there are. A queue is made too, so the broker's
 * temporary folder exists.
 */
export async function startTrees(
  serve: ServeProcess,
  duration: string,
  counts = { setsid: 2, doubleForks: 2 },
): Promise<{ info: HostInfo; processes: number }> {
  const { client, close } = await connectClient(serve);
  try {
    const info = await client.call('app.info', {});
    await client.call('queues.create', { name: 'q' });
    const fixture = 'tests/reliability/fixtures/escapers.js';
    await Promise.all([
      ...Array.from({ length: counts.setsid }, () =>
        client.call('runs.launch', { program: 'setsid', args: ['sleep', duration] }),
      ),
      ...Array.from({ length: counts.doubleForks }, () =>
        client.call('runs.launch', { program: 'sh', args: ['-c', `(sleep ${duration} &) &`] }),
      ),
      client.call('runs.startProcess', { target: `${fixture}#detaches`, args: [duration] }),
      client.call('runs.fork', { modulePath: fixture, args: ['fork', duration] }),
    ]);
    const processes = counts.setsid + counts.doubleForks + 2 + 3;
    const deadline = Date.now() + 15_000;
    while (survivors(duration).length < processes) {
      if (Date.now() > deadline)
        throw new Error(`only ${survivors(duration).length} of ${processes} processes started`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return { info, processes };
  } finally {
    close();
  }
}
