import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { createClient, type ForkscopeClient } from '../../contract/client';
import type { ServerFrame } from '../../contract/frames';
import { tokenProtocolPrefix } from '../../contract/transport';
import { projectRoot } from './engine';

export interface ServeProcess {
  url: string;
  origin: string;
  port: number;
  token: string;
  logDir: string;
  process: ChildProcess;
  output: () => string;
  /** Stops serve mode with a signal and waits for it to exit. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts the real serve mode (`node out/main/serve.js`) on a free port and reads its URL line;
 * optionally through a `prefix` command (e.g. `prlimit --nofile=100:100`) and with extra environment.
 */
export async function startServe(
  extraArgs: string[] = [],
  options: { prefix?: string[]; env?: Record<string, string> } = {},
): Promise<ServeProcess> {
  const logDir = mkdtempSync(join(tmpdir(), 'forkscope-serve-'));
  const argv = [
    ...(options.prefix ?? []),
    process.execPath,
    'out/main/serve.js',
    '--port',
    '0',
    '--log-dir',
    logDir,
    ...extraArgs,
  ];
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: projectRoot,
    env: options.env ? { ...process.env, ...options.env } : process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const line = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve mode did not start:\n${output}`)), 15_000);
    const check = () => {
      const match = /Forkscope is serving on (\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout.on('data', check);
    child.once('exit', () => reject(new Error(`serve mode exited:\n${output}`)));
  });
  const url = new URL(line);
  const token = new URLSearchParams(url.hash.slice(1)).get('token')!;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    url: line,
    origin: url.origin,
    port: Number(url.port),
    token,
    logDir,
    process: child,
    output: () => output,
    async stop(signal = 'SIGINT') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** A typed API client over a real WebSocket, as the renderer's. */
export async function connectClient(
  serve: Pick<ServeProcess, 'port' | 'token' | 'origin'>,
): Promise<{ client: ForkscopeClient; socket: WebSocket; close(): void }> {
  const socket = new WebSocket(`ws://127.0.0.1:${serve.port}/api`, [tokenProtocolPrefix + serve.token], {
    origin: serve.origin,
  });
  const listeners = new Set<(frame: ServerFrame) => void>();
  socket.on('message', (data) => {
    const frame = JSON.parse(data.toString()) as ServerFrame;
    for (const listener of listeners) listener(frame);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  const client = createClient({
    send: (frame) => socket.send(JSON.stringify(frame)),
    onFrame: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  });
  socket.once('close', () => client.failPending('The connection closed.'));
  return { client, socket, close: () => socket.close() };
}
