import { describe, expect, it } from 'vitest';
import { Fifo } from '../../main/engine/fifo';

describe('Fifo: first in, first out, with the head as an index', () => {
  it('takes in order, puts back in front, removes past the head, drains the rest', () => {
    const fifo = new Fifo<number>();
    expect(fifo.empty).toBe(true);
    expect(fifo.shift()).toBeUndefined();
    for (let i = 1; i <= 5; i++) fifo.push(i);
    expect([fifo.shift(), fifo.shift()]).toEqual([1, 2]);
    expect([fifo.length, fifo.peek(), fifo.peek(2), fifo.peek(3)]).toEqual([3, 3, 5, undefined]);
    fifo.unshift([10, 11]);
    expect(fifo.removeAt(3)).toBe(4);
    expect(fifo.removeAt(0)).toBe(10);
    expect(fifo.removeAt(9)).toBeUndefined();
    expect(fifo.drain()).toEqual([11, 3, 5]);
    expect([fifo.empty, fifo.length]).toEqual([true, 0]);
  });

  it('stays in order across the compaction of a long run of takes', () => {
    const fifo = new Fifo<number>();
    for (let i = 0; i < 10_000; i++) fifo.push(i);
    const taken: number[] = [];
    for (let i = 0; i < 6_000; i++) {
      taken.push(fifo.shift()!);
      if (i % 1000 === 0) fifo.push(10_000 + i);
    }
    expect(taken).toEqual(Array.from({ length: 6_000 }, (_, i) => i));
    expect(fifo.length).toBe(4_000 + 6);
    expect(fifo.peek()).toBe(6_000);
    expect(fifo.drain().slice(-6)).toEqual([10_000, 11_000, 12_000, 13_000, 14_000, 15_000]);
  });
});
