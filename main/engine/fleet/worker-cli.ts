/**
 * `forkscope worker --redis URL [--concurrency K] [--name HOST]`, built as out/main/fleet-worker.js:
 * a worker agent for distributed pools. Run it on every host that should take jobs.
 */
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { fleetQueueName, redisUrl } from '../../../contract';
import { appPaths } from '../../app-paths';
import { Engine } from '../engine';
import { LogFolderError, openLogSession } from '../output/log-session';
import { FleetAgent } from './agent';

const usage = `Usage: forkscope worker --redis URL [options]
   or: node out/main/fleet-worker.js --redis URL [options]

Takes command tasks of distributed pools from a queue in Redis and runs them on this host, each
in its own process group with a full log here; reports where and how each ran.

Options:
  --redis URL         the Redis (or Valkey) to take jobs from, e.g. redis://127.0.0.1:6379
                      (env FORKSCOPE_REDIS)
  --concurrency K     tasks run at once (default 1)
  --name HOST         the name this agent's lanes carry (default: the host name)
  --queue NAME        the queue to serve (default forkscope; a pool names its queue too)
  --stall-ms MS       a job whose agent died goes back to the queue within this (default 30000);
                      give every agent of a queue the same value
  --rate MAX/MS       at most MAX jobs per MS milliseconds, all agents of the queue together
  --log-dir DIR       where the tasks' logs go (default: $XDG_STATE_HOME/forkscope/logs)
  -h, --help          print this help and exit

The first SIGINT or SIGTERM lets the running tasks finish and takes no new ones; a second stops
them now (their jobs go to another agent after the stall interval).
`;

function fail(message: string): never {
  console.error(`forkscope worker: ${message}\n`);
  console.error(usage);
  process.exit(2);
}

/** `forkscope worker …` may import this file with its own argv: the subcommand's name is skipped. */
function ownArgs(): string[] {
  const args = process.argv.slice(2);
  return args[0] === 'worker' ? args.slice(1) : args;
}

function readOptions() {
  try {
    return parseArgs({
      args: ownArgs(),
      options: {
        redis: { type: 'string' },
        concurrency: { type: 'string', default: '1' },
        name: { type: 'string' },
        queue: { type: 'string', default: 'forkscope' },
        'stall-ms': { type: 'string', default: '30000' },
        rate: { type: 'string' },
        'log-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values;
  } catch (error) {
    fail((error as Error).message);
  }
}

function integer(text: string, what: string, min: number, max: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    fail(`${what} must be a whole number from ${min} to ${max}, not "${text}".`);
  }
  return value;
}

async function main() {
  const values = readOptions();
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const redis = values.redis ?? process.env.FORKSCOPE_REDIS;
  if (!redis) fail('say which Redis to take jobs from: --redis redis://host:6379.');
  const url = redisUrl.safeParse(redis);
  if (!url.success) fail(`--redis: ${url.error.issues[0]!.message}, not "${redis}".`);
  const queue = fleetQueueName.safeParse(values.queue);
  if (!queue.success) fail(`--queue: ${queue.error.issues[0]!.message}.`);
  const concurrency = integer(values.concurrency, '--concurrency', 1, 256);
  const stallMs = integer(values['stall-ms'], '--stall-ms', 500, 3600_000);
  let limiter: { max: number; duration: number } | undefined;
  if (values.rate !== undefined) {
    const match = /^(\d+)\/(\d+)$/.exec(values.rate);
    if (!match) fail(`--rate is MAX/MS, e.g. 10/1000 for ten jobs a second, not "${values.rate}".`);
    limiter = {
      max: integer(match[1]!, '--rate MAX', 1, 1_000_000),
      duration: integer(match[2]!, '--rate MS', 1, 3600_000),
    };
  }
  const name = values.name ?? hostname();
  if (!/^[\w.-]{1,100}$/.test(name))
    fail(`--name is letters, digits, _ . or - (at most 100), not "${name}".`);

  const paths = appPaths(import.meta.url, values['log-dir']);
  let logDir: string;
  try {
    logDir = openLogSession(paths.logRoot);
  } catch (error) {
    if (!(error instanceof LogFolderError)) throw error;
    console.error(`forkscope worker: ${error.message}. Choose another folder with --log-dir.`);
    process.exit(1);
  }
  // The spawn helper and the watchdog are built beside this file (out/main/).
  const engine = new Engine({ logDir, childDir: dirname(fileURLToPath(import.meta.url)) });
  const agent = new FleetAgent(engine, {
    redis: url.data,
    queue: queue.data,
    concurrency,
    name,
    stallMs,
    limiter,
    log: (line) => console.log(`forkscope worker: ${line}`),
  });
  let signals = 0;
  const stop = (signal: string) => {
    signals++;
    const force = signals > 1;
    console.log(
      force
        ? `forkscope worker: ${signal} again: stopping the running tasks now`
        : `forkscope worker: ${signal}: finishing the running tasks, taking no new ones (again to stop now)`,
    );
    void agent.stop(force).finally(() => {
      if (force || signals === 1) process.exit(0);
    });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGHUP', () => stop('SIGHUP'));
  await agent.start();
  console.log(`forkscope worker: logs of every task: ${logDir}`);
}

main().catch((error: unknown) => {
  console.error('forkscope worker: could not start:', error);
  process.exit(1);
});
