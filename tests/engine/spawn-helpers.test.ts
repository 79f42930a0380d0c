/**
 * The two spawn helpers (main/engine/spawn/): the native one (native/spawn-helper.c, built where
 * a C compiler is) and the Node one (the fallback). Both must give a command the same start: its
 * own session and process group, its run's cgroup and marker, nothing of the helper's (no ignored
 * or blocked signal, no descriptor but its three streams), PATH searched in its own environment,
 * clear errors. And a native helper that cannot run hands over to the Node one.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { Engine } from '../../main/engine/engine';
import {
  encodeCancel,
  encodeStreamHeader,
  ReplyReader,
  type NativeReply,
} from '../../main/engine/spawn/native-protocol';
import { nativeHelperName, SpawnHelperClient } from '../../main/engine/spawn/spawn-helper-client';
import { childDir, createTestEngine } from '../support/engine';

const hasCompiler = spawnSync('cc', ['--version']).status === 0;
const nativeBuilt = existsSync(join(childDir, nativeHelperName));

/** An engine whose spawn helper is the one asked for (FORKSCOPE_SPAWN_HELPER is read when it is made). */
function engineWith(helper: 'native' | 'node'): Engine {
  const saved = process.env.FORKSCOPE_SPAWN_HELPER;
  process.env.FORKSCOPE_SPAWN_HELPER = helper;
  try {
    return createTestEngine();
  } finally {
    if (saved === undefined) delete process.env.FORKSCOPE_SPAWN_HELPER;
    else process.env.FORKSCOPE_SPAWN_HELPER = saved;
  }
}

/** Descriptors of this process that a child may inherit (not close-on-exec): the harness's own. */
function inheritable(): Set<string> {
  const fds = new Set(['0', '1', '2']);
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const flags = /flags:\s+(\d+)/.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1];
      if (flags && (parseInt(flags, 8) & 0o2000000) === 0) fds.add(fd);
    } catch {
      // the listing's own descriptor, closed meanwhile
    }
  }
  return fds;
}

function statusField(pid: number, name: string): string {
  return readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((line) => line.startsWith(`${name}:`))!
    .split(/\s+/)[1]!;
}

describe.runIf(process.platform === 'linux')('the native spawn helper', () => {
  it.runIf(hasCompiler)('is built where a C compiler is, and is what starts commands', async () => {
    expect(nativeBuilt).toBe(true);
    const engine = createTestEngine();
    try {
      const run = await engine.launch({ program: 'true', args: [], shell: false, closeStdin: true });
      expect(run.ppid).toBe(engine.helperPids[0]);
      expect(readlinkSync(`/proc/${engine.helperPids[0]}/exe`)).toMatch(new RegExp(`${nativeHelperName}$`));
      await engine.join(run.id, 10_000);
    } finally {
      await engine.shutdown();
    }
  });

  it.each([
    ['exits at once', 'exit 3'],
    ['never says it is ready (given up after 15 s)', 'exec sleep 60'],
  ])(
    'that %s hands over to the Node helper, and the launch still succeeds',
    async (_, script) => {
      const dir = mkdtempSync(join(tmpdir(), 'forkscope-broken-helper-'));
      symlinkSync(join(childDir, 'spawn-helper.js'), join(dir, 'spawn-helper.js'));
      writeFileSync(join(dir, nativeHelperName), `#!/bin/sh\n${script}\n`);
      chmodSync(join(dir, nativeHelperName), 0o755);
      const client = new SpawnHelperClient(join(dir, 'spawn-helper.js'));
      try {
        expect(client.kind).toBe('native');
        const child = await client.spawn({
          file: 'sh',
          args: ['-c', 'echo from-node-helper'],
          cwd: dir,
          env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
          noStdin: true,
        });
        const chunks: Buffer[] = [];
        const ended = new Promise((resolve) => child.stdout!.once('end', resolve));
        child.stdout!.on('data', (chunk: Buffer) => chunks.push(chunk));
        child.stderr!.resume();
        expect(client.kind).toBe('node');
        expect(await child.exited).toMatchObject({ code: 0, signal: null });
        await ended;
        expect(Buffer.concat(chunks).toString()).toBe('from-node-helper\n');
      } finally {
        client.stop();
      }
    },
    60_000,
  );
});

describe.runIf(nativeBuilt)('the native helper, spoken to directly', () => {
  it('closes a connection with a wrong secret, and the streams of a launch the engine gave up, even those that come after', async () => {
    const helper = spawn(join(childDir, nativeHelperName), [], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      const reader = new ReplyReader();
      const ready = await new Promise<Extract<NativeReply, { type: 'ready' }>>((resolve) =>
        helper.stdout.on('data', (chunk: Buffer) => {
          const first = reader.push(chunk)[0];
          if (first?.type === 'ready') resolve(first);
        }),
      );
      const path = `\0${ready.name}`;
      const descriptors = () => readdirSync(`/proc/${helper.pid}/fd`).length;
      const idle = descriptors();
      const open = (secret: Buffer, id: number, stream: 'stdout' | 'stderr') =>
        new Promise<Socket>((resolve) => {
          const socket = connect({ path });
          socket.write(encodeStreamHeader(secret, id, stream), () => resolve(socket));
        });
      const closedByHelper = (socket: Socket) => new Promise((resolve) => socket.once('close', resolve));

      const stranger = await open(Buffer.alloc(16, 1), 1, 'stdout');
      stranger.resume();
      await closedByHelper(stranger);

      const early = await open(ready.secret, 7, 'stdout');
      early.resume();
      await vi.waitFor(() => expect(descriptors()).toBe(idle + 1));
      helper.stdin.write(encodeCancel(7));
      await closedByHelper(early);
      const late = await open(ready.secret, 7, 'stderr');
      late.resume();
      await closedByHelper(late);
      expect(descriptors()).toBe(idle);
    } finally {
      helper.kill('SIGKILL');
    }
  });
});

