import { describe, expect, it } from 'vitest';
import { lensEvent, parseLensEvent } from '../../main/engine/python/lens-protocol';

describe('the Python lens wire format', () => {
  it('checks each event with its own kind’s schema, as the union does', () => {
    const put = { e: 'put', q: 7, item: "'A'", blocked: 0, t: 1 };
    expect(parseLensEvent(put)).toEqual(put);
    expect(parseLensEvent({ ...put, e: 'get' })).toEqual({ ...put, e: 'get' });
    expect(parseLensEvent({ e: 'proc.exit', child: 5, code: -15, t: 2 })).toMatchObject({ code: -15 });
    expect(parseLensEvent({ e: 'worker.exit', child: 5, code: 0, t: 2 })).toMatchObject({ e: 'worker.exit' });
  });

  it('refuses what is not an event: unknown kinds, wrong types, missing fields, other values', () => {
    for (const value of [
      null,
      42,
      'put',
      [],
      {},
      { e: 'nope', t: 1 },
      { e: 'put', q: -1, item: 'x', blocked: 0, t: 1 },
      { e: 'put', q: 1, item: 5, blocked: 0, t: 1 },
      { e: 'put', q: 1, item: 'x', t: 1 },
      { e: 'task.end', pool: 1, job: 0, i: 0, ok: 'yes', t: 1 },
      { e: 'hello', secret: 'x', pid: 1, ppid: 0, via: 'start', t: 1, py: '3', argv: [], exe: null },
    ]) {
      expect(parseLensEvent(value)).toBeNull();
    }
  });

  it('agrees with the union on random values and never throws', () => {
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const kinds = ['put', 'get', 'signal', 'wait', 'task.start', 'task.end', 'pool.new', 'x', 'stats'];
    const pick = <T>(list: T[]) => list[Math.floor(random() * list.length)]!;
    const anything = (): unknown =>
      pick([
        () => Math.floor(random() * 100) - 50,
        () => random(),
        () => 'text',
        () => null,
        () => [1],
        () => true,
      ])();
    for (let n = 0; n < 2000; n++) {
      const value: Record<string, unknown> = { e: pick(kinds), t: anything() };
      for (const key of [
        'q',
        'item',
        'blocked',
        'target',
        'sig',
        'group',
        'via',
        'pool',
        'job',
        'i',
        'ok',
        'kind',
        'what',
      ]) {
        if (random() < 0.6) value[key] = anything();
      }
      const fast = parseLensEvent(value);
      const union = lensEvent.safeParse(value);
      expect(fast !== null).toBe(union.success);
    }
  });
});
