import { afterAll, describe, expect, it } from 'vitest';
import { createTestEngine, eventually } from '../support/engine';

const engine = createTestEngine();
afterAll(() => engine.shutdown());

const targets = 'tests/fixtures/targets.js';
const start = (name: string, args: (string | number)[] = []) =>
  engine.startProcess({ target: `${targets}#${name}`, args });
const text = (id: string) =>
  engine
    .readOutput(id, 0, 1000)
    .lines.map((line) => line.text)
    .join('\n');

describe('Process(target, args)', () => {
  it('runs the target in a child and returns its value, exit code 0', async () => {
    const run = await start('add', [2, 3]);
    expect(run.kind).toBe('process');
    expect(run.state).toBe('running');
    const ended = await engine.join(run.id, 10_000);
    expect(ended.result).toBe(5);
    expect(ended.exit?.exitcode).toBe(0);
    expect(text(run.id)).toBe(`adding 2 + 3 in ${run.pid}`);
  });

  it('reports a thrown error with its stack, exit code 1 as Python', async () => {
    const ended = await engine.join((await start('fails', ['out of range'])).id, 10_000);
    expect(ended.exit?.exitcode).toBe(1);
    expect(ended.thrown).toMatchObject({ name: 'RangeError', message: 'out of range' });
    expect(ended.thrown?.stack).toMatch(/targets\.js/);
    expect(text(ended.id)).toMatch(/RangeError: out of range/);
  });

  it('join(timeout) returns while it is still alive, then when it ends', async () => {
    const run = await start('sleeps', [600]);
    const early = await engine.join(run.id, 100);
    expect(early.state).toBe('running');
    expect(early.exit).toBeNull();
    const late = await engine.join(run.id, 10_000);
    expect(late.result).toBe('slept 600');
  });

  it('terminate gives exitcode -15 and kill -9', async () => {
    const a = await start('sleeps', [60_000]);
    const b = await start('sleeps', [60_000]);
    expect((await engine.terminate(a.id)).exit?.exitcode).toBe(-15);
    expect((await engine.kill(b.id)).exit?.exitcode).toBe(-9);
  });

  it('terminate escalates to SIGKILL for a target that ignores SIGTERM', async () => {
    const run = await start('ignoresTerm');
    await eventually(() => text(run.id).includes('ready'), 10_000, 'ready');
    const ended = await engine.terminate(run.id, 300);
    expect(ended.exit?.exitcode).toBe(-9);
    expect(text(run.id)).toContain('SIGTERM ignored');
  });

  it('says clearly when the module or the export is missing', async () => {
    await expect(engine.startProcess({ target: 'tests/fixtures/nope.js#x', args: [] })).rejects.toMatchObject(
      {
        code: 'not-found',
      },
    );
    const ended = await engine.join((await start('noSuchExport')).id, 10_000);
    expect(ended.thrown?.message).toMatch(/no exported function named "noSuchExport"/);
  });
});

describe("a child's calls", () => {
  it('are answered by the contract dispatcher, only the allow-listed ones', async () => {
    const run = await start('asksFor', ['kill', 'runs.launch', 'runs.startProcess', 'startProcess', 'join']);
    const ended = await engine.join(run.id, 10_000);
    expect(ended.result).toEqual([
      { method: 'kill', code: 'unknown-method', message: 'A child cannot ask for "kill".' },
      { method: 'runs.launch', code: 'unknown-method', message: 'A child cannot ask for "runs.launch".' },
      // Only the child's own names: the contract's are not a way around the allow-list.
      {
        method: 'runs.startProcess',
        code: 'unknown-method',
        message: 'A child cannot ask for "runs.startProcess".',
      },
      // Checked with the UI's schema, and refused as the UI's calls are.
      {
        method: 'startProcess',
        code: 'invalid-params',
        message: expect.stringMatching(/^Invalid parameters for runs\.startProcess: .*target/),
      },
      {
        method: 'join',
        code: 'invalid-params',
        message: expect.stringMatching(/^Invalid parameters for runs\.join/),
      },
    ]);
  });
});

describe('fork', () => {
  it('carries messages both ways and shows them as events', async () => {
    const messages: { direction: string; data: unknown }[] = [];
    engine.registry.on('message', (message) => messages.push(message));
    const run = await engine.fork({ modulePath: 'tests/fixtures/echo-child.js', args: [] });
    await eventually(() => messages.some((m) => m.direction === 'from-child'), 10_000, 'ready');
    engine.send(run.id, { ping: 1 });
    await eventually(() => messages.some((m) => JSON.stringify(m.data).includes('echo')), 10_000, 'echo');
    expect(messages).toContainEqual(expect.objectContaining({ direction: 'to-child', data: { ping: 1 } }));
    expect(messages).toContainEqual(
      expect.objectContaining({ direction: 'from-child', data: { echo: { ping: 1 }, pid: run.pid } }),
    );
    engine.send(run.id, { bye: true });
    expect((await engine.join(run.id, 10_000)).exit?.exitcode).toBe(0);
  });

  it('refuses to message a run that was not forked', async () => {
    const run = await engine.launch({ program: 'true', args: [], shell: false, closeStdin: true });
    expect(() => engine.send(run.id, 1)).toThrow(/no message channel/);
  });
});

describe('examples', () => {
  it('the Process example links the child to its parent and reports both exit codes', async () => {
    const { startExample } = await import('../../main/engine/examples/catalog');
    const dirs = { programs: 'main/engine/examples/programs', python: 'main/engine/examples/python' };
    const { runIds } = await startExample('process', engine, dirs);
    const parent = await engine.join(runIds[0]!, 15_000);
    expect(parent.exit?.exitcode).toBe(0);
    const child = engine.list().find((run) => run.parentId === parent.id)!;
    expect(child.exit?.exitcode).toBe(0);
    expect(text(child.id)).toBe(`Run child process test (${child.pid})...`);
    expect(text(parent.id)).toContain(`Parent process ${parent.pid}.`);
    expect(text(parent.id)).toContain(`Child process end: pid ${child.pid}, exit code 0`);
  });
});