const helpers: ('node' | 'native')[] =
  process.platform !== 'linux' ? [] : nativeBuilt ? ['node', 'native'] : ['node'];

describe.each(helpers)('a command started by the %s spawn helper', (helper) => {
  const engine = engineWith(helper);
  afterAll(() => engine.shutdown());
  const launch = (program: string, args: string[], extra: Record<string, unknown> = {}) =>
    engine.launch({ program, args, shell: false, closeStdin: true, ...extra });
  const text = (id: string) =>
    engine
      .readOutput(id, 0, 100)
      .lines.map((line) => `${line.stream}:${line.text}`)
      .join('\n');

  it('leads its own session, sits in its run’s cgroup with its marker, keeps no signal of the helper’s and no descriptor but its three streams', async () => {
    const run = await launch('sleep', ['30']);
    try {
      const pid = run.pid!;
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const [, , pgid, sid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      expect(Number(pgid)).toBe(pid);
      expect(Number(sid)).toBe(pid);
      expect(statusField(pid, 'SigIgn')).toBe('0000000000000000');
      expect(statusField(pid, 'SigBlk')).toBe('0000000000000000');
      const allowed = inheritable();
      const fds = readdirSync(`/proc/${pid}/fd`);
      expect(fds.filter((fd) => !allowed.has(fd))).toEqual([]);
      expect(readlinkSync(`/proc/${pid}/fd/0`)).toBe('/dev/null');
      expect(readlinkSync(`/proc/${pid}/fd/1`)).toMatch(/^socket:/);
      // A vfork parent is released while the kernel still finishes the exec: the new image's
      // environment is readable in /proc a moment later (empty until then).
      const environ = await vi.waitFor(() => {
        const entries = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
        expect(entries.length).toBeGreaterThan(1);
        return entries;
      });
      expect(environ.filter((entry) => entry.startsWith('FORKSCOPE_RUN='))).toHaveLength(1);
      const info = engine.hostInfo().containment;
      if (info.mode === 'cgroup') {
        const cgroup = readFileSync(`/proc/${pid}/cgroup`, 'utf8')
          .split('\n')
          .find((line) => line.startsWith('0::'));
        expect(cgroup).toMatch(/\/forkscope-\d+(-\d+)?\/s\d+$/);
        expect(engine.run(run.id).slot.contained).toBe(true);
      }
      // Its start time, read by the native helper before it could be reaped (or by the engine):
      // what containment checks a process group id against.
      expect(engine.run(run.id).slot.startTicks).toBe(
        Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]),
      );
    } finally {
      await engine.kill(run.id);
    }
  });

  it('is found on the PATH of its own environment, and a missing one or a directory says so', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'forkscope-path-'));
    writeFileSync(join(dir, 'forkscope-only-here'), '#!/bin/sh\necho found "$1"\n');
    chmodSync(join(dir, 'forkscope-only-here'), 0o755);
    const found = await launch('forkscope-only-here', ['it'], { env: { PATH: `${dir}:/usr/bin:/bin` } });
    expect((await engine.join(found.id, 10_000)).exit?.code).toBe(0);
    expect(text(found.id)).toBe('stdout:found it');

    const missing = await launch('forkscope-only-here', []);
    expect(missing.state).toBe('failed');
    expect(missing.error?.code).toBe('command-not-found');

    const notExecutable = await launch(dir, []);
    expect(notExecutable.state).toBe('failed');
    expect(notExecutable.error?.code).toBe('permission-denied');
  });

  it('reads what it is given on stdin, and exit codes and signals come back', async () => {
    const echo = await launch('sh', ['-c', 'read line; echo "got $line" >&2; exit 7'], {
      input: 'hello\n',
      closeStdin: true,
    });
    const ended = await engine.join(echo.id, 10_000);
    expect(ended.exit).toMatchObject({ code: 7, signal: null });
    expect(text(echo.id)).toBe('stderr:got hello');

    const killed = await launch('sh', ['-c', 'kill -USR1 $$']);
    expect((await engine.join(killed.id, 10_000)).exit).toMatchObject({ code: null, signal: 'SIGUSR1' });
  });

  it('200 launches at once all settle, each with its own output', async () => {
    const runs = await Promise.all(Array.from({ length: 200 }, (_, i) => launch('sh', ['-c', `echo ${i}`])));
    const ended = await Promise.all(runs.map((run) => engine.join(run.id, 30_000)));
    expect(ended.filter((run) => run.exit?.code !== 0)).toEqual([]);
    runs.forEach((run, i) => expect(text(run.id)).toBe(`stdout:${i}`));
  });
});
