/**
 * Real parts for distributed pools: a redis-server of our own on a random loopback port in a
 * temporary folder, and worker agents as separate processes (out/main/fleet-worker.js), each with
 * its own --name standing for a host. Shared by tests/fleet, the e2e spec and the bench.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const projectRoot = resolve(import.meta.dirname, '..', '..');
export const fleetWorkerPath = join(projectRoot, 'out', 'main', 'fleet-worker.js');

/** The redis-server on PATH, or why there is none (tests that need it are skipped with this). */
export function findRedisServer(): { path: string } | { missing: string } {
  const found = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  const path = found.stdout.trim();
  if (found.status === 0 && path) return { path };
  return {
    missing: 'redis-server is not installed (Debian: apt-get install redis-server; .ci/run installs it)',
  };
}

/** Why the distributed-pool tests cannot run here (no redis-server), or null: the reason a skip says. */
export function redisMissing(): string | null {
  const found = findRedisServer();
  return 'missing' in found ? found.missing : null;
}

async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => done(port));
    });
  });
}

/** Waits for `pattern` on a child's stdout (or its exit, which fails with what it printed). */
function waitFor(child: ChildProcess, pattern: RegExp, what: string, timeoutMs = 15_000): Promise<void> {
  return new Promise((done, fail) => {
    let seen = '';
    const timer = setTimeout(() => fail(new Error(`${what} did not start in time:\n${seen}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      if (pattern.test(seen)) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        // Keep draining: a full pipe would block the child.
        child.stdout!.resume();
        done();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (seen += chunk.toString()));
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      fail(new Error(`${what} exited (${code ?? signal}) before it was ready:\n${seen}`));
    });
  });
}

export interface TestRedis {
  url: string;
  port: number;
  dir: string;
  /** SIGTERM and wait: with appendonly, what it held is on disk. */
  stop(): Promise<void>;
  /** Starts it again on the same port and folder (the jobs come back from the AOF). */
  restart(): Promise<void>;
}

/** A redis-server of our own: loopback only, a random port, a temporary folder, persistence on. */
export async function startRedis(): Promise<TestRedis> {
  const found = findRedisServer();
  if ('missing' in found) throw new Error(found.missing);
  const dir = mkdtempSync(join(tmpdir(), 'forkscope-test-redis-'));
  const port = await freePort();
  let child: ChildProcess | null = null;
  const launch = async () => {
    child = spawn(
      found.path,
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--daemonize',
        'no',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    await waitFor(child, /Ready to accept connections/, 'redis-server');
  };
  await launch();
  const stop = async () => {
    const running = child;
    child = null;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((done) => running.once('exit', done));
    running.kill('SIGTERM');
    await exited;
  };
  return { url: `redis://127.0.0.1:${port}`, port, dir, stop, restart: launch };
}

export interface TestAgent {
  name: string;
  process: ChildProcess;
  pid: number;
  output: () => string;
  /** SIGTERM, then SIGKILL if it has not exited within graceMs. */
  stop(graceMs?: number): Promise<void>;
}

/** `forkscope worker` as its own process, named like a host. */
export async function startAgent(options: {
  redis: string;
  name: string;
  concurrency: number;
  queue?: string;
  stallMs?: number;
  extra?: string[];
}): Promise<TestAgent> {
  const logDir = mkdtempSync(join(tmpdir(), 'forkscope-test-agent-'));
  const args = [
    fleetWorkerPath,
    '--redis',
    options.redis,
    '--name',
    options.name,
    '--concurrency',
    String(options.concurrency),
    '--queue',
    options.queue ?? 'forkscope',
    '--stall-ms',
    String(options.stallMs ?? 2000),
    '--log-dir',
    logDir,
    ...(options.extra ?? []),
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let seen = '';
  child.stdout.on('data', (chunk: Buffer) => (seen += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (seen += chunk.toString()));
  await waitFor(child, /takes jobs from queue/, `agent ${options.name}`);
  return {
    name: options.name,
    process: child,
    pid: child.pid!,
    output: () => seen,
    async stop(graceMs = 5000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((done) => child.once('exit', done));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
