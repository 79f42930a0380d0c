/**
 * Item 7 of issue 9 (and the log parts of 5 and 6): logs never follow planted links, never overwrite
 * a previous session, are private to their owner, and never fail silently. Real processes, real
 * serve mode, real filesystems (tmpfs mounts where the test runs as root).
 */
import { spawn } from 'node:child_process';
import {
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../main/engine/engine';
import { openLogSession, sessionMarker } from '../../main/engine/output/log-session';
import { createTestEngine, projectRoot } from '../support/engine';

const engines: Engine[] = [];
afterAll(async () => {
  await Promise.all(engines.map((engine) => engine.shutdown()));
});

function engineIn(logDir: string, options: Parameters<typeof createTestEngine>[0] = {}): Engine {
  const engine = createTestEngine({ logDir, ...options });
  engines.push(engine);
  return engine;
}

/** Serve mode with these arguments until it prints its log folder (or exits): its output and exit code. */
async function serveOnce(
  args: string[],
): Promise<{ output: string; code: number | null; logDir: string | null }> {
  const child = spawn(process.execPath, ['out/main/serve.js', '--port', '0', ...args], {
    cwd: projectRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const started = await Promise.race([
    exited.then(() => false),
    new Promise<boolean>((resolve) => {
      const check = () => /Logs of every run: .+\n/.test(output) && resolve(true);
      child.stdout.on('data', check);
      setTimeout(() => resolve(false), 15_000);
    }),
  ]);
  if (started) child.kill('SIGINT');
  const code = await exited;
  return { output, code, logDir: /Logs of every run: (.+)\n/.exec(output)?.[1] ?? null };
}

describe('log files and folders (item 7)', () => {
  it('makes a new session folder on every start, also inside a reused --log-dir, and keeps the previous one', async () => {
    const root = mkdtempSync(join(tmpdir(), 'forkscope-logroot-'));
    const first = await serveOnce(['--log-dir', root]);
    const second = await serveOnce(['--log-dir', root]);
    expect(first.code, first.output).toBe(0);
    expect(second.code, second.output).toBe(0);
    expect(first.logDir).not.toBe(second.logDir);
    for (const session of [first.logDir!, second.logDir!]) {
      expect(session.startsWith(root + '/')).toBe(true);
      expect(statSync(session).mode & 0o777).toBe(0o700);
      expect(statSync(join(session, sessionMarker)).mode & 0o777).toBe(0o600);
    }
    expect(readdirSync(root).sort()).toEqual(
      [first.logDir!, second.logDir!].map((path) => path.slice(root.length + 1)).sort(),
    );
  });

  it('creates each log exclusively: a symlink planted at a log’s path is neither followed nor replaced', async () => {
    const logDir = mkdtempSync(join(tmpdir(), 'forkscope-planted-'));
    const target = join(mkdtempSync(join(tmpdir(), 'forkscope-victim-')), 'precious');
    writeFileSync(target, 'do not overwrite\n');
    // The engine names its first run r1: plant links where both its logs will go.
    symlinkSync(target, join(logDir, 'r1.stdout.log'));
    symlinkSync(target, join(logDir, 'r1.stderr.log'));
    const engine = engineIn(logDir);
    const run = await engine.launch({
      program: 'sh',
      args: ['-c', 'echo overwritten; echo overwritten >&2'],
      shell: false,
      closeStdin: true,
    });
    expect(run.id).toBe('r1');
    const ended = await engine.join(run.id, 10_000);
    expect(ended.state).toBe('exited');
    expect(readFileSync(target, 'utf8')).toBe('do not overwrite\n');
    expect(lstatSync(join(logDir, 'r1.stdout.log')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(logDir, 'r1.stdout.log'))).toBe(target);
    // Captured in memory all the same.
    expect(ended.output.stdout.bytes).toBe('overwritten\n'.length);
  });

  it('writes log files 0600 in a 0700 folder', async () => {
    const logDir = join(mkdtempSync(join(tmpdir(), 'forkscope-modes-')), 'session');
    const engine = engineIn(logDir);
    const run = await engine.launch({ program: 'echo', args: ['private'], shell: false, closeStdin: true });
    const ended = await engine.join(run.id, 10_000);
    expect(statSync(logDir).mode & 0o777).toBe(0o700);
    expect(statSync(ended.output.stdout.logPath).mode & 0o777).toBe(0o600);
    expect(statSync(ended.output.stderr.logPath).mode & 0o777).toBe(0o600);
    expect(readFileSync(ended.output.stdout.logPath, 'utf8')).toBe('private\n');
  });

  it('never reuses an existing session folder: a link planted at its name is passed over', () => {
    const root = mkdtempSync(join(tmpdir(), 'forkscope-reuse-'));
    const victim = mkdtempSync(join(tmpdir(), 'forkscope-victim-dir-'));
    const now = new Date('2026-01-02T03:04:05Z');
    symlinkSync(victim, join(root, `2026-01-02T03-04-05-${process.pid}`));
    const session = openLogSession(root, now);
    expect(session).toBe(join(root, `2026-01-02T03-04-05-${process.pid}-1`));
    expect(readdirSync(victim)).toEqual([]);
    expect(openLogSession(root, now)).toBe(join(root, `2026-01-02T03-04-05-${process.pid}-2`));
  });
});
