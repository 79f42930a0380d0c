import { describe, expect, it } from 'vitest';
import { ObservedQueue } from '../../main/engine/queue/observed-queue';

// Each process of a Python program reports on its own connection: a consumer's get and task_done
// can reach Forkscope before the producer's put they answer.
const joinable = () =>
  new ObservedQueue({ id: 'q1', ref: 1, name: 'q1', kind: 'joinable', maxsize: 0 }, null, 0, () => {});

describe('a watched JoinableQueue whose reports arrive out of order', () => {
  it('a get and a task_done told before their put leave nothing unfinished once the put comes', () => {
    const queue = joinable();
    queue.put(1, 10, "('item', 0)");
    queue.got(2, 11, "('item', 0)");
    queue.taskDone(2, 12);
    // The producer's stream is behind: item 1's get and task_done come first.
    queue.got(2, 21, "('item', 1)");
    queue.taskDone(2, 22);
    expect(queue.unfinished).toBe(0);
    queue.put(1, 20, "('item', 1)");
    expect(queue.unfinished).toBe(0);
    expect(queue.depth).toBe(0);
  });

  it('in order, a put not yet done counts as unfinished', () => {
    const queue = joinable();
    queue.put(1, 10, "('item', 0)");
    queue.put(1, 11, "('item', 1)");
    queue.got(2, 12, "('item', 0)");
    queue.taskDone(2, 13);
    expect(queue.unfinished).toBe(1);
  });
});
