import { describe, expect, it } from 'vitest';
import {
  decodeFromWorker,
  decodeToWorker,
  encodeBatch,
  encodeFromWorker,
  encodeToWorker,
  readBatch,
  TaskMode,
  WorkerProtocolError,
  type FromWorker,
  type ToWorker,
} from '../../main/engine/pool/worker-protocol';

/** Through the line as it travels: encode, one JSON line, read, decode. */
const overTheLine = <T>(messages: T[], encode: (m: T) => unknown, decode: (w: never) => T): T[] =>
  readBatch(encodeBatch(messages.map(encode) as never).trimEnd()).map((wire) => decode(wire as never));

describe('pool worker protocol: every message round-trips by name', () => {
  it('engine → worker', () => {
    const messages: ToWorker[] = [
      { type: 'init', initializer: '/w/init.js#setup', initargs: [1, 'a'] },
      { type: 'init', initializer: null, initargs: [] },
      { type: 'define', index: 3, target: '/w/tasks.js#square' },
      { type: 'task', taskId: 17, targetIndex: 3, mode: TaskMode.Star, payload: [[1, 2]] },
      { type: 'retire' },
      { type: 'give-back' },
    ];
    expect(overTheLine(messages, encodeToWorker, decodeToWorker)).toEqual(messages);
  });

  it('worker → engine', () => {
    const end = { taskId: 9, t0: 1000.5, t1: 1001.25, outLines: 4, errLines: 1 };
    const messages: FromWorker[] = [
      { type: 'ready', pid: 321, outLines: 0, errLines: 2 },
      { type: 'init-failed', name: 'TypeError', message: 'no', stack: 'TypeError: no\n    at x' },
      { type: 'given-back', taskIds: [4, 5] },
      { type: 'result', ...end, value: { deep: [null, 'v'] } },
      { type: 'error', ...end, name: 'Error', message: 'boom', stack: '' },
    ];
    expect(overTheLine(messages, encodeFromWorker, decodeFromWorker)).toEqual(messages);
  });

  it('a chunk of finite numbers travels packed and arrives as JSON would give it', () => {
    const end = { taskId: 3, t0: 1, t1: 2, outLines: 0, errLines: 0 };
    const numbers = Array.from({ length: 100 }, (_, i) => (i - 50) ** 5 / 7);
    const packed = encodeFromWorker({ type: 'result', ...end, value: [...numbers, -0, 2 ** 53 + 2] });
    expect(packed[0]).toBe('result-numbers');
    const [back] = overTheLine(
      [{ type: 'result', ...end, value: [...numbers, -0, 2 ** 53 + 2] }],
      encodeFromWorker,
      decodeFromWorker,
    );
    const viaJson = JSON.parse(JSON.stringify([...numbers, -0, 2 ** 53 + 2])) as number[];
    expect(back).toEqual({ type: 'result', ...end, value: viaJson });
    expect(Object.is((back as { value: number[] }).value[100], 0)).toBe(true);
    // What JSON would change (NaN, Infinity become null) or what is not all numbers stays JSON.
    for (const value of [[...numbers, NaN], [...numbers, Infinity], [...numbers, '1'], numbers.slice(0, 10)])
      expect(encodeFromWorker({ type: 'result', ...end, value })[0]).toBe('result');
    expect(() => decodeFromWorker(['result-numbers', 3, 1, 2, 0, 0, 'AAAA'])).toThrow(WorkerProtocolError);
    expect(() => decodeFromWorker(['result-numbers', 3, 1, 2, 0, 0, 5])).toThrow(WorkerProtocolError);
  });

  it('tags say what they are', () => {
    const tags = [
      encodeToWorker({ type: 'retire' })[0],
      encodeToWorker({ type: 'give-back' })[0],
      encodeFromWorker({ type: 'given-back', taskIds: [] })[0],
    ];
    expect(tags).toEqual(['retire', 'give-back', 'given-back']);
  });

  it('refuses what is not of the protocol', () => {
    expect(() => decodeFromWorker(['r', 1])).toThrow(WorkerProtocolError);
    expect(() => decodeToWorker(['t', 1])).toThrow(WorkerProtocolError);
    expect(() => readBatch('{"a":1}')).toThrow(WorkerProtocolError);
    expect(() => decodeFromWorker(readBatch('[[1]]')[0]!)).toThrow(WorkerProtocolError);
    expect(() => readBatch('not json')).toThrow(SyntaxError);
  });
});
