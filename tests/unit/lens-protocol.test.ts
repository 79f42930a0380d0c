import { describe, expect, it } from 'vitest';
import { lensEvent, maxItemsPerLine, parseLensEvent } from '../../main/engine/python/lens-protocol';

describe('the Python lens wire format', () => {
  it('checks each event with its own kind’s schema, as the union does', () => {
    const put = { e: 'put', q: 7, item: "'A'", blocked: 0, t: 1 };
    expect(parseLensEvent(put)).toEqual(put);
    expect(parseLensEvent({ ...put, e: 'get' })).toEqual({ ...put, e: 'get' });
    expect(parseLensEvent({ e: 'proc.exit', child: 5, code: -15, t: 2 })).toMatchObject({ code: -15 });
    expect(parseLensEvent({ e: 'worker.exit', child: 5, code: 0, t: 2 })).toMatchObject({ e: 'worker.exit' });
    expect(parseLensEvent({ e: 'reaped', child: 5, code: 10, t: 2 })).toMatchObject({
      e: 'reaped',
      code: 10,
    });
    expect(parseLensEvent({ e: 'reaped', child: 5, code: null, t: 2 })).toBeNull();
    const submit = { e: 'task.submit', t: 1, pool: 3, job: 0, i: 0, fn: 'work', args: 'work(3)' };
    expect(parseLensEvent({ ...submit, input: '3' })).toMatchObject({ input: '3' });
    // A lens that tells no input (an older one) is still read; the task then has none.
    expect(parseLensEvent(submit)).toEqual(submit);
    expect(parseLensEvent({ ...submit, input: 3 })).toBeNull();
  });

  it('takes a run of puts or gets as one items line: a time and a preview per item, by name', () => {
    const items = { e: 'items', kind: 'get', q: 7, t: 1000.5, us: [0, 12, 40], item: ["'A'", "'B'", "'C'"] };
    expect(parseLensEvent(items)).toEqual(items);
    expect(lensEvent.safeParse(items).success).toBe(true);
    const many = Array.from({ length: maxItemsPerLine }, (_, i) => i);
    expect(parseLensEvent({ ...items, us: many, item: many.map(String) })).not.toBeNull();
    for (const wrong of [
      { us: [0, 12], item: ["'A'", "'B'", "'C'"] },
      { us: [], item: [] },
      { us: [0, 1.5, 2], item: items.item },
      { us: [0, '12', 40], item: items.item },
      { us: items.us, item: ["'A'", 5, "'C'"] },
      { us: items.us, item: ["'A'", 'x'.repeat(10_001), "'C'"] },
      { us: [...many, 0], item: [...many, 0].map(String) },
      { us: 'nope', item: items.item },
      { kind: 'send' },
      { q: -1 },
    ]) {
      expect(parseLensEvent({ ...items, ...wrong }), JSON.stringify(wrong).slice(0, 80)).toBeNull();
      expect(lensEvent.safeParse({ ...items, ...wrong }).success).toBe(false);
    }
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
    const kinds = [
      'put',
      'get',
      'items',
      'signal',
      'wait',
      'task.start',
      'task.end',
      'pool.new',
      'x',
      'stats',
    ];
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
        'us',
      ]) {
        if (random() < 0.6) value[key] = anything();
      }
      const fast = parseLensEvent(value);
      const union = lensEvent.safeParse(value);
      expect(fast !== null).toBe(union.success);
    }
  });
});
