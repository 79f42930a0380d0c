import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../main/engine/engine';
import { poolsOf } from '../../main/engine/pool';
import type { HelloEvent, LensEvent } from '../../main/engine/python/lens-protocol';
import { PythonSession } from '../../main/engine/python/python-session';
import { createTestEngine } from '../support/engine';

// Each Python process is its own stream: what one tells may be read before what another told
// earlier. These feed one session the orders the listener can deliver.
let engine: Engine;

beforeAll(() => {
  engine = createTestEngine();
});
afterAll(async () => {
  await engine.shutdown();
});

function hello(pid: number, ppid: number, t: number): HelloEvent {
  return {
    e: 'hello',
    secret: 's',
    pid,
    ppid,
    via: ppid === 0 ? 'start' : 'fork',
    t,
    py: '3.12.0',
    argv: [],
    exe: null,
  };
}

function session(): PythonSession {
  return new PythonSession(engine.queues, poolsOf(engine));
}

describe('a Python session', () => {
  it('gives a forked child the exit code its parent reaped, whichever connection is read first', () => {
    const first = session();
    first.connected(hello(100, 0, 1));
    first.connected(hello(101, 100, 2));
    first.apply(100, { e: 'reaped', t: 5, child: 101, code: 10 });
    // The child's reconnection read after its parent's word on its exit.
    first.apply(100, { e: 'reaped', t: 6, child: 102, code: 11 });
    first.connected(hello(102, 100, 3));
    expect(
      first.detail().processes.map((process) => [process.pid, process.exitcode, process.endedAt]),
    ).toEqual([
      [100, null, null],
      [101, 10, 5],
      [102, 11, 6],
    ]);
  });

  it('does not give a reaped pid’s code to a later process that was given the same pid', () => {
    const reused = session();
    reused.connected(hello(200, 0, 1));
    reused.apply(200, { e: 'reaped', t: 5, child: 201, code: 3 });
    reused.connected(hello(201, 200, 9));
    expect(reused.detail().processes.find((process) => process.pid === 201)!.exitcode).toBeNull();
  });

  it('keeps the first word on an exit: a later reap does not overwrite what the process said', () => {
    const told = session();
    told.connected(hello(300, 0, 1));
    told.connected(hello(301, 300, 2));
    const events: LensEvent[] = [
      { e: 'proc.exit', t: 4, child: 301, code: -15 },
      { e: 'reaped', t: 5, child: 301, code: 0 },
    ];
    for (const event of events) told.apply(300, event);
    expect(told.detail().processes.find((process) => process.pid === 301)!.exitcode).toBe(-15);
  });

  it('bounds a task’s input in its summary as the engine’s own tasks are (100 characters)', () => {
    const program = session();
    program.connected(hello(400, 0, 1));
    const before = new Set(poolsOf(engine).list());
    const events: LensEvent[] = [
      {
        e: 'pool.new',
        t: 2,
        kind: 'Pool',
        pool: 77,
        size: 1,
        initializer: null,
        maxtasks: null,
        method: 'fork',
        workers: [],
      },
      { e: 'task.submit', t: 3, pool: 77, job: 0, i: 0, fn: 'work', args: 'work(…)', input: 'x'.repeat(150) },
      { e: 'task.submit', t: 3, pool: 77, job: 1, i: 0, fn: 'work', args: 'work(1)', input: '1' },
    ];
    for (const event of events) program.apply(400, event);
    const pool = poolsOf(engine)
      .list()
      .find((each) => !before.has(each))!;
    expect(pool.summaries(1, 10).map((task) => task.input)).toEqual([`${'x'.repeat(99)}…`, '1']);
  });
});
